"""Products and variations as WooCommerce shows them, and the stock/price edits its API accepts.

A dataset product with one variant is a `simple` product (its variant holds its price and stock);
one with several is `variable`, each variant a variation. WooCommerce keeps one stock number per
product: the sandbox uses the first location's on-hand quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from ledgerlink.sandbox.changes import Change
from ledgerlink.sandbox.dataset import PRODUCT_KINDS, Product, Store, Variant
from ledgerlink.sandbox.woocommerce.wire import API_PREFIX, Params, money_str, wc_dates

ATTRIBUTE_NAMES = {
    "T-Shirt": "Size",
    "Hoodie": "Size",
    "Widget": "Color",
    "Notebook": "Format",
    "Café Beans": "Weight",
    "Gadget": "Edition",
    "Crème Soap": "Scent",
}
STATUS_TO_WOO = {"active": "publish", "draft": "draft", "archived": "private"}
STATUS_FROM_WOO = {"publish": "active", "draft": "draft", "pending": "draft", "private": "archived"}
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
EDITABLE_STATUSES = ("draft", "pending", "private", "publish")


def _price(text: str) -> Decimal | None:
    """wc_format_decimal: a number, or nothing ("" or junk clears a price)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() and value >= 0 else None


@dataclass(frozen=True)
class Changes:
    """The fields of a product or variation PUT the sandbox applies (WooCommerce ignores unknown ones)."""

    name: str | None = None
    status: str | None = None
    regular_price: str | None = None
    sale_price: str | None = None
    manage_stock: bool | None = None
    stock_quantity: int | None = None
    stock_status: str | None = None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Changes:
        p = Params(body)
        changes = cls(
            name=p.string("name"),
            status=p.enum("status", EDITABLE_STATUSES, None),
            regular_price=p.string("regular_price"),
            sale_price=p.string("sale_price"),
            manage_stock=p.boolean("manage_stock", None),
            stock_quantity=p.integer("stock_quantity"),
            stock_status=p.enum("stock_status", STOCK_STATUSES, None),
        )
        p.check()
        return changes


class Catalog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.location_id = store.locations[0].id
        self._unmanaged: dict[int, str] = {}  # variant id -> stock_status, when manage_stock was switched off
        self._variant_modified: dict[int, datetime] = {}

    # -- lookups -------------------------------------------------------------------------------

    def product(self, product_id: int) -> Product | None:
        index = product_id - 1000
        return self.store.products[index] if 0 <= index < len(self.store.products) else None

    def variation(self, product: Product, variation_id: int) -> Variant | None:
        if not self.is_variable(product):
            return None
        return next((v for v in product.variants if v.id == variation_id), None)

    @staticmethod
    def is_variable(product: Product) -> bool:
        return len(product.variants) > 1

    def attribute_name(self, product: Product) -> str:
        kind = PRODUCT_KINDS[(product.id - 1000) % len(PRODUCT_KINDS)][0]
        return ATTRIBUTE_NAMES.get(kind, "Option")

    def line_name(self, product: Product, variant: Variant) -> str:
        return f"{product.title} - {variant.option}" if self.is_variable(product) else product.title

    @cached_property
    def categories(self) -> dict[str, int]:
        return {name: 15 + n for n, name in enumerate(sorted({p.product_type for p in self.store.products}))}

    @cached_property
    def tags(self) -> dict[str, int]:
        return {name: 30 + n for n, name in enumerate(sorted({t for p in self.store.products for t in p.tags}))}

    def variation_modified(self, product: Product, variant: Variant) -> datetime:
        return self._variant_modified.get(variant.id, product.updated_at)

    # -- stock and prices ----------------------------------------------------------------------

    def stock_quantity(self, variant: Variant) -> int | None:
        return None if variant.id in self._unmanaged else variant.stock[self.location_id][0]

    def stock_status(self, variant: Variant) -> str:
        if variant.id in self._unmanaged:
            return self._unmanaged[variant.id]
        return "instock" if variant.stock[self.location_id][0] > 0 else "outofstock"

    def product_stock_status(self, product: Product) -> str:
        statuses = {self.stock_status(v) for v in product.variants}
        return next((s for s in STOCK_STATUSES if s in statuses), "outofstock")

    def _stock_fields(self, variant: Variant) -> dict[str, Any]:
        return {
            "manage_stock": variant.id not in self._unmanaged,
            "stock_quantity": self.stock_quantity(variant),
            "stock_status": self.stock_status(variant),
            "backorders": "no",
            "backorders_allowed": False,
            "backordered": False,
            "low_stock_amount": None,
        }

    @staticmethod
    def _price_fields(variant: Variant) -> dict[str, Any]:
        on_sale = variant.compare_at_price is not None
        regular = variant.compare_at_price if on_sale else variant.price
        return {
            "price": money_str(variant.price, 2),
            "regular_price": money_str(regular, 2),
            "sale_price": money_str(variant.price, 2) if on_sale else "",
            "on_sale": on_sale,
            **wc_dates("date_on_sale_from", None),
            **wc_dates("date_on_sale_to", None),
        }

    @staticmethod
    def _apply_prices(variant: Variant, regular_text: str | None, sale_text: str | None) -> None:
        current_sale = variant.price if variant.compare_at_price is not None else None
        parsed = _price(regular_text) if regular_text else None
        regular = parsed if parsed is not None else variant.compare_at_price or variant.price
        sale = current_sale if sale_text is None else _price(sale_text)
        on_sale = sale is not None and sale < regular
        variant.price = sale if on_sale and sale is not None else regular
        variant.compare_at_price = regular if on_sale else None

    def _apply_stock(self, variant: Variant, changes: Changes) -> None:
        if changes.manage_stock is True:
            self._unmanaged.pop(variant.id, None)
        elif changes.manage_stock is False:
            self._unmanaged.setdefault(variant.id, self.stock_status(variant))
        if changes.stock_quantity is not None and variant.id not in self._unmanaged:
            variant.stock[self.location_id][0] = changes.stock_quantity
        if changes.stock_status is not None and variant.id in self._unmanaged:
            self._unmanaged[variant.id] = changes.stock_status

    def _apply_to_variant(self, variant: Variant, changes: Changes) -> None:
        self._apply_stock(variant, changes)
        self._apply_prices(variant, changes.regular_price, changes.sale_price)

    def update_product(self, product: Product, changes: Changes) -> None:
        """A variable parent's price and stock live in its variations, so only name and status apply to it."""
        if changes.name:
            product.title = changes.name
        if changes.status:
            product.status = STATUS_FROM_WOO[changes.status]
        if not self.is_variable(product):
            self._apply_to_variant(product.variants[0], changes)
        product.updated_at = datetime.now(UTC)
        self.store.changes.publish(Change("product", "updated", product.id))

    def update_variation(self, product: Product, variant: Variant, changes: Changes) -> None:
        self._apply_to_variant(variant, changes)
        now = datetime.now(UTC)
        self._variant_modified[variant.id] = now
        product.updated_at = now
        self.store.changes.publish(Change("variant", "updated", variant.id, product_id=product.id))

    # -- rendering -----------------------------------------------------------------------------

    def _attributes(self, product: Product) -> list[dict[str, Any]]:
        if not self.is_variable(product):
            return []
        return [
            {
                "id": 0,
                "name": self.attribute_name(product),
                "slug": self.attribute_name(product).lower(),
                "position": 0,
                "visible": True,
                "variation": True,
                "options": [v.option for v in product.variants],
            }
        ]

    def _terms(self, names: list[str], ids: dict[str, int]) -> list[dict[str, Any]]:
        return [{"id": ids[name], "name": name, "slug": name.lower().replace(" ", "-")} for name in names]

    @staticmethod
    def _links(site: str, path: str, collection: str, up: str | None = None) -> dict[str, Any]:
        links = {
            "self": [{"href": f"{site}{API_PREFIX}/{path}"}],
            "collection": [{"href": f"{site}{API_PREFIX}/{collection}"}],
        }
        if up:
            links["up"] = [{"href": f"{site}{API_PREFIX}/{up}"}]
        return links

    def _common(self, variant: Variant, site: str, slug: str) -> dict[str, Any]:
        return {
            "permalink": f"{site}/product/{slug}/",
            "description": "",
            "sku": variant.sku,
            "global_unique_id": variant.barcode,
            "virtual": False,
            "downloadable": False,
            "downloads": [],
            "download_limit": -1,
            "download_expiry": -1,
            "tax_status": "taxable",
            "tax_class": "",
            "weight": str(Decimal(variant.weight_grams) / 1000),
            "dimensions": {"length": "", "width": "", "height": ""},
            "shipping_class": "",
            "shipping_class_id": 0,
            "menu_order": 0,
            "meta_data": [],
        }

    def product_json(self, product: Product, site: str) -> dict[str, Any]:
        variable = self.is_variable(product)
        first = product.variants[0]
        data: dict[str, Any] = {
            "id": product.id,
            "name": product.title,
            "slug": product.handle,
            **wc_dates("date_created", product.created_at),
            **wc_dates("date_modified", product.updated_at),
            "type": "variable" if variable else "simple",
            "status": STATUS_TO_WOO[product.status],
            "featured": False,
            "catalog_visibility": "visible",
            "short_description": "",
            **self._common(first, site, product.handle),
            **self._price_fields(first),
            **self._stock_fields(first),
            "description": product.description,
            "purchasable": product.status == "active",
            "total_sales": 0,
            "external_url": "",
            "button_text": "",
            "sold_individually": False,
            "shipping_required": True,
            "shipping_taxable": True,
            "reviews_allowed": True,
            "average_rating": "0",
            "rating_count": 0,
            "upsell_ids": [],
            "cross_sell_ids": [],
            "parent_id": 0,
            "purchase_note": "",
            "categories": self._terms([product.product_type], self.categories),
            "tags": self._terms(product.tags, self.tags),
            "images": [],
            "attributes": self._attributes(product),
            "default_attributes": [],
            "variations": [v.id for v in product.variants] if variable else [],
            "grouped_products": [],
            "related_ids": [],
            "has_options": variable,
            "post_password": "",
            "_links": self._links(site, f"products/{product.id}", "products"),
        }
        if variable:
            data.update(
                sku=first.sku.rsplit("-", 1)[0],
                global_unique_id="",
                weight="",
                regular_price="",
                sale_price="",
                on_sale=False,
                price=money_str(min(v.price for v in product.variants), 2),
                manage_stock=False,
                stock_quantity=None,
                stock_status=self.product_stock_status(product),
            )
        return data

    def variation_json(self, product: Product, variant: Variant, site: str) -> dict[str, Any]:
        return {
            "id": variant.id,
            "type": "variation",
            "name": self.line_name(product, variant),
            "parent_id": product.id,
            **wc_dates("date_created", product.created_at),
            **wc_dates("date_modified", self.variation_modified(product, variant)),
            **self._common(variant, site, product.handle),
            **self._price_fields(variant),
            **self._stock_fields(variant),
            "status": "publish",
            "purchasable": True,
            "image": None,
            "attributes": [
                {
                    "id": 0,
                    "name": self.attribute_name(product),
                    "slug": self.attribute_name(product).lower(),
                    "option": variant.option,
                }
            ],
            "_links": self._links(
                site,
                f"products/{product.id}/variations/{variant.id}",
                f"products/{product.id}/variations",
                f"products/{product.id}",
            ),
        }
