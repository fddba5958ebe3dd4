"""The collector settings a server, a worker and the sandbox start with (heap.py). Checked in a child
process: freezing the test process's heap would keep every test's garbage alive."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from ledgerlink.heap import YOUNG_THRESHOLD, tune_for_long_running
before = gc.get_threshold()
kept = [[i] for i in range(1000)]  # start-up state: lives as long as the process
tune_for_long_running()
frozen = gc.get_freeze_count()
cycle = []
cycle.append(cycle)  # garbage only the collector can free
del cycle
print(json.dumps({"before": before, "after": gc.get_threshold(), "young": YOUNG_THRESHOLD,
                  "frozen": frozen, "collected": gc.collect()}))
"""


def test_long_running_processes_freeze_startup_heap_and_raise_young_threshold() -> None:
    out = json.loads(subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout)
    assert out["frozen"] >= 1000  # the start-up objects left the collector's walks
    assert out["after"] == [out["young"], *out["before"][1:]]  # only the young generation's threshold moves
    assert out["young"] > out["before"][0]
    assert out["collected"] >= 1  # cyclic garbage made after start-up is still collected
