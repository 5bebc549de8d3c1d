"""Secrets for development: generated once, kept under ``instance/``, never committed."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from complaints_app.crypto import new_key
from complaints_app.private_files import make_private_dir


def load_or_create(instance_path: str) -> dict[str, object]:
    """Read ``instance/secrets.json``, creating it with fresh random values the first time."""
    path = Path(instance_path) / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    make_private_dir(path.parent)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": [new_key()],
    }
    # Created readable by the owner only: these keys open every complaint.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle, indent=2)
    return values


def for_tests() -> dict[str, object]:
    """Fresh secrets for one test run; nothing touches the disk."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": [new_key()],
    }
