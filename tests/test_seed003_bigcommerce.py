"""Seed 003's POST /api/big-commerce: the documented fields and rules (every broken one named in one 400),
defaults, a unique name, auth and scope, isolation, and the product and order refresh runs it dispatches
completing against the BigCommerce sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from ledgerlink.models import SyncRun
from ledgerlink.sync.engine import execute_run
from tests.conftest import SANDBOX_ORDERS, make_tenant
from tests.helpers import assert_error

URL = "/api/big-commerce"
PROVIDER = "bigcommerce"
ROOMY = {"quota": 10_000, "window_ms": 1_000}  # the sandbox's quota stays on but never binds

EVERY_SETTING = {
    "store_hash": "abc123def",
    "start_date": "2024-01-15",
    "store_id": 42,
    "auto_link_products": True,
    "auto_create_products": False,
    "sales_nominal_code_id": 4000,
    "cogs_nominal_code_id": 5000,
    "shipping_revenue_nominal_code_id": 4040,
    "shipping_refund_nominal_code_id": 4041,
    "sales_returns_allowances_nominal_code_id": 4010,
    "sync_sales_order_invoices_to_accounting": False,
    "sync_sales_credit_to_accounting": False,
    "proforma_marketplace_cost_percentage": 12.5,
    "proforma_payment_cost_percentage": 2.9,
    "batch_period_sales_order_fulfillments": "daily",
    "batch_period_customer_returns": "monthly",
}
REQUIRED_SETTINGS = ("store_hash", "start_date", "store_id", "auto_link_products", "auto_create_products")
DEFAULTS = {
    "sales_nominal_code_id": None,
    "cogs_nominal_code_id": None,
    "shipping_revenue_nominal_code_id": None,
    "shipping_refund_nominal_code_id": None,
    "sales_returns_allowances_nominal_code_id": None,
    "sync_sales_order_invoices_to_accounting": True,
    "sync_sales_credit_to_accounting": True,
    "proforma_marketplace_cost_percentage": None,
    "proforma_payment_cost_percentage": None,
    "batch_period_sales_order_fulfillments": None,
    "batch_period_customer_returns": None,
}


def body(name: str = "BigCommerce main store", **settings: Any) -> dict[str, Any]:
    """A valid body with only the required settings (no network needed until the token is checked)."""
    return {
        "name": name,
        "integration_id": 7,
        "connection_settings": {"access_token": "bc-token-0123456789abcdef"},
        "integration_settings": {
            "store_hash": "abc123def",
            "start_date": "2024-01-15",
            "store_id": 42,
            "auto_link_products": True,
            "auto_create_products": True,
            **settings,
        },
    }


def sandbox_body(sandbox: Any, name: str = "BigCommerce sandbox", **settings: Any) -> dict[str, Any]:
    creds = sandbox.credentials(PROVIDER)
    b = body(name, **{**settings, "store_hash": creds["storeHash"]})
    b["connection_settings"] = {"access_token": creds["accessToken"], "api_base_url": creds["apiBaseUrl"]}
    return b


def bearer(tenant: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.key}"}


def problems(response: httpx.Response) -> dict[str, dict[str, Any]]:
    """The 400's details by field (the `body.` prefix dropped)."""
    err = assert_error(response, 400, "VALIDATION_ERROR")
    return {d["field"].removeprefix("body."): d for d in err["details"]}


def _upstream(sandbox: Any, path: str, **params: Any) -> Any:
    creds = sandbox.credentials(PROVIDER)
    r = httpx.get(
        f"{creds['apiBaseUrl']}/stores/{creds['storeHash']}{path}",
        params=params,
        headers={"X-Auth-Token": creds["accessToken"], "Accept": "application/json"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


@pytest.fixture
def store(sandbox):
    sandbox.control(PROVIDER, "POST", "/_sandbox/rate-limit", json=ROOMY)
    sandbox.reset(PROVIDER)
    yield sandbox
    sandbox.reset(PROVIDER)
    sandbox.control(PROVIDER, "DELETE", "/_sandbox/rate-limit")


async def _runs_of(runtime, integration_id: str) -> dict[str, SyncRun]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(SyncRun).where(SyncRun.integration_id == integration_id))).scalars()
        return {run.stream: run for run in rows}


async def _job_locks(runtime, run_ids: list[str]) -> dict[str, str]:
    """run id -> the lock of its waiting job."""
    query = text(
        "SELECT args->>'run_id', lock FROM procrastinate_jobs WHERE args->>'run_id' = ANY(:ids) AND status = 'todo'"
    )
    async with runtime.sessions() as session:
        return {run_id: lock for run_id, lock in (await session.execute(query, {"ids": run_ids})).all()}


# --- created, stored, dispatched -------------------------------------------------------------------


@pytest.mark.slow
async def test_every_documented_field_is_stored_echoed_and_the_refresh_runs_are_dispatched(client, runtime, store):
    tenant = await make_tenant(runtime)
    sent = sandbox_body(store, **EVERY_SETTING)
    sent["is_automatic_sync_enabled"] = True
    r = await client.post(URL, json=sent, headers=bearer(tenant))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["success"] is True
    data = out["data"]
    assert data["id"].startswith("int_") and data["provider"] == PROVIDER and data["status"] == "active"
    assert data["name"] == sent["name"] and data["integration_id"] == 7
    assert data["integration_settings"] == sent["integration_settings"]
    assert data["is_automatic_sync_enabled"] is True
    assert datetime.fromisoformat(data["created_at"]) <= datetime.now(UTC)
    token = sent["connection_settings"]["access_token"]
    assert token not in r.text and data["connection_settings"]["access_token"].startswith("****")
    assert data["connection_settings"]["api_base_url"] == sent["connection_settings"]["api_base_url"]

    # The same instance under /v1, where the sync and the scheduler read its settings.
    instance = (await client.get(f"/v1/integrations/{data['id']}", headers=tenant.headers)).json()["data"]
    settings = instance["settings"]
    assert (settings["startDate"], settings["autoLinkProducts"], settings["autoCreateProducts"]) == (
        "2024-01-15",
        True,
        False,
    )
    assert settings["is_automatic_sync_enabled"] is True and settings["integration_id"] == 7
    assert settings["sales_nominal_code_id"] == 4000 and settings["batch_period_customer_returns"] == "monthly"
    assert instance["credentials"]["storeHash"] == sent["integration_settings"]["store_hash"]
    assert token not in str(instance)

    # Both runs and their jobs were committed with the instance.
    refresh = data["refresh_runs"]
    runs = await _runs_of(runtime, data["id"])
    assert {stream: run.id for stream, run in runs.items()} == refresh
    assert all(run.status == "queued" and run.trigger == "setup" for run in runs.values())
    assert runs["orders"].window["since"] == "2024-01-15T00:00:00+00:00"
    assert runs["products"].window["since"] is None
    # One lock for both jobs: the orders wait for the catalogue, so their lines find their products.
    catalogue_first = f"sync:{data['id']}:products"
    assert await _job_locks(runtime, list(refresh.values())) == {run_id: catalogue_first for run_id in refresh.values()}


@pytest.mark.slow
async def test_defaults_apply_to_what_is_left_out(client, runtime, store):
    tenant = await make_tenant(runtime)
    r = await client.post(URL, json=sandbox_body(store), headers=tenant.headers)
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["is_automatic_sync_enabled"] is False
    assert {k: data["integration_settings"][k] for k in DEFAULTS} == DEFAULTS
    settings = (await client.get(f"/v1/integrations/{data['id']}", headers=tenant.headers)).json()["data"]["settings"]
    assert settings["is_automatic_sync_enabled"] is False and settings["syncFrequency"] == "manual"


@pytest.mark.slow
async def test_the_refresh_runs_load_the_catalogue_and_the_orders_since_the_start_date(client, runtime, store):
    tenant = await make_tenant(runtime)
    newest_first = _upstream(store, "/v2/orders", sort="date_modified:desc", limit=100)
    start = parsedate_to_datetime(newest_first[-1]["date_modified"]).astimezone(UTC).date()
    since = f"{start.isoformat()}T00:00:00+00:00"
    expected_orders = _upstream(store, "/v2/orders/count", min_date_modified=since)["count"]
    expected_products = _upstream(store, "/v3/catalog/products", limit=1)["meta"]["pagination"]["total"]
    assert 0 < expected_orders < SANDBOX_ORDERS  # the start date really leaves orders out

    r = await client.post(URL, json=sandbox_body(store, start_date=start.isoformat()), headers=tenant.headers)
    assert r.status_code == 201, r.text
    refresh = r.json()["data"]["refresh_runs"]
    for run_id in refresh.values():
        await execute_run(runtime, run_id)  # as a worker would
    products, orders = [
        (await client.get(f"/v1/sync-runs/{refresh[stream]}", headers=tenant.headers)).json()["data"]
        for stream in ("products", "orders")
    ]
    assert products["state"] == "succeeded", products
    assert products["productsProcessed"] == expected_products and products["productsFailed"] == 0
    assert orders["state"] in ("succeeded", "completed_with_errors"), orders
    assert orders["ordersProcessed"] == expected_orders  # the ones since the start date, no more
    assert orders["ordersCreated"] + orders["ordersFailed"] == expected_orders and orders["ordersCreated"] > 0
    listed = (await client.get("/v1/orders?limit=1", headers=tenant.headers)).json()["pagination"]
    assert listed["total"] == orders["ordersCreated"]


@pytest.mark.slow
async def test_a_name_is_unique_in_its_workspace(client, runtime, store):
    tenant, other = await make_tenant(runtime), await make_tenant(runtime)
    assert (await client.post(URL, json=sandbox_body(store, name="Shop"), headers=tenant.headers)).status_code == 201
    err = assert_error(
        await client.post(URL, json=sandbox_body(store, name="Shop"), headers=tenant.headers), 409, "CONFLICT"
    )
    assert err["details"] == {"name": "Shop"}
    async with runtime.sessions() as session:
        count = select(func.count()).select_from(SyncRun).where(SyncRun.workspace_id == tenant.workspace_id)
        assert (await session.execute(count)).scalar_one() == 2  # the refused one dispatched nothing
    assert (await client.post(URL, json=sandbox_body(store, name="Shop"), headers=other.headers)).status_code == 201


@pytest.mark.slow
async def test_a_token_the_store_refuses_stores_nothing(client, runtime, store):
    tenant = await make_tenant(runtime)
    sent = sandbox_body(store)
    sent["connection_settings"]["access_token"] = "not-the-store-token"
    assert_error(await client.post(URL, json=sent, headers=tenant.headers), 400, "INVALID_CREDENTIALS")
    listed = (await client.get("/v1/integrations", headers=tenant.headers)).json()
    assert listed["pagination"]["total"] == 0


@pytest.mark.slow
async def test_another_workspace_sees_neither_the_instance_nor_its_runs(client, runtime, store):
    tenant, other = await make_tenant(runtime), await make_tenant(runtime)
    data = (await client.post(URL, json=sandbox_body(store), headers=tenant.headers)).json()["data"]
    assert_error(await client.get(f"/v1/integrations/{data['id']}", headers=other.headers), 404, "NOT_FOUND")
    for run_id in data["refresh_runs"].values():
        assert_error(await client.get(f"/v1/sync-runs/{run_id}", headers=other.headers), 404, "NOT_FOUND")


# --- the rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["https://store-abc123.mybigcommerce.com", "store-abc123.mybigcommerce.com", "stores/abc123"]
)
async def test_a_store_hash_that_is_a_url_is_refused(client, tenant, value):
    found = problems(await client.post(URL, json=body(store_hash=value), headers=tenant.headers))
    assert set(found) == {"integration_settings.store_hash"}
    assert "not a URL" in found["integration_settings.store_hash"]["message"]


@pytest.mark.parametrize(
    "value", ["2024-13-01", "yesterday", "2024-02-30", "2024-1-5", "15/01/2024", "2024-01-15T00:00:00", 1705276800]
)
async def test_a_start_date_that_is_not_yyyy_mm_dd_is_refused(client, tenant, value):
    found = problems(await client.post(URL, json=body(start_date=value), headers=tenant.headers))
    assert set(found) == {"integration_settings.start_date"}


async def test_each_missing_required_field_is_named(client, tenant):
    found = problems(await client.post(URL, json={}, headers=tenant.headers))
    assert set(found) == {"name", "integration_id", "connection_settings", "integration_settings"}
    empty = {"name": "x", "integration_id": 1, "connection_settings": {}, "integration_settings": {}}
    found = problems(await client.post(URL, json=empty, headers=tenant.headers))
    expected = {"connection_settings.access_token"} | {f"integration_settings.{f}" for f in REQUIRED_SETTINGS}
    assert set(found) == expected
    assert {d["type"] for d in found.values()} == {"missing"}


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("", "integration_id", "7"),
        ("", "integration_id", 0),
        ("", "integration_id", 7.5),
        ("", "name", ""),
        ("", "is_automatic_sync_enabled", "yes"),
        ("", "is_automatic_sync_enabled", 1),
        ("connection_settings", "access_token", 12345678),
        ("connection_settings", "access_token", "tökén-0123456789"),  # cannot travel in an HTTP header
        ("connection_settings", "api_base_url", "ftp://example.com"),
        ("integration_settings", "store_id", "42"),
        ("integration_settings", "store_id", True),
        ("integration_settings", "store_id", 2**53),
        ("integration_settings", "store_id", -1),
        ("integration_settings", "auto_link_products", "true"),
        ("integration_settings", "auto_create_products", None),
        ("integration_settings", "sales_nominal_code_id", "4000"),
        ("integration_settings", "cogs_nominal_code_id", True),
        ("integration_settings", "sync_sales_credit_to_accounting", None),
        ("integration_settings", "proforma_payment_cost_percentage", "2.9"),
        ("integration_settings", "batch_period_customer_returns", "hourly"),
    ],
)
async def test_a_wrong_type_or_value_is_named(client, tenant, where, field, value):
    sent = body()
    (sent[where] if where else sent)[field] = value
    found = problems(await client.post(URL, json=sent, headers=tenant.headers))
    assert set(found) == {f"{where}.{field}" if where else field}


async def test_unknown_fields_are_refused_wherever_they_are(client, tenant):
    sent = body(storeHash="abc123def")
    sent["colour"] = "blue"
    sent["connection_settings"]["refresh_token"] = "x"
    found = problems(await client.post(URL, json=sent, headers=tenant.headers))
    assert set(found) == {"colour", "connection_settings.refresh_token", "integration_settings.storeHash"}
    assert {d["type"] for d in found.values()} == {"extra_forbidden"}


@pytest.mark.parametrize("value", [-0.01, 100.5, 1e308])
async def test_a_percentage_outside_0_to_100_is_refused(client, tenant, value):
    sent = body(proforma_marketplace_cost_percentage=value, proforma_payment_cost_percentage=value)
    found = problems(await client.post(URL, json=sent, headers=tenant.headers))
    assert set(found) == {
        "integration_settings.proforma_marketplace_cost_percentage",
        "integration_settings.proforma_payment_cost_percentage",
    }


async def test_values_at_the_edges_pass_validation(client, tenant):
    sent = body(proforma_marketplace_cost_percentage=0, proforma_payment_cost_percentage=100, store_id=2**53 - 1)
    sent["integration_id"] = 7.0  # an integer to JSON Schema
    r = await client.post(URL, json=sent, headers=tenant.headers)
    # Valid as far as the rules go: what stops it is the token check (the tests reach no public address).
    assert_error(r, 400, "CONFIGURATION_ERROR")


async def test_every_broken_rule_is_named_in_one_answer(client, tenant):
    sent = {
        "name": "",
        "integration_id": "seven",
        "connection_settings": {"access_token": "short"},
        "integration_settings": {
            "store_hash": "https://store-abc123.mybigcommerce.com",
            "start_date": "yesterday",
            "auto_link_products": "yes",
            "auto_create_products": True,
            "sales_nominal_code_id": -4,
            "proforma_payment_cost_percentage": 101,
            "batch_period_sales_order_fulfillments": "fortnightly",
            "sync_sales_credit_to_accounting": "no",
            "nominal": 1,
        },
        "is_automatic_sync_enabled": "on",
    }
    r = await client.post(URL, json=sent, headers=tenant.headers)
    found = problems(r)
    at = "integration_settings."
    assert set(found) == {
        "name",
        "integration_id",
        "connection_settings.access_token",
        f"{at}store_hash",
        f"{at}start_date",
        f"{at}store_id",
        f"{at}auto_link_products",
        f"{at}sales_nominal_code_id",
        f"{at}proforma_payment_cost_percentage",
        f"{at}batch_period_sales_order_fulfillments",
        f"{at}sync_sales_credit_to_accounting",
        f"{at}nominal",
        "is_automatic_sync_enabled",
    }
    assert "and 8 more" in r.json()["error"]["message"]


# --- who may ----------------------------------------------------------------------------------------


async def test_authentication_is_required(client):
    assert_error(await client.post(URL, json=body()), 401, "AUTH_FAILED")
    assert_error(await client.post(URL, json=body(), headers={"Authorization": "Bearer nope"}), 401, "AUTH_FAILED")


async def test_the_write_integrations_scope_is_required(client, tenant, key_for):
    reader = await key_for(tenant, ["read:integrations"])
    err = assert_error(
        await client.post(URL, json=body(), headers={"Authorization": f"Bearer {reader}"}), 403, "INSUFFICIENT_SCOPE"
    )
    assert err["details"]["requiredScope"] == "write:integrations"


def test_the_operation_is_documented(app):
    operation = app.openapi()["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"201", "400", "401", "403", "409"}
    schemas = app.openapi()["components"]["schemas"]
    settings = schemas["BigCommerceInstanceSettings"]["properties"]
    assert set(settings) == set(EVERY_SETTING)
    assert settings["batch_period_customer_returns"]["anyOf"][0]["enum"] == ["daily", "weekly", "monthly"]
    assert all(prop.get("description") for prop in settings.values())
