"""Encryption at rest for integration credentials (Fernet keys, rotated with MultiFernet)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"


class SecretsConfigError(RuntimeError):
    """No usable encryption key: the process must not start."""


class SecretBox:
    """Encrypts JSON documents with the first key; decrypts with any configured key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretsConfigError("no encryption keys configured (LEDGERLINK_SECRET_KEYS)")
        try:
            self._fernets = [Fernet(k.encode()) for k in keys]
        except (ValueError, TypeError) as exc:
            raise SecretsConfigError(f"LEDGERLINK_SECRET_KEYS holds a key that is not a Fernet key: {exc}") from exc
        self._multi = MultiFernet(self._fernets)

    def encrypt_json(self, value: dict[str, Any]) -> str:
        return self._multi.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def decrypt_json(self, token: str) -> dict[str, Any]:
        try:
            return json.loads(self._multi.decrypt(token.encode()))
        except InvalidToken as exc:
            raise SecretsConfigError("a stored credential cannot be decrypted with any configured key") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first key (the ciphertext changes even if it already was)."""
        return self._multi.rotate(token.encode()).decode()

    def is_current(self, token: str) -> bool:
        try:
            self._fernets[0].decrypt(token.encode())
        except InvalidToken:
            return False
        return True


def load_or_create_key_file(data_dir: Path) -> str:
    """The embedded mode's key: generated once into the data dir, readable by the owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return path.read_text().strip()
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.warning(
        "generated a new credential encryption key; back it up with the data",
        extra={"path": str(path)},
    )
    return key
