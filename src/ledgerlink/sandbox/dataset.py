"""A deterministic, realistic store: products with variants, customers, locations, inventory, orders.

Orders are a pure function of (seed, index), so a store of 100,000 orders costs no memory until a
page of them is asked for; changes made through an API (or `touch_order`) live in a small overlay.
Everything money-like is Decimal. Order `i` is created at `start + i * step` and last updated a
little after (never past order `i + 1`'s creation), so `updated_at` filters are index arithmetic.
"""

from __future__ import annotations

import _random
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from hashlib import sha512
from typing import Any, NamedTuple, TypeVar

from ledgerlink.sandbox.changes import Change, ChangeFeed

CENT = Decimal("0.01")

FIRST_NAMES = [
    "John",
    "Zoë",
    "Øystein",
    "Ana María",
    "李",
    "Łukasz",
    "Amélie",
    "Siobhán",
    "Jürgen",
    "Aarav",
    "Mía",
    "Björk",
    "Nguyễn",
    "Fatma",
    "José",
    "Chloé",
    "Dmitrij",
    "Saanvi",
    "Émile",
    "Yuki",
]
LAST_NAMES = [
    "Doe",
    "Ångström",
    "Müller",
    "García",
    "雷",
    "Kowalski",
    "Ó Briain",
    "Dubois",
    "Nakamura",
    "Smith",
    "Østergård",
    "Şahin",
    "Novák",
    "Pérez",
    "Haddad",
    "Łęcki",
    "Gonçalves",
    "Brontë",
    "Kim",
    "Ivanova",
]
CITIES = [
    ("Austin", "Texas", "TX", "US", "78701"),
    ("Berlin", "Berlin", "BE", "DE", "10115"),
    ("Kuala Lumpur", "Wilayah Persekutuan", "KUL", "MY", "50000"),
    ("London", "England", "ENG", "GB", "EC1A 1BB"),
    ("Toronto", "Ontario", "ON", "CA", "M5H 2N2"),
    ("Osaka", "Osaka", "27", "JP", "530-0001"),
    ("São Paulo", "São Paulo", "SP", "BR", "01000-000"),
    ("Kraków", "Małopolskie", "12", "PL", "30-001"),
]
PRODUCT_KINDS = [
    ("T-Shirt", "Apparel", ["S", "M", "L", "XL"]),
    ("Hoodie", "Apparel", ["S", "M", "L"]),
    ("Mug", "Homeware", ["Standard"]),
    ("Widget", "Hardware", ["Blue", "Red", "Green"]),
    ("Notebook", "Stationery", ["A5", "A4"]),
    ("Café Beans", "Food", ["250g", "1kg"]),
    ("Gadget", "Electronics", ["Basic", "Pro"]),
    ("Crème Soap", "Beauty", ["Lavender", "Rose"]),
]
VENDORS = ["Premium Brand", "Acme Co", "Nordisk Design", "Kōgei Works", "Société Générale de Savon"]
# Presentment currencies: (code, rate from the shop currency USD, decimals)
CURRENCIES = [
    ("USD", Decimal("1"), 2),
    ("EUR", Decimal("0.92"), 2),
    ("GBP", Decimal("0.79"), 2),
    ("JPY", Decimal("151.2"), 0),
    ("MYR", Decimal("4.71"), 2),
    ("KWD", Decimal("0.307"), 3),
]
TAX_BY_COUNTRY = {
    "US": ("State tax", Decimal("0.0825")),
    "DE": ("MwSt", Decimal("0.19")),
    "MY": ("SST", Decimal("0.06")),
    "GB": ("VAT", Decimal("0.20")),
    "CA": ("HST", Decimal("0.13")),
    "JP": ("消費税", Decimal("0.10")),
    "BR": ("ICMS", Decimal("0.17")),
    "PL": ("VAT", Decimal("0.23")),
}


GENERATED_KEPT = 256  # generated orders kept: a page of a hundred and what is asked about it next

# What an order's draws choose from (tuples, so a draw builds nothing).
LINE_COUNTS = (1, 2, 3, 3, 3, 4, 5)
QUANTITIES = (1, 1, 1, 2, 3)
SHIPPING_PRICES = (Decimal("0.00"), Decimal("4.99"), Decimal("12.00"))
LINE_DISCOUNT = Decimal("0.1")
WELCOME_DISCOUNT = Decimal("5.00")
ZERO_CENTS = Decimal("0.00")
TAXES_INCLUDED = frozenset({"DE", "GB", "PL", "JP"})
ONE_HOUR = timedelta(hours=1)
CHARGES_KEPT = 4096  # priced lines remembered: every variant price x quantity x rate, and room for price edits


T = TypeVar("T")


@functools.cache
def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def money(value: Decimal, decimals: int = 2) -> Decimal:
    return value.quantize(CENT if decimals == 2 else _quantum(decimals), rounding=ROUND_HALF_UP)


def _seed_number(seed: str) -> int:
    """The number `random.Random(seed)` seeds its generator with for a string (Random.seed, version 2).
    Seeding the C generator with it directly gives the same generator without random.Random's Python
    layers (Random.__init__, then Random.seed's type checks): every order generated makes one."""
    raw = seed.encode()
    return int.from_bytes(raw + sha512(raw).digest())


class Draws:
    """The draws an order makes from `random.Random(seed)`, taken straight from its getrandbits.
    randrange(n), choice(seq) and randint(a, b) all come down to Random._randbelow(n), which takes
    n.bit_length() bits until they fall below n: done here in one small function instead of three
    or four levels of argument checking, the values (and how many bits each takes) are the same,
    so every order stays what it was (tests/sandbox/test_dataset_draws.py holds them to it)."""

    __slots__ = ("_bits", "random")

    def __init__(self, seed: str) -> None:
        rnd = _random.Random(_seed_number(seed))
        self.random = rnd.random
        self._bits = rnd.getrandbits

    def below(self, n: int) -> int:
        """Random._randbelow(n): randrange(n)."""
        k = n.bit_length()
        r = self._bits(k)
        while r >= n:
            r = self._bits(k)
        return r

    def choice(self, seq: Sequence[T]) -> T:
        """seq[self.below(len(seq))], the draw inlined: orders make a dozen."""
        n = len(seq)
        k = n.bit_length()
        r = self._bits(k)
        while r >= n:
            r = self._bits(k)
        return seq[r]

    def randint(self, a: int, b: int) -> int:
        return a + self.below(b - a + 1)


R = TypeVar("R")


def _record(cls: type[R], fields: dict[str, Any]) -> R:
    """`cls(**fields)` for a frozen dataclass given every one of its fields, built by filling the
    instance's __dict__. A frozen dataclass's __init__ sets each field through object.__setattr__:
    for an order's records (a 27-field Order, 11-field lines and address) that was over a third of
    generating it. The object is the same (equal, hashable, still frozen); every field must be given,
    as no default applies, so it serves only the records generated here. `fields` (a dict display
    the caller builds, which nothing else holds) becomes the instance's __dict__: a display with
    constant keys is built presized, where keyword arguments grow their dict one key at a time."""
    record = object.__new__(cls)
    object.__setattr__(record, "__dict__", fields)
    return record


@dataclass(frozen=True)
class Address:
    first_name: str
    last_name: str
    company: str
    line1: str
    line2: str
    city: str
    region: str
    region_code: str
    country_code: str
    postal_code: str
    phone: str


@dataclass(frozen=True)
class Location:
    id: int
    name: str
    country_code: str
    active: bool = True


@dataclass
class Variant:
    id: int
    product_id: int
    sku: str
    title: str
    option: str
    price: Decimal
    compare_at_price: Decimal | None
    barcode: str
    weight_grams: int
    inventory_item_id: int
    # location id -> [on_hand, reserved]; mutable: inventory pushes change it
    stock: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class Product:
    id: int
    title: str
    handle: str
    vendor: str
    product_type: str
    status: str  # active | draft | archived
    tags: list[str]
    description: str
    created_at: datetime
    updated_at: datetime
    variants: list[Variant]


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    accepts_marketing: bool
    created_at: datetime
    updated_at: datetime
    address: Address
    currency: str = "USD"


@dataclass(frozen=True)
class TaxLine:
    title: str
    rate: Decimal
    amount: Decimal  # shop currency


@dataclass(frozen=True)
class LineItem:
    id: int
    product_id: int
    variant_id: int
    sku: str
    title: str
    variant_title: str
    quantity: int
    price: Decimal  # unit price, shop currency
    total_discount: Decimal
    tax_lines: tuple[TaxLine, ...]
    fulfilled_quantity: int


@dataclass(frozen=True)
class RefundLine:
    line_item_id: int
    quantity: int
    subtotal: Decimal  # the refunded units at their price (tax included when the order's prices include it)
    total_tax: Decimal


@dataclass(frozen=True)
class Refund:
    id: int
    created_at: datetime
    note: str
    lines: tuple[RefundLine, ...]
    shipping: Decimal
    taxes_included: bool = False

    @property
    def amount(self) -> Decimal:
        """What goes back to the buyer: the tax is on top only where prices excluded it."""
        tax = Decimal(0) if self.taxes_included else sum((line.total_tax for line in self.lines), Decimal(0))
        return sum((line.subtotal for line in self.lines), Decimal(0)) + tax + self.shipping


@dataclass(frozen=True)
class Order:
    id: int
    number: int
    customer_id: int | None
    email: str
    currency: str  # shop currency
    presentment_currency: str
    exchange_rate: Decimal  # presentment per shop unit
    presentment_decimals: int
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    financial_status: str  # pending | paid | partially_paid | partially_refunded | refunded | voided
    fulfillment_status: str  # unfulfilled | partial | fulfilled
    lines: tuple[LineItem, ...]
    shipping_title: str
    shipping_price: Decimal
    shipping_tax: Decimal
    discount_code: str | None
    discount_amount: Decimal
    taxes_included: bool
    billing: Address
    shipping: Address
    refunds: tuple[Refund, ...]
    note: str
    tags: tuple[str, ...]
    malformed: bool  # the platform renders this one broken (a bad-record test case)

    @property
    def status(self) -> str:
        if self.cancelled_at:
            return "cancelled"
        return "closed" if self.fulfillment_status == "fulfilled" and self.financial_status == "paid" else "open"

    @property
    def subtotal(self) -> Decimal:
        return sum([line.price * line.quantity - line.total_discount for line in self.lines], Decimal(0))

    @property
    def total_tax(self) -> Decimal:
        return sum([t.amount for line in self.lines for t in line.tax_lines], Decimal(0)) + self.shipping_tax

    @property
    def total(self) -> Decimal:
        return self.total_from(self.subtotal, self.total_tax)

    def total_from(self, subtotal: Decimal, total_tax: Decimal) -> Decimal:
        """`total` given the order's subtotal and total tax (for a caller that has summed them already)."""
        extra_tax = Decimal(0) if self.taxes_included else total_tax
        return subtotal - self.discount_amount + self.shipping_price + extra_tax

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal(0))

    def presentment(self, amount: Decimal) -> Decimal:
        return money(amount * self.exchange_rate, self.presentment_decimals)


@dataclass
class Store:
    """One shop's data. `order(i)` is generated on demand; `orders_count` orders exist."""

    seed: int
    orders_count: int
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    step: timedelta = timedelta(minutes=7)
    currency: str = "USD"
    product_count: int = 40
    customer_count: int = 500
    malformed_every: int = 997  # every Nth order is rendered broken; 0 turns it off
    _overlay: dict[int, Order] = field(default_factory=dict, repr=False)
    _next_ids: dict[str, int] = field(default_factory=dict, repr=False)
    changes: ChangeFeed = field(default_factory=ChangeFeed, repr=False, compare=False)  # what webhooks follow

    def __post_init__(self) -> None:
        # The last orders generated are kept: a client reading a page comes back for some of its
        # orders (refunds, the page boundary). Generating reads the catalog (titles, prices) as it
        # stands, so whatever change is announced drops them all; touched orders live in the overlay.
        self._generated = functools.lru_cache(maxsize=GENERATED_KEPT)(self._generate)
        self.changes.subscribe(lambda _change: self._generated.cache_clear())

    @cached_property
    def locations(self) -> list[Location]:
        return [
            Location(7001, "Main Warehouse", "US"),
            Location(7002, "Retail Store", "US"),
            Location(7003, "EU Fulfilment", "DE"),
        ]

    @cached_property
    def products(self) -> list[Product]:
        rnd = random.Random(f"{self.seed}:products")
        products = []
        variant_id = 40_000
        for p in range(self.product_count):
            kind, ptype, options = PRODUCT_KINDS[p % len(PRODUCT_KINDS)]
            vendor = VENDORS[p % len(VENDORS)]
            title = f"{vendor.split()[0]} {kind} {p + 1}"
            created = self.start - timedelta(days=60 - p)
            base = money(Decimal(rnd.randint(500, 12_000)) / 100)
            variants = []
            for v, option in enumerate(options):
                variant_id += 1
                sku = f"{kind[:3].upper().replace('É', 'E')}-{p + 1:03d}-{option[:3].upper()}"
                stock = {loc.id: [rnd.randint(0, 200), rnd.randint(0, 5)] for loc in self.locations}
                variants.append(
                    Variant(
                        id=variant_id,
                        product_id=1000 + p,
                        sku=sku,
                        title=option,
                        option=option,
                        price=money(base + Decimal(v) * Decimal("2.50")),
                        compare_at_price=money(base * Decimal("1.2")) if p % 5 == 0 else None,
                        barcode=f"0{rnd.randint(10**11, 10**12 - 1)}",
                        weight_grams=rnd.randint(50, 2000),
                        inventory_item_id=variant_id + 500_000,
                        stock=stock,
                    )
                )
            status = "draft" if p % 13 == 7 else ("archived" if p % 17 == 11 else "active")
            products.append(
                Product(
                    id=1000 + p,
                    title=title,
                    handle=title.lower().replace(" ", "-"),
                    vendor=vendor,
                    product_type=ptype,
                    status=status,
                    tags=[ptype.lower(), "sale"] if p % 4 == 0 else [ptype.lower()],
                    description=f"<p>{title}: made with care.</p>",
                    created_at=created,
                    updated_at=created + timedelta(hours=p),
                    variants=variants,
                )
            )
        return products

    @cached_property
    def variants(self) -> list[Variant]:
        return [v for p in self.products for v in p.variants]

    @cached_property
    def customers(self) -> list[Customer]:
        rnd = Draws(f"{self.seed}:customers")
        customers = []
        for c in range(self.customer_count):
            first, last = FIRST_NAMES[c % len(FIRST_NAMES)], LAST_NAMES[(c * 7) % len(LAST_NAMES)]
            city = CITIES[c % len(CITIES)]
            created = self.start - timedelta(days=90) + timedelta(hours=c * 3)
            ascii_first = first.encode("ascii", "ignore").decode().lower().replace(" ", "") or "customer"
            customers.append(
                Customer(
                    id=5000 + c,
                    email=f"{ascii_first}.{c}@example.com",
                    first_name=first,
                    last_name=last,
                    phone=f"+1555{rnd.randint(1_000_000, 9_999_999)}",
                    accepts_marketing=c % 3 == 0,
                    created_at=created,
                    updated_at=created + timedelta(minutes=c % 50),
                    address=self._address(rnd, first, last, city),
                )
            )
        return customers

    @staticmethod
    def _address(rnd: Draws, first: str, last: str, city: tuple[str, str, str, str, str]) -> Address:
        name, region, region_code, country, postal = city
        return _record(
            Address,
            {
                "first_name": first,
                "last_name": last,
                "company": "",
                "line1": f"{rnd.randint(1, 999)} Main Street",
                "line2": "",
                "city": name,
                "region": region,
                "region_code": region_code,
                "country_code": country,
                "postal_code": postal,
                "phone": f"+1555{rnd.randint(1_000_000, 9_999_999)}",
            },
        )

    def order_created_at(self, index: int) -> datetime:
        return self.start + self.step * index

    def order(self, index: int) -> Order:
        """Order number `index` (0-based); its id is 100000 + index."""
        if not 0 <= index < self.orders_count:
            raise IndexError(index)
        if index in self._overlay:
            return self._overlay[index]
        return self._generated(index)

    def order_by_id(self, order_id: int) -> Order | None:
        index = order_id - 100_000
        return self.order(index) if 0 <= index < self.orders_count else None

    def index_updated_since(self, since: datetime) -> int:
        """The first index whose generated updated_at may be >= since (overlay orders are checked apart)."""
        if since <= self.start:
            return 0
        return max(0, min(self.orders_count, int((since - self.start) / self.step) - 1))

    def changed_orders(self) -> list[Order]:
        return sorted(self._overlay.values(), key=lambda o: o.updated_at)

    def touch_order(self, order_id: int, at: datetime | None = None, **changes: object) -> Order:
        """Change an order as a merchant would (status, note…); its updated_at moves to `at` (now).
        The change is announced on `changes`, so subscribed webhooks fire."""
        index = order_id - 100_000
        current = self.order(index)
        updated = replace(current, updated_at=at or datetime.now(UTC), **changes)  # type: ignore[arg-type]
        self._overlay[index] = updated
        self.changes.publish(Change("order", "updated", updated.id, before=current))
        return updated

    def next_id(self, kind: str, start: int) -> int:
        self._next_ids[kind] = self._next_ids.get(kind, start) + 1
        return self._next_ids[kind]

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)

    def counts(self) -> dict[str, int]:
        return {"orders": self.orders_count, "products": len(self.products), "customers": len(self.customers)}

    def _generate(self, index: int) -> Order:
        # Every draw from `rnd` happens in one fixed sequence: the order is a function of (seed, index).
        rnd = Draws(f"{self.seed}:order:{index}")
        created = self.order_created_at(index)
        customer = rnd.choice(self.customers) if rnd.random() > 0.08 else None
        city = rnd.choice(CITIES)
        country = city[3]
        tax = TAX_BY_COUNTRY[country]
        tax_rate = tax[1]
        taxes_included = country in TAXES_INCLUDED
        code, rate, decimals = CURRENCIES[0] if rnd.random() < 0.6 else rnd.choice(CURRENCIES)
        lines = self._draw_lines(rnd, index, tax, taxes_included)
        shipping_price = rnd.choice(SHIPPING_PRICES)
        shipping_tax = _tax_of(shipping_price, tax_rate, taxes_included)
        roll = rnd.random()
        cancelled = roll < 0.04
        fulfillment = "unfulfilled" if cancelled or roll < 0.25 else ("partial" if roll < 0.35 else "fulfilled")
        _ship(lines, fulfillment)
        refunds: tuple[Refund, ...] = ()
        financial = "pending" if roll > 0.97 else "paid"
        if not cancelled and financial == "paid" and rnd.random() < 0.08:
            refunds = (_return_of_first_unit(index, lines, created, taxes_included),)
            whole = len(lines) == 1 and lines[0].quantity == 1
            financial = "refunded" if whole else "partially_refunded"
        if cancelled:
            financial = "voided"
        discount_code = "WELCOME10" if rnd.random() < 0.1 else None
        first = customer.first_name if customer else FIRST_NAMES[index % len(FIRST_NAMES)]
        last = customer.last_name if customer else LAST_NAMES[index % len(LAST_NAMES)]
        address = self._address(rnd, first, last, city)
        return _record(
            Order,
            {
                "id": 100_000 + index,
                "number": 1001 + index,
                "customer_id": customer.id if customer else None,
                "email": customer.email if customer else f"guest.{index}@example.com",
                "currency": self.currency,
                "presentment_currency": code,
                "exchange_rate": rate,
                "presentment_decimals": decimals,
                "created_at": created,
                "updated_at": created + timedelta(0, 60 * rnd.randint(0, 6) + rnd.randint(0, 59)),  # (days, s)
                "cancelled_at": created + ONE_HOUR if cancelled else None,
                "cancel_reason": "customer" if cancelled else None,
                "financial_status": financial,
                "fulfillment_status": fulfillment,
                "lines": lines,
                "shipping_title": "Standard Shipping",
                "shipping_price": shipping_price,
                "shipping_tax": shipping_tax,
                "discount_code": discount_code,
                "discount_amount": WELCOME_DISCOUNT if discount_code else ZERO_CENTS,
                "taxes_included": taxes_included,
                "billing": address,
                "shipping": address,
                "refunds": refunds,
                "note": "Leave at the door ✓" if index % 11 == 0 else "",
                "tags": ("vip",) if index % 19 == 0 else (),
                "malformed": bool(self.malformed_every) and index % self.malformed_every == self.malformed_every - 1,
            },
        )

    def _draw_lines(
        self, rnd: Draws, index: int, tax: tuple[str, Decimal], taxes_included: bool
    ) -> tuple[LineItem, ...]:
        """One to five lines, each a random variant, quantity and (sometimes) a 10% discount. None is
        shipped yet: the order's fulfilment, drawn after its lines, decides that (see _ship)."""
        lines = []
        for n in range(rnd.choice(LINE_COUNTS)):
            variant = rnd.choice(self.variants)
            quantity = rnd.choice(QUANTITIES)
            discount, tax_lines = _charges(variant.price, quantity, rnd.random() < 0.15, tax, taxes_included)
            lines.append(
                _record(
                    LineItem,
                    {
                        "id": index * 10 + n + 1_000_000,
                        "product_id": variant.product_id,
                        "variant_id": variant.id,
                        "sku": variant.sku,
                        "title": self.products[variant.product_id - 1000].title,
                        "variant_title": variant.title,
                        "quantity": quantity,
                        "price": variant.price,
                        "total_discount": discount,
                        "tax_lines": tax_lines,
                        "fulfilled_quantity": 0,
                    },
                )
            )
        return tuple(lines)


def _tax_of(amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    """The tax in `amount` when prices include it, else the tax on top of it."""
    return money(amount - amount / (1 + rate)) if included else money(amount * rate)


class _Charges(NamedTuple):
    discount: Decimal
    tax_lines: tuple[TaxLine, ...]


@functools.lru_cache(maxsize=CHARGES_KEPT)
def _charges(price: Decimal, quantity: int, discounted: bool, tax: tuple[str, Decimal], included: bool) -> _Charges:
    """A line's discount and tax, for `quantity` units at `price`. Remembered: lines are a hundred variants'
    prices times three quantities at eight rates, so nearly every line was priced before. The key is
    cheap to hash (a variant's price object hashes once); the results are money values, decided by the
    price's value alone, and frozen, so lines share them."""
    discount = money(price * quantity * LINE_DISCOUNT) if discounted else ZERO_CENTS
    title, rate = tax
    amount = _tax_of(price * quantity - discount, rate, included)
    return _Charges(discount, (_record(TaxLine, {"title": title, "rate": rate, "amount": amount}),))


def _ship(lines: tuple[LineItem, ...], fulfillment: str) -> None:
    """Marks what the order's fulfilment shipped on its lines, just drawn (so seen by nobody yet, and
    written into their __dict__ as _record built them): a partial fulfilment ships every line but the
    first."""
    if fulfillment == "unfulfilled":
        return
    for line in lines[1:] if fulfillment == "partial" else lines:
        line.__dict__["fulfilled_quantity"] = line.quantity


def _return_of_first_unit(index: int, lines: tuple[LineItem, ...], created: datetime, taxes_included: bool) -> Refund:
    """The buyer sends back one unit of the first line, two days after ordering."""
    line = lines[0]
    refunded_qty = 1
    sub = money(line.price * refunded_qty)
    line_tax = money(line.tax_lines[0].amount / line.quantity * refunded_qty)
    return Refund(
        index * 10 + 3_000_000,
        created + timedelta(days=2),
        "Customer return",
        (RefundLine(line.id, refunded_qty, sub, line_tax),),
        ZERO_CENTS,
        taxes_included=taxes_included,
    )
