"""An advocate's personal access tokens for the API (``/org/tokens``)."""

from flask import Blueprint, current_app
from flask_login import current_user

from complaints_app.security import no_store

bp = Blueprint("tokens", __name__, url_prefix="/org/tokens")


@bp.before_request
def _signed_in():
    """Signed-in accounts only (the permission itself is each view's ``@requires``); the
    pages show token names and, once, a token: never cached."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    no_store()
    return None


from complaints_app.tokens import routes  # noqa: E402,F401
