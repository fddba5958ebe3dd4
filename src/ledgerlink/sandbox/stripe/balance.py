"""The account's balance: a balance transaction for every movement, and daily automatic payouts.

Charges settle in their own currency where the account keeps a balance in it (USD, EUR, GBP, JPY);
the others are converted to USD at the dataset's rate, the transaction stating the rate as Stripe does
(balance units per charge unit). Stripe's fee, 2.9 % + 30 minor units of the balance currency, is
taken on the charge's transaction; a refund gives no fee back; a dispute costs a fixed fee, and a
weekly Radar bill is a fee of its own (`stripe_fee`). A charge's funds become available at midnight
UTC two days later, debits at the next midnight; each day, a currency's funds that became available
that day are paid out when they add up to more than zero (a negative day carries over to the next).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from ledgerlink.canonical.money import to_major, to_minor
from ledgerlink.sandbox.dataset import CURRENCIES
from ledgerlink.sandbox.stripe.charges import DAY, OrderPayments
from ledgerlink.sandbox.stripe.facts import BalanceTransaction, FeeDetail, Payout
from ledgerlink.sandbox.stripe.ids import object_id

SETTLEMENT = ("usd", "eur", "gbp", "jpy")
FEE_RATE, FEE_FIXED = Decimal("0.029"), 30
DISPUTE_FEE = {"usd": 1500, "eur": 1500, "gbp": 1500, "jpy": 2000}
RADAR_FEE_PER_CHARGE = 2  # US cents per screened charge, billed weekly
PAYOUT_HOUR = 2 * 3600
_USD_RATES = {code.lower(): rate for code, rate, _ in CURRENCIES}  # charge units per USD


def midnight(moment: int, days_after: int = 0) -> int:
    return moment - moment % DAY + days_after * DAY


def settle(amount: int, currency: str) -> tuple[int, str, float | None]:
    """(amount in the balance currency, that currency, the rate when converted) of a positive amount."""
    if currency in SETTLEMENT:
        return amount, currency, None
    rate = (1 / _USD_RATES[currency]).quantize(Decimal("0.000001"))
    return to_minor(to_major(amount, currency.upper()) * rate, "USD"), "usd", float(rate)


def processing_fee(amount: int) -> int:
    return int((amount * FEE_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + FEE_FIXED


def _charge_movement(paid: OrderPayments) -> BalanceTransaction | None:
    charge = paid.charge
    if charge.balance_transaction_id is None:
        return None
    amount, currency, rate = settle(charge.amount, charge.currency)
    fee = processing_fee(amount)
    return BalanceTransaction(
        id=charge.balance_transaction_id,
        type="charge",
        reporting_category="charge",
        created=charge.created,
        available_on=midnight(charge.created, 2),
        amount=amount,
        fee=fee,
        currency=currency,
        source_id=charge.id,
        description=charge.description,
        exchange_rate=rate,
        fee_details=(FeeDetail(fee, currency, "Stripe processing fees"),),
    )


def _refund_movements(paid: OrderPayments) -> Iterable[BalanceTransaction]:
    for refund in paid.refunds:
        amount, currency, rate = settle(refund.amount, refund.currency)
        yield BalanceTransaction(
            id=refund.balance_transaction_id,
            type="refund",
            reporting_category="refund",
            created=refund.created,
            available_on=midnight(refund.created, 1),
            amount=-amount,
            fee=0,
            currency=currency,
            source_id=refund.id,
            description=f"REFUND FOR CHARGE ({paid.charge.description})",
            exchange_rate=rate,
        )


def _dispute_movements(paid: OrderPayments) -> Iterable[BalanceTransaction]:
    dispute = paid.dispute
    if dispute is None or not dispute.balance_transaction_ids:
        return
    amount, currency, rate = settle(dispute.amount, dispute.currency)
    fee = DISPUTE_FEE[currency]
    withdrawal, *reinstatement = dispute.balance_transaction_ids
    yield BalanceTransaction(
        id=withdrawal,
        type="adjustment",
        reporting_category="dispute",
        created=dispute.created,
        available_on=midnight(dispute.created, 1),
        amount=-amount,
        fee=fee,
        currency=currency,
        source_id=dispute.id,
        description=f"Chargeback withdrawal for {dispute.charge_id}",
        exchange_rate=rate,
        fee_details=(FeeDetail(fee, currency, "Dispute fee"),),
    )
    for reinstated in reinstatement:
        closed = dispute.closed_at or dispute.created
        yield BalanceTransaction(
            id=reinstated,
            type="adjustment",
            reporting_category="dispute_reversal",
            created=closed,
            available_on=midnight(closed, 1),
            amount=amount,
            fee=0,
            currency=currency,
            source_id=dispute.id,
            description=f"Chargeback reversal for {dispute.charge_id}",
            exchange_rate=rate,
        )


def _radar_bills(seed: int, charges: list[BalanceTransaction], horizon: int) -> Iterable[BalanceTransaction]:
    """One `stripe_fee` per week that had charges, billed in USD at the week's end."""
    weeks: dict[int, int] = defaultdict(int)
    for movement in charges:
        weeks[midnight(movement.created) // (7 * DAY)] += 1
    for week, count in sorted(weeks.items()):
        billed = (week + 1) * 7 * DAY + 3600
        if billed > horizon:
            continue
        yield BalanceTransaction(
            id=object_id("txn", seed, "radar", week),
            type="stripe_fee",
            reporting_category="fee",
            created=billed,
            available_on=midnight(billed, 1),
            amount=-count * RADAR_FEE_PER_CHARGE,
            fee=0,
            currency="usd",
            source_id=None,
            description=f"Radar for Fraud Teams ({count} screened charges)",
        )


def movements(seed: int, paid: list[OrderPayments], horizon: int) -> list[BalanceTransaction]:
    """Every balance transaction but the payouts' own."""
    charges = [m for p in paid if (m := _charge_movement(p)) is not None]
    debits = [m for p in paid for m in (*_refund_movements(p), *_dispute_movements(p))]
    return charges + debits + list(_radar_bills(seed, charges, horizon))


def payouts(seed: int, entries: list[BalanceTransaction], horizon: int) -> list[tuple[Payout, BalanceTransaction]]:
    """Each currency's daily payout up to `horizon`, with the balance transaction that debits it."""
    days: dict[str, dict[int, list[BalanceTransaction]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        days[entry.currency][entry.available_on].append(entry)
    made = []
    for currency, by_day in sorted(days.items()):
        carried, contents = 0, []
        for day in range(min(by_day), midnight(horizon) + DAY, DAY):
            for entry in by_day.get(day, []):
                carried += entry.net
                contents.append(entry.id)
            if carried <= 0 or day + PAYOUT_HOUR > horizon:
                continue
            made.append(_payout(seed, currency, day, carried, tuple(contents)))
            carried, contents = 0, []
    return made


def _payout(
    seed: int, currency: str, day: int, amount: int, contents: tuple[str, ...]
) -> tuple[Payout, BalanceTransaction]:
    created = day + PAYOUT_HOUR
    payout_id = object_id("po", seed, currency, day)
    debit = BalanceTransaction(
        id=object_id("txn", seed, "payout", currency, day),
        type="payout",
        reporting_category="payout",
        created=created,
        available_on=created,
        amount=-amount,
        fee=0,
        currency=currency,
        source_id=payout_id,
        description="STRIPE PAYOUT",
    )
    payout = Payout(
        id=payout_id,
        created=created,
        arrival_date=midnight(created, 2),
        amount=amount,
        currency=currency,
        balance_transaction_id=debit.id,
        destination_id=object_id("ba", seed, currency),
        contents=(*contents, debit.id),
    )
    return payout, debit
