"""Which language and time zone a request is served in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, request, session
from flask_babel import force_locale

# Pages only office staff use; every other page (public, advocate, sign-in) is offered in
# every language of LANGUAGES.
STAFF_BLUEPRINTS = frozenset({"staff", "admin"})


def offered_languages() -> dict[str, str]:
    """The languages this request's page comes in, by code, each named in itself."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context() and request.blueprint in STAFF_BLUEPRINTS:
        # The office's own pages come in fewer languages; one not offered there is shown
        # whole in English rather than half translated.
        staff = current_app.config["STAFF_LANGUAGES"]
        return {code: name for code, name in languages.items() if code in staff}
    return dict(languages)


def select_locale() -> str:
    """The language chosen on the site, else the browser's best match, else English."""
    if not has_request_context():  # the CLI speaks the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = offered_languages()
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or "en"


def select_timezone() -> str:
    """Every page shows times in the city's time zone."""
    return current_app.config["TIMEZONE"]


def clear_session() -> None:
    """Empty the browser's session (sign-in, sign-out, a fresh start), keeping only the
    language the person chose: starting over must not switch their language back."""
    chosen = session.get("lang")
    session.clear()
    if chosen in current_app.config["LANGUAGES"]:
        session["lang"] = chosen


def reader_language_of(complaint) -> str:
    """The language the complainant reads: the one recorded at filing, if the site still
    offers it, else the default."""
    languages = current_app.config["LANGUAGES"]
    chosen = getattr(complaint, "preferred_language", None)
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def complainant_locale(complaint) -> Iterator[str]:
    """Write to the complainant in their language, whoever is working the case: gettext,
    clause texts and dates inside the block follow the complaint's language."""
    lang = reader_language_of(complaint)
    with force_locale(lang):
        yield lang
