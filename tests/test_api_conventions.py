"""The conventions every router shares: envelope, precise validation errors, 413, paging, ids, times."""

from __future__ import annotations

import re

from ledgerlink.ids import has_prefix, new_id
from tests.helpers import assert_error, setup_body


async def test_malformed_json_names_the_position(client, tenant):
    r = await client.post(
        "/v1/integrations/shopify/setup",
        content=b'{"name": "x", "credentials": {',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    err = assert_error(r, 400, "VALIDATION_ERROR")
    assert "malformed JSON" in err["message"] and "position" in err["message"]
    assert err["details"][0]["field"] == "body"


async def test_wrong_types_list_every_field_problem(client, tenant):
    body = {"name": 42, "credentials": "not-an-object", "settings": [], "verify": "maybe"}
    err = assert_error(
        await client.post("/v1/integrations/shopify/setup", json=body, headers=tenant.headers), 400, "VALIDATION_ERROR"
    )
    fields = {d["field"] for d in err["details"]}
    assert fields >= {"body.name", "body.credentials", "body.settings", "body.verify"}, err
    assert "body.name" in err["message"]


async def test_missing_field_and_unknown_field(client, tenant):
    body = setup_body()
    del body["credentials"]
    body["colour"] = "blue"
    err = assert_error(
        await client.post("/v1/integrations/shopify/setup", json=body, headers=tenant.headers), 400, "VALIDATION_ERROR"
    )
    by_field = {d["field"]: d for d in err["details"]}
    assert by_field["body.credentials"]["type"] == "missing"
    assert by_field["body.colour"]["type"] == "extra_forbidden"


async def test_credential_format_problems_are_named(client, tenant):
    body = setup_body(credentials={"shopDomain": "https://example.com", "accessToken": "x"})
    err = assert_error(
        await client.post("/v1/integrations/shopify/setup", json=body, headers=tenant.headers), 400, "VALIDATION_ERROR"
    )
    by_field = {d["field"]: d["message"] for d in err["details"]}
    assert "myshopify.com" in by_field["credentials.shopDomain"]
    assert "credentials.accessToken" in by_field


async def test_bigcommerce_store_hash_must_not_be_a_url(client, tenant):
    body = setup_body(credentials={"storeHash": "https://store-abc123.mybigcommerce.com", "accessToken": "t" * 20})
    err = assert_error(
        await client.post("/v1/integrations/bigcommerce/setup", json=body, headers=tenant.headers),
        400,
        "VALIDATION_ERROR",
    )
    assert "not a URL" in err["message"]


async def test_unknown_provider_is_404_listing_the_known_ones(client, tenant):
    err = assert_error(
        await client.post("/v1/integrations/magento/setup", json=setup_body(), headers=tenant.headers),
        404,
        "NOT_FOUND",
    )
    assert "magento" in err["message"]
    assert "shopify" in err["details"]["available"]


async def test_body_over_the_limit_is_413(client, tenant, settings):
    big = b'{"name": "' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    r = await client.post(
        "/v1/integrations/shopify/setup", content=big, headers={**tenant.headers, "Content-Type": "application/json"}
    )
    err = assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert str(settings.max_body_bytes) in err["message"]


async def test_body_over_the_limit_without_content_length_is_413(client, tenant, settings):
    async def chunks():
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    r = await client.post(
        "/v1/integrations/shopify/setup",
        content=chunks(),
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


async def test_unknown_route_and_method(client, tenant):
    assert_error(await client.get("/v1/nothing-here", headers=tenant.headers), 404, "NOT_FOUND")
    assert_error(await client.put("/v1/integrations/available", headers=tenant.headers), 405, "METHOD_NOT_ALLOWED")


async def test_paging_shape_and_bounds(client, tenant):
    for i in range(3):
        r = await client.post("/v1/integrations/shopify/setup", json=setup_body(f"store {i}"), headers=tenant.headers)
        assert r.status_code == 201
    page1 = (await client.get("/v1/integrations?limit=2&page=1", headers=tenant.headers)).json()
    assert page1["pagination"] == {"page": 1, "limit": 2, "total": 3, "hasMore": True}
    page2 = (await client.get("/v1/integrations?limit=2&page=2", headers=tenant.headers)).json()
    assert page2["pagination"] == {"page": 2, "limit": 2, "total": 3, "hasMore": False}
    assert {i["id"] for i in page1["data"]}.isdisjoint({i["id"] for i in page2["data"]})
    default = (await client.get("/v1/integrations", headers=tenant.headers)).json()
    assert default["pagination"]["limit"] == 50
    err = assert_error(await client.get("/v1/integrations?limit=251", headers=tenant.headers), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "query.limit"
    assert_error(await client.get("/v1/integrations?page=0", headers=tenant.headers), 400, "VALIDATION_ERROR")
    assert_error(await client.get("/v1/integrations?limit=abc", headers=tenant.headers), 400, "VALIDATION_ERROR")


async def test_ids_are_prefixed_and_times_are_utc_iso(client, tenant):
    r = await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)
    data = r.json()["data"]
    assert has_prefix(data["id"], "int")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", data["connectedAt"]), data
    assert r.headers["x-request-id"].startswith("req_")


def test_new_ids_sort_by_creation_time():
    ids = [new_id("evt") for _ in range(50)]
    assert len(set(ids)) == 50
    assert [i[:14] for i in ids] == sorted(i[:14] for i in ids)


async def test_nul_characters_are_refused_naming_the_field(client, tenant):
    body = setup_body(settings={"note": "a\x00b"})
    err = assert_error(
        await client.post("/v1/integrations/shopify/setup", json=body, headers=tenant.headers), 400, "VALIDATION_ERROR"
    )
    assert err["details"][0]["field"] == "body.settings.note"
    assert "NUL" in err["message"]
    r = await client.get("/v1/integrations?provider=a%00b", headers=tenant.headers)
    assert_error(r, 400, "VALIDATION_ERROR")
