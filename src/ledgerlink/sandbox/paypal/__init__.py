"""A simulated PayPal account paying for a share of the shared dataset's orders.

Modules: `app` (routes, auth, rate, faults, controls), `oauth` (client credentials and bearer
tokens), `history` (the transactions, from the dataset), `search` (Transaction Search's checks,
filters and pages), `render` (its JSON), `disputes` (the Disputes API over the account's
chargebacks), `hooks` (signed webhook deliveries and their verification API), `errors`, `ids`, `facts`.
"""

from ledgerlink.sandbox.paypal.app import PayPalSandbox

__all__ = ["PayPalSandbox"]
