"""Which language and time zone a request is served in."""

from __future__ import annotations

from flask import current_app, request, session


def select_locale() -> str:
    """The language chosen on the site, else the browser's best match, else English."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or "en"


def select_timezone() -> str:
    """Every page shows times in the city's time zone."""
    return current_app.config["TIMEZONE"]
