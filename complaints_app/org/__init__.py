"""The legal aid organisations' pages: file for a client, follow every case the organisation
filed, export them, and (for the lead advocate) manage the organisation's advocates."""

from flask import Blueprint

from complaints_app.auth.routes import require_advocate

bp = Blueprint("org", __name__, url_prefix="/org")
bp.before_request(require_advocate)

from complaints_app.org import routes  # noqa: E402,F401
