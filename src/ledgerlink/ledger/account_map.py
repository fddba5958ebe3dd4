"""Which account each posting role goes to, for one integration: the chart's defaults, then the
integration's overrides.

Two settings surfaces can override: seed 000's setup `mapping` (`defaultPaymentAccount`,
`shippingAccount`, `discountAccount`, `defaultTaxCode`) and seed 003's nominal codes (sales, COGS,
shipping revenue, shipping refunds, returns and allowances). Both name accounts by reference (an
`acct_…` id, a nominal code id); `resolve` turns a reference into a chart code (persistence knows
the ids; by default a reference must already be a code). When both surfaces set one role to
different accounts that is a configuration error, not a silent precedence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerlink.ledger.accounts import (
    DEFAULT_CLEARING,
    DEFAULT_ROLE_ACCOUNTS,
    MARKETPLACES,
    AccountRole,
    ChartOfAccounts,
)
from ledgerlink.ledger.errors import LedgerConfigError

MAPPING_ROLES: Mapping[str, AccountRole] = {
    "defaultPaymentAccount": AccountRole.CLEARING,
    "shippingAccount": AccountRole.SHIPPING_REVENUE,
    "discountAccount": AccountRole.DISCOUNTS,
}
NOMINAL_CODE_ROLES: Mapping[str, AccountRole] = {
    "sales_nominal_code_id": AccountRole.SALES,
    "cogs_nominal_code_id": AccountRole.COGS,
    "shipping_revenue_nominal_code_id": AccountRole.SHIPPING_REVENUE,
    "shipping_refund_nominal_code_id": AccountRole.SHIPPING_REFUNDS,
    "sales_returns_allowances_nominal_code_id": AccountRole.RETURNS,
}

Resolver = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class AccountMap:
    """Role -> account code, and tax code -> tax account, for one integration."""

    roles: Mapping[AccountRole, str]
    tax_accounts: Mapping[str, str] = field(default_factory=dict)  # tax code (upper case) -> account code
    default_tax_code: str | None = None

    def account(self, role: AccountRole) -> str:
        return self.roles[role]

    def tax_code(self, title: str | None) -> str | None:
        """A tax line's code: its title when the chart maps that code, else the integration's default."""
        key = (title or "").strip().upper()
        return key if key in self.tax_accounts else self.default_tax_code

    def tax_account(self, code: str | None) -> str:
        return self.tax_accounts.get((code or "").upper(), self.roles[AccountRole.TAX_PAYABLE])

    @classmethod
    def build(
        cls,
        chart: ChartOfAccounts,
        *,
        provider: str | None = None,
        mapping: Mapping[str, Any] | None = None,
        integration_settings: Mapping[str, Any] | None = None,
        tax_accounts: Mapping[str, str] | None = None,
        resolve: Resolver | None = None,
    ) -> AccountMap:
        """Defaults (the provider's clearing account among them), then `mapping`, then nominal codes;
        a marketplace's orders are receivable from its clearing account."""
        resolve = resolve or str
        roles = dict(DEFAULT_ROLE_ACCOUNTS)
        if provider in DEFAULT_CLEARING:
            roles[AccountRole.CLEARING] = DEFAULT_CLEARING[provider]
        chosen: dict[AccountRole, tuple[str, str]] = {}  # role -> (setting, account) set by an override
        for source, table in ((mapping or {}, MAPPING_ROLES), (integration_settings or {}, NOMINAL_CODE_ROLES)):
            for setting, role in table.items():
                if source.get(setting) in (None, ""):
                    continue
                code = resolve(str(source[setting]))
                earlier = chosen.get(role)
                if earlier and earlier[1] != code:
                    raise LedgerConfigError(
                        f"{earlier[0]} and {setting} send {role} to different accounts ({earlier[1]}, {code})",
                        {"fields": [earlier[0], setting]},
                    )
                chosen[role] = (setting, code)
                roles[role] = code
        if provider in MARKETPLACES:  # the marketplace owes the seller what its buyers paid
            roles[AccountRole.RECEIVABLE] = roles[AccountRole.CLEARING]
        taxes = {code.strip().upper(): account for code, account in (tax_accounts or {}).items()}
        default_tax = (mapping or {}).get("defaultTaxCode")
        built = cls(roles, taxes, str(default_tax).strip().upper() if default_tax else None)
        built._check(chart, chosen)
        return built

    def _check(self, chart: ChartOfAccounts, chosen: Mapping[AccountRole, tuple[str, str]]) -> None:
        for role, code in self.roles.items():
            if code not in chart:
                setting = chosen[role][0] if role in chosen else f"default for {role}"
                raise LedgerConfigError(f"{setting}: no account {code!r} in the chart", {"field": setting})
        for tax_code, code in self.tax_accounts.items():
            if code not in chart:
                raise LedgerConfigError(f"tax code {tax_code}: no account {code!r} in the chart", {"field": tax_code})
