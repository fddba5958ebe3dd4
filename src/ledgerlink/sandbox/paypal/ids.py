"""PayPal-looking identifiers and app credentials, the same for every run with the same seed.

Transaction ids are 17 upper-case letters and digits (`4J3265475X6749251`), dispute ids `PP-D-` and
digits, payer ids 13 characters
of PayPal's payer alphabet (no 0, 1, I or O), app ids `APP-` and 17 more; client ids and secrets are
80 characters of URL-safe text, access tokens `A21AA…`. Drawn from a hash of the seed and the
object's place in the dataset, so tests may keep an id.
"""

from __future__ import annotations

import hashlib

UPPER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PAYER = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
URL_SAFE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"


def _draw(alphabet: str, length: int, *parts: object) -> str:
    digest = b""
    counter = 0
    while len(digest) * 8 < length * 7:  # enough bits for any alphabet here
        digest += hashlib.sha256(":".join(map(str, ("paypal", counter, *parts))).encode()).digest()
        counter += 1
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)


def transaction_id(seed: int, *parts: object) -> str:
    return _draw(UPPER, 17, seed, "txn", *parts)


def dispute_id(seed: int, *parts: object) -> str:
    return "PP-D-" + _draw("0123456789", 8, seed, "dispute", *parts)


def payer_id(seed: int, email: str) -> str:
    return _draw(PAYER, 13, seed, "payer", email)


def account_number(seed: int) -> str:
    return _draw(PAYER, 13, seed, "merchant")


def client_id(seed: int) -> str:
    return "A" + _draw(URL_SAFE, 79, seed, "client-id")


def client_secret(seed: int, generation: int = 0) -> str:
    return "E" + _draw(URL_SAFE, 79, seed, "client-secret", generation)


def app_id(seed: int) -> str:
    return "APP-" + _draw(UPPER, 17, seed, "app")


def webhook_id(seed: int) -> str:
    return _draw(UPPER, 17, seed, "webhook")


def access_token(seed: int, serial: int) -> str:
    return "A21AA" + _draw(URL_SAFE, 92, seed, "access-token", serial)


def debug_id(seed: int, serial: int) -> str:
    return _draw("0123456789abcdef", 13, seed, "debug", serial)


def event_id(seed: int, *parts: object) -> str:
    return "WH-" + _draw(UPPER, 17, seed, "event", *parts) + "-" + _draw(UPPER, 17, seed, "event-tail", *parts)
