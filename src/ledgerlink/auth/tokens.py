"""Generating and hashing the bearer secrets we hand out (API keys, client secrets, access tokens)."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "llk_"
ACCESS_TOKEN_PREFIX = "llt_"
CLIENT_ID_PREFIX = "llc_"
CLIENT_SECRET_PREFIX = "lls_"


def generate(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex. The secrets are 256-bit random, so a fast hash cannot be brute-forced."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    return secret[:10]
