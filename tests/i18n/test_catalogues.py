"""The translation catalogues are complete, current and consistent: a string a resident can
see has a translation in every language offered to residents, no catalogue lags behind the
code, placeholders survive translation, and the glossary's terms are used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "complaints_app" / "translations"
# Staff pages are offered in English and Spanish; everything else in every language.
STAFF_ONLY = (
    "templates/staff/",
    "templates/admin/",
    "complaints_app/staff/",
    "complaints_app/admin/",
)
STAFF_LANGUAGES = {"es"}  # and English: config.STAFF_LANGUAGES
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sdif]")
FIX = "run `make translations`, then translate the new entries"
pytestmark = pytest.mark.database_independent


def _catalogue(lang: str) -> Catalog:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def _languages() -> list[str]:
    return sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())


def _source_messages() -> dict[str, set[str]]:
    """Every string marked for translation in the code, with the files that use it."""
    found: dict[str, set[str]] = {}
    method_map = [("complaints_app/**.py", "python"), ("templates/**.html", "jinja2")]
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        keywords=KEYWORDS,
        # Every folder but hidden ones: templates/_macros holds strings too.
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, set()).add(filename)
    return found


@pytest.fixture(scope="module")
def source_messages() -> dict[str, set[str]]:
    return _source_messages()


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_languages_offered_have_catalogues(app):
    assert set(app.config["LANGUAGES"]) - {"en"} <= set(_languages())
    assert {"es", "pt"} <= set(_languages())


@pytest.mark.parametrize("lang", _languages())
def test_catalogue_is_current(lang, source_messages):
    """A string added or changed in the code is in every catalogue; none is left over."""
    catalogue = {_ids(m)[0] for m in _catalogue(lang) if m.id}
    missing = sorted(set(source_messages) - catalogue)
    leftover = sorted(catalogue - set(source_messages))
    assert not missing, f"{len(missing)} string(s) missing from {lang} ({FIX}): {missing[:10]}"
    assert not leftover, f"{len(leftover)} stale string(s) in {lang} ({FIX}): {leftover[:10]}"


@pytest.mark.parametrize("lang", _languages())
def test_every_string_a_reader_sees_is_translated(lang):
    untranslated = []
    for message in _catalogue(lang):
        if not message.id:
            continue
        staff_only = all(loc.startswith(STAFF_ONLY) for loc, _line in message.locations)
        if staff_only and lang not in STAFF_LANGUAGES:
            continue
        if message.fuzzy or not all(_strings(message)):
            untranslated.append(_ids(message)[0])
    assert not untranslated, (
        f"{len(untranslated)} string(s) without a {lang} translation (fuzzy or empty): "
        f"{untranslated[:10]}"
    )


@pytest.mark.parametrize("lang", _languages())
def test_placeholders_survive_translation(lang):
    broken = []
    for message in _catalogue(lang):
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(_ids(message)[-1]))
        for text in _strings(message):
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                broken.append((_ids(message)[0], text))
    assert not broken, broken[:10]


def _glossary(lang: str) -> list[tuple[str, str]]:
    column = {"es": 4, "pt": 5}[lang]
    rows = []
    for line in (TRANSLATIONS / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[3] == "checked":
            rows.append((cells[0], cells[column]))
    return rows


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_glossary_terms_are_used(lang):
    rows = _glossary(lang)
    assert len(rows) >= 7
    wrong = []
    for message in _catalogue(lang):
        english, texts = _ids(message)[0], [t for t in _strings(message) if t]
        for term, pattern in rows:
            if (
                texts
                and re.search(rf"\b{re.escape(term)}s?\b", english, re.I)
                and not all(re.search(pattern, t, re.I) for t in texts)
            ):
                wrong.append((term, english[:60], texts[0][:60]))
    assert not wrong, f"glossary terms not used (GLOSSARY.md): {wrong[:10]}"
