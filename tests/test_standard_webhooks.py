"""Our Standard Webhooks signer against the vendor's vector and the `standardwebhooks` package."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ledgerlink.webhooks import standard
from tests.conftest import SPECS_DIR


def _vector() -> dict:
    vectors = json.loads((SPECS_DIR / "webhook-signature-vectors.json").read_text())["vectors"]
    return next(v for v in vectors if v["vendor"].startswith("standard-webhooks"))


def test_vendor_vector_signs_and_verifies() -> None:
    v = _vector()
    headers = standard.sign([v["secret"]], v["msg_id"], v["timestamp"], v["body"].encode())
    assert headers["webhook-signature"] == v["expected"]
    assert standard.verify([v["secret"]], headers, v["body"].encode(), now=v["timestamp"] + 299) == v["msg_id"]


def test_stale_tampered_and_wrong_secret_are_refused() -> None:
    v = _vector()
    body = v["body"].encode()
    headers = standard.sign([v["secret"]], v["msg_id"], v["timestamp"], body)
    with pytest.raises(standard.SignatureError, match="more than 300 s"):
        standard.verify([v["secret"]], headers, body, now=v["timestamp"] + 301)
    with pytest.raises(standard.SignatureError, match="no webhook-signature matches"):
        standard.verify([v["secret"]], headers, body + b" ", now=v["timestamp"])
    with pytest.raises(standard.SignatureError, match="no webhook-signature matches"):
        standard.verify([standard.new_secret()], headers, body, now=v["timestamp"])
    with pytest.raises(standard.SignatureError, match="required"):
        standard.verify([v["secret"]], {}, body)


@given(body=st.text(max_size=512).map(str.encode), msg_id=st.from_regex(r"msg_[A-Za-z0-9]{1,24}", fullmatch=True))
def test_rotation_headers_verify_with_the_package_under_either_secret(body: bytes, msg_id: str) -> None:
    old, new = standard.new_secret(), standard.new_secret()
    now = int(time.time())
    headers = standard.sign([new, old], msg_id, now, body)
    for secret in (new, old):
        Webhook(secret).verify(body, headers, json_parse=False)  # raises when no signature matches
    with pytest.raises(WebhookVerificationError):
        Webhook(standard.new_secret()).verify(body, headers, json_parse=False)


def test_non_ascii_signature_header_is_refused_not_crashed() -> None:
    v = _vector()
    headers = {"webhook-id": v["msg_id"], "webhook-timestamp": str(v["timestamp"]), "webhook-signature": "v1,ünï"}
    with pytest.raises(standard.SignatureError):
        standard.verify([v["secret"]], headers, v["body"].encode(), now=v["timestamp"])
