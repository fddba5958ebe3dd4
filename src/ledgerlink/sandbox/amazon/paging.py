"""NextToken: opaque to clients, here a signed-looking base64 of where the next page starts and of the
filters it was made for. A token shown with other filters than its own is refused, as a token of
Amazon's is only good for the request that produced it (with the same arguments)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ledgerlink.sandbox.amazon.errors import invalid


def fingerprint(params: Iterable[tuple[str, str]], ignore: Iterable[str]) -> str:
    skip = {name.lower() for name in ignore}
    kept = sorted((k, v) for k, v in params if k.lower() not in skip)
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:16]


def encode(position: Any, print_: str) -> str:
    raw = json.dumps({"p": position, "f": print_}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, print_: str, param: str = "NextToken") -> Any:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position, made_for = data["p"], data["f"]
    except (ValueError, KeyError, TypeError):
        raise invalid(f"Invalid {param}.", f"The {param} is malformed or has expired.") from None
    if made_for != print_:
        raise invalid(f"Invalid {param}.", f"A {param} only works with the arguments of the request that made it.")
    return position


def decode_offset(token: str, print_: str, param: str = "NextToken") -> int:
    """A token that holds a position in a fixed listing."""
    position = decode(token, print_, param)
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise invalid(f"Invalid {param}.", f"The {param} is malformed or has expired.")
    return position
