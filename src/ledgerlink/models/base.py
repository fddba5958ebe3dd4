"""Declarative base and the columns every table shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class IdMixin:
    id: Mapped[str] = mapped_column(String(40), primary_key=True)


class TimestampMixin:
    # Server-set timestamps come back with the INSERT/UPDATE (RETURNING), never by a lazy load later.
    __mapper_args__ = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class WorkspaceScoped:
    """Every stored record belongs to exactly one workspace."""

    @declared_attr
    def workspace_id(cls) -> Mapped[str]:
        return mapped_column(String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
