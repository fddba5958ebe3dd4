"""The working connector of a stored integration: its credentials decrypted, its shared upstream
budget, and its token store (for upstreams whose access tokens expire). Every job and request that
talks to an upstream builds its connector here, so they all share the same limits and tokens."""

from __future__ import annotations

from ledgerlink.connectors.framework.connector import Connector
from ledgerlink.connectors.loading import build_connector
from ledgerlink.connectors.registry import get_provider
from ledgerlink.integrations.service import decrypt_credentials
from ledgerlink.models import Integration
from ledgerlink.runtime import Runtime
from ledgerlink.upstream.tokens import TokenStore


def connector_for(runtime: Runtime, integration: Integration) -> Connector:
    connector = build_connector(
        get_provider(integration.provider),
        decrypt_credentials(runtime.secrets, integration),
        settings=integration.settings,
        bookkeeping=runtime.bookkeeping,
        bucket=f"upstream:{integration.id}",
    )
    connector.tokens = TokenStore(runtime, integration.id)
    return connector
