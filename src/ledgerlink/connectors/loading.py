"""From a provider and stored credentials to a working connector with its shared budget."""

from __future__ import annotations

import importlib
from typing import Any

from ledgerlink.connectors.framework.connector import Connector
from ledgerlink.connectors.framework.webhooks import WebhookSpec
from ledgerlink.connectors.spec import Credentials, ProviderSpec
from ledgerlink.errors import ConfigurationError, InvalidCredentials
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.budget import Budget
from ledgerlink.upstream.errors import UpstreamAuthFailed
from ledgerlink.upstream.policy import RetryPolicy


def _load(path: str) -> Any:
    """The object a "module:name" path names."""
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def connector_class(provider: ProviderSpec) -> type[Connector]:
    if provider.connector is None:
        raise ConfigurationError(
            f"this build has no {provider.name} connector yet", {"provider": provider.id, "status": provider.status}
        )
    cls: type[Connector] = _load(provider.connector)
    return cls


def webhook_spec(provider: ProviderSpec) -> WebhookSpec | None:
    """How the provider's inbound webhooks are verified and parsed; None when this build has no such thing."""
    if provider.webhooks is None:
        return None
    spec: WebhookSpec = _load(provider.webhooks)
    return spec


def budget_limit(cls: type[Connector], settings: dict[str, Any]) -> Limit | None:
    """The connector's published limit, unless the integration's settings override it:
    `"rateLimit": {"rate": 2, "period": 1, "burst": 40}` or `"rateLimit": null` (none)."""
    if "rateLimit" not in settings:
        return cls.default_limit
    override = settings["rateLimit"]
    if override is None:
        return None
    try:
        return Limit(
            rate=int(override["rate"]),
            period=float(override.get("period", 1)),
            burst=int(override.get("burst", override["rate"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError("settings.rateLimit needs rate, and optionally period and burst", None) from exc


def build_connector(
    provider: ProviderSpec,
    credentials: Credentials,
    *,
    settings: dict[str, Any] | None = None,
    bookkeeping: Any = None,
    bucket: str | None = None,
) -> Connector:
    """A connector whose client spends the budget shared by every process (when a bucket is named)."""
    cls = connector_class(provider)
    limit = budget_limit(cls, settings or {})
    budget = Budget(bookkeeping, bucket, limit) if (limit and bookkeeping is not None and bucket) else None
    return cls(credentials, budget=budget)


async def verify_credentials(provider: ProviderSpec, credentials: Credentials) -> dict[str, Any]:
    connector = build_connector(provider, credentials)
    # Someone is waiting on the answer: a short retry, not a sync's patience.
    async with connector.client(RetryPolicy(attempts=2, rate_limit_waits=2, max_delay=2, max_wait=5)) as client:
        try:
            return await connector.check(client)
        except UpstreamAuthFailed as exc:
            raise InvalidCredentials(
                f"{provider.name} refused the credentials", {"upstreamStatus": exc.upstream_status}
            ) from exc
