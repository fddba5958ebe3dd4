"""Declarative base and the columns every table shares."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

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
    """Every stored record belongs to exactly one workspace.

    A table whose own indexes already lead with workspace_id sets `workspace_index = False`: a second,
    single-column index would only cost every insert its upkeep."""

    workspace_index: ClassVar[bool] = True

    @declared_attr
    def workspace_id(cls) -> Mapped[str]:
        return mapped_column(String(40), ForeignKey("workspaces.id", ondelete="CASCADE"), index=cls.workspace_index)


class WorkspaceOfParent:
    """The workspace of a row that lives and dies with a parent row (an order's lines, a refund's
    lines): written with the parent's, for scoping, but with no foreign key or index of its own. The
    parent's foreign key already cascades a workspace's removal down to it, and a bulk load of orders
    writes a dozen such rows per order, each of which paid one more constraint check and one more
    index entry (measured: a quarter of the insert cost of an order's tax lines)."""

    workspace_id: Mapped[str] = mapped_column(String(40))
