"""Sign-in and sign-out, throttled per account and per client, with session time limits
kept on the server (a session grant per sign-in), so signing out ends the session everywhere."""

from __future__ import annotations

import time
from http import HTTPStatus

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from complaints_app import sessions
from complaints_app.auth import bp, load_user
from complaints_app.auth.forms import (
    ChangePasswordForm,
    CurrentPasswordForm,
    EnrollForm,
    LoginForm,
    SecondFactorForm,
    SetPasswordForm,
)
from complaints_app.authz import STAFF_ROLES
from complaints_app.crypto import keyed_hash
from complaints_app.extensions import db
from complaints_app.i18n import clear_session
from complaints_app.models import GrantKind, Role, User
from complaints_app.public.forms import EmptyForm
from complaints_app.ratelimit import account_key
from complaints_app.security import no_store, safe_next
from complaints_app.services import account_changes, accounts, passwords, two_factor
from complaints_app.services.account_changes import LinkProblem
from complaints_app.services.accounts import AccountError
from complaints_app.throttle import failed_attempts, record_failure
from complaints_app.timeutil import utcnow


def home_for(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role == Role.ADVOCATE:
        return url_for("org.index")
    if user.role == Role.ADMIN:
        return url_for("admin.index")
    if user.role == Role.RECORDS:
        return url_for("staff.federal_requests")
    return url_for("staff.index")


@bp.route("/login", methods=["GET", "POST"])
@failed_attempts("LOGIN_LIMIT_PER_CLIENT", "LOGIN_LIMIT_PER_ACCOUNT", account_key)
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
        record_failure()
        form.password.data = ""
        return render_template("auth/login.html", form=form, failed=True), (
            HTTPStatus.UNPROCESSABLE_ENTITY
        )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(form.password.data)
    target = safe_next(request.args.get("next"))
    sessions.end_all()
    clear_session()  # a new session: nothing from before sign-in carries over but the language
    if user.totp_secret_ct:
        session[PENDING_KEY] = {"id": user.get_id(), "at": time.time(), "next": target}
        return redirect(url_for("auth.second_factor"), code=HTTPStatus.SEE_OTHER)
    return _complete_login(user, target)


def _complete_login(user: User, target: str | None):
    user.last_login_at = utcnow()
    session.pop(PENDING_KEY, None)
    login_user(user)
    sessions.start(GrantKind.STAFF, user=user)
    session["auth_at"] = time.time()  # how fresh the password is, for second-factor changes
    if two_factor.required_for(user) and not user.totp_secret_ct:
        return redirect(url_for("auth.enroll_two_factor"), code=HTTPStatus.SEE_OTHER)
    return redirect(safe_next(target) or home_for(user), code=HTTPStatus.SEE_OTHER)


PENDING_KEY = "pending_second_factor"
PENDING_SECONDS = 5 * 60


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = load_user(pending.get("id", ""))
    return user if user is not None and user.totp_secret_ct else None


def _pending_key() -> str:
    pending = session.get(PENDING_KEY) or {}
    return "2fa:" + str(pending.get("id", "none")).split(":", 1)[0]


@bp.route("/login/two-factor", methods=["GET", "POST"])
@failed_attempts("LOGIN_LIMIT_PER_CLIENT", "LOGIN_LIMIT_PER_ACCOUNT", _pending_key)
def second_factor():
    """The second step of sign-in: a code from the authenticator app, or a recovery code."""
    no_store()
    user = _pending_user()
    if user is None:
        flash(_("Please sign in again."))
        return redirect(url_for("auth.login"), code=HTTPStatus.SEE_OTHER)
    form = SecondFactorForm()
    if not form.validate_on_submit():
        status = HTTPStatus.UNPROCESSABLE_ENTITY if request.method == "POST" else HTTPStatus.OK
        return render_template("auth/two_factor.html", form=form), status
    if not two_factor.check_current_factor(user, form.code.data):
        db.session.rollback()
        record_failure()
        form.code.data = ""
        return render_template("auth/two_factor.html", form=form, failed=True), (
            HTTPStatus.UNPROCESSABLE_ENTITY
        )
    target = (session.get(PENDING_KEY) or {}).get("next")
    return _complete_login(user, target)


def _account_key() -> str:
    """Failed password or code checks of a signed-in account count against that account."""
    user_id = current_user.get_id() if current_user.is_authenticated else "none"
    return "acct:" + keyed_hash("rate-limit-account", str(user_id).split(":", 1)[0])[:32]


def _keep_signed_in(user: User) -> None:
    """After a change that ended every session of ``user`` (a bumped epoch, committed),
    carry this session over to the new epoch: only the other sessions end."""
    login_user(user)


# A sign-in this recent counts as having just typed the password.
FRESH_SIGN_IN_SECONDS = 5 * 60


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@failed_attempts("LOGIN_LIMIT_PER_CLIENT", "LOGIN_LIMIT_PER_ACCOUNT", _account_key)
def enroll_two_factor():
    """Set up the authenticator app: a QR code drawn here and the secret to type in, then a
    first code to confirm. Replacing an app that is already set up also needs the password
    and a code of the current app (or a recovery code); so does a first set-up from a
    session that did not just sign in. Every other session of the account ends; recovery
    codes are shown once."""
    no_store()
    user = current_user._get_current_object()
    replacing = user.totp_secret_ct is not None
    asks_password = replacing or time.time() - session.get("auth_at", 0) > FRESH_SIGN_IN_SECONDS
    form = EnrollForm()
    sealed = session.get("enrolling_totp")
    if request.method == "GET" or not sealed:
        secret = two_factor.new_secret()
        session["enrolling_totp"] = two_factor.seal_pending(user, secret)
    else:
        secret = two_factor.open_pending(user, sealed)
    if request.method == "POST" and form.validate_on_submit():
        # Checks without side effects first, so a typo does not spend the current code.
        if asks_password and not passwords.verify(
            user.password_hash, form.current_password.data or ""
        ):
            record_failure()
            form.current_password.errors = [_("Your password is not right.")]
        elif not two_factor.code_matches(secret, form.code.data):
            form.code.errors = [
                _("That code is not right. Check the time on your phone and try the newest code.")
            ]
        elif replacing and not two_factor.check_current_factor(user, form.current_code.data):
            db.session.rollback()
            record_failure()
            form.current_code.errors = [
                _("That is not a current code of your app or an unused recovery code.")
            ]
        else:
            codes = two_factor.enroll(user, secret, form.code.data)
            if codes is not None:
                _keep_signed_in(user)
                session.pop("enrolling_totp", None)
                return render_template("auth/recovery_codes.html", codes=codes)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if request.method == "POST" else HTTPStatus.OK
    return render_template(
        "auth/enroll.html",
        form=form,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        required=two_factor.required_for(user),
        replacing=replacing,
        asks_password=asks_password,
    ), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@failed_attempts("LOGIN_LIMIT_PER_CLIENT", "LOGIN_LIMIT_PER_ACCOUNT", _account_key)
def change_password():
    """Change one's own password: the current one is required and the new one must pass
    the rules (the advice says how to choose better). Other sessions end; this one stays."""
    no_store()
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(user, form.current_password.data, form.new_password.data)
        except AccountError as exc:
            db.session.rollback()
            if exc.field == "current_password":
                record_failure()
            field = form.current_password if exc.field == "current_password" else form.new_password
            field.errors = [*field.errors, str(exc)]
        else:
            _keep_signed_in(user)
            flash(_("Your password is changed. You were signed out everywhere else."))
            return redirect(url_for("auth.change_password"), code=HTTPStatus.SEE_OTHER)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.is_submitted() else HTTPStatus.OK
    return render_template("auth/password.html", form=form, user=user), status


LINK_KEY = "account_link"


def _link_key() -> str:
    return "link:" + keyed_hash("rate-limit-link", session.get(LINK_KEY, ""))[:32]


@bp.get("/account/link/<token>")
def account_link_open(token: str):
    """Open a one-time link: the token moves into a fresh session and the address loses it,
    so it stays out of the browser's history and of any later request."""
    no_store()
    logout_user()
    clear_session()
    session[LINK_KEY] = token[:100]
    return redirect(url_for("auth.account_link"), code=HTTPStatus.SEE_OTHER)


_LINK_STATUS = {
    LinkProblem.UNKNOWN: HTTPStatus.NOT_FOUND,
    LinkProblem.USED: HTTPStatus.GONE,
    LinkProblem.EXPIRED: HTTPStatus.GONE,
    LinkProblem.AWAITING_APPROVAL: HTTPStatus.CONFLICT,
}


@bp.route("/account/link", methods=["GET", "POST"])
@failed_attempts("LOGIN_LIMIT_PER_CLIENT", "LOGIN_LIMIT_PER_ACCOUNT", _link_key)
def account_link():
    """Use a one-time link: choose a password (a new account, a reset), or prove the
    password before setting up two-step sign in again. A link that is unknown, used,
    expired or still awaiting approval says so and changes nothing."""
    no_store()
    link, problem = account_changes.find_link(session.get(LINK_KEY, ""))
    if problem is not None:
        return render_template("auth/link_problem.html", problem=problem.value), _LINK_STATUS[
            problem
        ]
    form = SetPasswordForm() if link.sets_password else CurrentPasswordForm()
    if form.validate_on_submit():
        try:
            account_changes.complete_link(
                link,
                new_password=form.data.get("new_password"),
                current_password=form.data.get("current_password"),
            )
        except AccountError as exc:
            db.session.rollback()
            if exc.field == "current_password":
                record_failure()
            field = form[exc.field] if exc.field in form else next(iter(form))
            field.errors = [*field.errors, str(exc)]
        else:
            session.pop(LINK_KEY, None)
            if link.resets_two_factor:
                flash(_("Done. Sign in now; you will set up two-step sign in again."))
            else:
                flash(_("Your password is set. Sign in with it now."))
            return redirect(url_for("auth.login"), code=HTTPStatus.SEE_OTHER)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.is_submitted() else HTTPStatus.OK
    return render_template("auth/link.html", form=form, link=link, user=link.user), status


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so no other site can sign you out). The session's
    grant is revoked on the server: a copy of the cookie opens nothing afterwards."""
    form = EmptyForm()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"), code=HTTPStatus.SEE_OTHER)
    if not form.validate_on_submit():
        # Without a valid token nothing changes; the page offers the button again.
        no_store()
        return render_template("auth/logout.html", form=form), HTTPStatus.BAD_REQUEST
    sessions.end_all()
    logout_user()
    clear_session()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"), code=HTTPStatus.SEE_OTHER)


def _signed_in_user_id() -> str | None:
    # Flask-Login keeps the signed-in identity ("id:epoch") under this session key.
    value = session.get("_user_id")
    return str(value).split(":", 1)[0] if value else None


def enforce_session_limits() -> None:
    """A signed-in browser stays signed in only while its grant on the server is live: not
    revoked (signed out, perhaps from another copy of the cookie), not idle longer than
    SESSION_IDLE_MINUTES, not older than SESSION_MAX_HOURS. Otherwise it is signed out."""
    key = sessions.KEYS[GrantKind.STAFF]
    user_id = _signed_in_user_id()
    if user_id is None and key not in session:
        return
    grant = sessions.current(GrantKind.STAFF)
    if grant is not None and user_id is not None and str(grant.user_id) == user_id:
        return  # the request's commit keeps the grant's last-seen time
    sessions.end_all()
    logout_user()
    clear_session()
    flash(_("For your security you were signed out. Please sign in again."))


def require_staff():
    """Shared by the staff and admin blueprints: only signed-in staff get past, and those
    whose role needs a second factor only once they have one."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in STAFF_ROLES:
        abort(HTTPStatus.FORBIDDEN)
    if two_factor.required_for(current_user) and not current_user.totp_secret_ct:
        return redirect(url_for("auth.enroll_two_factor"), code=HTTPStatus.SEE_OTHER)
    no_store()
    return None


def require_advocate():
    """The organisation pages: only signed-in advocates get past (staff get 403, as
    advocates do on the staff pages)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role != Role.ADVOCATE:
        abort(HTTPStatus.FORBIDDEN)
    if two_factor.required_for(current_user) and not current_user.totp_secret_ct:
        return redirect(url_for("auth.enroll_two_factor"), code=HTTPStatus.SEE_OTHER)
    no_store()
    return None


def init_app(app: Flask) -> None:
    """Check the session limits before every request, ahead of every other check (the CSRF
    check included), so that whatever runs next knows whether the session is still live."""
    app.before_request_funcs.setdefault(None, []).insert(0, enforce_session_limits)


@bp.get("/account/two-factor/qr.svg")
@login_required
def enrolment_qr():
    """The QR code of the secret being enrolled, drawn by the app (never by an outside
    service) and never cached."""
    sealed = session.get("enrolling_totp")
    if not sealed:
        abort(HTTPStatus.NOT_FOUND)
    user = current_user._get_current_object()
    secret = two_factor.open_pending(user, sealed)
    svg = two_factor.qr_svg(two_factor.provisioning_uri(user, secret))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
