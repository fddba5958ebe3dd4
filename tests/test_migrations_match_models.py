"""The migrations build exactly the schema the models declare: autogenerate finds nothing to do.

A table created by a migration without a model (or a model changed without a migration) would make the
next `alembic revision --autogenerate` propose dropping or altering it. Checked on a database of its
own, migrated from empty, so that tables other tests create do not count.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from ledgerlink.db import migrate
from ledgerlink.db.migrate import include_name
from ledgerlink.db.urls import sqlalchemy_url
from ledgerlink.models import Base
from ledgerlink.testing import create_test_database, drop_test_database
from tests.conftest import TEST_DATA_DIR


def test_the_migrated_database_matches_the_models() -> None:
    url = create_test_database(TEST_DATA_DIR)
    engine = create_engine(sqlalchemy_url(url))
    try:
        migrate.upgrade(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
        drop_test_database(url)
    assert differences == []
