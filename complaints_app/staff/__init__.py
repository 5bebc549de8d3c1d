"""The office's pages: queue, cases, workflow, intake by staff."""

from flask import Blueprint

from complaints_app.auth.routes import require_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_staff)

from complaints_app.staff import accounts, ledger, reports, routes  # noqa: E402,F401
