"""All tables. Importing this package registers every model on `Base.metadata`."""

from ledgerlink.models.base import Base
from ledgerlink.models.catalog import Product, ProductVariant
from ledgerlink.models.customers import Customer
from ledgerlink.models.event import Event
from ledgerlink.models.external_refs import ExternalRef
from ledgerlink.models.integration import Integration
from ledgerlink.models.inventory import InventoryLevel, Location
from ledgerlink.models.ledger import (  # noqa: F401
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerBatchMember,
    LedgerGatewayVersion,
    LedgerPostingError,
)
from ledgerlink.models.orders import (
    Order,
    OrderAddress,
    OrderDiscount,
    OrderLine,
    OrderShippingLine,
    OrderTaxLine,
)
from ledgerlink.models.payments import (
    BalanceEntry,
    Payment,
    PaymentSyncRun,
    PaymentSyncTotal,
    PayoutItem,
    Refund,
    RefundLine,
)
from ledgerlink.models.ratelimit import RateLimitBucket
from ledgerlink.models.sync import StreamCursor, SyncItemError, SyncRun, SyncRunSlice
from ledgerlink.models.webhooks import (
    InboxEvent,
    OutboxCursor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookRegistration,
    WebhookSubscription,
)
from ledgerlink.models.workspace import ApiKey, OAuthClient, OAuthToken, Workspace

__all__ = [
    "ApiKey",
    "BalanceEntry",
    "Base",
    "Customer",
    "Event",
    "ExternalRef",
    "InboxEvent",
    "Integration",
    "InventoryLevel",
    "Location",
    "OAuthClient",
    "OAuthToken",
    "Order",
    "OrderAddress",
    "OrderDiscount",
    "OrderLine",
    "OrderShippingLine",
    "OrderTaxLine",
    "OutboxCursor",
    "Payment",
    "PaymentSyncRun",
    "PaymentSyncTotal",
    "PayoutItem",
    "Product",
    "ProductVariant",
    "RateLimitBucket",
    "Refund",
    "RefundLine",
    "StreamCursor",
    "SyncItemError",
    "SyncRun",
    "SyncRunSlice",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookRegistration",
    "WebhookSubscription",
    "Workspace",
]
