"""Where the hooks the hub registers upstream deliver (issue 4, "Registration at the provider").

All of an integration's hooks deliver to one destination: `{public URL}/v1/webhooks/inbound/{integrationId}`,
or for BigCommerce seed 004's `{public URL}/direct/webhook/big-commerce/order/{token}`, where the token is a
secret made once per integration (kept as its SHA-256 to look it up and encrypted to rebuild the URL). A
destination carrying such a token is shown masked wherever the API shows it.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.errors import ConfigurationError
from ledgerlink.models import Integration
from ledgerlink.runtime import Runtime
from ledgerlink.secrets_box import SecretBox
from ledgerlink.webhooks.receive import token_hash

INBOUND_PATH = "/v1/webhooks/inbound/"
BIGCOMMERCE_PATH = "/direct/webhook/big-commerce/order/"
TOKEN_PROVIDERS = frozenset({"bigcommerce"})  # whose destination carries the integration's secret token
_TOKEN_IN_PATH = re.compile(rf"({re.escape(BIGCOMMERCE_PATH)})([^/?#]+)")


def public_base(runtime: Runtime, override: str | None = None) -> str:
    """The hub's public address (the request's `publicUrl`, else LEDGERLINK_PUBLIC_URL), checked."""
    base = override or runtime.settings.public_url
    if not base:
        raise ConfigurationError(
            "no public URL is configured: the upstream platforms deliver webhooks over the internet and need "
            "an address that reaches this hub; set LEDGERLINK_PUBLIC_URL (e.g. https://hub.example.com) "
            "or pass publicUrl",
            {"setting": "LEDGERLINK_PUBLIC_URL"},
        )
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            "the public URL must be an absolute http(s) URL without query or fragment", {"publicUrl": base}
        )
    if parts.username or parts.password:
        raise ConfigurationError("the public URL must not carry credentials", {"publicUrl": "****"})
    return base.rstrip("/")


def destination_url(public_base_url: str, integration: Integration, token: str | None = None) -> str:
    """Where the integration's hooks deliver (BigCommerce: seed 004's token address)."""
    base = public_base_url.rstrip("/")
    if integration.provider in TOKEN_PROVIDERS:
        if not token:
            raise ValueError(f"a {integration.provider} destination needs the integration's inbound token")
        return f"{base}{BIGCOMMERCE_PATH}{token}"
    return f"{base}{INBOUND_PATH}{integration.id}"


def masked_destination(destination: str) -> str:
    """A destination as the API shows it: a secret token in it keeps only its last 4 characters."""
    return _TOKEN_IN_PATH.sub(lambda m: f"{m.group(1)}****{m.group(2)[-4:]}", destination)


async def ensure_inbound_token(session: AsyncSession, box: SecretBox, integration: Integration) -> str:
    """The integration's secret destination token, made once (32 random bytes, URL-safe) and kept as
    its SHA-256 (what the endpoint looks up) and encrypted (to build the URL again)."""
    if integration.inbound_token_encrypted:
        return str(box.decrypt_json(integration.inbound_token_encrypted)["token"])
    token = secrets.token_urlsafe(32)
    integration.inbound_token_hash = token_hash(token)
    integration.inbound_token_encrypted = box.encrypt_json({"token": token})
    await session.flush()
    return token
