"""Whole journeys in Chromium: a resident files with a photo and tracks the case; the office
acknowledges, screens in, investigates and approves; the resident reads the outcome. Also
the resident's journey without JavaScript."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta

from flask_babel import force_locale, gettext
from PIL import Image

from complaints_app.models import Role
from tests.browser.axe import describe, violations

NARRATIVE = "I was kept overnight after bail was posted because of an ICE form."


def small_png() -> bytes:
    image = Image.new("RGB", (40, 30), (30, 90, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def group(page, legend: str):
    """A fieldset by its legend: radio labels such as "No" repeat across questions."""
    return page.get_by_role("group", name=legend)


# The form's pages in order: the heading each shows.
STEP_HEADINGS = (
    "What happened",
    "When and where",
    "Who was involved",
    "Your account",
    "Photos and documents",
    "How we can reach you",
    "Check your answers",
    "Send your complaint",
)
PHONE_WIDTH = 375
HEIGHT = "() => document.documentElement.scrollHeight"


def page_height(page, width: int = PHONE_WIDTH) -> int:
    """The page's height in CSS pixels at ``width``: measured in a viewport shorter than any
    page, so the figure is the content's, not the window's."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 100})
    height = page.evaluate(HEIGHT)
    page.set_viewport_size(before)
    return int(height)


def english(msgid: str, **values) -> str:
    return msgid % values if values else msgid


def translator(app, lang: str) -> Callable[..., str]:
    """The words a page in ``lang`` shows for an English message: what a resident reading
    that language looks for on the page."""

    def say(msgid: str, **values) -> str:
        with app.test_request_context(), force_locale(lang):
            return gettext(msgid, **values)

    return say


def continue_to(page, number: int, t=english) -> None:
    """Press Continue and wait for step ``number`` (1-based)."""
    page.get_by_role("button", name=t("Continue")).click()
    page.get_by_role("heading", level=1, name=t(STEP_HEADINGS[number - 1])).wait_for()


def fill_complaint(
    page, *, photo: bytes | None = None, anonymous: bool = False, on_step=None, t=english
) -> None:
    """Go through the form's pages the way a resident would, with the mouse and the
    keyboard's typing, up to the send page with the confirmation ticked; nothing is sent
    yet. ``on_step(number, heading)`` is called on each page once it is shown. ``t`` gives
    the words of the page's language."""

    def shown(number: int) -> None:
        heading = t(STEP_HEADINGS[number - 1])
        page.get_by_role("heading", level=1, name=heading).wait_for()
        assert page.get_by_text(t("Step %(n)s of %(total)s", n=number, total=8)).is_visible()
        if on_step is not None:
            on_step(number, STEP_HEADINGS[number - 1])

    shown(1)
    page.locator("input[name=what_happened][value=held_for_ice]").check()
    group(
        page, t("Is someone in custody right now because of an ICE hold or immigration warrant?")
    ).get_by_label(t("No"), exact=True).check()
    continue_to(page, 2, t)
    shown(2)
    page.get_by_label(t("When did it happen?")).fill((date.today() - timedelta(days=3)).isoformat())
    page.get_by_label(t("Where did it happen?")).fill("Central police station")
    continue_to(page, 3, t)
    shown(3)
    page.get_by_label(t("The police department")).check()
    continue_to(page, 4, t)
    shown(4)
    page.get_by_label(t("Tell us what happened")).fill(NARRATIVE)
    continue_to(page, 5, t)
    shown(5)
    if photo is not None:
        page.get_by_label(t("Photos or documents (optional)")).set_input_files(
            [{"name": "photo.png", "mimeType": "image/png", "buffer": photo}]
        )
    continue_to(page, 6, t)
    shown(6)
    if anonymous:
        page.get_by_label(t("No, I want to stay anonymous")).check()
    else:
        page.get_by_label(t("Yes, you may contact me")).check()
        page.get_by_label(t("Your name (optional)")).fill("Ana Example")
        group(page, t("How should we contact you?")).get_by_label(t("Email"), exact=True).check()
        page.get_by_label(t("Email address")).fill("ana@example.org")
        group(page, t("Is it safe for us to contact you this way?")).get_by_label(
            t("Yes, it is safe")
        ).check()
    continue_to(page, 7, t)
    shown(7)
    if photo is not None:
        assert page.get_by_text("photo.png").is_visible()
    assert page.get_by_text(NARRATIVE).is_visible()
    page.get_by_role("link", name=t("Continue")).click()
    shown(8)
    page.get_by_label(
        t(
            "I understand that the office will read what I wrote and may contact the "
            "department involved, and that what I wrote is true as far as I know."
        )
    ).check()


def receipt(page, t=english) -> tuple[str, str]:
    page.get_by_role("heading", name=t("Your complaint was received")).wait_for()
    return page.locator("#reference").inner_text(), page.locator("#tracking-code").inner_text()


def open_case(page, reference: str, code: str, t=english) -> None:
    page.goto("/track")
    page.get_by_label(t("Case reference")).fill(reference)
    page.get_by_label(t("Tracking code")).fill(code)
    page.get_by_role("button", name=t("Show my case")).click()
    page.get_by_role("heading", name=t("Your case %(ref)s", ref=reference)).wait_for()


def assert_no_violations(page, axe_source: str, what: str) -> None:
    found = violations(page, axe_source)
    assert not found, describe(what, found)


def test_resident_files_with_a_photo_and_tracks_the_case(new_context, shots, axe_source):
    page = new_context().new_page()
    page.goto("/")
    shots.take(page, "home")
    page.get_by_role("link", name="File a complaint").first.click()
    heights = []

    def measure(number: int, heading: str) -> None:
        heights.append(f"step {number} {heading}: {page_height(page)} px")
        shots.take(page, f"step {number} {heading}")

    fill_complaint(page, photo=small_png(), on_step=measure)
    # Each page's height on a phone, for the record (the one-page form was 7,300 px).
    print(f"\nComplaint form page heights at {PHONE_WIDTH} px wide:")
    print("\n".join(heights))
    assert len(heights) == len(STEP_HEADINGS)
    page.get_by_role("button", name="Send my complaint").click()
    reference, code = receipt(page)
    assert re.fullmatch(r"[A-Z]+-\d{4}-\d{4,}", reference)
    assert len(code.replace("-", "")) >= 12
    assert_no_violations(page, axe_source, "receipt")
    shots.take(page, "receipt")

    later = new_context().new_page()  # another day, another browser
    open_case(later, reference, code)
    assert later.get_by_role("heading", name=re.compile("Status:")).is_visible()
    assert later.get_by_text("You filed your complaint.").is_visible()
    assert later.get_by_text("A file was added to your case.").is_visible()
    assert_no_violations(later, axe_source, "tracked case")
    shots.take(later, "tracked case")


def open_staff_case(page, reference: str) -> None:
    page.goto("/staff/cases")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=re.compile(f"Case {reference}")).wait_for()


def take_action(page, summary: str, button: str) -> None:
    """Unfold an action (a <details>) and send its form."""
    page.locator("summary", has_text=summary).click()
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def prefilled(page, summary: str) -> str:
    """Unfold an action and read the message it offers to send."""
    page.locator("summary", has_text=summary).click()
    return page.locator("details[open] textarea").first.input_value()


def test_spanish_resident_answers_the_office_and_reads_the_outcome_in_spanish(
    app, new_context, staff_page, make_user, shots, axe_source
):
    """Journeys 1 and 2 together: a resident reading Spanish files with a photo, the office
    (working in English) acknowledges, asks a question, screens in, investigates and
    approves; the resident answers the question and reads the outcome, in Spanish."""
    es = translator(app, "es")
    resident = new_context(locale="es", extra_http_headers={"Accept-Language": "es"}).new_page()
    resident.goto("/")
    resident.get_by_role("link", name=es("File a complaint")).first.click()
    fill_complaint(resident, photo=small_png(), anonymous=True, t=es)
    shots.take(resident, "send page in spanish")
    resident.get_by_role("button", name=es("Send my complaint")).click()
    reference, code = receipt(resident, es)
    assert resident.evaluate("document.documentElement.lang") == "es"
    assert_no_violations(resident, axe_source, "receipt in Spanish")
    shots.take(resident, "receipt in spanish")

    investigator = make_user(Role.INVESTIGATOR)
    investigator_name = investigator.display_name

    intake, _ = staff_page(Role.INTAKE)
    open_staff_case(intake, reference)
    assert "Español" in intake.locator(".summary-list").first.inner_text()
    acknowledgement = prefilled(intake, "Acknowledge")
    # Written for the complainant in their language, though intake works in English.
    assert "queja" in acknowledgement.lower(), acknowledgement
    intake.get_by_role("button", name="Acknowledge", exact=True).click()
    intake.get_by_text("acknowledged", exact=False).first.wait_for()
    intake.locator("#message-text").fill("¿A qué hora salió de la cárcel?")
    intake.get_by_label(re.compile("Wait for their answer")).check()
    intake.get_by_role("button", name="Send message").click()
    intake.get_by_text("Message sent.").wait_for()
    allegation = intake.locator(".allegation").first
    allegation.get_by_label("Clause confirmed").check()
    allegation.get_by_label("Reason for the change").fill("The form's answer fits 2(c).")
    allegation.get_by_role("button", name="Save allegation 1").click()
    intake.get_by_text("Allegation saved.").wait_for()
    intake.locator("summary", has_text="Screen in").click()
    intake.get_by_label("Investigator").select_option(label=investigator_name)
    intake.get_by_role("button", name="Screen in and assign").click()
    intake.wait_for_load_state()
    assert "Investigation" in intake.locator(".summary-list").first.inner_text()
    shots.take(intake, "screened in")

    answering = new_context(locale="es", extra_http_headers={"Accept-Language": "es"}).new_page()
    open_case(answering, reference, code, es)
    assert answering.get_by_text(
        es("The office is waiting for an answer. Read its latest message below and reply.")
    ).is_visible()
    assert answering.get_by_text("¿A qué hora salió de la cárcel?").is_visible()
    answering.get_by_label(es("Your message or new information")).fill("Salí a las seis.")
    answering.get_by_role("button", name=es("Send"), exact=True).click()
    answering.get_by_text("Salí a las seis.").wait_for()
    assert_no_violations(answering, axe_source, "tracked case in Spanish, after replying")
    shots.take(answering, "reply sent in spanish")

    page, _ = staff_page(user=investigator)
    open_staff_case(page, reference)
    assert page.get_by_text("Salí a las seis.").is_visible()
    page.get_by_label("Disposition").select_option("sustained")
    page.get_by_role("button", name="Save allegation 1").click()
    page.get_by_text("Allegation saved.").wait_for()
    page.locator("summary", has_text="Submit findings").click()
    page.get_by_label("Findings summary").fill("The jail held the person on an ICE form alone.")
    page.get_by_role("button", name="Submit findings for review").click()
    page.wait_for_load_state()
    assert_no_violations(page, axe_source, "case in review, as its investigator")
    shots.take(page, "findings submitted")

    supervisor, _ = staff_page(Role.SUPERVISOR)
    open_staff_case(supervisor, reference)
    assert_no_violations(supervisor, axe_source, "case in review, as a supervisor")
    outcome = prefilled(supervisor, "Approve findings")
    assert "queja" in outcome.lower(), outcome
    supervisor.get_by_role("button", name="Approve findings and close").click()
    supervisor.wait_for_load_state()
    assert "Closed" in supervisor.locator(".summary-list").first.inner_text()
    shots.take(supervisor, "approved")

    later = new_context(locale="es", extra_http_headers={"Accept-Language": "es"}).new_page()
    open_case(later, reference, code, es)
    assert later.evaluate("document.documentElement.lang") == "es"
    assert later.get_by_role("heading", name=re.compile(es("Status:"))).is_visible()
    office = es("Message from the %(office)s", office=app.config["OFFICE_NAME"])
    assert later.get_by_text(office).count() >= 3  # acknowledgement, question and outcome
    assert later.get_by_text(
        es(
            "This case is closed, so you can no longer send messages or files here. If "
            "something new has happened, you can file a new complaint."
        )
    ).is_visible()
    # The outcome reads as the supervisor sent it: in Spanish.
    first_line = outcome.strip().splitlines()[0]
    assert later.get_by_text(first_line, exact=False).first.is_visible()
    assert_no_violations(later, axe_source, "closed case, as the resident, in Spanish")
    shots.take(later, "outcome in spanish")


def test_resident_journey_works_without_javascript(new_context, shots):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/complaints/new")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#error-summary").is_visible()
    assert page.title().startswith("Error:")
    shots.take(page, "errors without javascript")
    fill_complaint(page, photo=small_png())
    # Back from the send page to the answers, and on again: nothing is lost on the way.
    page.get_by_role("link", name="Back").click()
    page.get_by_role("heading", level=1, name="Check your answers").wait_for()
    assert page.get_by_text(NARRATIVE).is_visible()
    page.get_by_role("link", name="Continue").click()
    page.get_by_label(re.compile("I understand that the office will read")).check()
    page.get_by_role("button", name="Send my complaint").click()
    reference, code = receipt(page)
    shots.take(page, "receipt without javascript")
    open_case(page, reference, code)
    page.get_by_label("Your message or new information").fill("One more thing: it was a Tuesday.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("One more thing: it was a Tuesday.").wait_for()
    shots.take(page, "message sent without javascript")
    page.get_by_role("button", name="Close my case on this device").click()
    page.get_by_role("heading", name="Check your case").wait_for()


def test_advocate_files_for_a_client_and_follows_the_case_on_the_dashboard(
    app, db, staff_page, make_user, shots, axe_source
):
    """Journey 3, in Portuguese: an advocate files for a client, then follows the case on
    the organisation's dashboard as the office acknowledges it and asks a question."""
    pt = translator(app, "pt")
    advocate = make_user(Role.ADVOCATE)
    page, _ = staff_page(user=advocate, locale="pt", extra_http_headers={"Accept-Language": "pt"})
    page.goto("/org/")
    page.get_by_role("link", name=pt("File for a client")).first.click()
    page.locator("input[name=what_happened][value=held_for_ice]").check()
    group(
        page, pt("Is someone in custody right now because of an ICE hold or immigration warrant?")
    ).get_by_label(pt("No"), exact=True).check()
    day = (date.today() - timedelta(days=2)).isoformat()
    page.get_by_label(pt("When did it happen?")).fill(day)
    page.get_by_label(pt("Where did it happen?")).fill("Central police station")
    page.get_by_label(pt("The police department")).check()
    page.get_by_label(pt("Tell us what happened")).fill(NARRATIVE)
    page.get_by_label(pt("Only our organisation")).check()
    page.get_by_label("Português", exact=True).check()
    page.get_by_label(pt("In person")).check()
    page.get_by_label(pt("On which day did the client agree?")).fill(day)
    page.get_by_label(
        pt(
            "I confirm that the client agreed that our organisation files this complaint for "
            "them, as stated above, and that what is written is true as far as we know."
        )
    ).check()
    shots.take(page, "advocate form in portuguese")
    page.get_by_role("button", name=pt("Send the complaint")).click()
    page.get_by_role("heading", name=pt("The complaint was filed")).wait_for()
    reference = page.locator("#reference").inner_text()
    assert_no_violations(page, axe_source, "advocate's receipt in Portuguese")

    page.goto("/org/")
    row = page.get_by_role("row", name=re.compile(reference))
    assert row.get_by_text(pt("No"), exact=True).is_visible()  # nobody waits on them yet
    shots.take(page, "dashboard after filing")

    intake, _ = staff_page(Role.INTAKE)
    open_staff_case(intake, reference)
    assert "Português" in intake.locator(".summary-list").first.inner_text()
    take_action(intake, "Acknowledge", "Acknowledge")
    intake.locator("#message-text").fill("Qual era o número da reserva?")
    intake.get_by_label(re.compile("Wait for their answer")).check()
    intake.get_by_role("button", name="Send message").click()
    intake.get_by_text("Message sent.").wait_for()

    page.goto("/org/")
    row = page.get_by_role("row", name=re.compile(reference))
    assert row.get_by_text(pt("Yes: the office asked a question")).is_visible()
    page.get_by_label(pt("Only cases where the office waits for an answer")).check()
    page.get_by_role("button", name=pt("Filter")).click()
    assert page.get_by_role("link", name=reference).is_visible()
    assert_no_violations(page, axe_source, "organisation dashboard in Portuguese")
    shots.take(page, "dashboard waiting")
    page.get_by_role("link", name=reference).click()
    assert page.get_by_text("Qual era o número da reserva?").is_visible()
    page.get_by_label(pt("Your message or new information")).fill("B-2026-0042.")
    page.get_by_role("button", name=pt("Send"), exact=True).click()
    page.get_by_text("B-2026-0042.").wait_for()
    assert_no_violations(page, axe_source, "organisation's case page in Portuguese")
    shots.take(page, "advocate replied")
    page.goto("/org/")
    row = page.get_by_role("row", name=re.compile(reference))
    assert row.get_by_text(pt("No"), exact=True).is_visible()
