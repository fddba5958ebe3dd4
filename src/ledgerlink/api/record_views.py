"""How canonical records read in the API: money as minor units and as decimal strings."""

from __future__ import annotations

from typing import Any

from ledgerlink.canonical.money import to_major
from ledgerlink.models import Customer, Location, Order, Product, ProductVariant


def money(minor: int | None, currency: str | None) -> dict[str, Any] | None:
    if minor is None or currency is None:
        return None
    return {"amountMinor": minor, "amount": str(to_major(minor, currency)), "currency": currency}


def _bag(order: Order, shop_minor: int, presentment_minor: int) -> dict[str, Any]:
    return {
        "shop": money(shop_minor, order.currency),
        "presentment": money(presentment_minor, order.presentment_currency),
    }


def order_view(
    order: Order, refs: list[dict[str, Any]], children: dict[str, list[Any]] | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": order.id,
        "integrationId": order.integration_id,
        "number": order.number,
        "customerId": order.customer_id,
        "email": order.email,
        "status": order.status,
        "financialStatus": order.financial_status,
        "fulfillmentStatus": order.fulfillment_status,
        "currency": order.currency,
        "presentmentCurrency": order.presentment_currency,
        "exchangeRate": str(order.exchange_rate) if order.exchange_rate is not None else None,
        "taxesIncluded": order.taxes_included,
        "subtotal": _bag(order, order.subtotal_amount, order.subtotal_presentment_amount),
        "discount": _bag(order, order.discount_amount, order.discount_presentment_amount),
        "shipping": _bag(order, order.shipping_amount, order.shipping_presentment_amount),
        "tax": _bag(order, order.tax_amount, order.tax_presentment_amount),
        "total": _bag(order, order.total_amount, order.total_presentment_amount),
        "placedAt": order.placed_at,
        "cancelledAt": order.cancelled_at,
        "closedAt": order.closed_at,
        "note": order.note,
        "tags": order.tags,
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
        "externalRefs": refs,
    }
    if children is not None:
        taxes_by_line: dict[str | None, list[Any]] = {}
        for t in children["tax_lines"]:
            taxes_by_line.setdefault(t.order_line_id, []).append(t)

        def tax_view(t: Any) -> dict[str, Any]:
            return {
                "title": t.title,
                "rate": str(t.rate) if t.rate is not None else None,
                "priceIncludesTax": t.price_includes_tax,
                **_bag(order, t.amount, t.presentment_amount),
            }

        view["lines"] = [
            {
                "id": ln.id,
                "variantId": ln.variant_id,
                "sku": ln.sku,
                "title": ln.title,
                "variantTitle": ln.variant_title,
                "quantity": ln.quantity,
                "unitPrice": _bag(order, ln.unit_price_amount, ln.unit_price_presentment_amount),
                "discount": _bag(order, ln.discount_amount, ln.discount_presentment_amount),
                "taxLines": [tax_view(t) for t in taxes_by_line.get(ln.id, [])],
            }
            for ln in children["lines"]
        ]
        view["shippingLines"] = [
            {"title": s.title, "code": s.code, **_bag(order, s.amount, s.presentment_amount)}
            for s in children["shipping_lines"]
        ]
        view["taxLines"] = [tax_view(t) for t in children["tax_lines"] if t.order_line_id is None]
        view["discounts"] = [
            {"kind": d.kind, "code": d.code, "title": d.title, **_bag(order, d.amount, d.presentment_amount)}
            for d in children["discounts"]
        ]
        view["addresses"] = {
            a.kind: {
                "name": a.name,
                "company": a.company,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "region": a.region,
                "postalCode": a.postal_code,
                "countryCode": a.country_code,
                "phone": a.phone,
            }
            for a in children["addresses"]
        }
        lines_by_refund: dict[str, list[Any]] = {}
        for rl in children["refund_lines"]:
            lines_by_refund.setdefault(rl.refund_id, []).append(rl)
        view["refunds"] = [
            {
                "id": r.id,
                "processedAt": r.processed_at,
                "reason": r.reason,
                **_bag(order, r.amount, r.presentment_amount),
                # Shipping given back, tax included exactly when the order's prices include it (taxesIncluded).
                "shipping": _bag(order, r.shipping_amount, r.shipping_presentment_amount),
                "shippingTax": _bag(order, r.shipping_tax_amount, r.shipping_tax_presentment_amount),
                "lines": [
                    {
                        "orderLineId": rl.order_line_id,
                        "quantity": rl.quantity,
                        **_bag(order, rl.amount, rl.presentment_amount),
                        "tax": _bag(order, rl.tax_amount, rl.tax_presentment_amount),
                    }
                    for rl in lines_by_refund.get(r.id, [])
                ],
            }
            for r in children["refunds"]
        ]
    return view


def variant_view(v: ProductVariant) -> dict[str, Any]:
    return {
        "id": v.id,
        "sku": v.sku,
        "barcode": v.barcode,
        "title": v.title,
        "options": v.options,
        "price": money(v.price_amount, v.currency),
        "compareAtPrice": money(v.compare_at_amount, v.currency),
        "weightGrams": v.weight_grams,
        "position": v.position,
    }


def product_view(p: Product, variants: list[ProductVariant], refs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "handle": p.handle,
        "vendor": p.vendor,
        "productType": p.product_type,
        "status": p.status,
        "tags": p.tags,
        "variants": [variant_view(v) for v in variants],
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
        "externalRefs": refs,
    }


def customer_view(c: Customer, refs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": c.id,
        "email": c.email,
        "firstName": c.first_name,
        "lastName": c.last_name,
        "company": c.company,
        "phone": c.phone,
        "acceptsMarketing": c.accepts_marketing,
        "tags": c.tags,
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
        "externalRefs": refs,
    }


def location_view(loc: Location, refs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": loc.id,
        "name": loc.name,
        "kind": loc.kind,
        "active": loc.active,
        "countryCode": loc.country_code,
        "externalRefs": refs,
    }
