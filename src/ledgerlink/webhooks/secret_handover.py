"""Handing the hooks the hub registered upstream a new secret, right after an integration's credentials
change (the reaction to its `integration.updated` event, reactions.py).

Only where the hub chooses the secret the hooks sign with (WooCommerce): a hook still signing with the
old one would have every delivery refused (hook_secrets.py). Each is handed the current secret in place
where the connector can, else made again and the old one removed. What could not be updated keeps its old
digest and is reported; the periodic check (registration.py's `check_health`) repairs it later.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.models import Integration, WebhookRegistration
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks.hook_secrets import _stale, _wanted_digest
from ledgerlink.webhooks.registration import (
    RETRY,
    Repair,
    _lock,
    _log_extra,
    _Repairer,
    _rows,
    _Upstream,
    _upstream,
)

log = logging.getLogger(__name__)


async def _secret_state(
    session: AsyncSession, runtime: Runtime, integration_id: str
) -> tuple[Integration, _Upstream, str, dict[str, WebhookRegistration], list[WebhookRegistration]] | None:
    """The integration, its upstream, the wanted digest, its rows and those signing with another secret;
    None when nothing is to be handed (no rows, disabled, no hub-chosen secret, all up to date)."""
    integration = await session.get(Integration, integration_id, populate_existing=True)
    if integration is None or integration.status == "disabled":
        return None
    rows = await _rows(session, integration_id)
    if not rows:
        return None
    upstream = _upstream(runtime.secrets, integration, runtime)
    digest = await _wanted_digest(integration, upstream)
    stale = [row for row in rows.values() if _stale(row, digest)]
    if digest is None or not stale:
        return None
    return integration, upstream, digest, rows, stale


async def secret_outdated(runtime: Runtime, integration_id: str) -> bool:
    """Whether some of the integration's hooks sign with another secret than its current one."""
    async with runtime.sessions() as session:
        return await _secret_state(session, runtime, integration_id) is not None


async def hand_new_secret(runtime: Runtime, integration_id: str) -> list[Repair]:
    """Hand the hooks made with another secret than the integration's current one that secret (after its
    credentials changed). A hook that could not be updated is reported with its error and keeps its old
    digest, for the periodic check to repair."""
    async with runtime.sessions() as session:
        await _lock(session, integration_id)
        state = await _secret_state(session, runtime, integration_id)
        if state is None:
            return []
        integration, upstream, digest, rows, stale = state
        async with upstream.connector.client(RETRY) as client:
            repairer = _Repairer(session, client, integration, upstream, rows, {}, datetime.now(UTC), digest)
            repairs = [await repairer.resecret(row) for row in stale]
        await session.commit()
    log.info(
        "handed the integration's webhooks their new secret",
        extra=_log_extra(
            integration,
            updated=sum(1 for r in repairs if r.upstream_id),
            failed=[f"{r.topic}: {r.error}" for r in repairs if r.error],
        ),
    )
    return repairs
