"""Admin pages."""

from __future__ import annotations

from flask import render_template

from complaints_app.admin import bp
from complaints_app.authz import Permission, requires


@bp.get("/")
@requires(Permission.MANAGE_USERS)
def index():
    """The admin home page."""
    return render_template("admin/index.html")
