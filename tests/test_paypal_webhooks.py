"""PayPal webhooks offline: what `verify` can check without PayPal (every transmission header, the
algorithm, a base64 signature, a certificate URL on PayPal's own API hosts, a webhook id configured),
and what a delivery says (light notices naming the payment or refund transaction, or the dispute).
PayPal's own verdict (its verify-webhook-signature API) is tested against the sandbox in
test_paypal_connector.py and test_paypal_contract.py, and asked before processing in
test_paypal_webhook_confirm.py.
"""

from __future__ import annotations

import json

import pytest

from ledgerlink.connectors.framework.webhooks import WebhookVerificationError
from ledgerlink.connectors.loading import webhook_spec
from ledgerlink.connectors.paypal import PROVIDER
from ledgerlink.connectors.paypal.webhooks import WEBHOOKS, cert_url_ok
from ledgerlink.sandbox.paypal import PayPalSandbox
from tests.test_paypal_sandbox import make_sandbox


@pytest.fixture(scope="module")
def paypal() -> PayPalSandbox:
    return make_sandbox(orders=200)


def delivery(paypal: PayPalSandbox, code: str = "T0006") -> tuple[dict[str, str], bytes, str]:
    txn = next(t for t in paypal.ledger.transactions if t.event_code == code)
    headers, body = paypal.signer.delivery(paypal.signer.event(txn))
    return headers, body, txn.id


def test_a_delivery_as_paypal_sends_it_passes_the_offline_checks_and_names_its_payment(paypal):
    headers, body, txn_id = delivery(paypal)
    WEBHOOKS.verify([paypal.signer.webhook_id], headers, body)
    WEBHOOKS.verify([paypal.signer.webhook_id], {k.lower(): v for k, v in headers.items()}, body)
    notice = WEBHOOKS.parse(headers, body)
    assert (notice.topic, notice.resource, notice.external_id, notice.action) == (
        "PAYMENT.CAPTURE.COMPLETED",
        "payments",
        txn_id,
        "created",
    )
    assert notice.light and notice.dedupe_key == json.loads(body)["id"] and notice.updated_at is not None


def test_a_refund_event_names_the_refund_transaction(paypal):
    headers, body, txn_id = delivery(paypal, "T1107")
    notice = WEBHOOKS.parse(headers, body)
    assert (notice.resource, notice.external_id, notice.action) == ("refunds", txn_id, "created")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"PAYPAL-TRANSMISSION-SIG": None}, "PAYPAL-TRANSMISSION-SIG"),
        ({"PAYPAL-CERT-URL": None, "PAYPAL-AUTH-ALGO": None}, "headers"),
        ({"PAYPAL-AUTH-ALGO": "HmacSHA256"}, "SHA256withRSA"),
        ({"PAYPAL-TRANSMISSION-SIG": "not base64!"}, "base64"),
        ({"PAYPAL-CERT-URL": "https://evil.example/v1/notifications/certs/CERT-1"}, "PayPal"),
        ({"PAYPAL-CERT-URL": "http://api.paypal.com/v1/notifications/certs/CERT-1"}, "PayPal"),
        ({"PAYPAL-CERT-URL": "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1"}, "PayPal"),
        ({"PAYPAL-CERT-URL": "https://api.paypal.com:8443/v1/notifications/certs/CERT-1"}, "PayPal"),
        ({"PAYPAL-CERT-URL": "https://me@api.paypal.com/v1/notifications/certs/CERT-1"}, "PayPal"),
        ({"PAYPAL-CERT-URL": "https://api.paypal.com/somewhere/else"}, "PayPal"),
    ],
)
def test_what_can_be_checked_offline_is(paypal, change, reason):
    headers, body, _ = delivery(paypal)
    changed = {k: v for k, v in {**headers, **change}.items() if v is not None}
    with pytest.raises(WebhookVerificationError, match=reason):
        WEBHOOKS.verify([paypal.signer.webhook_id], changed, body)


def test_without_a_webhook_id_nothing_is_accepted(paypal):
    headers, body, _ = delivery(paypal)
    with pytest.raises(WebhookVerificationError, match="webhookId"):
        WEBHOOKS.verify([], headers, body)
    assert WEBHOOKS.secrets({"webhookId": "5QAZ5UJERXSWGJCDN"}) == ["5QAZ5UJERXSWGJCDN"]
    assert WEBHOOKS.secrets({"webhookId": None}) == []


def test_paypals_live_and_sandbox_certificate_hosts_are_accepted():
    for host in ("api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"):
        assert cert_url_ok(f"https://{host}/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270")


@pytest.mark.parametrize(
    ("event_type", "resource", "action"),
    [
        ("PAYMENT.CAPTURE.DENIED", "payments", "updated"),
        ("PAYMENT.CAPTURE.PENDING", "payments", "updated"),
        ("PAYMENT.CAPTURE.REVERSED", "refunds", "created"),
        ("PAYMENT.SALE.COMPLETED", "payments", "created"),
        ("CUSTOMER.DISPUTE.CREATED", "disputes", "created"),
        ("CUSTOMER.DISPUTE.RESOLVED", "disputes", "updated"),
        ("CHECKOUT.ORDER.APPROVED", None, "other"),
    ],
)
def test_what_each_event_is_about(event_type, resource, action):
    body = json.dumps(
        {
            "id": "WH-1",
            "event_type": event_type,
            "create_time": "2024-01-01T00:00:00Z",
            "resource": {"id": "8MC585209K746392H", "dispute_id": "PP-D-27803", "update_time": "2024-01-01T00:00:01Z"},
        }
    ).encode()
    notice = WEBHOOKS.parse({}, body)
    assert (notice.resource, notice.action) == (resource, action)
    named = {"payments": "8MC585209K746392H", "refunds": "8MC585209K746392H", "disputes": "PP-D-27803"}
    assert notice.external_id == named.get(resource)


def test_a_dispute_event_as_paypal_sends_it_names_its_dispute(paypal):
    dispute = paypal.ledger.disputes[0]
    resource = {"dispute_id": dispute.id, "update_time": "2024-01-01T00:00:01Z"}
    headers, body = paypal.signer.delivery(paypal.signer.dispute_event(resource, resolved=False))
    WEBHOOKS.verify([paypal.signer.webhook_id], headers, body)
    notice = WEBHOOKS.parse(headers, body)
    assert (notice.topic, notice.resource, notice.external_id, notice.light) == (
        "CUSTOMER.DISPUTE.CREATED",
        "disputes",
        dispute.id,
        True,
    )
    with pytest.raises(ValueError, match="dispute_id"):
        WEBHOOKS.parse({}, json.dumps({"id": "WH-2", "event_type": "CUSTOMER.DISPUTE.UPDATED"}).encode())


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"id": "WH-1"}', b"not json"])
def test_an_unreadable_delivery_is_a_value_error(body):
    with pytest.raises(ValueError):
        WEBHOOKS.parse({}, body)


def test_the_provider_takes_deliveries_now_that_processing_asks_paypal():
    # The inbound endpoint accepts what passes the offline checks; processing asks PayPal's own
    # verdict (PayPalConnector.confirm_webhook) before acting: test_paypal_webhook_confirm.py.
    assert webhook_spec(PROVIDER) is WEBHOOKS
    assert PROVIDER.catalog_entry()["webhookSupport"] is True
