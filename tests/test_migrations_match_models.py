"""The migrations build exactly the schema the models declare: autogenerate finds nothing to do.

A table created by a migration without a model (or a model changed without a migration) would make the
next `alembic revision --autogenerate` propose dropping or altering it.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from ledgerlink.db.migrate import include_name
from ledgerlink.db.urls import sqlalchemy_url
from ledgerlink.models import Base


def test_the_migrated_database_matches_the_models(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
