"""The API's cases: filing through the form's service, idempotent retries, listing with a
cursor and filters, messages without internal notes, sanitised files, no cookies, no CORS."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from PIL import Image
from sqlalchemy import func, select

from complaints_app.api.schemas import COMPLAINT_EXAMPLE
from complaints_app.models import (
    ActorKind,
    Attachment,
    CaseEvent,
    Channel,
    Complaint,
    EventKind,
    Role,
    Status,
)
from complaints_app.services import casework, tracking, uploads, workflow
from complaints_app.timeutil import city_today, utcnow
from tests.api.conftest import assert_problem
from tests.helpers import jpeg_with_gps
from tests.staff.conftest import quick_user


def _count(db) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Complaint)).scalar_one()


def test_the_documented_example_files_a_case_as_is(app, db, make_advocate, api_as):
    advocate = make_advocate()
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    example = spec["paths"]["/api/v1/complaints"]["post"]["requestBody"]["content"][
        "application/json"
    ]["example"]
    assert example == COMPLAINT_EXAMPLE
    response = api_as(advocate).post("/complaints", json=example)
    assert response.status_code == HTTPStatus.CREATED, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "submitted"
    db.session.rollback()
    case = db.session.execute(select(Complaint)).scalar_one()
    assert case.reference == body["reference"]
    assert case.channel == Channel.API
    assert case.organisation_id == advocate.organisation_id
    assert case.filed_by_id == advocate.id
    assert case.consent_attested_at is not None
    assert case.consent_method.value == "in_person"
    assert case.consent_given_on.isoformat() == "2026-01-20"
    assert case.tracking_hash == tracking.hash_code(body["tracking_code"])
    submitted = db.session.execute(select(CaseEvent)).scalars().first()
    assert submitted.actor_kind == ActorKind.ADVOCATE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_attested": False}, "consent_attested"),
        ({"consent_method": "telepathy"}, "consent_method"),
        ({"consent_given_on": "2999-01-01"}, "consent_given_on"),
        ({"narrative": "            "}, "narrative"),
        ({"narrative": "too short"}, "narrative"),
        ({"incident_place": "   "}, "incident_place"),
        ({"what_happened": []}, "what_happened"),
        ({"what_happened": ["made_up"]}, "what_happened"),
        ({"agency": "fbi"}, "agency"),
        ({"incident_date": "1999-12-31"}, "incident_date"),
        ({"contact": {"method": "email", "safe_to_contact": True}}, "contact"),
        ({"contact": {"method": "phone", "phone": "12", "safe_to_contact": True}}, "contact"),
        ({"immigration_status": "x"}, "immigration_status"),
    ],
)
def test_the_forms_rules_refuse_a_bad_complaint(db, make_advocate, api_as, change, field):
    response = api_as(make_advocate()).post("/complaints", json={**COMPLAINT_EXAMPLE, **change})
    body = assert_problem(response, 422, "validation-failed")
    assert field in body["errors"]["json"]
    assert _count(db) == 0


def test_an_incident_date_in_the_future_is_refused(db, make_advocate, api_as):
    tomorrow = (city_today() + timedelta(days=1)).isoformat()
    response = api_as(make_advocate()).post(
        "/complaints", json={**COMPLAINT_EXAMPLE, "incident_date": tomorrow}
    )
    assert_problem(response, 422, "validation-failed")


def test_a_body_that_is_not_json_is_a_problem(db, make_advocate, api_as):
    response = api_as(make_advocate()).post(
        "/complaints", data="{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
    assert _count(db) == 0


def test_a_client_contact_is_kept_sealed(db, make_advocate, api_as):
    contact = {"method": "email", "email": "client@example.org", "safe_to_contact": False}
    response = api_as(make_advocate()).post(
        "/complaints", json={**COMPLAINT_EXAMPLE, "contact": contact}
    )
    assert response.status_code == HTTPStatus.CREATED
    db.session.rollback()
    case = db.session.execute(select(Complaint)).scalar_one()
    assert not case.anonymous
    assert "client@example.org" in case.contact_json
    assert "client@example.org" not in (case.contact_ct or "")


def test_a_retry_with_the_same_key_returns_the_first_answer(db, make_advocate, api_as):
    api = api_as(make_advocate())
    headers = {"Idempotency-Key": "filing-0001"}
    first = api.post("/complaints", json=COMPLAINT_EXAMPLE, headers=headers)
    assert first.status_code == HTTPStatus.CREATED
    # The same body written differently is the same request.
    again = api.post(
        "/complaints",
        data=json.dumps(dict(reversed(COMPLAINT_EXAMPLE.items())), indent=2),
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == HTTPStatus.CREATED
    assert again.get_json() == first.get_json()
    assert _count(db) == 1
    other = api.post("/complaints", json=COMPLAINT_EXAMPLE, headers={"Idempotency-Key": "other"})
    assert other.get_json()["reference"] != first.get_json()["reference"]
    assert _count(db) == 2


def test_the_same_key_with_another_body_is_refused(db, make_advocate, api_as):
    api = api_as(make_advocate())
    headers = {"Idempotency-Key": "k1"}
    assert api.post("/complaints", json=COMPLAINT_EXAMPLE, headers=headers).status_code == 201
    changed = {**COMPLAINT_EXAMPLE, "urgent": True}
    assert_problem(
        api.post("/complaints", json=changed, headers=headers), 422, "idempotency-key-reused"
    )
    assert _count(db) == 1


def test_keys_belong_to_their_account(db, make_advocate, api_as):
    one, two = make_advocate(), make_advocate()
    headers = {"Idempotency-Key": "shared-name"}
    first = api_as(one).post("/complaints", json=COMPLAINT_EXAMPLE, headers=headers)
    second = api_as(two).post("/complaints", json=COMPLAINT_EXAMPLE, headers=headers)
    assert first.get_json()["reference"] != second.get_json()["reference"]
    assert first.get_json()["tracking_code"] != second.get_json()["tracking_code"]


def test_without_a_key_each_post_files_a_case(db, make_advocate, api_as):
    api = api_as(make_advocate())
    api.post("/complaints", json=COMPLAINT_EXAMPLE)
    api.post("/complaints", json=COMPLAINT_EXAMPLE)
    assert _count(db) == 2


def test_listing_pages_with_a_cursor_newest_first(db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    references = [org_case(advocate).reference for _ in range(5)]
    org_case(make_advocate("other-group"))  # never listed
    api = api_as(advocate)
    seen, cursor = [], None
    for _ in range(5):
        page = api.get(
            "/complaints", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == HTTPStatus.OK
        body = page.get_json()
        seen += [c["reference"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(references))


def test_listing_filters_by_status_and_update_time(db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    old, new = org_case(advocate), org_case(advocate)
    intake = quick_user(db, Role.INTAKE)
    workflow.acknowledge(new, intake, "We have your complaint.")
    db.session.commit()
    api = api_as(advocate)
    triage = api.get("/complaints", query_string={"status": "triage"}).get_json()["items"]
    assert [c["reference"] for c in triage] == [new.reference]
    since = (utcnow() + timedelta(minutes=1)).isoformat()
    assert api.get("/complaints", query_string={"updated_since": since}).get_json()["items"] == []
    since = (utcnow() - timedelta(minutes=5)).isoformat()
    listed = api.get("/complaints", query_string={"updated_since": since}).get_json()["items"]
    assert {c["reference"] for c in listed} == {old.reference, new.reference}
    assert_problem(
        api.get("/complaints", query_string={"status": "lost"}), 422, "validation-failed"
    )


def test_a_case_shows_its_status_in_plain_words_and_nothing_personal(
    db, make_advocate, api_as, org_case
):
    advocate = make_advocate()
    case = org_case(advocate)
    body = api_as(advocate).get(f"/complaints/{case.reference.lower()}").get_json()
    assert body["reference"] == case.reference
    assert body["status_label"] == "Received"
    text = json.dumps(body)
    assert "overnight" not in text and "ana@example.org" not in text


def test_messages_are_what_the_complainant_sees_never_internal_notes(
    db, make_advocate, api_as, org_case
):
    advocate = make_advocate()
    case = org_case(advocate)
    intake = quick_user(db, Role.INTAKE)
    casework.add_note(case, intake, "Internal: the officer has two earlier complaints.")
    workflow.acknowledge(case, intake, "We received your complaint and are reviewing it.")
    db.session.commit()
    api = api_as(advocate)
    sent = api.post(f"/complaints/{case.reference}/messages", json={"body": "Thank you."})
    assert sent.status_code == HTTPStatus.CREATED
    assert sent.get_json()["direction"] == "to_office"
    items = api.get(f"/complaints/{case.reference}/messages").get_json()["items"]
    assert [(m["direction"], m["body"]) for m in items] == [
        ("from_office", "We received your complaint and are reviewing it."),
        ("to_office", "Thank you."),
    ]
    assert "Internal" not in json.dumps(items)
    db.session.rollback()
    reply = db.session.execute(
        select(CaseEvent).where(CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT)
    ).scalar_one()
    assert reply.actor_id == advocate.id
    assert reply.actor_kind == ActorKind.ADVOCATE


def test_a_blank_message_is_refused(db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    response = api_as(advocate).post(f"/complaints/{case.reference}/messages", json={"body": "  "})
    assert_problem(response, 422, "validation-failed")


def test_a_closed_case_takes_no_message(db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    workflow.withdraw_by_complainant(case)
    db.session.commit()
    response = api_as(advocate).post(f"/complaints/{case.reference}/messages", json={"body": "Hi"})
    body = assert_problem(response, 409, "operation-refused")
    assert "closed" in body["detail"]


def test_an_attachment_is_rebuilt_without_its_metadata(db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    response = api_as(advocate).post(
        f"/complaints/{case.reference}/attachments",
        data={"file": (io.BytesIO(jpeg_with_gps()), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == HTTPStatus.CREATED, response.get_data(as_text=True)
    body = response.get_json()
    assert body["content_type"] == "image/jpeg"
    db.session.rollback()
    stored = db.session.execute(select(Attachment)).scalar_one()
    assert stored.added_by_id == advocate.id
    data = uploads.read(stored.storage_key)
    assert b"SecretCameraMaker" not in data and b"private comment" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_a_file_that_is_not_evidence_is_refused(db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    response = api_as(advocate).post(
        f"/complaints/{case.reference}/attachments",
        data={"file": (io.BytesIO(b"MZ\x90\x00 a program"), "setup.exe")},
        content_type="multipart/form-data",
    )
    body = assert_problem(response, 422, "file-refused")
    assert "setup.exe" in body["detail"]
    missing = api_as(advocate).post(
        f"/complaints/{case.reference}/attachments", data={}, content_type="multipart/form-data"
    )
    assert_problem(missing, 422, "validation-failed")


@pytest.mark.parametrize(
    "extra",
    [
        {"note": "a form field"},
        {"other": (io.BytesIO(b"%PDF-1.4"), "second.pdf")},
        {"null": "null", "file2": '{"x": 1}'},
    ],
)
def test_an_attachment_post_with_parts_the_schema_does_not_name_is_refused(
    db, make_advocate, api_as, org_case, extra
):
    advocate = make_advocate()
    case = org_case(advocate)
    response = api_as(advocate).post(
        f"/complaints/{case.reference}/attachments",
        data={"file": (io.BytesIO(jpeg_with_gps()), "photo.jpg"), **extra},
        content_type="multipart/form-data",
    )
    body = assert_problem(response, 422, "validation-failed")
    assert set(body["errors"]["files"]) == set(extra)
    db.session.rollback()
    assert db.session.execute(select(Attachment)).first() is None


def test_the_api_sets_no_cookie_and_ignores_a_browser_session(app, db, make_advocate, api_as):
    from tests.api.conftest import sign_in

    advocate = make_advocate()
    browser = sign_in(app, advocate)
    # A signed-in browser's cookie opens nothing on the API.
    assert_problem(browser.get("/api/v1/complaints"), 401, "missing-token")
    api = api_as(advocate)
    for response in (
        api.get("/complaints"),
        api.post("/complaints", json=COMPLAINT_EXAMPLE),
        api.get("/stats"),
        app.test_client().get("/api/v1/openapi.json"),
        app.test_client().get("/api/v1/nowhere"),
    ):
        assert "Set-Cookie" not in response.headers


def test_no_cors_headers_are_sent(db, make_advocate, api_as):
    api = api_as(make_advocate())
    origin = {"Origin": "https://elsewhere.example"}
    for response in (
        api.get("/complaints", headers=origin),
        api.request(
            "OPTIONS", "/complaints", headers={**origin, "Access-Control-Request-Method": "POST"}
        ),
    ):
        assert not [n for n, _v in response.headers if n.lower().startswith("access-control-")]


def test_stats_need_no_token_and_match_the_public_page(client, db, make_advocate, org_case):
    advocate = make_advocate()
    for _ in range(6):
        org_case(advocate)
    response = client.get("/api/v1/stats")
    assert response.status_code == HTTPStatus.OK
    body = response.get_json()
    page = client.get("/stats.json", query_string={"period": body["period"]["name"]}).get_json()
    assert body["tables"] == page["tables"]
    assert body["periods"][-1] == "2026-01-01"
    named = client.get("/api/v1/stats", query_string={"period": body["periods"][-1]})
    assert named.get_json()["period"]["name"] == "2026-01-01"
    assert_problem(
        client.get("/api/v1/stats", query_string={"period": "2099-01-01"}), 404, "not-found"
    )


def test_unknown_paths_and_methods_are_problems(db, make_advocate, api_as):
    api = api_as(make_advocate())
    assert_problem(api.get("/nothing-here"), 404, "not-found")
    response = api.request("DELETE", "/complaints")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_a_status_never_set_by_hand(db, make_advocate, api_as):
    # Filing through the API starts a case like every other channel.
    api_as(make_advocate()).post("/complaints", json=COMPLAINT_EXAMPLE)
    db.session.rollback()
    assert db.session.execute(select(Complaint.status)).scalar_one() == Status.SUBMITTED


def test_a_request_too_large_is_a_413_problem(app, db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    previous = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = api_as(advocate).post(
            f"/complaints/{case.reference}/attachments",
            data={"file": (io.BytesIO(b"%PDF-" + b"0" * 4096), "big.pdf")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = previous
    assert_problem(response, 413, "too-large")


def test_the_api_records_the_clients_language(db, make_advocate, api_as):
    api = api_as(make_advocate())
    given = api.post("/complaints", json={**COMPLAINT_EXAMPLE, "language": "es"})
    assert given.status_code == HTTPStatus.CREATED, given.get_data(as_text=True)
    unsaid = api.post("/complaints", json=COMPLAINT_EXAMPLE)
    assert unsaid.status_code == HTTPStatus.CREATED
    by_header = api.post("/complaints", json=COMPLAINT_EXAMPLE, headers={"Accept-Language": "pt"})
    db.session.rollback()
    stored = {
        c.reference: c.preferred_language for c in db.session.execute(select(Complaint)).scalars()
    }
    assert stored[given.get_json()["reference"]] == "es"
    assert stored[unsaid.get_json()["reference"]] == "en"
    assert stored[by_header.get_json()["reference"]] == "pt"


def test_the_api_refuses_a_language_the_site_does_not_offer(db, make_advocate, api_as):
    api = api_as(make_advocate())
    refused = api.post("/complaints", json={**COMPLAINT_EXAMPLE, "language": "fr"})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "language" in refused.get_json()["errors"]["json"]
    assert _count(db) == 0
