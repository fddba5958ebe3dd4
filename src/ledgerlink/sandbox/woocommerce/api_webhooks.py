"""`/wp-json/wc/v3/webhooks`: list (paged), create (then ping), retrieve, update and delete webhooks,
with WC_REST_Webhooks_V1_Controller's checks and error codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.destinations import destination_problem
from ledgerlink.sandbox.woocommerce.routing import EDITABLE, Endpoint
from ledgerlink.sandbox.woocommerce.webhook_delivery import WooWebhooks
from ledgerlink.sandbox.woocommerce.webhooks import STATUSES, Webhook, WebhookStore, utc_now, valid_topic, webhook_json
from ledgerlink.sandbox.woocommerce.wire import (
    API_PREFIX,
    Params,
    Window,
    WooError,
    json_body,
    page_of,
    paginated,
    respond,
    site_url,
)

POST_TYPE = "shop_webhook"
ORDERBY = {"date": lambda w: (w.date_created, w.id), "id": lambda w: w.id, "title": lambda w: (w.name.lower(), w.id)}


@dataclass(frozen=True)
class WebhookList:
    window: Window
    status: str
    include: frozenset[int]
    exclude: frozenset[int]
    search: str | None
    after: datetime | None
    before: datetime | None
    orderby: str
    descending: bool
    context: str

    def admits(self, w: Webhook) -> bool:
        return (
            (self.status == "all" or w.status == self.status)
            and (not self.include or w.id in self.include)
            and w.id not in self.exclude
            and (self.search is None or self.search.lower() in w.name.lower())
            and (self.after is None or w.date_created > self.after)
            and (self.before is None or w.date_created < self.before)
        )


def _error(status: int, suffix: str, message: str) -> WooError:
    return WooError(status, f"woocommerce_rest_{POST_TYPE}_{suffix}", message)


def _context(p: Params) -> str:
    return p.enum("context", ("view", "edit"), "view") or "view"


def _check_url(url: str) -> None:
    """wc_is_valid_url (http or https with a host), then the sandbox's own destination rule."""
    parts = urlsplit(url)
    problem = destination_problem(url) if parts.scheme in ("http", "https") and parts.hostname else "invalid"
    if problem:
        raise _error(
            400, "invalid_delivery_url", "Webhook delivery URL must be a valid URL starting with http:// or https://."
        )


class WebhooksAPI:
    def __init__(self, webhooks: WebhookStore, publisher: WooWebhooks) -> None:
        self.webhooks, self.publisher = webhooks, publisher

    def endpoints(self) -> list[Endpoint]:
        item = "/webhooks/{webhook_id:int}"
        return [
            Endpoint("/webhooks", "list", self.list_webhooks, self.parse_list),
            Endpoint("/webhooks", "create", self.create, self.parse_create, ("POST",)),
            Endpoint(item, "view", self.get_webhook, self.parse_view),
            Endpoint(item, "edit", self.update, self.parse_update, EDITABLE),
            Endpoint(item, "delete", self.delete, self.parse_delete, ("DELETE",)),
        ]

    def _webhook(self, request: Request, status: int = 400, message: str = "ID is invalid.") -> Webhook:
        webhook = self.webhooks.get(request.path_params["webhook_id"])
        if webhook is None:
            raise _error(status, "invalid_id", message)
        return webhook

    @staticmethod
    async def _args(request: Request) -> dict[str, Any]:
        """What WP_REST_Request reads: the JSON body over the query string."""
        return {**request.query_params, **await json_body(request)}

    # -- list ----------------------------------------------------------------------------------

    async def parse_list(self, request: Request) -> WebhookList:
        p = Params(request.query_params)
        query = WebhookList(
            window=p.window(),
            status=p.enum("status", ("all", *STATUSES), "all") or "all",
            include=frozenset(p.id_list("include")),
            exclude=frozenset(p.id_list("exclude")),
            search=p.string("search") or None,
            after=p.date("after", gmt=False),
            before=p.date("before", gmt=False),
            orderby=p.enum("orderby", tuple(ORDERBY), "date") or "date",
            descending=p.order(),
            context=_context(p),
        )
        p.check()
        return query

    async def list_webhooks(self, request: Request, q: WebhookList) -> Response:
        found = sorted(
            (w for w in self.webhooks.webhooks.values() if q.admits(w)), key=ORDERBY[q.orderby], reverse=q.descending
        )
        items = [webhook_json(w, q.context) for w in page_of(found, q.window)]
        return paginated(request, items, len(found), q.window)

    # -- create --------------------------------------------------------------------------------

    async def parse_create(self, request: Request) -> dict[str, Any]:
        args = await self._args(request)
        missing = [name for name in ("topic", "delivery_url") if args.get(name) in (None, "")]
        if missing:
            raise WooError(
                400, "rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}", params=missing
            )
        p = Params(args)
        parsed = {
            "topic": (p.string("topic") or "").lower(),
            "delivery_url": p.string("delivery_url") or "",
            "name": p.string("name"),
            "secret": p.string("secret"),
            "status": p.enum("status", STATUSES, "active"),
        }
        p.check()
        if args.get("id"):
            raise _error(400, "exists", f"Cannot create existing {POST_TYPE}.")
        if not valid_topic(parsed["topic"]):
            raise _error(400, "invalid_topic", "Webhook topic is required and must be valid.")
        _check_url(parsed["delivery_url"])
        return parsed

    async def create(self, request: Request, args: dict[str, Any]) -> Response:
        site = site_url(request)
        webhook = self.webhooks.add(
            args["topic"], args["delivery_url"], site, name=args["name"], secret=args["secret"], status=args["status"]
        )
        response = respond(request, webhook_json(webhook, "edit"), 201)
        response.headers["Location"] = f"{site}{API_PREFIX}/webhooks/{webhook.id}"
        await self.publisher.ping(webhook)  # as WooCommerce does, before it answers; the outcome is not reported
        return response

    # -- retrieve, update, delete --------------------------------------------------------------

    async def parse_view(self, request: Request) -> tuple[Webhook, str]:
        p = Params(request.query_params)
        context = _context(p)
        p.check()
        return self._webhook(request), context

    async def get_webhook(self, request: Request, args: tuple[Webhook, str]) -> Response:
        return respond(request, webhook_json(*args))

    async def parse_update(self, request: Request) -> tuple[Webhook, dict[str, Any]]:
        webhook = self._webhook(request)
        args = await self._args(request)
        p = Params(args)
        changes = {name: p.string(name) for name in ("topic", "delivery_url", "secret", "status", "name")}
        p.check()
        if changes["topic"] and not valid_topic(changes["topic"].lower()):
            raise _error(400, "invalid_topic", "Webhook topic must be valid.")
        if changes["delivery_url"]:
            _check_url(changes["delivery_url"])
        if changes["status"] and changes["status"].lower() not in STATUSES:
            raise _error(400, "invalid_status", "Webhook status must be valid.")
        return webhook, {name: value for name, value in changes.items() if value}

    async def update(self, request: Request, args: tuple[Webhook, dict[str, Any]]) -> Response:
        webhook, changes = args
        if "topic" in changes:
            webhook.topic = changes["topic"].lower()
        if "status" in changes:
            status = changes["status"].lower()
            if status == "active" and webhook.status != "active":
                webhook.failure_count = 0  # switched back on: the count of consecutive failures starts afresh
            webhook.status = status
        for name in ("delivery_url", "secret", "name"):
            if name in changes:
                setattr(webhook, name, changes[name])
        webhook.date_modified = utc_now()
        return respond(request, webhook_json(webhook, "edit"))

    async def parse_delete(self, request: Request) -> Webhook:
        p = Params(request.query_params)
        force = p.boolean("force", False)
        p.check()
        if not force:
            raise WooError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        return self._webhook(request, 404, "Invalid ID.")

    async def delete(self, request: Request, webhook: Webhook) -> Response:
        self.webhooks.remove(webhook.id)
        return respond(request, webhook_json(webhook, "edit"))
