"""Shared benchmark plumbing: a throwaway hub process on its own database, and a load loop."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
from _loadgen import RequestFactory, run_load
from cryptography.fernet import Fernet

from ledgerlink.db import migrate
from ledgerlink.testing import scratch_database

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hub:
    base_url: str
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "ledgerlink", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()


@contextlib.contextmanager
def running_hub(extra_env: dict[str, str] | None = None, worker_concurrency: int = 0) -> Iterator[Hub]:
    """`ledgerlink serve` on a fresh database (embedded, or LEDGERLINK_TEST_DATABASE_URL's server)."""
    with scratch_database("llbench-") as (url, _data_dir):
        yield from _hub_on(url, extra_env, worker_concurrency)


def _hub_on(url: str, extra_env: dict[str, str] | None, worker_concurrency: int) -> Iterator[Hub]:
    migrate.upgrade(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LEDGERLINK_SECRET_KEYS": Fernet.generate_key().decode(),
        "LEDGERLINK_LOG_LEVEL": "WARNING",
        "LEDGERLINK_RATE_LIMIT_PER_MINUTE": "100000000",
        "LEDGERLINK_RATE_LIMIT_BURST": "1000000",
        **(extra_env or {}),
    }
    # synchronous_commit stays as the server has it: the figures include real commits.
    with contextlib.closing(__import__("psycopg").connect(url, autocommit=True)) as conn:
        conn.execute(f"ALTER DATABASE {url.rsplit('/', 1)[1].split('?')[0]} RESET synchronous_commit")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledgerlink",
            "serve",
            "--port",
            str(port),
            "--worker-concurrency",
            str(worker_concurrency),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("hub did not start")
            time.sleep(0.2)
        yield Hub(base, env)
    finally:
        proc.terminate()
        proc.wait(20)


@dataclass
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    def line(self) -> str:
        return (
            f"{self.label:40} {self.rate:8.0f} req/s   p50 {self.pct(0.50):6.1f} ms   "
            f"p99 {self.pct(0.99):6.1f} ms   mean {statistics.fmean(self.latencies_ms):6.1f} ms   "
            f"n={self.requests} non-2xx={self.errors}"
        )


async def load(label: str, factory: RequestFactory, *, base_url: str, concurrency: int, seconds: float) -> LoadResult:
    url = urlparse(base_url)
    latencies, errors, elapsed = await run_load(
        url.hostname or "127.0.0.1", url.port or 80, factory, concurrency=concurrency, seconds=seconds
    )
    return LoadResult(label, len(latencies), errors, elapsed, latencies)


# --------------------------------------------------------------------------------------------------
# CPU per process (Linux /proc): where a benchmark's CPU went, hub, upstream simulator and database.

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone or /proc is absent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def server_processes(backend_pid: int) -> list[int]:
    """A PostgreSQL backend's postmaster and all its children (backends, walwriter, checkpointer...)."""
    try:
        postmaster = int(Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return []
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


def waiting_for_a_core(pid: int | str = "self") -> float:
    """Seconds a process's threads were ready to run but waited for a core (the scheduler's run-queue
    delay, /proc/PID/task/*/schedstat; 0 where that is absent): on a shared machine, the hub's time lost
    to the other processes rather than to its own work or to waiting on I/O."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


@dataclass
class CpuMeter:
    """CPU spent from start() to stop() by the hub (this process and `hub_pids`, its other worker
    processes), one other process and a PostgreSQL server (its processes are listed again at stop, so
    backends started meanwhile count), and how long the hub's processes waited for a core."""

    other_pid: int
    backend_pid: int
    hub_pids: tuple[int, ...] = ()
    _start: dict[str, float] | None = None
    _pg_start: dict[int, float] | None = None

    def _hub(self) -> tuple[float, float]:
        cpu = time.process_time() + sum(process_cpu(p) for p in self.hub_pids)
        return cpu, waiting_for_a_core() + sum(waiting_for_a_core(p) for p in self.hub_pids)

    def start(self) -> None:
        self._pg_start = {p: process_cpu(p) for p in server_processes(self.backend_pid)}
        hub, wait = self._hub()
        self._start = {"hub": hub, "hub_wait": wait, "other": process_cpu(self.other_pid)}

    def stop(self) -> dict[str, float]:
        assert self._start is not None and self._pg_start is not None
        postgres = sum(process_cpu(p) - self._pg_start.get(p, 0.0) for p in server_processes(self.backend_pid))
        hub, wait = self._hub()
        return {
            "hub": hub - self._start["hub"],
            "hub_wait": wait - self._start["hub_wait"],
            "other": process_cpu(self.other_pid) - self._start["other"],
            "postgres": postgres,
        }
