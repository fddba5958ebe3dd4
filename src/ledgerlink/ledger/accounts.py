"""The default chart of accounts and the posting roles the rules post to.

Rules never name an account code: they name a role ("sales", "this integration's clearing account"),
and an AccountMap (account_map.py) turns the role into the workspace's account. So a workspace can
renumber or extend its chart, and an integration can send a role elsewhere, without touching a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    CONTRA_REVENUE = "contra-revenue"
    EXPENSE = "expense"


class NormalBalance(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


NORMAL_BALANCE = {
    AccountType.ASSET: NormalBalance.DEBIT,
    AccountType.EXPENSE: NormalBalance.DEBIT,
    AccountType.CONTRA_REVENUE: NormalBalance.DEBIT,
    AccountType.LIABILITY: NormalBalance.CREDIT,
    AccountType.EQUITY: NormalBalance.CREDIT,
    AccountType.REVENUE: NormalBalance.CREDIT,
}


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    name: str
    type: AccountType

    def __post_init__(self) -> None:
        if not self.code or self.code != self.code.strip():
            raise ValueError(f"account code {self.code!r} is empty or padded")

    @property
    def normal_balance(self) -> NormalBalance:
        """The side its balance sits on; a contra-revenue account is a debit against revenue."""
        return NORMAL_BALANCE[self.type]


class AccountRole(StrEnum):
    """What a posting line is for; each rule posts to roles only."""

    BANK = "bank"
    RECEIVABLE = "receivable"
    CLEARING = "clearing"  # the integration's gateway or marketplace clearing account
    UNAPPLIED_CASH = "unapplied_cash"  # money in or out with no order to apply it to
    INVENTORY = "inventory"
    TAX_PAYABLE = "tax_payable"  # when no tax code sends a tax line elsewhere
    ACCRUED_PROCESSOR_FEES = "accrued_processor_fees"  # proforma estimates awaiting the real fee
    ACCRUED_MARKETPLACE_FEES = "accrued_marketplace_fees"
    SALES = "sales"
    SHIPPING_REVENUE = "shipping_revenue"
    DISCOUNTS = "discounts"
    RETURNS = "returns"
    SHIPPING_REFUNDS = "shipping_refunds"
    COGS = "cogs"
    PROCESSOR_FEES = "processor_fees"
    MARKETPLACE_FEES = "marketplace_fees"
    CHARGEBACKS = "chargebacks"
    ROUNDING = "rounding"
    FX_GAIN_LOSS = "fx_gain_loss"


class ChartOfAccounts(Mapping[str, Account]):
    """A workspace's accounts by code. Immutable: `with_accounts` returns an edited copy."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._accounts: dict[str, Account] = {}
        for account in accounts:
            if account.code in self._accounts:
                raise ValueError(f"account code {account.code} appears twice")
            self._accounts[account.code] = account

    def __getitem__(self, code: str) -> Account:
        return self._accounts[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._accounts)

    def __len__(self) -> int:
        return len(self._accounts)

    def with_accounts(self, *accounts: Account) -> ChartOfAccounts:
        """This chart with `accounts` added, or replacing those with the same code."""
        replaced = {a.code: a for a in accounts}
        kept = [a for a in self._accounts.values() if a.code not in replaced]
        return ChartOfAccounts([*kept, *replaced.values()])


_A, _L, _E, _R, _C, _X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.REVENUE,
    AccountType.CONTRA_REVENUE,
    AccountType.EXPENSE,
)
DEFAULT_ACCOUNTS = (
    Account("1000", "Bank", _A),
    Account("1100", "Accounts receivable", _A),
    Account("1110", "Stripe clearing", _A),
    Account("1120", "PayPal clearing", _A),
    Account("1130", "Amazon clearing", _A),
    Account("1190", "Other payments clearing", _A),
    Account("1300", "Inventory", _A),
    Account("2200", "Sales tax payable", _L),
    Account("2300", "Unapplied cash", _L),
    Account("2410", "Accrued processor fees", _L),
    Account("2420", "Accrued marketplace fees", _L),
    Account("3000", "Owner's equity", _E),
    Account("4000", "Sales", _R),
    Account("4100", "Shipping revenue", _R),
    Account("4500", "Discounts", _C),
    Account("4600", "Returns and allowances", _C),
    Account("4610", "Shipping refunds", _C),
    Account("5000", "Cost of goods sold", _X),
    Account("6100", "Payment processor fees", _X),
    Account("6200", "Marketplace fees", _X),
    Account("6300", "Chargebacks and disputes", _X),
    Account("6900", "Rounding differences", _X),
    Account("6950", "Foreign exchange gains and losses", _X),
)

DEFAULT_ROLE_ACCOUNTS: Mapping[AccountRole, str] = {
    AccountRole.BANK: "1000",
    AccountRole.RECEIVABLE: "1100",
    AccountRole.CLEARING: "1190",
    AccountRole.INVENTORY: "1300",
    AccountRole.TAX_PAYABLE: "2200",
    AccountRole.UNAPPLIED_CASH: "2300",
    AccountRole.ACCRUED_PROCESSOR_FEES: "2410",
    AccountRole.ACCRUED_MARKETPLACE_FEES: "2420",
    AccountRole.SALES: "4000",
    AccountRole.SHIPPING_REVENUE: "4100",
    AccountRole.DISCOUNTS: "4500",
    AccountRole.RETURNS: "4600",
    AccountRole.SHIPPING_REFUNDS: "4610",
    AccountRole.COGS: "5000",
    AccountRole.PROCESSOR_FEES: "6100",
    AccountRole.MARKETPLACE_FEES: "6200",
    AccountRole.CHARGEBACKS: "6300",
    AccountRole.ROUNDING: "6900",
    AccountRole.FX_GAIN_LOSS: "6950",
}

# The clearing account of an integration by its provider; others use the role's default.
DEFAULT_CLEARING: Mapping[str, str] = {"stripe": "1110", "paypal": "1120", "amazon": "1130"}

# Providers that are marketplaces: they collect the buyer's money and owe it to the seller, so an
# order's receivable is the marketplace's clearing account (its fees and settlements clear it), and
# their fees are a marketplace's commission rather than a payment processor's cut.
MARKETPLACES = frozenset({"amazon"})


def default_chart() -> ChartOfAccounts:
    """The chart a new workspace starts with (then edits)."""
    return ChartOfAccounts(DEFAULT_ACCOUNTS)
