"""What a running process needs, built once from the settings: database, keys, job queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ledgerlink.db.embedded import start_embedded
from ledgerlink.db.engine import make_bookkeeping_engine, make_engine, make_sessionmaker
from ledgerlink.secrets_box import SecretBox, SecretsConfigError, load_or_create_key_file
from ledgerlink.settings import Settings

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir)


def resolve_secret_keys(settings: Settings) -> list[str]:
    keys = settings.secret_key_list()
    if keys:
        return keys
    if settings.embedded:
        return [load_or_create_key_file(settings.data_dir)]
    raise SecretsConfigError(
        "DATABASE_URL is set but LEDGERLINK_SECRET_KEYS is not: give the Fernet key(s) that encrypt "
        "credentials (generate one with `ledgerlink secrets generate`)"
    )


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    secrets: SecretBox
    bookkeeping: AsyncEngine
    _jobs: procrastinate.App | None = field(default=None, repr=False)
    # Sync runs this process is taking slices of (sync/engine.py): one slice of a run at a time per
    # process, so that a run's slices spread over the processes that have cores to give.
    slicing: set[str] = field(default_factory=set, repr=False)

    @property
    def jobs(self) -> procrastinate.App:
        if self._jobs is None:
            from ledgerlink.jobs.app import make_jobs_app

            self._jobs = make_jobs_app(
                self.database_url,
                stalled_after=self.settings.worker_stalled_after,
                extra_task_modules=self.settings.extra_task_modules(),
            )
        return self._jobs

    async def aclose(self) -> None:
        await self.engine.dispose()
        await self.bookkeeping.dispose()


def build_runtime(settings: Settings, database_url: str | None = None) -> Runtime:
    url = database_url or resolve_database_url(settings)
    engine = make_engine(url, pool_size=settings.db_pool_size)
    return Runtime(
        settings=settings,
        database_url=url,
        engine=engine,
        sessions=make_sessionmaker(engine),
        secrets=SecretBox(resolve_secret_keys(settings)),
        bookkeeping=make_bookkeeping_engine(url),
    )
