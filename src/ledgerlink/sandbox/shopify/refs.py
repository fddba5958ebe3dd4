"""Typed handles for objects that have no dataclass of their own in the dataset, or need their order."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerlink.sandbox.dataset import Address, LineItem, Location, Order, Refund, RefundLine, Variant


@dataclass(frozen=True, slots=True)
class LineRef:
    order: Order
    line: LineItem


@dataclass(frozen=True, slots=True)
class RefundRef:
    order: Order
    refund: Refund


@dataclass(frozen=True, slots=True)
class RefundLineRef:
    order: Order
    refund: Refund
    line: RefundLine
    position: int


@dataclass(frozen=True, slots=True)
class RefundShippingRef:
    """The shipping a refund gave back (one per refund that gave any)."""

    order: Order
    refund: Refund


@dataclass(frozen=True, slots=True)
class ShippingRef:
    order: Order


@dataclass(frozen=True, slots=True)
class FulfillmentRef:
    order: Order


@dataclass(frozen=True, slots=True)
class FulfillmentLineRef:
    order: Order
    line: LineItem


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An InventoryItem: the stock-keeping side of a variant."""

    variant: Variant


@dataclass(frozen=True, slots=True)
class LevelRef:
    """An InventoryLevel: one item's quantities at one location."""

    variant: Variant
    location: Location


@dataclass(frozen=True, slots=True)
class AddressRef:
    address: Address
    ident: int
    model: str = "Address"  # "CustomerAddress" for a customer's address book
