"""A credential that cannot travel in an HTTP header is refused with a clear 400, not a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant
from tests.helpers import assert_error


@pytest.mark.parametrize(
    ("provider", "credentials"),
    [
        ("bigcommerce", {"storeHash": "abc123", "accessToken": "tökenvalue1234"}),
        ("shopify", {"shopDomain": "x.myshopify.com", "accessToken": "shpat_\u2028line"}),
    ],
)
async def test_non_ascii_secret_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, provider: str, credentials: dict
) -> None:
    r = await client.post(
        f"/v1/integrations/{provider}/setup",
        headers=tenant.headers,
        json={"name": f"{provider} unsafe", "credentials": credentials},
    )
    error = assert_error(r, 400, "VALIDATION_ERROR")
    assert "accessToken must be printable ASCII" in r.text, error
