"""Journal entries posted per second through the books store into PostgreSQL, for a 100,000-event replay.

    .venv/bin/python benchmarks/ledger_posting.py [--events 100000] [--batch 2000]

The events are a shop's and its processor's: orders (tax-exclusive and tax-inclusive, in USD, EUR,
JPY and KWD), the charges that pay them (with fees), partial refunds and their money legs, and payouts.
Each is turned into its entry by the posting rules beforehand (not timed); the store then posts them
batch by batch, one transaction per batch, as the posting job does: one history read for the batch's
documents, repost against it, entries and lines through COPY, commit (synchronous_commit as the server
has it). Printed: entries/s for the first replay; the same replay again (idempotent: nothing new, each
document's history read); and a replay in which one order in ten changed (a reversal and a new entry
each). The database is fresh (embedded, or LEDGERLINK_TEST_DATABASE_URL's server) and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import text

from ledgerlink.auth import access
from ledgerlink.books import store
from ledgerlink.canonical.records import Order, OrderLine, Refund, RefundLine, ShippingLine, TaxLine
from ledgerlink.db import migrate
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import default_chart
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.gateway_posting import post_charge, post_gateway_refund, post_payout
from ledgerlink.ledger.inputs import GatewayCharge, GatewayRefund, Payout
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.runtime import build_runtime
from ledgerlink.settings import Settings
from ledgerlink.testing import scratch_database

CURRENCIES = (("USD", Decimal("0.0825"), False), ("EUR", Decimal("0.19"), True), ("JPY", Decimal("0.10"), True))
KWD = ("KWD", Decimal(0), False)
START = datetime(2024, 1, 1, tzinfo=UTC)


def _tax(amount: int, rate: Decimal, included: bool) -> int:
    exact = amount - amount / (1 + rate) if included else amount * rate
    return int(exact.to_integral_value())


def make_order(n: int, rnd: random.Random, changed: bool = False) -> Order:
    currency, rate, included = KWD if n % 25 == 0 else CURRENCIES[n % len(CURRENCIES)]
    lines, subtotal, tax = [], 0, 0
    for k in range(rnd.randint(1, 4)):
        unit = rnd.randint(500, 20000) * (10 if currency == "KWD" else 1)
        qty = rnd.randint(1, 3)
        line_tax = _tax(unit * qty, rate, included) if rate else 0
        taxes = (
            (
                TaxLine(
                    title="Tax", rate=rate, amount=line_tax, presentment_amount=line_tax, price_includes_tax=included
                ),
            )
            if rate
            else ()
        )
        lines.append(
            OrderLine(
                external_id=f"{n}-{k}", title="Item", quantity=qty, unit_price=unit, unit_price_presentment=unit,
                tax_lines=taxes,
            )
        )  # fmt: skip
        subtotal += unit * qty
        tax += line_tax
    shipping = 900 + (300 if changed else 0)
    total = subtotal + shipping + (0 if included else tax)
    return Order(
        external_id=str(100000 + n), number=f"#{n}", currency=currency, presentment_currency=currency,
        taxes_included=included, subtotal=subtotal, subtotal_presentment=subtotal, shipping=shipping,
        shipping_presentment=shipping, tax=tax, tax_presentment=tax, total=total, total_presentment=total,
        placed_at=START + timedelta(minutes=7 * n), lines=tuple(lines),
        shipping_lines=(ShippingLine(title="Post", amount=shipping, presentment_amount=shipping),),
    )  # fmt: skip


def refund_of_first_line(order: Order, n: int, on: datetime) -> Refund:
    first = order.lines[0]
    amount = first.unit_price
    line_tax = first.tax_lines[0].amount // first.quantity if first.tax_lines else 0
    total = amount if order.taxes_included else amount + line_tax
    returned = RefundLine(
        line_external_id=first.external_id, quantity=1, amount=amount, presentment_amount=amount,
        tax_amount=line_tax, tax_presentment_amount=line_tax,
    )  # fmt: skip
    return Refund(external_id=f"rf_{n}", processed_at=on, amount=total, presentment_amount=total, lines=(returned,))


def events(count: int, seed: int = 7, changed_every: int = 0) -> list[JournalEntry]:
    """`count` events' entries: order, charge, (every 5th sale) a refund and its money leg, (every 40th)
    a payout. With `changed_every`, every such order has new shipping (the rest post as before)."""
    rnd = random.Random(seed)
    chart = default_chart()
    shop = PostingContext(f"int_shop{seed}", AccountMap.build(chart, provider="shopify"), "USD")
    stripe = PostingContext(f"int_stripe{seed}", AccountMap.build(chart, provider="stripe"), "USD")
    entries: list[JournalEntry | None] = []
    n = 0
    while len(entries) < count:
        order = make_order(n, rnd, changed=bool(changed_every) and n % changed_every == 0)
        on, currency, ext = order.placed_at or START, order.currency, order.external_id
        ctx, gateway = replace(shop, base_currency=currency), replace(stripe, base_currency=currency)
        fee = order.total * 29 // 1000 + 30
        charge = GatewayCharge(
            external_id=f"ch_{n}", currency=currency, amount_minor=order.total, fee_minor=fee, occurred_at=on,
            order_external_id=ext,
        )  # fmt: skip
        entries += [post_order(order, ctx), post_charge(charge, gateway)]
        if n % 5 == 0:
            refund = refund_of_first_line(order, n, on + timedelta(days=2))
            money_back = GatewayRefund(
                external_id=f"re_{n}", currency=currency, amount_minor=refund.amount, occurred_at=refund.processed_at,
                order_external_id=ext,
            )  # fmt: skip
            entries += [post_refund(order, refund, ctx, settled=True), post_gateway_refund(money_back, gateway)]
        if n % 40 == 39:
            payout = Payout(
                external_id=f"po_{n}", currency="USD", amount_minor=rnd.randint(10000, 90000), occurred_at=on
            )
            entries.append(post_payout(payout, stripe))
        n += 1
    return [e for e in entries if e is not None][:count]


async def replay(runtime, workspace_id: str, entries: list[JournalEntry], batch: int) -> tuple[int, float]:
    """Post every entry as its document's current posting; returns (entries added, seconds)."""
    added, started = 0, time.perf_counter()
    for i in range(0, len(entries), batch):
        postings = [store.Posting(workspace_id, e.source.document, e) for e in entries[i : i + batch]]
        async with runtime.sessions.begin() as session:
            added += len(await store.post(session, postings))
    return added, time.perf_counter() - started


async def main(count: int, batch: int) -> None:
    with scratch_database("llledger-") as (url, data_dir):
        await _main(url, data_dir, count, batch)


async def _main(url: str, data_dir: Path, count: int, batch: int) -> None:
    migrate.upgrade(url)
    with contextlib.closing(psycopg.connect(url, autocommit=True)) as conn:  # real commits, as in production
        conn.execute(f"ALTER DATABASE {url.rsplit('/', 1)[1].split('?')[0]} RESET synchronous_commit")
    settings = Settings(DATABASE_URL=url, secret_keys=Fernet.generate_key().decode(), data_dir=data_dir)
    runtime = build_runtime(settings, url)
    try:
        async with runtime.sessions() as session:
            workspace = await access.create_workspace(session, "bench")
        t0 = time.perf_counter()
        first = events(count)
        rules = time.perf_counter() - t0
        lines = sum(len(e.lines) for e in first)
        rate = count / rules
        print(f"{count:,} events -> {len(first):,} entries, {lines:,} lines; posting rules {rate:,.0f} events/s")

        added, seconds = await replay(runtime, workspace.id, first, batch)
        print(f"first replay:  {added:,} entries posted in {seconds:.1f} s = {added / seconds:,.0f} entries/s "
              f"({lines / seconds:,.0f} lines/s), batches of {batch:,}")  # fmt: skip
        again, seconds = await replay(runtime, workspace.id, first, batch)
        print(f"same replay:   {again:,} entries posted (idempotent) in {seconds:.1f} s = "
              f"{len(first) / seconds:,.0f} events/s checked")  # fmt: skip
        changed = events(count, changed_every=10)
        moved, seconds = await replay(runtime, workspace.id, changed, batch)
        print(f"changed replay: {moved:,} entries (reversal + new entry for 1 order in 10) in {seconds:.1f} s = "
              f"{len(changed) / seconds:,.0f} events/s")  # fmt: skip
        async with runtime.sessions() as session:
            unbalanced = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id "
                        "HAVING sum(debit_minor) <> sum(credit_minor)) u"
                    )
                )
            ).scalar_one()
            stored = (await session.execute(text("SELECT count(*) FROM journal_entries"))).scalar_one()
        print(f"stored: {stored:,} entries, {unbalanced} unbalanced")
    finally:
        await runtime.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.batch))
