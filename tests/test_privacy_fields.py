"""Nothing asks about or stores immigration status, citizenship or origin.

The ordinance forbids asking, so the app must not even have a place to put the answer: no form
field (name, label or help text), no database column and no input on the complaint form.

The app does *say* "we never ask about immigration status" in page prose, and the guided
incident questions name immigration status, national origin and U visas because they ask what
an official did; so page prose and the incident choices are not scanned, only the names and
labels of the places where a person could give an answer, and what the database could keep.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import Enum
from wtforms import Field, FieldList, FormField

import complaints_app
from complaints_app.extensions import db

# Identifiers (field, column, table and input names, stored enum values), split into words.
FORBIDDEN_WORDS = {
    "alien",
    "anumber",
    "asylum",
    "birthplace",
    "citizen",
    "citizenship",
    "daca",
    "greencard",
    "i94",
    "nationality",
    "passport",
    "refugee",
    "ssn",
    "undocumented",
    "uscis",
    "visa",
}
FORBIDDEN_PHRASES = {
    "a_no",
    "a_number",
    "alien_number",
    "birth_country",
    "country_of_birth",
    "country_of_citizenship",
    "country_of_origin",
    "green_card",
    "immigration_status",
    "legal_status",
    "national_origin",
    "origin_country",
    "place_of_birth",
    "social_security",
    "work_permit",
}
# Labels and help text, in words a person would read.
FORBIDDEN_TEXT = re.compile(
    r"immigration\s+status|legal\s+status|\bcitizen|nationality|national\s+origin"
    r"|country\s+of\s+(birth|origin|citizenship)|place\s+of\s+birth|birth\s*place|\bborn\b"
    r"|\bvisas?\b|green\s+card|passport|\balien|\bA-(number|no\b)|\bA#|\bundocumented\b"
    r"|\buscis\b|\bI-94\b|work\s+permit|\basylum|\brefugee|\bdaca\b|social\s+security|\bssn\b",
    re.IGNORECASE,
)


def _words(identifier: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", identifier)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def forbidden_identifier(identifier: str) -> bool:
    """Whether a name or stored value is about immigration status, citizenship or origin."""
    words = _words(identifier)
    joined = "_" + "_".join(words) + "_"
    return bool(FORBIDDEN_WORDS.intersection(words)) or any(
        f"_{phrase}_" in joined for phrase in FORBIDDEN_PHRASES
    )


def forbidden_text(text: str) -> bool:
    """Whether a label or help text asks about immigration status, citizenship or origin."""
    return bool(FORBIDDEN_TEXT.search(text or ""))


@pytest.mark.parametrize(
    "name",
    [
        "immigration_status",
        "immigrationStatus",
        "citizenship",
        "is_citizen",
        "nationality",
        "national_origin",
        "country_of_birth",
        "birth_country",
        "visa_status",
        "visa_type",
        "alien_number",
        "a_number",
        "ANumber",
        "green_card_holder",
        "passport_no",
        "undocumented",
        "ssn",
    ],
)
def test_check_catches_names_about_status(name):
    assert forbidden_identifier(name)


@pytest.mark.parametrize(
    "name",
    ["status", "ice_access", "contact_phone", "narrative_ct", "agency", "person_key", "a_note"],
)
def test_check_lets_ordinary_names_through(name):
    assert not forbidden_identifier(name)


@pytest.mark.parametrize(
    "text",
    [
        "What is your immigration status?",
        "Are you a U.S. citizen?",
        "Country of birth",
        "Where were you born?",
        "Visa type",
        "A-Number (if you have one)",
        "Alien registration number",
        "Nationality",
    ],
)
def test_check_catches_labels_about_status(text):
    assert forbidden_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "Is someone in custody right now because of an ICE hold or immigration warrant?",
        "Names or badge numbers of the people involved, if you know them (optional)",
        "Enter a number of hours",
        "A number of people were there",
        "Case reference",
    ],
)
def test_check_lets_ordinary_labels_through(text):
    assert not forbidden_text(text)


# --- The app itself -----------------------------------------------------------------------


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(complaints_app.__path__, "complaints_app."):
        importlib.import_module(module.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _app_form_classes() -> list[type[FlaskForm]]:
    _import_every_module()
    found = {c for c in _subclasses(FlaskForm) if c.__module__.startswith("complaints_app.")}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _fields(fields) -> Iterator[Field]:
    """Every field of a form, including those inside FormField and FieldList."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _fields(field.form)
        elif isinstance(field, FieldList):
            yield from _fields(field.entries)
        else:
            yield field


def test_every_form_of_the_app_is_found():
    names = {c.__name__ for c in _app_form_classes()}

    assert {"ComplaintForm", "TrackForm", "ReplyForm", "WithdrawForm"} <= names


@pytest.mark.parametrize("form_class", _app_form_classes(), ids=lambda c: c.__qualname__)
def test_no_form_field_asks_about_immigration_status_or_origin(app, form_class):
    with app.test_request_context():
        form = form_class()
        offending = []
        for field in _fields(form):
            texts = [str(field.label.text), str(field.description or "")]
            placeholder = (field.render_kw or {}).get("placeholder")
            if placeholder:
                texts.append(str(placeholder))
            if forbidden_identifier(field.name) or any(forbidden_text(t) for t in texts):
                offending.append((field.name, texts))

    assert offending == []


def test_no_table_or_column_stores_immigration_status_or_origin():
    offending = []
    for table in db.metadata.tables.values():
        if forbidden_identifier(table.name):
            offending.append(table.name)
        for column in table.columns:
            if forbidden_identifier(column.name) or forbidden_text(str(column.comment or "")):
                offending.append(f"{table.name}.{column.name}")
            if isinstance(column.type, Enum):
                offending += [
                    f"{table.name}.{column.name} = {value!r}"
                    for value in column.type.enums
                    if forbidden_identifier(value)
                ]

    assert len(db.metadata.tables) >= 10
    assert offending == []


class _InputNames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag in ("input", "select", "textarea", "button"):
            name = dict(attrs).get("name")
            if name:
                self.names.add(name)


def test_complaint_form_page_has_no_input_about_immigration_status_or_origin(client, db):
    from tests.helpers import (
        CHECK_URL,
        FORM_STEPS,
        SEND_URL,
        STEP_URL,
        post_complaint,
        valid_complaint,
    )

    # Every page of the form, each step filled in so that the later ones open.
    post_complaint(client, valid_complaint(consent=None))
    page = _InputNames()
    for url in [*(STEP_URL.format(slug) for slug, _ in FORM_STEPS), CHECK_URL, SEND_URL]:
        response = client.get(url)
        assert response.status_code == 200, url
        page.feed(response.get_data(as_text=True))

    assert {"narrative", "incident_place", "contact_email"} <= page.names
    assert sorted(n for n in page.names if forbidden_identifier(n)) == []
