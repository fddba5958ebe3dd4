"""The row types COPY writes as tuples name columns of their tables (a misspelt field would otherwise
surface only when a sync writes that table)."""

from __future__ import annotations

import pytest

from ledgerlink.events import EventRow
from ledgerlink.models import Event
from ledgerlink.sync.order_rows import CHILD_ROWS

ROW_TYPES = [*CHILD_ROWS, (EventRow, Event)]


@pytest.mark.parametrize(("row_type", "model"), ROW_TYPES, ids=[t.__name__ for t, _ in ROW_TYPES])
def test_every_field_of_a_row_type_is_a_column_of_its_table(row_type, model) -> None:  # type: ignore[no-untyped-def]
    columns = set(model.__table__.c.keys())
    assert set(row_type._fields) <= columns
    # What the row leaves out, the table fills itself.
    for name in columns - set(row_type._fields):
        column = model.__table__.c[name]
        assert column.nullable or column.server_default is not None, name
