"""The chart, the role -> account map with seed 000's mapping and seed 003's nominal codes, the
entry invariants, and seed 003's accounting settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import Account, AccountRole, AccountType, NormalBalance, default_chart
from ledgerlink.ledger.entries import EntrySource, ForeignAmount, JournalEntry, JournalLine
from ledgerlink.ledger.errors import InvalidEntry, LedgerConfigError
from ledgerlink.ledger.settings import BatchPeriod, LedgerSettings

CHART = default_chart().with_accounts(
    Account("4010", "Sales - web shop", AccountType.REVENUE),
    Account("4110", "Delivery income", AccountType.REVENUE),
    Account("4510", "Promotions", AccountType.CONTRA_REVENUE),
    Account("1115", "Stripe EU clearing", AccountType.ASSET),
    Account("2210", "SST payable", AccountType.LIABILITY),
)


def test_default_chart_has_every_role_and_sensible_normal_balances() -> None:
    chart = default_chart()
    built = AccountMap.build(chart)
    assert {role: built.account(role) in chart for role in AccountRole} == dict.fromkeys(AccountRole, True)
    assert chart["4500"].normal_balance is NormalBalance.DEBIT  # discounts: contra-revenue
    assert chart["4000"].normal_balance is NormalBalance.CREDIT
    assert chart["2200"].type is AccountType.LIABILITY
    assert [
        AccountMap.build(chart, provider=p).account(AccountRole.CLEARING)
        for p in ("stripe", "paypal", "amazon", "woocommerce")
    ] == ["1110", "1120", "1130", "1190"]


def test_setup_mapping_and_nominal_codes_send_roles_to_the_integrations_accounts() -> None:
    accounts = AccountMap.build(
        CHART,
        provider="stripe",
        mapping={
            "defaultTaxCode": "sst",
            "defaultPaymentAccount": "acct_stripe_eu",
            "shippingAccount": "4110",
            "discountAccount": "acct_promotions",
        },
        integration_settings={
            "sales_nominal_code_id": 4010,
            "shipping_revenue_nominal_code_id": 4110,
            "cogs_nominal_code_id": None,
        },
        tax_accounts={"SST": "2210"},
        resolve=lambda ref: {"acct_stripe_eu": "1115", "acct_promotions": "4510"}.get(ref, ref),
    )
    assert accounts.account(AccountRole.CLEARING) == "1115"
    assert accounts.account(AccountRole.SALES) == "4010"
    assert accounts.account(AccountRole.SHIPPING_REVENUE) == "4110"  # both surfaces agree
    assert accounts.account(AccountRole.DISCOUNTS) == "4510"
    assert accounts.account(AccountRole.COGS) == "5000"  # a null nominal code keeps the default
    assert accounts.tax_code("Some county tax") == "SST" and accounts.tax_account("SST") == "2210"
    assert accounts.tax_account(None) == "2200"


def test_conflicting_or_unknown_accounts_are_configuration_errors() -> None:
    with pytest.raises(LedgerConfigError, match="shippingAccount and shipping_revenue_nominal_code_id"):
        AccountMap.build(
            CHART, mapping={"shippingAccount": "4100"}, integration_settings={"shipping_revenue_nominal_code_id": 4110}
        )
    with pytest.raises(LedgerConfigError, match="sales_nominal_code_id: no account '9999'") as raised:
        AccountMap.build(CHART, integration_settings={"sales_nominal_code_id": 9999})
    assert raised.value.code == "CONFIGURATION_ERROR"


def test_lines_are_one_sided_non_negative_whole_minor_units() -> None:
    for bad in (
        {"debit_minor": -1},
        {"debit_minor": 1, "credit_minor": 1},
        {},
        {"debit_minor": 1.5},
        {"credit_minor": True},
    ):
        with pytest.raises(InvalidEntry):
            JournalLine("1000", **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidEntry):
        ForeignAmount("USD", 100, Decimal(0))


def test_an_entry_must_balance_and_its_id_follows_its_source() -> None:
    source = EntrySource("int_1", "order", "1001", "")
    lines = [JournalLine("1100", debit_minor=500), JournalLine("4000", credit_minor=500)]
    entry = JournalEntry.create(source, date(2024, 1, 2), "USD", lines)
    assert (
        entry.id == JournalEntry.create(source, date(2024, 1, 2), "USD", list(lines), memo="memos are not content").id
    )
    assert entry.source.version and entry.id.startswith("je_")
    assert (
        JournalEntry.create(source, date(2024, 1, 2), "USD", [lines[0].reversed(), lines[1].reversed()]).id != entry.id
    )
    other_integration = EntrySource("int_2", "order", "1001", "")
    assert JournalEntry.create(other_integration, date(2024, 1, 2), "USD", lines).id != entry.id
    with pytest.raises(InvalidEntry, match="does not balance") as raised:
        JournalEntry.create(source, date(2024, 1, 2), "USD", [lines[0], JournalLine("4000", credit_minor=499)])
    assert raised.value.details == {"debitsMinor": 500, "creditsMinor": 499}
    with pytest.raises(InvalidEntry, match="no lines"):
        JournalEntry.create(source, date(2024, 1, 2), "USD", [])
    with pytest.raises(InvalidEntry):
        JournalEntry.create(source, date(2024, 1, 2), "usd", lines)


def test_seed_003_settings() -> None:
    parsed = LedgerSettings.from_integration_settings(
        {
            "sync_sales_credit_to_accounting": False,
            "proforma_marketplace_cost_percentage": 15.3,
            "proforma_payment_cost_percentage": None,
            "batch_period_customer_returns": "Weekly",
        }
    )
    assert parsed == LedgerSettings(
        sync_sales_order_invoices_to_accounting=True,
        sync_sales_credit_to_accounting=False,
        proforma_marketplace_cost_percentage=Decimal("15.3"),
        batch_period_customer_returns=BatchPeriod.WEEKLY,
    )
    for bad in (
        {"proforma_payment_cost_percentage": 120},
        {"batch_period_customer_returns": "hourly"},
        {"sync_sales_credit_to_accounting": "no"},
    ):
        with pytest.raises(LedgerConfigError):
            LedgerSettings.from_integration_settings(bad)
