"""Where the sandbox stores agree to send webhooks: the same rule for every platform.

The real platforms want HTTPS (BigCommerce also port 443). A sandbox runs beside a hub on the same
machine, so plain http, on any port, is allowed to this machine only; anything else must be https.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # plain http is allowed only to these


def is_local(url: str) -> bool:
    return urlsplit(url).hostname in LOCAL_HOSTS


def destination_problem(url: str, *, https_port_443: bool = False) -> str | None:
    """Why the sandbox refuses `url` as a webhook destination, or None when it is acceptable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    if not parts.hostname:
        return "not a valid URL"
    if parts.hostname in LOCAL_HOSTS and parts.scheme in {"http", "https"}:
        return None
    if parts.scheme != "https":
        return f"{parts.scheme or 'a scheme-less'}:// is not supported: use https (plain http only to this machine)"
    if https_port_443 and port not in {None, 443}:
        return "custom ports are not supported: the destination must be served on port 443"
    return None
