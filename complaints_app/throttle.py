"""Limits on guessing: only failed attempts count, per client and per thing guessed at."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g

from complaints_app.extensions import limiter


def record_failure() -> None:
    """Count this request against its limits (a wrong code, a wrong password)."""
    g.attempt_failed = True


def _failed(_response) -> bool:
    return bool(g.get("attempt_failed"))


def failed_attempts(
    per_client: str, per_key: str | None = None, key_func: Callable[[], str] | None = None
) -> Callable:
    """Limit failed POSTs to a view per client and, if given, per ``key_func`` (the account
    or case named). The limits are setting names, read when the request arrives."""

    def decorator(view: Callable) -> Callable:
        if per_key is not None:
            view = limiter.limit(
                lambda: current_app.config[per_key],
                methods=["POST"],
                key_func=key_func,
                deduct_when=_failed,
            )(view)
        return limiter.limit(
            lambda: current_app.config[per_client], methods=["POST"], deduct_when=_failed
        )(view)

    return decorator
