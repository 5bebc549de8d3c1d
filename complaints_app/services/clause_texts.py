"""Which words of a clause a reader sees: the official text in their language, or English
(the source, kept in the clause's own columns) marked as a fallback. Every page, message and
label that shows clause words asks ``clause_text`` / ``question_text``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from complaints_app.models import Clause, GuidedQuestion

# English lives in the clause's own columns: the source text, and the fallback.
SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class ClauseWords:
    """A clause's words as one reader sees them. ``language`` is the language the words are
    in; ``fallback`` is true when the reader's language (``requested``) has no official text
    and English is shown instead."""

    section: str
    title: str
    summary: str
    full_text: str
    language: str
    requested: str
    fallback: bool


@dataclass(frozen=True)
class QuestionWords:
    """A guided question's prompt and hint as one reader sees them (see ``ClauseWords``)."""

    prompt: str
    hint: str
    language: str
    requested: str
    fallback: bool


def reader_language() -> str:
    """The language pages are being written in now (the request's locale, or the one a
    ``force_locale`` block chose)."""
    locale = get_locale()
    if locale is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale.language


def translation_languages() -> dict[str, str]:
    """The languages other than English an official text can be written in, with their names."""
    return {k: v for k, v in current_app.config["LANGUAGES"].items() if k != SOURCE_LANGUAGE}


def latest_text(rows, language: str):
    """The newest revision in ``language`` among ``rows`` (ClauseText or GuidedQuestionText)."""
    found = None
    for row in rows:
        if row.language == language and (found is None or row.revision > found.revision):
            found = row
    return found


def marked(text: str, words) -> Markup:
    """``text`` escaped, wrapped in ``lang="en"`` when ``words`` fell back to English: for
    labels handed to form widgets, which show their label as given."""
    if not words.fallback:
        return Markup("%s") % text
    return Markup('<span lang="%s">%s</span>') % (words.language, text)


def clause_text(clause: Clause, lang: str | None = None) -> ClauseWords:
    """The one place that decides which words of ``clause`` a reader in ``lang`` (default: the
    current language) sees: that language's official text, else English, flagged as a
    fallback so the page can say so and mark it ``lang="en"``. Placeholders are left in."""
    lang = lang or reader_language()
    if lang != SOURCE_LANGUAGE:
        row = latest_text(clause.texts, lang)
        if row is not None:
            return ClauseWords(
                row.section, row.title, row.summary, row.full_text, lang, lang, False
            )
    return ClauseWords(
        clause.section,
        clause.title,
        clause.summary,
        clause.full_text,
        SOURCE_LANGUAGE,
        lang,
        lang != SOURCE_LANGUAGE,
    )


def question_text(question: GuidedQuestion, lang: str | None = None) -> QuestionWords:
    """A guided question's words for a reader in ``lang``, decided as ``clause_text`` does."""
    lang = lang or reader_language()
    if lang != SOURCE_LANGUAGE:
        row = latest_text(question.texts, lang)
        if row is not None:
            return QuestionWords(row.prompt, row.hint, lang, lang, False)
    return QuestionWords(
        question.prompt, question.hint, SOURCE_LANGUAGE, lang, lang != SOURCE_LANGUAGE
    )
