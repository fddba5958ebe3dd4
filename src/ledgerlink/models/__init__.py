"""All tables. Importing this package registers every model on `Base.metadata`."""

from ledgerlink.models.base import Base
from ledgerlink.models.event import Event
from ledgerlink.models.integration import Integration
from ledgerlink.models.ratelimit import RateLimitBucket
from ledgerlink.models.workspace import ApiKey, OAuthClient, OAuthToken, Workspace

__all__ = [
    "ApiKey",
    "Base",
    "Event",
    "Integration",
    "OAuthClient",
    "OAuthToken",
    "RateLimitBucket",
    "Workspace",
]
