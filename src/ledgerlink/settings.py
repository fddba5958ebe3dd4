"""Process configuration, read once from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of a ledgerlink process. Unprefixed names are the conventional ones (DATABASE_URL)."""

    model_config = SettingsConfigDict(env_prefix="LEDGERLINK_", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".ledgerlink")
    secret_keys: str | None = Field(
        default=None, description="Comma-separated Fernet keys: the first encrypts, all decrypt."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    rate_limit_per_minute: int = Field(default=600, ge=1, description="Requests per API key per minute.")
    rate_limit_burst: int = Field(default=100, ge=1)
    oauth_token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    db_pool_size: int = Field(default=10, ge=1)
    worker_stalled_after: float = Field(
        default=20.0,
        ge=1.0,
        le=600.0,
        description="Seconds without a heartbeat after which a worker is presumed dead and its jobs requeued.",
    )
    worker_shutdown_timeout: float = Field(
        default=10.0,
        ge=0.0,
        le=3600.0,
        description="Seconds a stopping worker lets running jobs finish before it cancels them; a cancelled "
        "job is picked up again (sync runs resume from their last page).",
    )
    sync_slices: int = Field(
        default=4,
        ge=1,
        le=64,
        description="At most this many slices a large sync run is cut into, read and written at once by "
        "whichever workers are free (1: never cut).",
    )
    sync_slice_records: int = Field(
        default=5000,
        ge=100,
        description="A slice holds at least this many records: a run is cut only when it is this many times two.",
    )
    allowed_private_networks: str = Field(
        default="", description="CIDRs of internal addresses upstream calls may reach (127.0.0.0/8 for the sandbox)."
    )
    upstream_public: bool = Field(default=True, description="false: upstream calls may reach no public address.")
    task_modules: str = Field(default="", description="Comma-separated extra modules that register tasks (plugins).")
    webhook_retry_scale: float = Field(
        default=1.0,
        gt=0,
        le=1.0,
        description="Multiplies the outbound retry schedule (tests and demos shrink hours to seconds).",
    )
    webhook_attempt_retention_days: int = Field(default=14, ge=1, description="Delivery attempt log kept this long.")
    webhook_inbox_retention_days: int = Field(
        default=8, ge=7, description="Handled inbound webhooks (and so their dedupe keys) kept this long."
    )
    public_url: str | None = Field(
        default=None,
        description="The hub's address as the upstream platforms reach it (https://hub.example.com): "
        "where the webhooks it registers upstream deliver.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        return value

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    def extra_task_modules(self) -> list[str]:
        return [m.strip() for m in self.task_modules.split(",") if m.strip()]

    def secret_key_list(self) -> list[str]:
        if not self.secret_keys:
            return []
        return [k.strip() for k in self.secret_keys.split(",") if k.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
