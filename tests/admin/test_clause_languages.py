"""The ordinance in each language: the official Spanish and Portuguese texts shipped with the
catalogue, edited by admin per language, shown to readers in their language, and English,
marked as English and with a note, where a language has no text."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import delete, select

from complaints_app.models import Clause, ClauseText, GuidedQuestion, GuidedQuestionText, Role
from complaints_app.services import clause_texts
from tests.admin.conftest import make_user, sign_in, token
from tests.helpers import error_summary, hidden_fields, parse_page

SPANISH_2C = "Solicitudes de retención de ICE y órdenes administrativas"
SPANISH_HELD_PROMPT = (
    "¿Lo mantuvieron bajo custodia después de que debían ponerlo en libertad, por una "
    "solicitud de retención de ICE o una orden de inmigración?"
)
# The note is written in the reader's language.
NOTE_PT = "Este texto ainda não está disponível em Português. Ele é mostrado em inglês."


def _current(db, code: str) -> Clause:
    db.session.expire_all()
    return db.session.execute(
        select(Clause).where(Clause.code == code, Clause.effective_to.is_(None))
    ).scalar_one()


def _form_data(client, code: str, language: str, **overrides) -> dict:
    data = {
        "csrf_token": token(client, f"/admin/clauses/{code}/{language}"),
        "section": "Sección 2(c)",
        "title": "Retención por ICE: nueva redacción",
        "summary": "Resumen nuevo en español.",
        "full_text": "Texto completo nuevo de {city}.",
        "q_held_for_ice_prompt": "¿Pregunta nueva sobre la retención?",
        "q_held_for_ice_hint": "Pista nueva.",
    }
    data.update(overrides)
    return data


def _any_token(client) -> str:
    return hidden_fields(client.get("/login").get_data(as_text=True)).get("csrf_token", "")


def _remove_texts(db, code: str, language: str) -> None:
    clause = _current(db, code)
    question_ids = [q.id for q in clause.questions]
    db.session.execute(
        delete(ClauseText).where(ClauseText.clause_id == clause.id, ClauseText.language == language)
    )
    db.session.execute(
        delete(GuidedQuestionText).where(
            GuidedQuestionText.question_id.in_(question_ids),
            GuidedQuestionText.language == language,
        )
    )
    db.session.commit()


def test_spanish_reader_sees_the_shipped_spanish_ordinance(client):
    html = client.get("/policy", headers={"Accept-Language": "es"}).get_data(as_text=True)
    page = parse_page(html)
    section = page.find(id="clause-2c")
    assert SPANISH_2C in section.text
    assert "solicitud de retención de ICE" in section.text
    assert SPANISH_HELD_PROMPT in section.text
    assert "Sección 2(c)" in section.text
    assert "Section 2(c)" not in html
    assert "not yet available" not in html
    # Shipped texts exist for every clause: nothing on the page is marked as English.
    assert not page.find("main").find_all(
        lang="en"
    )  # the language switcher names English in English


def test_admin_edits_the_spanish_text_and_spanish_readers_see_it(app, admin, admin_client, db):
    before = _current(db, "2c")
    english_title = before.title
    form = admin_client.get("/admin/clauses/2c/es")
    assert form.status_code == HTTPStatus.OK
    assert SPANISH_2C in form.get_data(as_text=True)  # prefilled with the current text

    saved = admin_client.post("/admin/clauses/2c/es", data=_form_data(admin_client, "2c", "es"))

    assert saved.status_code == HTTPStatus.SEE_OTHER, saved.get_data(as_text=True)[-2000:]
    reader = app.test_client()
    policy = reader.get("/policy", headers={"Accept-Language": "es"}).get_data(as_text=True)
    section = parse_page(policy).find(id="clause-2c")
    assert "Retención por ICE: nueva redacción" in section.text
    assert f"Texto completo nuevo de {app.config['CITY_NAME']}." in section.text
    assert "¿Pregunta nueva sobre la retención?" in section.text
    assert SPANISH_2C not in section.text
    form_page = reader.get(
        "/complaints/new", headers={"Accept-Language": "es"}, follow_redirects=True
    )
    assert "¿Pregunta nueva sobre la retención?" in form_page.get_data(as_text=True)
    # English and Portuguese readers are not affected.
    english = reader.get("/policy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert english_title.replace("{city}", app.config["CITY_NAME"]) in english
    assert "nueva redacción" not in english
    # The edit is on record: a new revision by the admin; the shipped wording is kept.
    clause = _current(db, "2c")
    assert clause.version == before.version  # a translation is not a new version of the law
    revisions = sorted((t.revision, t.created_by_id) for t in clause.texts if t.language == "es")
    assert revisions == [(1, None), (2, admin.id)]
    question = next(q for q in clause.questions if q.key == "held_for_ice")
    assert [t.revision for t in question.texts if t.language == "es"] == [1, 2]


def test_saving_the_same_text_again_writes_nothing(admin_client, db):
    form = parse_page(admin_client.get("/admin/clauses/2b/pt").get_data(as_text=True))
    data = {"csrf_token": token(admin_client, "/admin/clauses/2b/pt")}
    for name in ("section", "title"):
        data[name] = form.find(id=name).get("value")
    for name in ("summary", "full_text", "q_asked_status_prompt", "q_asked_status_hint"):
        data[name] = form.find(id=name).raw_text
    done = admin_client.post("/admin/clauses/2b/pt", data=data)
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert [t.revision for t in _current(db, "2b").texts if t.language == "pt"] == [1]


def test_missing_portuguese_is_shown_in_english_with_a_note_and_marked_english(app, client, db):
    _remove_texts(db, "2c", "pt")
    city = app.config["CITY_NAME"]
    clause = _current(db, "2c")

    html = client.get("/policy", headers={"Accept-Language": "pt"}).get_data(as_text=True)

    page = parse_page(html)
    section = page.find(id="clause-2c")
    assert NOTE_PT in section.text
    english = [e.text for e in section.find_all(lang="en")]
    assert clause.title.replace("{city}", city) in english
    assert any(clause.summary.replace("{city}", city)[:60] in t for t in english)
    held = next(q for q in clause.questions if q.key == "held_for_ice")
    assert held.prompt in english
    # Other clauses still have their Portuguese text, unmarked.
    other = page.find(id="clause-2d")
    assert "Pedidos de notificação do ICE" in other.text
    assert not other.find_all(lang="en")
    assert "not yet available" not in other.text


def test_form_questions_are_in_the_readers_language_and_english_ones_are_marked(client, db):
    spanish = client.get(
        "/complaints/new", headers={"Accept-Language": "es"}, follow_redirects=True
    )
    html = spanish.get_data(as_text=True)
    assert SPANISH_HELD_PROMPT in html
    assert "en inglés, «detainer»" in html  # the hint too
    assert "shown in English" not in html

    _remove_texts(db, "2c", "pt")
    page = parse_page(
        client.get(
            "/complaints/new", headers={"Accept-Language": "pt"}, follow_redirects=True
        ).get_data(as_text=True)
    )
    held = db.session.execute(
        select(GuidedQuestion).where(GuidedQuestion.key == "held_for_ice")
    ).scalar_one()
    marked = [e.text for e in page.find_all(lang="en")]
    assert held.prompt in marked
    assert held.hint in marked
    # The note says so in the reader's language, naming it.
    note = [p.text for p in page.find_all("p") if "clause__fallback" in (p.get("class") or "")]
    assert len(note) == 1 and "Português" in note[0]
    assert "Algum agente ou funcionário da cidade perguntou" in page.text


def test_refused_translation_shows_why_and_keeps_everything_typed(admin_client, db):
    data = _form_data(
        admin_client,
        "2c",
        "pt",
        title="",
        summary="Resumo digitado que não pode se perder.",
        q_held_for_ice_prompt="Pergunta digitada que também fica?",
    )

    refused = admin_client.post("/admin/clauses/2c/pt", data=data)

    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(refused.get_data(as_text=True))
    assert ("#title", "Enter a title.") in error_summary(page)
    assert page.find(id="summary").raw_text == "Resumo digitado que não pode se perder."
    assert page.find(id="q_held_for_ice_prompt").raw_text == "Pergunta digitada que também fica?"
    assert [t.revision for t in _current(db, "2c").texts if t.language == "pt"] == [1]


def test_language_pages_refuse_english_and_unknown_languages(admin_client):
    assert admin_client.get("/admin/clauses/2c/en").status_code == HTTPStatus.NOT_FOUND
    assert admin_client.get("/admin/clauses/2c/fr").status_code == HTTPStatus.NOT_FOUND
    assert admin_client.get("/admin/clauses/nope/es").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("role", [Role.INTAKE, Role.SUPERVISOR, Role.RECORDS, Role.ADVOCATE])
def test_only_admin_may_edit_a_clause_language(app, db, organisation, role):
    user = make_user(
        db, role, f"{role.value}@example.org", "legal-aid-east" if role == Role.ADVOCATE else None
    )
    client = app.test_client()
    sign_in(client, user.email)
    assert client.get("/admin/clauses/2c/es").status_code == HTTPStatus.FORBIDDEN
    refused = client.post(
        "/admin/clauses/2c/es",
        data={
            "csrf_token": token(client, "/login"),
            "title": "x",
            "summary": "x",
            "full_text": "x",
        },
    )
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert [t.revision for t in _current(db, "2c").texts if t.language == "es"] == [1]


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/clauses/2c/es")
    assert response.status_code == HTTPStatus.FOUND
    assert "/login" in response.headers["Location"]


def test_clause_text_decides_language_and_fallback(app, db):
    clause = _current(db, "2c")
    with app.test_request_context():
        spanish = clause_texts.clause_text(clause, "es")
        assert (spanish.title, spanish.language, spanish.fallback) == (SPANISH_2C, "es", False)
        english = clause_texts.clause_text(clause, "en")
        assert (english.title, english.fallback) == (clause.title, False)
    _remove_texts(db, "2c", "pt")
    clause = _current(db, "2c")
    with app.test_request_context():
        fallback = clause_texts.clause_text(clause, "pt")
        assert (fallback.title, fallback.language, fallback.requested, fallback.fallback) == (
            clause.title,
            "en",
            "pt",
            True,
        )


def test_an_amended_clause_is_english_until_its_translation_is_checked_and_saved(
    app, admin_client, db
):
    from complaints_app.timeutil import city_today
    from tests.admin.test_clauses import _amendment

    amended = admin_client.post(
        "/admin/clauses/2c", data=_amendment(admin_client, "2c", city_today())
    )
    assert amended.status_code == HTTPStatus.SEE_OTHER
    reader = app.test_client()
    policy = reader.get("/policy", headers={"Accept-Language": "es"}).get_data(as_text=True)
    section = parse_page(policy).find(id="clause-2c")
    assert "Este texto todavía no está disponible en Español. Se muestra en inglés." in section.text
    assert "Amended title" in [e.text for e in section.find_all(lang="en")]

    form = admin_client.get("/admin/clauses/2c/es").get_data(as_text=True)
    assert "Prefilled with the Español text of version 1" in parse_page(form).text
    assert SPANISH_2C in form
    saved = admin_client.post(
        "/admin/clauses/2c/es", data=_form_data(admin_client, "2c", "es", title="Título nuevo")
    )
    assert saved.status_code == HTTPStatus.SEE_OTHER
    policy = reader.get("/policy", headers={"Accept-Language": "es"}).get_data(as_text=True)
    section = parse_page(policy).find(id="clause-2c")
    assert "Título nuevo" in section.text
    assert "not yet available" not in section.text
    assert _current(db, "2c").version == 2
