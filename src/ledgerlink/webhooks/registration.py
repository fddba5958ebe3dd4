"""Our webhooks at the upstream platforms: created, kept and removed (issue 4, "Registration at the
provider").

Each integration gets one hook per topic its connector names (`Connector.webhook_topics`), all
delivering to one destination (destinations.py). The hooks the hub made are rows of
`webhook_registrations` (topic, upstream id, destination, active | broken). Where the hub chooses the
secret that signs the deliveries (WooCommerce), each row also keeps a digest of the secret its hook was
made with, and a hook signing with an old one is handed the current one (hook_secrets.py).

- `register_all` is idempotent: it lists the upstream's hooks first and keeps a registered hook that
  still exists and is active, adopts an active hook of ours the rows lost, creates what is missing,
  and removes what is no longer wanted (a hook of an old destination, an inactive one once replaced,
  a duplicate delivering to us).
- `check_health` finds hooks that are missing or inactive upstream, marks them broken, creates them
  again and says what it repaired; a disabled integration's leftover hooks are removed instead. Hooks
  left signing with an old secret (the hand-over after a credentials change, secret_handover.py, failed
  or never ran) are handed the current one.
- `unregister_all` removes the hooks upstream (one already gone is fine) and their rows.
- `release_hooks` is the best-effort removal when an integration is disabled or removed: it never
  fails the caller; what could not be removed stays as a `broken` row, logged, for the periodic check
  to remove later.

Seed 004's "Check Integration" builds on `check_health` (integration_check.py).

Every operation on one integration's hooks holds a transaction-scoped advisory lock on it (`_lock`, here
with the other internals the hand-over and the check share), so two of them (a request and the periodic
check) never create the same hook twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.framework.connector import Connector, RegisteredHook
from ledgerlink.connectors.loading import build_connector, webhook_spec
from ledgerlink.connectors.registry import get_provider
from ledgerlink.db import advisory
from ledgerlink.errors import ConfigurationError, LedgerlinkError, NotFound
from ledgerlink.ids import new_id
from ledgerlink.integrations.service import decrypt_credentials, get_integration
from ledgerlink.models import Integration, WebhookRegistration
from ledgerlink.runtime import Runtime
from ledgerlink.secrets_box import SecretBox
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.webhooks.destinations import (
    TOKEN_PROVIDERS,
    destination_url,
    ensure_inbound_token,
    masked_destination,
    public_base,
)
from ledgerlink.webhooks.hook_secrets import _hand_secret, _stale, _wanted_digest

log = logging.getLogger(__name__)

# Someone usually waits on these calls: a short retry, not a sync's patience.
RETRY = RetryPolicy(attempts=2, rate_limit_waits=2, max_delay=2, max_wait=5)


# --- what the upstream calls need --------------------------------------------------------------------


@dataclass
class _Upstream:
    connector: Connector
    secret: str | None  # the integration's verification secret (what signs or accompanies deliveries)


def _secret_fields(provider_id: str) -> tuple[str, ...]:
    spec = webhook_spec(get_provider(provider_id))
    return spec.secret_fields if spec else ()


def _verification_secret(provider_id: str, credentials: dict[str, Any]) -> str | None:
    """The current secret among the user's credentials (never one still accepted for a while after it
    was replaced: framework/webhooks.py)."""
    spec = webhook_spec(get_provider(provider_id))
    found = spec.current_secrets(credentials) if spec else []
    return found[0] if found else None


def _upstream(box: SecretBox, integration: Integration, runtime: Runtime | None = None) -> _Upstream:
    provider = get_provider(integration.provider)
    credentials = decrypt_credentials(box, integration)  # without the hub's own keys
    connector = build_connector(
        provider,
        credentials,
        settings=integration.settings,
        bookkeeping=runtime.bookkeeping if runtime is not None else None,
        bucket=f"upstream:{integration.id}",
    )
    return _Upstream(connector, _verification_secret(integration.provider, credentials.plain()))


def _require_secret(integration: Integration, upstream: _Upstream) -> str:
    if upstream.secret:
        return upstream.secret
    fields = _secret_fields(integration.provider)
    raise ConfigurationError(
        f"{get_provider(integration.provider).name} webhooks are verified with the credential "
        f"{' or '.join(fields) or 'secret'}, which this integration lacks: add it (PATCH the integration's "
        "credentials), or every delivery would be refused",
        {"provider": integration.provider, "fields": list(fields)},
    )


async def _integration(session: AsyncSession, integration_id: str, workspace_id: str | None) -> Integration:
    if workspace_id is not None:
        return await get_integration(session, workspace_id, integration_id)
    found = await session.get(Integration, integration_id)
    if found is None:
        raise NotFound(f"integration '{integration_id}' not found", {"id": integration_id})
    return found


async def _lock(session: AsyncSession, integration_id: str) -> None:
    """Serialise every change to one integration's hooks (released when the transaction ends)."""
    await advisory.xact_lock(session, f"webhook-registration:{integration_id}")


async def _rows(session: AsyncSession, integration_id: str) -> dict[str, WebhookRegistration]:
    found = await session.execute(
        select(WebhookRegistration)
        .where(WebhookRegistration.integration_id == integration_id)
        .order_by(WebhookRegistration.topic)
    )
    return {row.topic: row for row in found.scalars()}


def _log_extra(integration: Integration, **more: Any) -> dict[str, Any]:
    return {
        "integration_id": integration.id,
        "workspace_id": integration.workspace_id,
        "provider": integration.provider,
        **more,
    }


# --- register ----------------------------------------------------------------------------------------


async def _prepare(runtime: Runtime, integration_id: str, workspace_id: str | None) -> tuple[Integration, str | None]:
    """Check the integration can have hooks and commit what their deliveries need before any exists:
    the destination token, and the secret where the hub chooses it. (Committed first because the
    upstream may deliver, or ping, as soon as a hook is made.) Returns the integration and its token."""
    async with runtime.sessions() as session:
        await _integration(session, integration_id, workspace_id)
        integration = (
            await session.execute(
                select(Integration)
                .where(Integration.id == integration_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        if integration.status == "disabled":
            raise ConfigurationError(
                "the integration is disabled: enable it before registering its webhooks", {"status": "disabled"}
            )
        upstream = _upstream(runtime.secrets, integration, runtime)
        upstream.connector.webhook_topics()  # ConfigurationError where the provider has no registration
        if not upstream.secret and upstream.connector.hub_chooses_webhook_secret:
            _store_new_secret(runtime.secrets, integration)
        elif not upstream.secret:
            _require_secret(integration, upstream)
        token = None
        if integration.provider in TOKEN_PROVIDERS:
            token = await ensure_inbound_token(session, runtime.secrets, integration)
        await session.commit()
        return integration, token


def _store_new_secret(box: SecretBox, integration: Integration) -> None:
    """A webhook secret for an upstream that signs with whatever secret the hook is made with."""
    provider = get_provider(integration.provider)
    field = _secret_fields(integration.provider)[0]
    plain = box.decrypt_json(integration.credentials_encrypted)
    own = {k: v for k, v in plain.items() if k.startswith("_")}  # the hub's keys, not the user's
    user = {k: v for k, v in plain.items() if not k.startswith("_")}
    credentials = provider.credentials.model_validate({**user, field: secrets.token_urlsafe(32)})
    integration.credentials_encrypted = box.encrypt_json({**credentials.plain(), **own})
    integration.credentials_summary = credentials.summary()
    log.info("generated a webhook secret for the integration", extra=_log_extra(integration, field=field))


def _record(
    session: AsyncSession,
    integration: Integration,
    rows: dict[str, WebhookRegistration],
    topic: str,
    upstream_id: str,
    destination: str,
    now: datetime,
    digest: str | None,
) -> None:
    row = rows.get(topic)
    if row is None:
        row = WebhookRegistration(
            id=new_id("whr"),
            workspace_id=integration.workspace_id,
            integration_id=integration.id,
            topic=topic,
        )
        session.add(row)
        rows[topic] = row
    row.upstream_id, row.destination, row.status, row.last_checked_at = upstream_id, destination, "active", now
    row.secret_digest = digest


def _usable(hook: RegisteredHook | None, topic: str, destination: str) -> bool:
    return hook is not None and hook.active and hook.topic == topic and hook.destination == destination


async def register_all(
    runtime: Runtime, integration_id: str, public_base_url: str | None = None, *, workspace_id: str | None = None
) -> list[WebhookRegistration]:
    """Make sure every topic of the integration has one active hook upstream delivering to the hub."""
    base = public_base(runtime, public_base_url)
    integration, token = await _prepare(runtime, integration_id, workspace_id)
    destination = destination_url(base, integration, token)
    upstream = _upstream(runtime.secrets, integration, runtime)
    connector = upstream.connector
    topics = connector.webhook_topics()
    digest = await _wanted_digest(integration, upstream)
    async with runtime.sessions() as session:
        await _lock(session, integration.id)
        rows = await _rows(session, integration.id)
        now = datetime.now(UTC)
        async with connector.client(RETRY) as client:
            hooks = await connector.list_webhooks(client)
            by_id = {h.upstream_id: h for h in hooks}
            ours = [h for h in hooks if h.destination == destination]
            # Ours before this run: what the rows name (another destination, if the URL changed) and
            # whatever delivers to this destination. What is not kept of them goes.
            previous = {row.upstream_id for row in rows.values()} | {h.upstream_id for h in ours}
            kept: set[str] = set()
            try:
                for topic in topics:
                    row = rows.get(topic)
                    hook = by_id.get(row.upstream_id) if row is not None else None
                    if not _usable(hook, topic, destination):
                        hook = next(
                            (h for h in ours if _usable(h, topic, destination) and h.upstream_id not in kept), None
                        )
                    if hook is None:
                        upstream_id = await connector.register_webhook(client, topic, destination, upstream.secret)
                        _record(session, integration, rows, topic, upstream_id, destination, now, digest)
                    else:  # an adopted hook's secret is not known
                        known = row.secret_digest if row is not None and row.upstream_id == hook.upstream_id else None
                        _record(session, integration, rows, topic, hook.upstream_id, destination, now, known)
                        if upstream.secret and _stale(rows[topic], digest):
                            upstream_id = await _hand_secret(client, connector, rows[topic], upstream.secret)
                            _record(session, integration, rows, topic, upstream_id, destination, now, digest)
                    kept.add(rows[topic].upstream_id)
                # Replaced, retired or duplicate hooks of ours: every other hook is someone else's.
                for upstream_id in sorted(previous - kept):
                    if upstream_id in by_id:
                        await connector.delete_webhook(client, upstream_id)
                for topic in [t for t in rows if t not in topics]:
                    await session.delete(rows.pop(topic))
            except LedgerlinkError:
                await session.commit()  # the hooks made so far are recorded; the rest stays as it was
                raise
        await session.commit()
        log.info(
            "webhooks registered upstream",
            extra=_log_extra(integration, topics=len(topics), destination=masked_destination(destination)),
        )
        return [rows[t] for t in sorted(rows)]


# --- remove ------------------------------------------------------------------------------------------


async def _remove(session: AsyncSession, connector: Connector, rows: Sequence[WebhookRegistration]) -> int:
    """Delete the rows' hooks upstream, with any duplicate delivering to the same destinations, and the
    rows with them. On an upstream failure the rows not yet removed are marked broken and it raises."""
    left = list(rows)
    removed = 0
    try:
        async with connector.client(RETRY) as client:
            destinations = {row.destination for row in rows}
            registered = {row.upstream_id for row in rows}
            extra = [
                h.upstream_id
                for h in await connector.list_webhooks(client)
                if h.destination in destinations and h.upstream_id not in registered
            ]
            while left:
                removed += int(await connector.delete_webhook(client, left[0].upstream_id))
                await session.delete(left.pop(0))
            for upstream_id in extra:
                removed += int(await connector.delete_webhook(client, upstream_id))
    except LedgerlinkError:
        for row in left:
            row.status = "broken"
        raise
    return removed


async def unregister_all(runtime: Runtime, integration_id: str, *, workspace_id: str | None = None) -> int:
    """Remove the integration's hooks upstream and their rows; returns how many hooks were deleted upstream."""
    async with runtime.sessions() as session:
        integration = await _integration(session, integration_id, workspace_id)
        await _lock(session, integration.id)
        rows = list((await _rows(session, integration.id)).values())
        if not rows:
            return 0
        try:
            removed = await _remove(session, _upstream(runtime.secrets, integration, runtime).connector, rows)
        finally:
            await session.commit()
        log.info("webhooks removed upstream", extra=_log_extra(integration, removed=removed))
        return removed


async def release_hooks(session: AsyncSession, box: SecretBox, integration: Integration) -> None:
    """Best effort, for disabling or removing an integration: remove its hooks upstream. Never raises;
    what could not be removed is logged and kept as `broken` rows (the periodic check removes a disabled
    integration's leftovers; a removed integration's rows go with it).

    It works in a session of its own on the caller's database, so the caller's session and the
    integration object it holds are left exactly as they were."""
    extra = _log_extra(integration)
    try:
        upstream = _upstream(box, integration)
        async with AsyncSession(bind=session.bind, expire_on_commit=False) as own, own.begin():
            await _lock(own, integration.id)
            rows = list((await _rows(own, integration.id)).values())
            if not rows:
                return
            try:
                await _remove(own, upstream.connector, rows)
            except LedgerlinkError as exc:  # the rows not removed were marked broken
                log.warning(
                    "could not remove the integration's webhooks upstream; kept as broken",
                    extra={**extra, "error": exc.message, "upstream_ids": [r.upstream_id for r in rows]},
                )
    except Exception:
        log.exception("removing the integration's webhooks upstream failed", extra=extra)


# --- health ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    topic: str
    # missing | inactive upstream, unregistered (a wanted topic without a row), or secret (the hook
    # signed with an old secret, or one not recorded)
    reason: str
    upstream_id: str | None  # the hook now delivering; None when making or updating one failed
    error: str | None = None


@dataclass
class _Repairer:
    session: AsyncSession
    client: Any
    integration: Integration
    upstream: _Upstream
    rows: dict[str, WebhookRegistration]
    hooks: dict[str, RegisteredHook]  # the upstream's, as listed before any repair
    now: datetime
    digest: str | None  # what every hook's secret digest must be, where the hub chose the secret

    def _failed(self, message: str, topic: str, reason: str, exc: LedgerlinkError) -> Repair:
        log.warning(message, extra=_log_extra(self.integration, topic=topic, reason=reason, error=exc.message))
        return Repair(topic, reason, None, exc.message)

    async def restore(self, topic: str, destination: str, reason: str) -> Repair:
        """Adopt an active hook of ours the rows do not know (handing it the current secret, which it
        may lack), else make one; record it."""
        used = {row.upstream_id for row in self.rows.values()}
        hook = next(
            (h for h in self.hooks.values() if _usable(h, topic, destination) and h.upstream_id not in used), None
        )
        try:
            if hook is None:
                upstream_id = await self.upstream.connector.register_webhook(
                    self.client, topic, destination, self.upstream.secret
                )
            else:
                upstream_id = hook.upstream_id
        except LedgerlinkError as exc:
            return self._failed("could not create a webhook upstream", topic, reason, exc)
        digest = self.digest if hook is None else None  # an adopted hook's secret is not known
        _record(self.session, self.integration, self.rows, topic, upstream_id, destination, self.now, digest)
        if _stale(self.rows[topic], self.digest):
            return await self.resecret(self.rows[topic], reason)
        return Repair(topic, reason, upstream_id)

    async def resecret(self, row: WebhookRegistration, reason: str = "secret") -> Repair:
        """Hand the row's hook the current secret; a hook made again in its place replaces it."""
        secret, old = self.upstream.secret, row.upstream_id
        if not secret:
            return Repair(row.topic, reason, old)
        try:
            upstream_id = await _hand_secret(self.client, self.upstream.connector, row, secret)
        except LedgerlinkError as exc:
            return self._failed("could not hand a webhook upstream the current secret", row.topic, reason, exc)
        _record(
            self.session, self.integration, self.rows, row.topic, upstream_id, row.destination, self.now, self.digest
        )
        if upstream_id != old:
            await self.delete_replaced(old)
        return Repair(row.topic, reason, upstream_id)

    async def delete_replaced(self, upstream_id: str) -> None:
        """Remove a hook another one replaced; a failure is logged (the next registration removes it)."""
        try:
            await self.upstream.connector.delete_webhook(self.client, upstream_id)
        except LedgerlinkError as exc:
            log.warning(
                "could not delete a replaced webhook upstream",
                extra=_log_extra(self.integration, upstream_id=upstream_id, error=exc.message),
            )


async def check_health(runtime: Runtime, integration_id: str, *, workspace_id: str | None = None) -> list[Repair]:
    """Compare the rows with the upstream's hooks: a missing or inactive one is marked broken and made
    again, one signing with an old secret is handed the current one. A disabled integration's hooks
    are removed instead. Returns what was repaired (or tried)."""
    async with runtime.sessions() as session:
        integration = await _integration(session, integration_id, workspace_id)
        await _lock(session, integration.id)
        rows = await _rows(session, integration.id)
        if not rows:
            return []
        if integration.status == "disabled":
            await session.commit()
            await release_hooks(session, runtime.secrets, integration)
            return []
        upstream = _upstream(runtime.secrets, integration, runtime)
        connector = upstream.connector
        digest = await _wanted_digest(integration, upstream)
        repairs: list[Repair] = []
        destination = next(iter(rows.values())).destination  # they all share one
        async with connector.client(RETRY) as client:
            hooks = {h.upstream_id: h for h in await connector.list_webhooks(client)}
            repairer = _Repairer(session, client, integration, upstream, rows, hooks, datetime.now(UTC), digest)
            for row in list(rows.values()):
                hook = hooks.get(row.upstream_id)
                row.last_checked_at = repairer.now
                if _usable(hook, row.topic, row.destination):
                    row.status = "active"
                    if _stale(row, digest):
                        repairs.append(await repairer.resecret(row))
                    continue
                row.status = "broken"
                repair = await repairer.restore(row.topic, row.destination, "missing" if hook is None else "inactive")
                repairs.append(repair)
                if hook is not None and repair.upstream_id not in (None, hook.upstream_id):
                    await repairer.delete_replaced(hook.upstream_id)
            for topic in connector.webhook_topics():
                if topic not in rows:  # wanted since the hooks were registered
                    repairs.append(await repairer.restore(topic, destination, "unregistered"))
        await session.commit()
        if repairs:
            log.warning(
                "repaired webhooks upstream",
                extra=_log_extra(integration, repairs=[f"{r.topic}: {r.reason}" for r in repairs]),
            )
        return repairs


async def integrations_with_registrations(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        found = await session.execute(select(WebhookRegistration.integration_id).distinct())
        return sorted(found.scalars())
