"""FBA inventory (FBA Inventory API v1): a summary per seller SKU and marketplace of what sits in, or is
on its way to, Amazon's fulfilment centres. Every dataset variant is stocked at FBA in every
marketplace, in quantities of its own there; `lastUpdatedTime` spreads over the dataset's first weeks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledgerlink.sandbox.amazon import ids
from ledgerlink.sandbox.amazon.orders import iso
from ledgerlink.sandbox.dataset import Store, Variant


@dataclass(frozen=True)
class Summary:
    marketplace: str
    sku: str
    asin: str
    fnsku: str
    name: str
    updated: datetime
    fulfillable: int
    inbound: tuple[int, int, int]  # working, shipped, receiving
    reserved: tuple[int, int, int]  # pending customer order, pending transshipment, FC processing
    researching: int
    unfulfillable: tuple[int, int]  # customer damaged, warehouse damaged

    @property
    def total(self) -> int:
        return self.fulfillable + sum(self.inbound) + sum(self.reserved) + self.researching + sum(self.unfulfillable)


def summary(store: Store, marketplace: str, variant: Variant) -> Summary:
    rnd = random.Random(f"{store.seed}:fba:{marketplace}:{variant.id}")
    product = store.products[variant.product_id - 1000]
    return Summary(
        marketplace=marketplace,
        sku=variant.sku,
        asin=ids.asin(store.seed, variant.product_id),
        fnsku=ids.fnsku(store.seed, variant.id),
        name=f"{product.title} ({variant.title})",
        updated=store.start + timedelta(days=rnd.randint(0, 40), minutes=rnd.randint(0, 1439)),
        fulfillable=rnd.choice([0, rnd.randint(1, 40), rnd.randint(40, 400)]),
        inbound=(rnd.choice([0, 0, rnd.randint(1, 50)]), rnd.choice([0, rnd.randint(1, 30)]), rnd.randint(0, 5)),
        reserved=(rnd.randint(0, 6), rnd.choice([0, 0, rnd.randint(1, 10)]), rnd.randint(0, 3)),
        researching=rnd.choice([0, 0, 0, rnd.randint(1, 3)]),
        unfulfillable=(rnd.choice([0, 0, rnd.randint(1, 4)]), rnd.choice([0, 0, 0, 1])),
    )


def summaries(store: Store, marketplace: str) -> list[Summary]:
    """The marketplace's summaries in SKU order (a stable order to page through)."""
    return sorted((summary(store, marketplace, v) for v in store.variants), key=lambda s: s.sku)


def render(s: Summary, details: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "asin": s.asin,
        "fnSku": s.fnsku,
        "sellerSku": s.sku,
        "condition": "NewItem",
        "lastUpdatedTime": iso(s.updated),
        "productName": s.name,
        "totalQuantity": s.total,
        "stores": [],
    }
    if details:
        body["inventoryDetails"] = {
            "fulfillableQuantity": s.fulfillable,
            "inboundWorkingQuantity": s.inbound[0],
            "inboundShippedQuantity": s.inbound[1],
            "inboundReceivingQuantity": s.inbound[2],
            "reservedQuantity": {
                "totalReservedQuantity": sum(s.reserved),
                "pendingCustomerOrderQuantity": s.reserved[0],
                "pendingTransshipmentQuantity": s.reserved[1],
                "fcProcessingQuantity": s.reserved[2],
            },
            "researchingQuantity": {
                "totalResearchingQuantity": s.researching,
                "researchingQuantityBreakdown": [
                    {"name": "researchingQuantityInShortTerm", "quantity": s.researching},
                    {"name": "researchingQuantityInMidTerm", "quantity": 0},
                    {"name": "researchingQuantityInLongTerm", "quantity": 0},
                ],
            },
            "unfulfillableQuantity": {
                "totalUnfulfillableQuantity": sum(s.unfulfillable),
                "customerDamagedQuantity": s.unfulfillable[0],
                "warehouseDamagedQuantity": s.unfulfillable[1],
                "distributorDamagedQuantity": 0,
                "carrierDamagedQuantity": 0,
                "defectiveQuantity": 0,
                "expiredQuantity": 0,
            },
        }
    return body
