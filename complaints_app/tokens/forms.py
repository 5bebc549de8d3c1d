"""Forms of the tokens page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from complaints_app.models import TokenScope
from complaints_app.services.api_tokens import NAME_MAX

SCOPE_WORDS = {
    TokenScope.READ: _l("Read: list cases and read their messages"),
    TokenScope.WRITE: _l("Read and write: also file complaints, send messages and add files"),
}


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l("What will use it, so that you recognise it later, e.g. “case sync”."),
        validators=[
            DataRequired(_l("Give the token a name.")),
            Length(max=NAME_MAX, message=_l("Please keep the name under 80 characters.")),
        ],
    )
    scope = RadioField(
        _l("What it may do"),
        choices=[(s.value, words) for s, words in SCOPE_WORDS.items()],
        default=TokenScope.READ.value,
        validators=[InputRequired(_l("Choose what the token may do."))],
    )
    days = RadioField(
        _l("Expires after"),
        choices=[
            ("30", _l("30 days")),
            ("90", _l("90 days")),
            ("365", _l("One year")),
        ],
        default="90",
        validators=[InputRequired(_l("Choose when the token expires."))],
    )
