"""Authenticated encryption of personal data and keyed hashes for matching without reading.

Every ciphertext names the key that sealed it and is bound to its table, column and row
(AES-GCM associated data), so a value copied onto another row or column does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

FORMAT = "v1"


class DecryptionError(Exception):
    """A sealed value could not be opened: wrong key, wrong row or tampered."""


def key_id(key: bytes) -> str:
    """A short public name for a key, stored beside each ciphertext."""
    return hashlib.sha256(b"key-id:" + key).hexdigest()[:8]


def decode_key(text: str) -> bytes:
    """A configured base64 key, checked to be 256 bits."""
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError as exc:
        raise RuntimeError("ENCRYPTION_KEYS holds a value that is not base64") from exc
    if len(key) != 32:
        raise RuntimeError("each ENCRYPTION_KEYS entry must decode to 32 bytes")
    return key


def new_key() -> str:
    """A fresh base64 AES-256 key for ENCRYPTION_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _keys() -> list[bytes]:
    keys = current_app.extensions.get("complaints_keys")
    if keys is None:
        keys = [decode_key(k) for k in current_app.config["ENCRYPTION_KEYS"]]
        if not keys:
            raise RuntimeError("ENCRYPTION_KEYS is empty")
        current_app.extensions["complaints_keys"] = keys
    return keys


def newest_key_id() -> str:
    """The name of the key new values are sealed with."""
    return key_id(_keys()[0])


def _aad(table: str, column: str, row_id: int | str) -> bytes:
    return f"{table}\x1f{column}\x1f{row_id}".encode()


def seal_bytes(data: bytes, table: str, column: str, row_id: int | str) -> bytes:
    """Encrypt ``data`` with the newest key, bound to one row's column. Returns raw bytes."""
    key = _keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, data, _aad(table, column, row_id))
    return FORMAT.encode() + b":" + key_id(key).encode() + b":" + nonce + sealed


def open_bytes(blob: bytes, table: str, column: str, row_id: int | str) -> bytes:
    """Decrypt what ``seal_bytes`` produced for the same row and column."""
    try:
        fmt, kid, rest = blob[:2], blob[3:11], blob[12:]
    except (TypeError, IndexError) as exc:
        raise DecryptionError("not a sealed value") from exc
    if fmt != FORMAT.encode():
        raise DecryptionError("unknown format")
    for key in _keys():
        if key_id(key).encode() == kid:
            try:
                return AESGCM(key).decrypt(rest[:12], rest[12:], _aad(table, column, row_id))
            except InvalidTag as exc:
                raise DecryptionError(f"{table}.{column} of row {row_id} failed to open") from exc
    raise DecryptionError(f"no configured key named {kid.decode(errors='replace')}")


def seal_text(text: str, table: str, column: str, row_id: int | str) -> str:
    """Encrypt a string; the result is ASCII, safe for a text column."""
    blob = seal_bytes(text.encode(), table, column, row_id)
    return blob[:12].decode() + base64.b64encode(blob[12:]).decode()


def open_text(value: str, table: str, column: str, row_id: int | str) -> str:
    """Decrypt what ``seal_text`` produced."""
    try:
        blob = value[:12].encode() + base64.b64decode(value[12:], validate=True)
    except ValueError as exc:
        raise DecryptionError("not a sealed value") from exc
    return open_bytes(blob, table, column, row_id).decode()


def sealed_key_id(value: str | bytes) -> str:
    """The name of the key that sealed a value (for rotation)."""
    head = value[3:11]
    return head.decode() if isinstance(head, bytes) else head


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the server's hash key, separated by purpose."""
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()


class Sealed:
    """A model attribute whose value is stored encrypted in ``<name>_ct``.

    Reading decrypts; writing encrypts. The ciphertext is bound to the row through
    ``row_attr``: a unique value known before the INSERT (a reference, a sequence number, a
    random storage key), so sealing needs no extra write.
    """

    def __init__(self, column: str, row_attr: str = "id"):
        self.column = column
        self.row_attr = row_attr

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = getattr(obj, self.column)
        if value is None:
            return None
        return open_text(value, obj.__tablename__, self.name, getattr(obj, self.row_attr))

    def __set__(self, obj, value: str | None) -> None:
        if value is None:
            setattr(obj, self.column, None)
            return
        row = getattr(obj, self.row_attr)
        if row is None:
            raise RuntimeError(f"set {type(obj).__name__}.{self.row_attr} before {self.name}")
        setattr(obj, self.column, seal_text(value, obj.__tablename__, self.name, row))
