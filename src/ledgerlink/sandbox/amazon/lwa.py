"""Login with Amazon's token endpoint (`POST /auth/o2/token`) for the refresh-token grant, and the
access tokens it has handed out, which the SP-API side checks on every request (`x-amz-access-token`).

The body is form-encoded (JSON is taken too). A wrong client id or secret answers 401 invalid_client,
an unknown or revoked refresh token 400 invalid_grant, as LWA answers them. `/_sandbox/lwa` revokes the
refresh token, shortens token lifetimes, fails the next grants with a 5xx, and counts grants.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

SETTABLE = {"revoked": bool, "token_lifetime": int, "fail_next": int}


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error_description": description, "error": error},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


@dataclass
class LoginWithAmazon:
    client_id: str
    client_secret: str
    refresh_token: str
    clock: Callable[[], float] = time.time
    token_lifetime: int = 3600
    revoked: bool = False
    fail_next: int = 0
    grants: int = 0
    refused: int = 0
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> when it expires

    async def token_endpoint(self, request: Request) -> Response:
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"error": "server_error"}, status_code=503)
        form = await _form(request)
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported")
        presented_id, presented_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not (_same(presented_id, self.client_id) and _same(presented_secret, self.client_secret)):
            self.refused += 1
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        if self.revoked or not _same(form.get("refresh_token", ""), self.refresh_token):
            self.refused += 1
            return _oauth_error(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
        self.grants += 1
        token = "Atza|" + secrets.token_urlsafe(48)
        self.tokens[token] = self.clock() + self.token_lifetime
        return JSONResponse(
            {
                "access_token": token,
                "refresh_token": self.refresh_token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def problem(self, token: str | None) -> str | None:
        """Why an access token is refused (None: it is good)."""
        if not token:
            return "The request has no access token (x-amz-access-token)."
        expires = self.tokens.get(token)
        if expires is None:
            return "The access token you provided is revoked, malformed or invalid."
        if expires <= self.clock():
            return "The access token you provided has expired."
        return None

    async def control(self, request: Request) -> Response:
        """GET: counters; POST {"revoked": true, "token_lifetime": 120, "fail_next": 1}; DELETE: reset."""
        if request.method == "POST":
            try:
                changes = json.loads(await request.body() or b"{}")
                for key, value in changes.items():
                    setattr(self, key, SETTABLE[key](value))
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                return JSONResponse({"error": f"unknown or invalid setting: {exc}"}, status_code=400)
        elif request.method == "DELETE":
            self.token_lifetime, self.revoked, self.fail_next, self.grants, self.refused = 3600, False, 0, 0, 0
            self.tokens.clear()
        return JSONResponse(
            {
                "grants": self.grants,
                "refused": self.refused,
                "revoked": self.revoked,
                "token_lifetime": self.token_lifetime,
                "fail_next": self.fail_next,
            }
        )


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())


async def _form(request: Request) -> dict[str, Any]:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(body.decode("utf-8", "replace")))
