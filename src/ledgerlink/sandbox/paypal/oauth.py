"""The app's OAuth 2.0 client credentials: `POST /v1/oauth2/token` and the bearer tokens it issues.

The client id and secret come as HTTP Basic (or as `client_id`/`client_secret` form fields, which
PayPal also takes); `grant_type=client_credentials` is required. Tokens live `expires_in` seconds
(PayPal's 32400 unless a test shortens it), and a test can expire every token at once (PayPal
revoking them early) or rotate the secret (the stored one is then refused: `invalid_client`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerlink.sandbox.paypal import ids
from ledgerlink.sandbox.paypal.errors import PayPalError, oauth

LIFETIME = 32_400
SCOPES = (
    "https://uri.paypal.com/services/reporting/search/read",
    "https://uri.paypal.com/services/applications/webhooks",
    "https://uri.paypal.com/services/applications/verify-webhook-signature",
    "openid",
)


def basic_pair(authorization: str) -> tuple[str, str] | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


@dataclass
class Issuer:
    seed: int
    clock: Callable[[], float] = time.time
    lifetime: int = LIFETIME
    generation: int = 0  # of the client secret: a rotation refuses the one handed out before
    issued: int = 0
    tokens: dict[str, float] = field(default_factory=dict)  # token -> when it expires

    @property
    def client_id(self) -> str:
        return ids.client_id(self.seed)

    @property
    def client_secret(self) -> str:
        return ids.client_secret(self.seed, self.generation)

    def grant(self, authorization: str, form: dict[str, str]) -> dict[str, Any]:
        pair = basic_pair(authorization) or (form.get("client_id", ""), form.get("client_secret", ""))
        if not (_same(pair[0], self.client_id) and _same(pair[1], self.client_secret)):
            raise oauth(401, "invalid_client", "Client Authentication failed")
        grant_type = form.get("grant_type")
        if not grant_type:
            raise oauth(400, "unsupported_grant_type", "Grant Type is NULL")
        if grant_type != "client_credentials":
            raise oauth(400, "unsupported_grant_type", f"unsupported grant_type: {grant_type}")
        self.issued += 1
        token = ids.access_token(self.seed, self.issued)
        self.tokens[token] = self.clock() + self.lifetime
        return {
            "scope": " ".join(SCOPES),
            "access_token": token,
            "token_type": "Bearer",
            "app_id": ids.app_id(self.seed),
            "expires_in": self.lifetime,
            "nonce": f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(self.clock()))}{token[-12:]}",
        }

    def check(self, authorization: str) -> None:
        """Raises 401 unless the request carries a live bearer token."""
        scheme, _, token = authorization.partition(" ")
        expires = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expires is None or expires <= self.clock():
            raise PayPalError(401, headers={"WWW-Authenticate": 'Bearer realm="PayPal"'})

    def expire_all(self) -> None:
        self.tokens = dict.fromkeys(self.tokens, 0.0)

    def rotate_secret(self) -> None:
        self.generation += 1


def _same(offered: str, expected: str) -> bool:
    return hmac.compare_digest(offered.encode(), expected.encode())
