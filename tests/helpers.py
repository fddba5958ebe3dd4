"""Small assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

import httpx

SHOPIFY_CREDS = {
    "shopDomain": "mystore.myshopify.com",
    "accessToken": "shpat_0123456789abcdef0123456789abcdef",
    "webhookSecret": "whsec-shopify-secret-value-123456",
}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The documented error envelope, with the expected status and code; returns the error body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"], body
    return body["error"]


def setup_body(name: str = "Main Store", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "credentials": dict(SHOPIFY_CREDS),
        "settings": {"syncOrders": True, "orderStatus": "all"},
        "mapping": {"defaultTaxCode": "SST", "shippingAccount": "acc_shipping"},
        "verify": False,
    }
    body.update(overrides)
    return body
