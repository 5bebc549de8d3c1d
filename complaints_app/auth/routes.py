"""Sign-in and sign-out, throttled per account and per client, with session time limits."""

from __future__ import annotations

import time
from http import HTTPStatus

from flask import (
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from complaints_app.auth import bp
from complaints_app.auth.forms import LoginForm
from complaints_app.authz import STAFF_ROLES
from complaints_app.extensions import db, limiter
from complaints_app.models import Role, User
from complaints_app.public.forms import EmptyForm
from complaints_app.ratelimit import account_key
from complaints_app.security import no_store
from complaints_app.services import passwords
from complaints_app.timeutil import utcnow


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


def home_for(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role == Role.ADVOCATE:
        return url_for("public.index")
    if user.role == Role.ADMIN:
        return url_for("admin.index")
    return url_for("staff.index")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"],
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=account_key,
    deduct_when=_login_failed,
)
def login():
    """Sign in with email and password. One message for every failure, so it does not tell
    whether an account exists; a fresh session on success."""
    no_store()
    form = LoginForm()
    if not form.validate_on_submit():
        status = HTTPStatus.UNPROCESSABLE_ENTITY if request.method == "POST" else HTTPStatus.OK
        return render_template("auth/login.html", form=form), status
    email = form.email.data.strip().lower()
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if not passwords.verify(user.password_hash if user else None, form.password.data) or (
        user is None or not user.active
    ):
        g.login_failed = True
        form.password.data = ""
        return render_template("auth/login.html", form=form, failed=True), (
            HTTPStatus.UNPROCESSABLE_ENTITY
        )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(form.password.data)
    user.last_login_at = utcnow()
    db.session.commit()
    target = _safe_next(request.args.get("next"))
    session.clear()  # a new session: nothing from before sign-in carries over
    login_user(user)
    now = time.time()
    session["auth_at"] = now
    session["seen_at"] = now
    return redirect(target or home_for(user), code=HTTPStatus.SEE_OTHER)


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so no other site can sign you out)."""
    EmptyForm().validate_on_submit()
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"), code=HTTPStatus.SEE_OTHER)


def enforce_session_limits() -> None:
    """End a signed-in session after the idle or the absolute time limit."""
    if not current_user.is_authenticated:
        return
    cfg = current_app.config
    now = time.time()
    started = session.get("auth_at", 0)
    seen = session.get("seen_at", 0)
    if now - started > cfg["SESSION_MAX_HOURS"] * 3600 or (
        now - seen > cfg["SESSION_IDLE_MINUTES"] * 60
    ):
        logout_user()
        session.clear()
        flash(_("For your security you were signed out. Please sign in again."))
        return
    session["seen_at"] = now


def require_staff() -> None:
    """Shared by the staff and admin blueprints: only signed-in staff get past."""
    from flask import abort

    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in STAFF_ROLES:
        abort(HTTPStatus.FORBIDDEN)
    no_store()
    return None


def init_app(app: Flask) -> None:
    """Check the session limits before every request."""
    app.before_request(enforce_session_limits)
