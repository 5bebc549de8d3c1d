"""Staff and advocate sign-in."""

from __future__ import annotations

from flask import Blueprint

from complaints_app.extensions import db, login_manager
from complaints_app.models import User

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user, if the session's epoch still matches (a password change or
    deactivation bumps the epoch and so ends every older session)."""
    try:
        user_id, epoch = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user


from complaints_app.auth import routes  # noqa: E402,F401
