"""A simulated Amazon seller on the Selling Partner API, selling about 30 % of the shared dataset's
orders on five marketplaces (USD, CAD, GBP, EUR and zero-decimal JPY).

Modules: `app` (routes, access tokens, usage plans, faults), `lwa` (Login with Amazon's token endpoint),
`orders`/`order_query` (Orders v0 and its filters), `finances` (financial events: fees and refunds),
`settlements` (financial event groups: what each disbursement was made of),
`inventory` (FBA summaries), `limits` (per-operation token buckets), `paging` (NextTokens), `errors`,
`ids`, `marketplaces`.
"""

from ledgerlink.sandbox.amazon.app import AmazonSandbox

__all__ = ["AmazonSandbox"]
