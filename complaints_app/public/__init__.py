"""Pages for residents and the public: no account needed."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from complaints_app.public import guided, reports, routes, stats  # noqa: E402,F401
