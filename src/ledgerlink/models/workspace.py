"""Tenancy and access: workspaces, API keys, OAuth clients and their tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(200), unique=True)


class ApiKey(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A long-lived key. Only its SHA-256 is stored; `prefix` is what a person recognises it by."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class OAuthClient(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A client-credentials client; its secret is stored as a hash like an API key."""

    __tablename__ = "oauth_clients"

    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    revoked_at: Mapped[datetime | None]


class OAuthToken(IdMixin, WorkspaceScoped, Base):
    """A short-lived bearer token issued by `POST /oauth/token`; stored as a hash."""

    __tablename__ = "oauth_tokens"

    client_id: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    expires_at: Mapped[datetime] = mapped_column(index=True)
