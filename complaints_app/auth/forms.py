"""Sign-in forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


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
