"""Authenticated encryption of personal data and keyed hashes for matching without reading.

Every ciphertext names the key that sealed it and is bound to its table, column and row
(AES-GCM associated data), so a value copied onto another row or column does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


def _seal_with(
    aead: AESGCM, kid: bytes, data: bytes, table: str, column: str, row_id: int | str
) -> bytes:
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, data, _aad(table, column, row_id))
    return FORMAT.encode() + b":" + kid + b":" + nonce + sealed


def seal_bytes(data: bytes, table: str, column: str, row_id: int | str) -> bytes:
    """Encrypt ``data`` with the newest key, bound to one row's column. Returns raw bytes."""
    key = _keys()[0]
    return _seal_with(AESGCM(key), key_id(key).encode(), data, table, column, row_id)


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


def _as_text(blob: bytes) -> str:
    return blob[:12].decode() + base64.b64encode(blob[12:]).decode()


def seal_text(text: str, table: str, column: str, row_id: int | str) -> str:
    """Encrypt a string; the result is ASCII, safe for a text column."""
    return _as_text(seal_bytes(text.encode(), table, column, row_id))


def text_sealer() -> Callable[[str, str, str, int | str], str]:
    """``seal_text`` with the newest key looked up once: for sealing many values in bulk."""
    key = _keys()[0]
    aead, kid = AESGCM(key), key_id(key).encode()

    def seal(text: str, table: str, column: str, row_id: int | str) -> str:
        return _as_text(_seal_with(aead, kid, text.encode(), table, column, row_id))

    return seal


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


# Keyed hashes (tracking codes, submission tokens, contact matching, recovery codes) are
# stored as "<key id>$<hex>": the id names the hash key that made the value, so HASH_KEYS can
# be rotated like ENCRYPTION_KEYS. The newest key makes new values; every key still listed
# matches old ones; a value whose key was removed matches nothing.
HASH_SEPARATOR = "$"


@dataclass(frozen=True)
class HashKey:
    """One configured hash key: its public id and its secret."""

    id: str
    secret: bytes


def hash_key_id(secret: str) -> str:
    """The short public name of a hash key (8 hex digits), stored in front of its hashes."""
    return hashlib.sha256(b"hash-key-id:" + secret.encode()).hexdigest()[:8]


def configured_hash_keys(config: Mapping[str, object]) -> list[str]:
    """The hash-key secrets a configuration lists, newest first: ``HASH_KEYS``, or else the
    single ``HASH_KEY``."""
    listed = [str(k).strip() for k in (config.get("HASH_KEYS") or []) if str(k).strip()]
    if listed:
        return listed
    single = str(config.get("HASH_KEY") or "").strip()
    return [single] if single else []


def hash_keys() -> list[HashKey]:
    """The configured hash keys, newest first. Raises if none is configured."""
    secrets_ = tuple(configured_hash_keys(current_app.config))
    cache = current_app.extensions.setdefault("complaints_hash_keys", {})
    keys = cache.get(secrets_)
    if keys is None:
        if not secrets_:
            raise RuntimeError("HASH_KEYS (or HASH_KEY) is empty")
        keys = cache[secrets_] = [HashKey(hash_key_id(s), s.encode()) for s in secrets_]
    return keys


def newest_hash_key_id() -> str:
    """The id of the key that makes new keyed hashes."""
    return hash_keys()[0].id


def _hash_key_named(version: str | None) -> HashKey:
    keys = hash_keys()
    if version is None:
        return keys[0]
    for key in keys:
        if key.id == version:
            return key
    raise UnknownHashKey(version)


class UnknownHashKey(LookupError):
    """A keyed hash, or a caller, names a hash key that is no longer configured."""


def hash_key(purpose: str, version: str | None = None) -> bytes:
    """A 32-byte key for ``purpose`` (e.g. "audit-chain") derived from the hash key with id
    ``version`` (the newest when None): SHA-256 of ``purpose:`` and the secret. Raises
    ``UnknownHashKey`` for an id that is not configured. Use it for MACs that must say which
    key made them: store ``newest_hash_key_id()`` beside the MAC and verify with that id."""
    key = _hash_key_named(version)
    return hashlib.sha256(purpose.encode() + b":" + key.secret).digest()


def keyed_digest(purpose: str, value: str, version: str | None = None) -> bytes:
    """The raw HMAC-SHA256 behind ``keyed_hash``, for values derived from it (the tracking
    code is derived from the form token) rather than stored."""
    return _digest(_hash_key_named(version).secret, purpose, value)


def _digest(secret: bytes, purpose: str, value: str) -> bytes:
    return hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest()


def keyed_hash(purpose: str, value: str, *, version: str | None = None) -> str:
    """HMAC-SHA256 of ``value`` under a hash key, separated by purpose, written
    ``<key id>$<hex>``. Made with the newest key unless ``version`` names another."""
    key = _hash_key_named(version)
    digest = keyed_digest(purpose, value, key.id)
    return f"{key.id}{HASH_SEPARATOR}{digest.hex()}"


def keyed_hasher(purpose: str) -> Callable[[str], str]:
    """``keyed_hash`` for one purpose with the newest key looked up once: for hashing many
    values in bulk."""
    key = _hash_key_named(None)
    prefix = f"{key.id}{HASH_SEPARATOR}"

    def hash_value(value: str) -> str:
        return prefix + _digest(key.secret, purpose, value).hex()

    return hash_value


def keyed_hash_version(stored: str | None) -> str | None:
    """The id of the key a stored keyed hash names, or None if it names none."""
    if not stored or HASH_SEPARATOR not in stored:
        return None
    return stored.split(HASH_SEPARATOR, 1)[0]


def keyed_hash_candidates(purpose: str, value: str) -> list[str]:
    """``value``'s keyed hash under every configured key, newest first: a stored hash of the
    same value equals one of them if its key is still configured. For look-ups
    (``column.in_(candidates)``)."""
    return [keyed_hash(purpose, value, version=key.id) for key in hash_keys()]


def keyed_hash_matches(purpose: str, value: str, stored: str | None) -> bool:
    """Whether ``stored`` is ``value``'s keyed hash under the key it names. Compared in
    constant time; False when that key is no longer configured."""
    version = keyed_hash_version(stored)
    if stored is None or version is None:
        return False
    try:
        candidate = keyed_hash(purpose, value, version=version)
    except UnknownHashKey:
        # Still spend a comparison, so a removed key is not told apart by timing.
        candidate = keyed_hash(purpose, value)
        hmac.compare_digest(candidate, stored)
        return False
    return hmac.compare_digest(candidate, stored)


def hash_key_configured(stored: str | None) -> bool:
    """Whether the key a stored keyed hash names is still configured."""
    version = keyed_hash_version(stored)
    return version is not None and any(key.id == version for key in hash_keys())


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
