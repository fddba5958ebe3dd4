"""The interface each simulated platform implements, and the registry that mounts them."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.types import ASGIApp

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.faults import FaultInjector


class SandboxPlatform(Protocol):
    """One simulated upstream. Mounted at `/{provider}` on the sandbox server; its `credentials`
    carry `apiBaseUrl` pointing there, so a connector reaches it exactly as it reaches the real API."""

    provider: str
    store: Store
    injector: FaultInjector

    def asgi(self) -> ASGIApp:
        """The platform's HTTP API (real paths relative to the mount), plus `/_sandbox/faults`."""
        ...

    def credentials(self, mount_url: str) -> dict[str, Any]:
        """Exactly what `POST /v1/integrations/{provider}/setup` accepts for this store."""
        ...
