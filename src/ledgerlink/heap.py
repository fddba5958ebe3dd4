"""The garbage collector tuned for a long-lived process: a server's or a worker's.

Two costs, both measured over a 10,000-order WooCommerce sync on the worker:
- A server's or worker's start-up leaves a large heap that lives as long as the process (the app, its
  schemas, the ORM's mappings, the connectors). Left to the collector, every full collection walks all
  of it again: a server pauses up to ~100 ms while requests wait, and the worker spent 29% of its CPU in
  the collector. Frozen, the collector only walks what requests and jobs allocate (9% left).
- The rest was the young generation's threshold: 700 net allocations. A sync page of 100 orders parses
  into ~100,000 objects that live until the page is written, so the collector ran ~140 times a page,
  each time walking the page again, and promoted it to be walked again by the older generations. With a
  threshold of 50,000 a page comes and goes between collections (no collection at all in that sync;
  the hub's CPU per order fell by about a tenth). Only objects kept alive by reference cycles wait for
  a collection, at most ~50,000 of them before one runs: a cycle holding a big buffer then holds it
  for long. httpx's responses were such cycles (each sync page's body stayed until a collection and a
  sync's memory grew with its length); the upstream client unlinks them (upstream/client.py).

Only a process's entry point calls this: a frozen object is never collected, so code that runs many
times in one process (tests) must not.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune_for_long_running() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
