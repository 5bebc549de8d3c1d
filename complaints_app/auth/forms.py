"""Sign-in forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=128)]
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6-digit code from your authenticator app, or a recovery code."),
        validators=[InputRequired(_l("Enter the code.")), Length(max=20)],
    )


_NEW_HINT = _l(
    "At least 15 characters. A few unrelated words work well, e.g. four words nobody would "
    "put together."
)


class SetPasswordForm(FlaskForm):
    """Choose a password through a one-time link."""

    new_password = PasswordField(
        _l("New password"),
        description=_NEW_HINT,
        validators=[InputRequired(_l("Enter a new password.")), Length(max=128)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Enter the new password again.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
    )


class CurrentPasswordForm(FlaskForm):
    """Prove the password before setting up two-step sign in again through a link."""

    current_password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=128)],
    )


class ChangePasswordForm(SetPasswordForm):
    """A signed-in person changes their own password."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password.")), Length(max=128)],
    )


class EnrollForm(FlaskForm):
    """Set up (or replace) the authenticator app. Replacing also needs the password and a
    code of the current app or a recovery code; which fields are asked is the view's call."""

    current_password = PasswordField(_l("Your password"), validators=[Length(max=128)])
    current_code = StringField(
        _l("Code from your current app, or a recovery code"),
        validators=[Length(max=20)],
    )
    code = StringField(
        _l("Code from the app you are setting up"),
        description=_l("The 6-digit code the app shows after you scan the QR code."),
        validators=[InputRequired(_l("Enter the code.")), Length(max=20)],
    )
