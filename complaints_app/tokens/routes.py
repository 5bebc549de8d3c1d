"""List, create and revoke an advocate's API tokens. A new token is shown once."""

from __future__ import annotations

from http import HTTPStatus

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints_app.authz import Permission, requires
from complaints_app.models import TokenScope
from complaints_app.public.forms import EmptyForm
from complaints_app.services import api_tokens
from complaints_app.timeutil import utcnow
from complaints_app.tokens import bp
from complaints_app.tokens.forms import SCOPE_WORDS, NewTokenForm


def _page(form: NewTokenForm, new_token: str | None = None, status: int = HTTPStatus.OK):
    user = current_user._get_current_object()
    return render_template(
        "tokens/index.html",
        form=form,
        revoke_form=EmptyForm(),
        tokens=api_tokens.tokens_of(user),
        new_token=new_token,
        now=utcnow(),
        scope_words={s: SCOPE_WORDS[s] for s in TokenScope},
    ), status


@bp.get("/")
@requires(Permission.API_TOKENS)
def index():
    """The advocate's tokens (name, scope, created, expires, last used) and a form for a
    new one."""
    return _page(NewTokenForm())


@bp.post("/")
@requires(Permission.API_TOKENS)
def create():
    """Create a token and show it this once; only a keyed hash of it is kept."""
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        _token, text = api_tokens.issue(
            current_user._get_current_object(),
            form.name.data,
            TokenScope(form.scope.data),
            int(form.days.data),
        )
    except api_tokens.TokenError as exc:
        form.name.errors = [str(exc)]
        return _page(form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    return _page(NewTokenForm(formdata=None), new_token=text, status=HTTPStatus.CREATED)


@bp.post("/<int:token_id>/revoke")
@requires(Permission.API_TOKENS)
def revoke(token_id: int):
    """Revoke one of the advocate's own tokens; it stops working from the next request."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(HTTPStatus.BAD_REQUEST)
    token = api_tokens.token_of(current_user._get_current_object(), token_id)
    if token is None:
        abort(HTTPStatus.NOT_FOUND)
    api_tokens.revoke(token)
    flash(_("The token “%(name)s” is revoked.", name=token.name))
    return redirect(url_for("tokens.index"), code=HTTPStatus.SEE_OTHER)
