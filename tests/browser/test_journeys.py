"""Whole journeys in Chromium: a resident files with a photo and tracks the case; the office
acknowledges, screens in, investigates and approves; the resident reads the outcome. Also
the resident's journey without JavaScript."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from PIL import Image

from complaints_app.models import Role
from tests.browser.axe import describe, violations

QUESTION = "Were you kept in custody after you should have been released"
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


def continue_to(page, number: int) -> None:
    """Press Continue and wait for step ``number`` (1-based)."""
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", level=1, name=STEP_HEADINGS[number - 1]).wait_for()


def fill_complaint(
    page, *, photo: bytes | None = None, anonymous: bool = False, on_step=None
) -> None:
    """Go through the form's pages the way a resident would, with the mouse and the
    keyboard's typing, up to the send page with the confirmation ticked; nothing is sent
    yet. ``on_step(number, heading)`` is called on each page once it is shown."""

    def shown(number: int) -> None:
        page.get_by_role("heading", level=1, name=STEP_HEADINGS[number - 1]).wait_for()
        assert page.get_by_text(f"Step {number} of 8").is_visible()
        if on_step is not None:
            on_step(number, STEP_HEADINGS[number - 1])

    shown(1)
    page.get_by_label(re.compile(QUESTION)).check()
    group(page, "Is someone in custody right now").get_by_label("No").check()
    continue_to(page, 2)
    shown(2)
    page.get_by_label("When did it happen?").fill((date.today() - timedelta(days=3)).isoformat())
    page.get_by_label("Where did it happen?").fill("Central police station")
    continue_to(page, 3)
    shown(3)
    page.get_by_label("The police department").check()
    continue_to(page, 4)
    shown(4)
    page.get_by_label("Tell us what happened").fill(NARRATIVE)
    continue_to(page, 5)
    shown(5)
    if photo is not None:
        page.get_by_label("Photos or documents (optional)").set_input_files(
            [{"name": "photo.png", "mimeType": "image/png", "buffer": photo}]
        )
    continue_to(page, 6)
    shown(6)
    if anonymous:
        page.get_by_label("No, I want to stay anonymous").check()
    else:
        page.get_by_label("Yes, you may contact me").check()
        page.get_by_label("Your name (optional)").fill("Ana Example")
        group(page, "How should we contact you?").get_by_label("Email").check()
        page.get_by_label("Email address").fill("ana@example.org")
        group(page, "Is it safe for us to contact you this way?").get_by_label(
            "Yes, it is safe"
        ).check()
    continue_to(page, 7)
    shown(7)
    if photo is not None:
        assert page.get_by_text("photo.png").is_visible()
    assert page.get_by_text(NARRATIVE).is_visible()
    page.get_by_role("link", name="Continue").click()
    shown(8)
    page.get_by_label(re.compile("I understand that the office will read")).check()


def receipt(page) -> tuple[str, str]:
    page.get_by_role("heading", name="Your complaint was received").wait_for()
    return page.locator("#reference").inner_text(), page.locator("#tracking-code").inner_text()


def open_case(page, reference: str, code: str) -> None:
    page.goto("/track")
    page.get_by_label("Case reference").fill(reference)
    page.get_by_label("Tracking code").fill(code)
    page.get_by_role("button", name="Show my case").click()
    page.get_by_role("heading", name=f"Your case {reference}").wait_for()


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


def test_office_takes_the_case_to_an_outcome_the_resident_reads(
    new_context, staff_page, make_user, shots, axe_source
):
    resident = new_context().new_page()
    resident.goto("/complaints/new")
    fill_complaint(resident, anonymous=True)
    resident.get_by_role("button", name="Send my complaint").click()
    reference, code = receipt(resident)

    investigator = make_user(Role.INVESTIGATOR)
    investigator_name = investigator.display_name

    intake, _ = staff_page(Role.INTAKE)
    open_staff_case(intake, reference)
    shots.take(intake, "intake case")
    take_action(intake, "Acknowledge", "Acknowledge")
    intake.get_by_text("acknowledged", exact=False).first.wait_for()
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

    page, _ = staff_page(user=investigator)
    open_staff_case(page, reference)
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
    take_action(supervisor, "Approve findings", "Approve findings and close")
    assert "Closed" in supervisor.locator(".summary-list").first.inner_text()
    shots.take(supervisor, "approved")

    later = new_context().new_page()
    open_case(later, reference, code)
    status = later.get_by_role("heading", name=re.compile("Status:")).inner_text()
    assert "Closed" in status or "closed" in status, status
    assert later.get_by_text("Message from the").count() >= 2  # acknowledgement and outcome
    assert later.get_by_text("This case is closed").is_visible()
    assert_no_violations(later, axe_source, "closed case, as the resident")
    shots.take(later, "outcome")


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
