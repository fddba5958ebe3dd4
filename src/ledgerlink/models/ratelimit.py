"""Shared rate-limit state: one GCRA row per bucket, so every process spends one budget."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base


class RateLimitBucket(Base):
    __tablename__ = "rate_limit_buckets"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Theoretical arrival time of the next request (GCRA): the budget is spent while it runs ahead of now.
    tat: Mapped[datetime]
