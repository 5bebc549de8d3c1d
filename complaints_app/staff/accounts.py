"""Account changes for the second person: the changes waiting for approval, each decided
after a confirmation, and the recent account events of the whole office."""

from __future__ import annotations

from http import HTTPStatus

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from complaints_app.authz import Permission, requires
from complaints_app.extensions import db
from complaints_app.models import AccountChange, AccountEvent, ChangeStatus
from complaints_app.services import account_changes, accounts
from complaints_app.services.accounts import AccountError
from complaints_app.staff import bp

RECENT_EVENTS = 50


class DecisionForm(FlaskForm):
    """Approve or refuse one change; ``confirm`` is set only by the confirmation page."""

    decision = HiddenField(
        validators=[InputRequired(), AnyOf(["approve", "refuse"], _l("Choose a decision."))]
    )
    confirm = HiddenField()


def _pending() -> list[AccountChange]:
    return list(
        db.session.execute(
            select(AccountChange)
            .where(AccountChange.status == ChangeStatus.PENDING)
            .options(
                selectinload(AccountChange.user),
                selectinload(AccountChange.requested_by),
            )
            .order_by(AccountChange.requested_at)
        ).scalars()
    )


def _events(user_id: int | None = None, limit: int = RECENT_EVENTS) -> list[AccountEvent]:
    query = select(AccountEvent).options(
        selectinload(AccountEvent.user), selectinload(AccountEvent.actor)
    )
    if user_id is not None:
        query = query.where(AccountEvent.user_id == user_id)
    return list(db.session.execute(query.order_by(AccountEvent.id.desc()).limit(limit)).scalars())


def _labels() -> dict:
    return {
        "event_labels": account_changes.EVENT_LABELS,
        "change_labels": account_changes.CHANGE_LABELS,
        "approver_role": accounts.approver_role().value,
    }


@bp.get("/account-changes")
@requires(Permission.APPROVE_ACCOUNT_CHANGES)
def account_changes_list():
    """Changes waiting for approval (oldest first) and the office's recent account events.
    Only the configured approving role gets the decision buttons."""
    me = current_user._get_current_object()
    pending = _pending()
    return render_template(
        "staff/account_changes.html",
        pending=pending,
        problems={c.id: account_changes.decision_problem(me, c) for c in pending},
        events=_events(),
        form=DecisionForm(formdata=None),
        **_labels(),
    )


@bp.post("/account-changes/<int:change_id>")
@requires(Permission.APPROVE_ACCOUNT_CHANGES)
def account_change_decide(change_id: int):
    """Decide one change. The first POST shows what would happen and the account's history
    and asks for confirmation; only the confirmed POST approves or refuses it."""
    change = db.session.get(AccountChange, change_id)
    if change is None:
        abort(HTTPStatus.NOT_FOUND)
    form = DecisionForm()
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    me = current_user._get_current_object()
    approve = form.decision.data == "approve"
    problem = account_changes.decision_problem(me, change)
    if problem is None and form.confirm.data == "yes":
        try:
            account_changes.decide(me, change, approve)
        except AccountError as exc:
            db.session.rollback()
            problem = str(exc)
        else:
            if approve:
                flash(_("Approved: the change to %(email)s applies now.", email=change.user.email))
            else:
                flash(
                    _("Refused: the change to %(email)s will not happen.", email=change.user.email)
                )
            return redirect(url_for("staff.account_changes_list"), code=HTTPStatus.SEE_OTHER)
    change = db.session.get(AccountChange, change_id)
    return render_template(
        "staff/account_change_confirm.html",
        change=change,
        approve=approve,
        problem=problem,
        events=_events(change.user_id, 20),
        form=DecisionForm(formdata=None, decision=form.decision.data, confirm="yes"),
        **_labels(),
    ), (HTTPStatus.UNPROCESSABLE_ENTITY if problem else HTTPStatus.OK)
