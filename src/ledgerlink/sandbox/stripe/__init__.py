"""A simulated Stripe account (API version 2023-08-16) paying for the shared dataset's orders.

Modules: `app` (routes, key, rate limit, faults), `charges`/`balance`/`events` (what happened, from the
dataset), `world` (all of it, by id and newest first), `render_*`/`objects` (Stripe's JSON, expansion),
`listing`/`params`/`endpoints` (list paging and filters), `errors`, `ids`.
"""

from ledgerlink.sandbox.stripe.app import StripeSandbox

__all__ = ["StripeSandbox"]
