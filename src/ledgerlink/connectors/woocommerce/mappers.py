"""WooCommerce REST v3 records -> canonical records.

A WooCommerce order has one currency. Multi-currency plugins keep the shop's currency and rate in
meta data (`_shop_currency`, `_exchange_rate`: order-currency units per shop unit); without them the
two currencies are the same. Line amounts are always before tax; `prices_include_tax` says how the
shop entered them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.currencies import OrderCurrencies, order_totals
from ledgerlink.canonical.money import divide_half_even, parse_decimal, plain_minor, to_minor
from ledgerlink.connectors.framework.parsing import required_time, utc_time

ORDER_STATUS = {
    # woo status: (status, financial, fulfillment)
    "pending": ("open", "pending", "unfulfilled"),
    "on-hold": ("open", "pending", "unfulfilled"),
    "processing": ("open", "paid", "unfulfilled"),
    "completed": ("closed", "paid", "fulfilled"),
    "cancelled": ("cancelled", "voided", "unfulfilled"),
    "refunded": ("closed", "refunded", None),
    "failed": ("cancelled", "voided", "unfulfilled"),
    "checkout-draft": ("open", "pending", "unfulfilled"),
}
PRODUCT_STATUS = {"publish": "active", "draft": "draft", "pending": "draft", "private": "archived"}


def _meta(record: dict[str, Any], key: str) -> Any:
    return next((m.get("value") for m in record.get("meta_data") or [] if m.get("key") == key), None)


# How the mapping makes a canonical record of a dict of its fields: `_fields` leaves them to be
# validated with the whole order in one call, `_record` validates them on the spot (the same checks,
# record by record).
Build = Callable[[type[rec.Record], dict[str, Any]], Any]


def _fields(model: type[rec.Record], fields: dict[str, Any], /) -> dict[str, Any]:
    return fields


def _record(model: type[rec.Record], fields: dict[str, Any], /) -> rec.Record:
    return model(**fields)


class _Amounts(OrderCurrencies):
    """WooCommerce states amounts in the order's (presentment) currency."""

    @classmethod
    def of(cls, order: dict[str, Any]) -> _Amounts:
        meta = {m.get("key"): m.get("value") for m in order.get("meta_data") or []}
        presentment = str(order["currency"]).upper()
        shop = str(meta.get("_shop_currency") or presentment).upper()
        rate = meta.get("_exchange_rate")
        if rate in (None, "") or shop == presentment:
            return _currencies(shop, presentment, None)
        if type(rate) is str:
            return _currencies(shop, presentment, rate)
        return cls(shop, presentment, parse_decimal(rate))

    # from_presentment reads the source's numerals (and numbers) itself.
    pair = OrderCurrencies.from_presentment

    def unit_and_discount(self, line: dict[str, Any], quantity: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """An order line's unit price and discount, each (shop, presentment), from its subtotal and
        total (of all its units, before and after discounts)."""
        unit_shop, unit, discount_shop, discount, _ = self.line_amounts(line, quantity)
        return (unit_shop, unit), (discount_shop, discount)

    def line_amounts(self, line: dict[str, Any], quantity: int) -> tuple[int, int, int, int, int | None]:
        """unit_and_discount's four amounts (unit shop, unit presentment, discount shop, discount
        presentment), then the line's subtotal in presentment minor units (None: not a plain numeral)."""
        # The usual numerals are read inline, anything else through _exact_minor; the total only after
        # the subtotal, as the Decimal way reads them.
        native = self._native
        subtotal, total = line["subtotal"], None
        subtotal = (
            int(subtotal.replace(".", ""))
            if type(subtotal) is str and native(subtotal)
            else self._exact_minor(subtotal)
        )
        if subtotal is not None:
            total = line["total"]
            total = int(total.replace(".", "")) if type(total) is str and native(total) else self._exact_minor(total)
        if subtotal is not None and total is not None:
            unit = subtotal if quantity == 1 else divide_half_even(subtotal, quantity) if quantity else 0
            discount = subtotal - total
            if self._one_currency:
                return unit, unit, discount, discount, subtotal
            unit_shop = self.shop_minor_of(subtotal, quantity) if quantity else 0
            discount_shop = self.shop_minor_of(discount)
            if unit_shop is not None and discount_shop is not None:
                return unit_shop, unit, discount_shop, discount, subtotal
        subtotal_decimal = parse_decimal(line["subtotal"])
        total_decimal = parse_decimal(line["total"])
        unit_decimal = subtotal_decimal / quantity if quantity else Decimal(0)
        unit_shop, unit = self.pair(unit_decimal)
        discount_shop, discount = self.pair(subtotal_decimal - total_decimal)
        return unit_shop, unit, discount_shop, discount, subtotal

    def subtotal(self, lines: list[dict[str, Any]], presentment: int | None) -> tuple[int, int]:
        """The sum of the (mapped) lines' subtotals as (shop, presentment). `presentment` is that sum in
        minor units when every subtotal is a plain numeral (what _lines adds up), else None."""
        if presentment is not None:
            if self._one_currency:
                return presentment, presentment
            shop = self.shop_minor_of(presentment)
            if shop is not None:
                return shop, presentment
        return self.pair(sum((parse_decimal(line["subtotal"]) for line in lines), Decimal(0)))

    def absolute_pair(self, value: Any) -> tuple[int, int]:
        """The pair of the amount's absolute value (refunds state theirs either way)."""
        if type(value) is str and self._native(value):
            return self.pair(value.lstrip("-"))
        return self.pair(abs(parse_decimal(value)))

    def _exact_minor(self, value: Any) -> int | None:
        """The minor units of a plain numeral small enough for integer arithmetic on it (a sum of an
        order's worth, a difference, a division by a quantity) to give what Decimal's 28 digits give;
        None for anything else, which then takes the Decimal way. Most orders send only plain numerals."""
        if type(value) is not str:
            return None
        if self._native(value):
            return int(value.replace(".", ""))
        minor = plain_minor(value, self._places[1])
        return minor if minor is not None and -_EXACT < minor < _EXACT else None


# Far below Decimal's 28 digits: a sum or difference of these, or one divided by a quantity, stays exact.
_EXACT = 10**20


@functools.lru_cache(maxsize=64)
def _currencies(shop: str, presentment: str, rate: str | None) -> _Amounts:
    """The few currency pairs (and rates) of a shop's orders, each worked out once."""
    return _Amounts(shop, presentment, Decimal(1) if rate is None else parse_decimal(rate))


def _address(a: dict[str, Any] | None, build: Build) -> Any:
    if not a:
        return None
    line1, city, first, last = a.get("address_1"), a.get("city"), a.get("first_name"), a.get("last_name")
    if not (line1 or city or first or last):
        return None
    region = a.get("state") or None
    return build(
        rec.Address,
        {
            "name": _full_name(first, last),
            "company": a.get("company") or None,
            "line1": line1 or None,
            "line2": a.get("address_2") or None,
            "city": city or None,
            "region": region,
            "region_code": region,
            "postal_code": a.get("postcode") or None,
            "country_code": a.get("country") or None,
            "phone": a.get("phone") or None,
        },
    )


def _full_name(first: Any, last: Any) -> str | None:
    if type(first) is str and type(last) is str:  # as WooCommerce sends them (maybe empty)
        return f"{first} {last}" if first and last else first or last or None
    return " ".join(p for p in (first, last) if p) or None


Rates = dict[int, tuple[str, Decimal | None]]
_UNKNOWN_RATE = ("Tax", None)


def _tax_rates(order: dict[str, Any]) -> Rates:
    rates = {}
    for t in order.get("tax_lines") or []:
        percent = t.get("rate_percent")
        rates[int(t["rate_id"])] = (
            t.get("label") or t.get("rate_code") or "Tax",
            _fraction(percent) if percent not in (None, "") else None,
        )
    return rates


def _fraction(percent: Any) -> Decimal:
    """A percentage as a fraction: 19 -> Decimal("0.19")."""
    # Not floats: equal ones (0.0 and -0.0) can give different Decimals.
    if type(percent) in (int, str):
        return _cached_fraction(percent)
    return parse_decimal(percent) / 100


@functools.lru_cache(maxsize=256)
def _cached_fraction(percent: int | str) -> Decimal:
    """The few tax rates of a shop, each worked out once."""
    return parse_decimal(percent) / 100


def _taxes(
    owner: dict[str, Any], money: _Amounts, rates: Rates, build: Build, flags: dict[str, bool]
) -> tuple[Any, ...]:
    """The tax lines of an order line or a shipping line (`flags`: fields only some of them state)."""
    taxes = []
    for tax in owner.get("taxes") or []:
        total = tax.get("total")
        if total in (None, ""):
            continue
        title, rate = rates.get(int(tax["id"]), _UNKNOWN_RATE)
        shop, pres = money.pair(total)
        taxes.append(
            build(rec.TaxLine, {"title": title, "rate": rate, "amount": shop, "presentment_amount": pres, **flags})
        )
    return tuple(taxes)


def _lines(
    items: list[dict[str, Any]], money: _Amounts, rates: Rates, includes_tax: bool, build: Build
) -> tuple[tuple[Any, ...], int | None]:
    """The order's lines, and the sum of their subtotals in presentment minor units when each is a
    plain numeral (None: the sum takes the Decimal way)."""
    tax_flags = {"price_includes_tax": includes_tax}
    lines = []
    subtotal: int | None = 0
    for item in items:
        line, item_subtotal = _line(item, money, rates, tax_flags, build)
        lines.append(line)
        subtotal = None if subtotal is None or item_subtotal is None else subtotal + item_subtotal
    return tuple(lines), subtotal


def _line(
    line: dict[str, Any], money: _Amounts, rates: Rates, tax_flags: dict[str, bool], build: Build
) -> tuple[Any, int | None]:
    """An order line, and its subtotal in presentment minor units (None: not a plain numeral)."""
    quantity = line["quantity"]
    if type(quantity) is not int and (not isinstance(quantity, int) or isinstance(quantity, bool)):
        raise ValueError(f"line {line.get('id')}: quantity {quantity!r} is not a whole number")
    unit_shop, unit_pres, disc_shop, disc_pres, subtotal = money.line_amounts(line, quantity)
    taxes = _taxes(line, money, rates, build, tax_flags)
    variation = line.get("variation_id") or 0
    product = str(line.get("product_id"))
    record = build(
        rec.OrderLine,
        {
            "external_id": str(line["id"]),
            "sku": line.get("sku") or None,
            "title": line.get("name") or "",
            "variant_external_id": f"{line['product_id']}/{variation}" if variation else product,
            "product_external_id": product,
            "quantity": quantity,
            "unit_price": unit_shop,
            "unit_price_presentment": unit_pres,
            "discount": disc_shop,
            "discount_presentment": disc_pres,
            "tax_lines": taxes,
        },
    )
    return record, subtotal


def _shipping_line(s: dict[str, Any], money: _Amounts, rates: Rates, build: Build) -> Any:
    shop, pres = money.pair(s.get("total") or "0")
    return build(
        rec.ShippingLine,
        {
            "title": s.get("method_title") or "Shipping",
            "code": s.get("method_id"),
            "amount": shop,
            "presentment_amount": pres,
            "tax_lines": _taxes(s, money, rates, build, {}),
        },
    )


def _discount(c: dict[str, Any], money: _Amounts, build: Build) -> Any:
    shop, pres = money.pair(c.get("discount") or "0")
    return build(rec.Discount, {"kind": "code", "code": c.get("code"), "amount": shop, "presentment_amount": pres})


def _refund(refund: dict[str, Any], money: _Amounts, build: Build) -> Any:
    shop, pres = money.absolute_pair(refund.get("amount", refund.get("total", "0")))
    lines = []
    for item in refund.get("line_items") or []:
        line_shop, line_pres = money.absolute_pair(item.get("total", "0"))
        tax_shop, tax_pres = money.absolute_pair(item.get("total_tax", "0"))
        lines.append(
            build(
                rec.RefundLine,
                {
                    "line_external_id": str(
                        _meta(item, "_refunded_item_id") or item.get("refunded_item_id") or item.get("id")
                    ),
                    "quantity": abs(int(item.get("quantity", 0))),
                    "amount": line_shop,
                    "presentment_amount": line_pres,
                    "tax_amount": tax_shop,
                    "tax_presentment_amount": tax_pres,
                },
            )
        )
    return build(
        rec.Refund,
        {
            "external_id": str(refund["id"]),
            "processed_at": utc_time(refund.get("date_created_gmt")),
            "reason": refund.get("reason") or None,
            "amount": shop,
            "presentment_amount": pres,
            "lines": tuple(lines),
        },
    )


def map_order(order: dict[str, Any]) -> rec.Order:
    try:
        # Validating the whole order in one call costs two thirds of validating its dozen records
        # one by one (pydantic builds the nested records itself).
        return rec.Order.model_validate(_order(order, _fields))
    except Exception:
        # Something in the order is wrong. Mapped again record by record, it fails as it always has:
        # at the first bad record, with that record's own field names (what the item error shows).
        return _order(order, _record)


def _order(order: dict[str, Any], build: Build) -> Any:
    money = _Amounts.of(order)
    includes_tax = bool(order.get("prices_include_tax"))
    rates = _tax_rates(order)
    status, financial, fulfillment = ORDER_STATUS.get(order["status"], ("open", None, None))
    items = order.get("line_items") or []
    lines, subtotal = _lines(items, money, rates, includes_tax, build)
    shipping_lines = tuple([_shipping_line(s, money, rates, build) for s in order.get("shipping_lines") or []])
    discounts = tuple([_discount(c, money, build) for c in order.get("coupon_lines") or []])
    pairs = {
        "subtotal": money.subtotal(items, subtotal),
        "discount": money.pair(order.get("discount_total") or "0"),
        "shipping": money.pair(order.get("shipping_total") or "0"),
        "tax": money.pair(order.get("total_tax") or "0"),
        "total": money.pair(order["total"]),
    }
    customer_id = order.get("customer_id") or 0
    refunds = tuple([_refund(r, money, build) for r in order.get("_refund_details") or []])
    return build(
        rec.Order,
        {
            "external_id": str(order["id"]),
            "number": str(order.get("number") or order["id"]),
            "customer_external_id": str(customer_id) if customer_id else None,
            "email": (order.get("billing") or {}).get("email") or None,
            "status": status,
            "financial_status": "partially_refunded" if refunds and financial == "paid" else financial,
            "fulfillment_status": fulfillment,
            "currency": money.shop,
            "presentment_currency": money.presentment,
            "exchange_rate": money.shop_per_presentment,
            "taxes_included": includes_tax,
            **order_totals(pairs),
            "placed_at": utc_time(order.get("date_created_gmt")),
            "updated_at": required_time(order.get("date_modified_gmt")),
            "closed_at": utc_time(order.get("date_completed_gmt")),
            "cancelled_at": required_time(order.get("date_modified_gmt")) if status == "cancelled" else None,
            "note": order.get("customer_note") or None,
            "billing_address": _address(order.get("billing"), build),
            "shipping_address": _address(order.get("shipping"), build),
            "lines": lines,
            "shipping_lines": shipping_lines,
            "discounts": discounts,
            "refunds": refunds,
        },
    )


def _variant(record: dict[str, Any], external_id: str, currency: str, position: int) -> rec.Variant:
    price = record.get("regular_price") or record.get("price")
    options = {a.get("name", ""): a.get("option", "") for a in record.get("attributes") or [] if "option" in a}
    return rec.Variant(
        external_id=external_id,
        sku=record.get("sku") or None,
        title=" / ".join(options.values()) or None,
        options=options,
        currency=currency,
        price=to_minor(price, currency) if price not in (None, "") else None,
        weight_grams=None,
        position=position,
    )


def map_product(product: dict[str, Any], currency: str = "USD") -> rec.Product:
    variations = product.get("_variations") or []
    if product.get("type") == "variable" and variations:
        variants = tuple(_variant(v, f"{product['id']}/{v['id']}", currency, n) for n, v in enumerate(variations))
    else:
        variants = (_variant(product, str(product["id"]), currency, 0),)
    return rec.Product(
        external_id=str(product["id"]),
        title=product.get("name") or f"Product {product['id']}",
        handle=product.get("slug") or None,
        description=product.get("description") or None,
        product_type=(product.get("categories") or [{}])[0].get("name"),
        status=PRODUCT_STATUS.get(product.get("status", "publish"), "active"),
        tags=tuple(t.get("name", "") for t in product.get("tags") or []),
        updated_at=utc_time(product.get("date_modified_gmt")),
        variants=variants,
    )


def map_customer(customer: dict[str, Any]) -> rec.Customer:
    billing = customer.get("billing") or {}
    return rec.Customer(
        external_id=str(customer["id"]),
        email=customer.get("email") or None,
        first_name=customer.get("first_name") or None,
        last_name=customer.get("last_name") or None,
        company=billing.get("company") or None,
        phone=billing.get("phone") or None,
        updated_at=utc_time(customer.get("date_modified_gmt")),
    )


DEFAULT_LOCATION = "default"


def map_stock(item: dict[str, Any]) -> rec.InventoryLevel:
    """A flattened stock record (product or variation) -> its level at the store's one location."""
    quantity = item.get("stock_quantity")
    if quantity is None:
        raise ValueError("stock is not managed for this item")
    return rec.InventoryLevel(
        variant_external_id=item["_variant_external_id"],
        sku=item.get("sku") or None,
        location_external_id=DEFAULT_LOCATION,
        on_hand=int(quantity),
        updated_at=utc_time(item.get("date_modified_gmt")),
    )
