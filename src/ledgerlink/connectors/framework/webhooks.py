"""Inbound webhooks, the pure part: is a delivery really from the upstream, and what does it say.

Every connector package with webhooks has a `webhooks.py` whose `WEBHOOKS` object verifies a
delivery over its raw bytes (never over re-serialised JSON) and parses it into an InboundNotice, the
same shape for every provider. Nothing here touches the database or the HTTP framework: the endpoint
calls `verify` and stores the delivery, processing calls `parse` and acts on the notice.

What a notice's `external_id` names: the record as our connectors key it (Shopify's numeric ids, the
other platforms' ids as text). Inventory is the exception, because hooks rarely name a whole level
(keyed `variant@location` in the hub): each provider's module says what its inventory ids are.
A notice whose `resource` is None is one we do not sync: `external_id` is None and `action` "other".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ledgerlink.connectors.framework.parsing import utc_time

Action = Literal["created", "updated", "deleted", "other"]
Secrets = Sequence[str | bytes]


class WebhookVerificationError(Exception):
    """The delivery is not proven to come from the upstream (the endpoint answers 401
    WEBHOOK_VERIFICATION_FAILED). The message says what failed; it never holds a secret."""


@dataclass(frozen=True)
class InboundNotice:
    """What one delivery says, whatever the provider: enough to deduplicate, order and act on it."""

    dedupe_key: str  # the provider's id of the event: the same on every redelivery of it
    topic: str  # the provider's topic as sent ("orders/updated", "store/order/statusUpdated"...)
    resource: str | None  # our stream name, None when we do not sync what it is about
    external_id: str | None  # the upstream id of the record, as our connectors key it
    action: Action
    updated_at: datetime | None  # upstream's modification time when the payload carries one (UTC)
    light: bool  # the payload is not the full record: fetch it through the connector
    payload: dict[str, Any] | list[Any] | None  # the parsed body


# The hub's own credential key (a leading "_", like upstream/tokens.py's cached token) for secrets the
# user replaced, each `{"secret", "until"}` (unix seconds).
RETIRED_FIELD = "_retiredWebhookSecrets"
# How long a replaced secret keeps verifying: long enough for the upstream's hooks to be handed the new
# one (where the hub hands it over) and for deliveries already on the wire to arrive; short, because a
# secret is often replaced for having leaked.
SECRET_GRACE_SECONDS = 600


def _retired(credentials: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
    """The replaced secrets still within their grace period at `now`."""
    entries = credentials.get(RETIRED_FIELD)
    if not isinstance(entries, list):
        return []
    return [
        e
        for e in entries
        if isinstance(e, dict)
        and isinstance(e.get("secret"), str)
        and e["secret"]
        and isinstance(e.get("until"), int | float)
        and e["until"] > now
    ]


class WebhookSpec(ABC):
    """One provider's inbound webhooks: where its secrets are, how it signs, what its bodies mean.

    A secret the user replaces keeps verifying for SECRET_GRACE_SECONDS: deliveries signed before the
    upstream (or its hooks, where the hub hands the secret over) switched may still arrive, and some
    upstreams never retry a refused one. `retire` keeps the replaced secrets in the stored credentials
    when they change; `secrets` offers them after the current ones until their time is up.
    """

    # Credential fields holding verification secrets (the integration's decrypted credentials).
    secret_fields: tuple[str, ...] = ()

    def current_secrets(self, credentials: Mapping[str, Any]) -> list[str]:
        """The secrets the credentials hold now. Empty ones are left out: an empty HMAC key is public,
        so an integration without a secret verifies nothing."""
        return [value for name in self.secret_fields if isinstance(value := credentials.get(name), str) and value]

    def secrets(self, credentials: Mapping[str, Any], *, now: float | None = None) -> list[str]:
        """The verification secrets: the current ones first, then those replaced within the grace period."""
        current = self.current_secrets(credentials)
        at = time.time() if now is None else now
        return current + [e["secret"] for e in _retired(credentials, at) if e["secret"] not in current]

    def retire(self, before: Mapping[str, Any], after: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
        """`after` (the new credentials) keeping the secrets of `before` it replaces, and those `before`
        still kept, until their grace period ends. Secrets back in use and expired ones are dropped."""
        at = time.time() if now is None else now
        current = set(self.current_secrets(after))
        kept = [e for e in _retired(before, at) if e["secret"] not in current]
        kept += [
            {"secret": s, "until": at + SECRET_GRACE_SECONDS}
            for s in self.current_secrets(before)
            if s not in current and all(e["secret"] != s for e in kept)
        ]
        out = {k: v for k, v in after.items() if k != RETIRED_FIELD}
        return {**out, RETIRED_FIELD: kept} if kept else out

    @abstractmethod
    def verify(self, secrets: Secrets, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        """Accept the delivery if any secret signed it (several during a rotation); raise
        WebhookVerificationError otherwise. `now` (unix time) is for tests of timestamp checks."""

    @abstractmethod
    def parse(self, headers: Mapping[str, str], body: bytes) -> InboundNotice:
        """The notice a (verified) delivery carries; ValueError with the reason when it is unparseable."""

    def is_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        """A provider's unsigned 'is this URL alive' request, to be answered 2xx and not stored."""
        return False


# --- headers and secrets ---------------------------------------------------------------------------


def header(headers: Mapping[str, str], *names: str) -> str | None:
    """The first of `names` that is present and not blank, looked up case-insensitively (Starlette's
    headers are case-insensitive; the plain dicts of tests are not)."""
    for name in names:
        value = headers.get(name)
        if value is None:
            wanted = name.lower()
            value = next((v for k, v in headers.items() if k.lower() == wanted), None)
        if value is not None and value.strip():
            return value.strip()
    return None


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names (first value wins), for code that looks names up in lower case only."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        out.setdefault(name.lower(), value)
    return out


def secret_keys(secrets: Secrets) -> list[bytes]:
    """HMAC keys: a text secret is used as its UTF-8 bytes, as Shopify, WooCommerce and Stripe do."""
    if not secrets:
        raise WebhookVerificationError("no webhook secret is configured for this integration")
    return [s if isinstance(s, bytes) else s.encode() for s in secrets]


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def same(expected: str | bytes, offered: str) -> bool:
    """Constant-time comparison. Text is compared as bytes: compare_digest refuses non-ASCII str."""
    want = expected if isinstance(expected, bytes) else expected.encode()
    return hmac.compare_digest(want, offered.encode("utf-8", "replace"))


def verify_body_hmac(secrets: Secrets, headers: Mapping[str, str], body: bytes, *names: str) -> None:
    """base64(HMAC-SHA256(secret, raw body)) in one header: Shopify's and WooCommerce's scheme (and
    QuickBooks'). No timestamp is signed, so replays are caught by deduplication, not here."""
    keys = secret_keys(secrets)
    offered = header(headers, *names)
    if offered is None:
        raise WebhookVerificationError(f"the {names[0]} header is missing")
    if not any(same(base64.b64encode(hmac_sha256(key, body)), offered) for key in keys):
        raise WebhookVerificationError(f"the {names[0]} signature matches no secret")


# --- bodies ---------------------------------------------------------------------------------------


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("the body is JSON nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are
        raise ValueError(f"the body is not JSON: {exc}") from exc


def parse_json_object(body: bytes, provider: str) -> dict[str, Any]:
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise ValueError(f"a {provider} webhook body is a JSON object, not {type(payload).__name__}")
    return payload


def dig(obj: Any, path: str) -> Any:
    """`obj["a"]["b"]` for the path "a.b"; None where a step is missing or not an object."""
    for step in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def id_text(value: Any, what: str) -> str | None:
    """An upstream id as text (numbers and strings); None when absent; ValueError when it is not an id."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} is not an id: {value!r:.40}")
    return str(value)


def event_time(value: Any, what: str) -> datetime | None:
    """A unix time (BigCommerce, Stripe snapshot events) or an ISO 8601 text (Stripe thin events)."""
    if value is None or isinstance(value, str):
        return utc_time(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} is not a time: {value!r:.40}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"{what} is not a time: {value!r:.40}") from exc
