"""Administration: accounts, roles, organisations, the clause catalogue, settings."""

from flask import Blueprint

from complaints_app.auth.routes import require_staff

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_staff)

from complaints_app.admin import routes  # noqa: E402,F401
