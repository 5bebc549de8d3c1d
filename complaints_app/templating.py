"""Values and filters every template can use."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Flask, current_app, g
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from complaints_app.authz import Permission, can, current_actor, has_permission
from complaints_app.i18n import offered_languages

# The names a clause may carry: the catalogue's braces and the ordinance template's own
# spelling, so text pasted from the ordinance fills in too. Nothing else in clause text is
# special: it is never given to str.format, %-formatting or Jinja.
PLACEHOLDERS: dict[str, str] = {
    "{city}": "city",
    "{office}": "office",
    "{reporting_start}": "reporting_start",
    "[city]": "city",
    "[City]": "city",
    "[CITY]": "city",
    "Office of --": "office",
    "[date]": "reporting_start",
}
_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


def fill_placeholders(text: str, names: dict[str, str]) -> str:
    """``text`` with each known placeholder replaced by its name, in one pass (a name that
    itself looks like a placeholder is not expanded again). Any other brace, percent sign or
    template syntax is kept as written."""
    return _PLACEHOLDER_RE.sub(lambda m: names[PLACEHOLDERS[m.group(0)]], text)


def policy_text(text: str | None) -> str:
    """Fill the ordinance's template placeholders with the configured names. The result is
    plain text: templates escape it like any other value."""
    if not text:
        return ""
    # Keyed by language: a message composed in the complainant's language (force_locale)
    # inside a page in another language gets its dates written in its own language.
    cache = g.setdefault("policy_names", {})
    lang = str(get_locale() or "en")
    names = cache.get(lang)
    if names is None:
        cfg = current_app.config
        names = cache[lang] = {
            "city": cfg["CITY_NAME"],
            "office": cfg["OFFICE_NAME"],
            "reporting_start": format_date(cfg["REPORTING_START"], "long"),
        }
    return fill_placeholders(text, names)


def number(value) -> str:
    """A count or amount written for the reader's language (``1,234.50`` in English,
    ``1.234,50`` in Portuguese), keeping the decimals it was given. Anything that is not a
    number (a word such as "hidden") is shown as it is."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    places = (
        max(0, -amount.as_tuple().exponent) if isinstance(amount.as_tuple().exponent, int) else 0
    )
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(amount, format=pattern)


def paragraphs(text: str | None) -> Markup:
    """Plain text shown as paragraphs, escaped; blank lines separate paragraphs."""
    if not text:
        return Markup("")
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("\n").join(
        Markup("<p>") + Markup("<br>").join(escape(line) for line in p.split("\n")) + Markup("</p>")
        for p in parts
    )


def init_app(app: Flask) -> None:
    """Register the context processor and filters."""

    @app.context_processor
    def _site() -> dict:
        cfg = current_app.config
        return {
            "city_name": cfg["CITY_NAME"],
            "office_name": cfg["OFFICE_NAME"],
            "policy_title": cfg["POLICY_TITLE"],
            "current_locale": str(get_locale() or "en"),
            "languages": offered_languages(),
            "may_open": lambda permission: has_permission(current_user, permission),
            # What the page offers on a case is what authz allows the person now.
            "allowed": lambda case, action: can(current_actor(), case, action),
            "Permission": Permission,
        }

    from complaints_app import labels

    app.jinja_env.filters["label"] = labels.label
    app.jinja_env.filters["detail_value"] = labels.detail_value
    app.jinja_env.globals["allegation_changes"] = labels.allegation_changes
    from complaints_app.services import clause_texts

    # Every template shows clause words through the catalogue's one decision.
    app.jinja_env.globals["clause_text"] = clause_texts.clause_text
    app.jinja_env.globals["question_text"] = clause_texts.question_text
    app.jinja_env.filters["policy"] = policy_text
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["date"] = lambda d, fmt="long": format_date(d, fmt) if d else ""
    app.jinja_env.filters["datetime"] = lambda d, fmt="medium": format_datetime(d, fmt) if d else ""
