"""BigCommerce order filters and totals, over real sockets: `orderStatus`/`fulfillmentStatus` become the
v2 statuses both allow, read one `status_id` after another; `GET /v2/orders/count` gives the run its
`ordersToProcess`; and the words themselves (property-tested: words of one filter add up, two filters
intersect)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerlink.connectors.bigcommerce.orders import (
    FULFILLMENT_WORDS,
    ORDER_WORDS,
    STATUS_NAMES,
    _count_of,
    order_statuses,
)
from ledgerlink.errors import ConfigurationError
from ledgerlink.models import ExternalRef
from ledgerlink.sync.engine import execute_run
from tests.conftest import SANDBOX_MALFORMED_EVERY, SANDBOX_ORDERS
from tests.test_sync_bigcommerce import PROVIDER, _upstream, bc  # noqa: F401 (the fixture)

MALFORMED = SANDBOX_ORDERS // SANDBOX_MALFORMED_EVERY


async def _sync(client: Any, runtime: Any, headers: dict[str, str], iid: str, stream: str, **body: Any) -> Any:
    """Seed 000's `sync-orders` (the endpoint that takes filters), executed here as a worker would."""
    r = await client.post(
        f"/v1/integrations/{PROVIDER}/sync-{stream}", headers=headers, json={"integrationId": iid, **body}
    )
    assert r.status_code == 202, r.text
    sync_id = r.json()["data"]["syncId"]
    await execute_run(runtime, sync_id)
    return (await client.get(f"/v1/sync-runs/{sync_id}", headers=headers)).json()["data"]


def _ids_by_status(sandbox: Any) -> dict[int, set[str]]:
    """Every order's id by its status_id, as the sandbox serves them (the truth to compare with)."""
    found: dict[int, set[str]] = {}
    page = 1
    while True:
        batch = _upstream(sandbox, "/v2/orders", limit=250, page=page) or []
        for order in batch:
            found.setdefault(order["status_id"], set()).add(str(order["id"]))
        if len(batch) < 250:
            return found
        page += 1


def _status_counts(sandbox: Any) -> Counter[int]:
    return Counter({status: len(ids) for status, ids in _ids_by_status(sandbox).items()})


async def _synced_ids(runtime: Any, iid: str) -> set[str]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(ExternalRef.external_id).where(
                ExternalRef.integration_id == iid, ExternalRef.resource_type == "order"
            )
        )
    return {str(r) for r in rows.scalars()}


@pytest.mark.slow
async def test_an_unfiltered_run_knows_its_total_before_the_first_page(client, runtime, sandbox, bc):  # noqa: F811
    tenant, iid = bc
    run = await _sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    assert run["ordersToProcess"] == run["ordersProcessed"] == SANDBOX_ORDERS, run
    paths = sandbox.control(PROVIDER)["stats"]["by_path"]
    # Counted before the first page only: once to see whether the run is large enough to cut, once for
    # its total (not once a page).
    assert sum(n for p, n in paths.items() if p.endswith("/v2/orders/count")) == 2


@pytest.mark.slow
async def test_several_statuses_are_read_one_after_another_and_counted(client, runtime, sandbox, bc):  # noqa: F811
    tenant, iid = bc
    truth = _status_counts(sandbox)
    # Refunded (4) and partially refunded (14) orders, and cancelled and declined ones (5, 6).
    body = {"orderStatus": ["refunded", "partially_refunded", "cancelled"], "batchSize": 50}
    wanted = {4, 5, 6, 14}
    expected = sum(truth[s] for s in wanted)
    assert expected and truth[4] and truth[14] and truth[5]  # the sandbox holds each of them
    run = await _sync(client, runtime, tenant.headers, iid, "orders", **body)
    assert run["ordersToProcess"] == run["ordersProcessed"] == expected, run
    assert run["ordersCreated"] + run["ordersFailed"] == expected
    listed = (await client.get("/v1/orders?limit=250", headers=tenant.headers)).json()
    assert listed["pagination"]["total"] == run["ordersCreated"]
    assert {o["financialStatus"] for o in listed["data"]} <= {"refunded", "partially_refunded", "voided"}
    requests = sandbox.control(PROVIDER)["stats"]["by_path"]
    assert sum(n for p, n in requests.items() if p.endswith("/v2/orders/count")) == 1


@pytest.mark.slow
async def test_order_and_fulfilment_filters_intersect(client, runtime, sandbox, bc):  # noqa: F811
    """Seed 000's request: paid orders that are fulfilled or partly so (shipped, completed, partially shipped)."""
    tenant, iid = bc
    truth = _ids_by_status(sandbox)
    body = {"orderStatus": ["paid", "partially_paid"], "fulfillmentStatus": ["fulfilled", "partial"]}
    expected = set().union(*(truth.get(s, set()) for s in (2, 3, 10)))
    run = await _sync(client, runtime, tenant.headers, iid, "orders", batchSize=100, **body)
    assert run["ordersToProcess"] == run["ordersProcessed"] == len(expected) > 0, run
    failed = {e["externalId"] for e in run["recentErrors"]}
    assert await _synced_ids(runtime, iid) | failed == expected  # exactly those, each once

    nothing = await _sync(
        client, runtime, tenant.headers, iid, "orders", orderStatus=["cancelled"], fulfillmentStatus=["fulfilled"]
    )
    assert nothing["state"] == "succeeded" and nothing["ordersToProcess"] == nothing["ordersProcessed"] == 0


@pytest.mark.slow
async def test_an_unknown_status_word_fails_the_run_with_the_known_ones(client, runtime, sandbox, bc):  # noqa: F811
    tenant, iid = bc
    run = await _sync(client, runtime, tenant.headers, iid, "orders", orderStatus=["teleported"])
    assert run["state"] == "failed", run
    assert "'teleported' is not a BigCommerce orderStatus" in str(run), run


# --- the words, without a store -----------------------------------------------------------------

NAMES = list(STATUS_NAMES.values())
order_words = st.lists(st.sampled_from([*ORDER_WORDS, *NAMES, *map(str, STATUS_NAMES)]), min_size=1, max_size=4)
fulfilment_words = st.lists(st.sampled_from([*FULFILLMENT_WORDS, *NAMES]), min_size=1, max_size=3)


@given(order_words, fulfilment_words)
def test_words_of_one_filter_add_up_and_two_filters_intersect(orders: list[str], fulfilment: list[str]) -> None:
    by_order = set(order_statuses({"orderStatus": orders}) or [])
    by_fulfilment = set(order_statuses({"fulfillmentStatus": fulfilment}) or [])
    assert by_order == set().union(*(order_statuses({"orderStatus": [w]}) or [] for w in orders))
    both = order_statuses({"orderStatus": orders, "fulfillmentStatus": fulfilment})
    assert both == sorted(by_order & by_fulfilment)


def test_words_as_platforms_spell_them() -> None:
    assert order_statuses({}) is None and order_statuses({"orderStatus": ["all"]}) is None
    assert order_statuses({"orderStatus": "all", "fulfillmentStatus": "all"}) is None  # the settings' default
    assert order_statuses({"orderStatus": ["cancelled"]}) == [5, 6]  # the hub's word: cancelled or declined
    assert order_statuses({"orderStatus": ["Awaiting Fulfillment", "10"]}) == [10, 11]
    assert order_statuses({"orderStatus": ["Shipped", "Delivered"]}) == [2, 10]
    assert order_statuses({"orderStatus": ["processing", "completed"]}) == [8, 9, 10, 11]
    assert order_statuses({"fulfillmentStatus": ["partial"]}) == [3]
    with pytest.raises(ConfigurationError) as refused:
        order_statuses({"fulfillmentStatus": ["teleported"]})
    assert "fulfilled" in refused.value.details["known"]


def test_the_count_answer_read_per_status() -> None:
    body = {"statuses": [{"id": 2, "count": 7}, {"id": 5, "count": 3}, {"id": 11, "count": 4}], "count": 14}
    assert _count_of(body, None) == 14
    assert _count_of(body, [2, 5]) == 10
    assert _count_of(body, []) == 0
    assert _count_of(None, None) is None and _count_of({"statuses": [{"id": 2, "count": "x"}]}, [2]) is None
