"""The marketplaces the simulated seller sells on: their ids, currencies, and how prices carry tax.

In the US and Canada a listed price excludes sales tax, which Amazon adds at checkout (`ItemTax` is on
top of `ItemPrice`); in the UK, Germany and Japan a price includes VAT (`ItemTax` is the part of
`ItemPrice` that is VAT). Rates convert the dataset's USD prices into each marketplace's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Marketplace:
    id: str
    country: str
    currency: str
    decimals: int
    name: str  # SalesChannel / MarketplaceName
    domain: str
    language: str
    usd_rate: Decimal  # marketplace currency per USD
    tax_rate: Decimal
    tax_included: bool
    share: float  # the part of the seller's Amazon orders placed here
    order_prefix: str  # the first group of an AmazonOrderId placed here


MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace(
        "ATVPDKIKX0DER", "US", "USD", 2, "Amazon.com", "www.amazon.com", "en_US",
        Decimal("1"), Decimal("0.0825"), False, 0.50, "114",
    ),
    Marketplace(
        "A2EUQ1WTGCTBG2", "CA", "CAD", 2, "Amazon.ca", "www.amazon.ca", "en_CA",
        Decimal("1.36"), Decimal("0.13"), False, 0.10, "702",
    ),
    Marketplace(
        "A1F83G8C2ARO7P", "GB", "GBP", 2, "Amazon.co.uk", "www.amazon.co.uk", "en_GB",
        Decimal("0.79"), Decimal("0.20"), True, 0.15, "204",
    ),
    Marketplace(
        "A1PA6795UKMFR9", "DE", "EUR", 2, "Amazon.de", "www.amazon.de", "de_DE",
        Decimal("0.92"), Decimal("0.19"), True, 0.15, "302",
    ),
    Marketplace(
        "A1VC38T7YXB528", "JP", "JPY", 0, "Amazon.co.jp", "www.amazon.co.jp", "ja_JP",
        Decimal("151.2"), Decimal("0.10"), True, 0.10, "503",
    ),
)  # fmt: skip
BY_ID = {m.id: m for m in MARKETPLACES}
HOME = MARKETPLACES[0]  # where the seller is registered: the seed's ATVPDKIKX0DER


def pick(roll: float) -> Marketplace:
    """The marketplace a roll in [0, 1) falls on, by each one's share."""
    for marketplace in MARKETPLACES:
        if roll < marketplace.share:
            return marketplace
        roll -= marketplace.share
    return MARKETPLACES[-1]
