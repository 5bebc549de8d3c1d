"""Rate-limit keys that never store a client address or a case reference in plain."""

from __future__ import annotations

import hashlib
import hmac

from flask import request

from complaints_app.crypto import hash_key


def _keyed(value: str) -> str:
    # Counters live minutes to hours: the newest hash key is enough, and a rotation simply
    # starts them afresh.
    return hmac.new(hash_key("rate-limit"), value.encode(), hashlib.sha256).hexdigest()[:32]


def client_key() -> str:
    """The client's address, hashed: limits apply per client without keeping the address."""
    return "c:" + _keyed(request.remote_addr or "unknown")


def account_key() -> str:
    """The account a sign-in attempt names, hashed: limits guesses per account."""
    email = (request.form.get("email") or "").strip().lower()
    return "a:" + _keyed(email)
