"""The resident's journey with the keyboard alone, focus always visible; no page a resident
sees, nor the staff queue and case page, scrolls sideways on a 320-pixel screen."""

from __future__ import annotations

from datetime import date, timedelta
from http import HTTPStatus

from complaints_app.models import Role
from tests.browser.conftest import WIDTHS
from tests.browser.test_journeys import (
    NARRATIVE,
    STEP_HEADINGS,
    fill_complaint,
    open_case,
    receipt,
)
from tests.staff.conftest import file_complaint

FOCUS = """(css) => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== 'none';
  const name = el.getAttribute('name');
  return {
    element: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (name ? `[name=${name}]` : '')
      + ` (outline ${style.outlineStyle} ${style.outlineWidth}, ring ${style.boxShadow})`,
    id: el.id,
    visible: outline || shadow,
    matches: el.matches(css),
  };
}"""


def tab_to(page, css: str, limit: int = 120) -> None:
    """Press Tab until the element ``css`` has focus, checking at every stop on the way that
    the focused element shows it (an outline or a ring)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS, css)
        assert focused is not None, f"Tab left the page before reaching {css}"
        assert focused["visible"], f"focus is not visible on {focused['element']} ({page.url})"
        if focused["matches"]:
            return
    raise AssertionError(f"{css} was not reached with Tab on {page.url}")


def choose(page, name: str, value: str) -> None:
    """Pick a radio button as a keyboard user does: Tab into the group, arrows to the choice
    (which chooses it), or Space on the first one."""
    tab_to(page, f"input[name={name}]")
    target = f"input[name={name}][value={value}]"
    for _ in range(10):
        focused = page.evaluate(FOCUS, target)
        assert focused["visible"], f"focus is not visible on {focused['element']}"
        if focused["matches"]:
            if not page.locator(target).is_checked():
                page.keyboard.press("Space")  # Tab into a group focuses, but does not choose
            assert page.locator(target).is_checked()
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{target} was not reached with the arrow keys")


def test_resident_files_and_tracks_with_the_keyboard_alone(new_context, shots):
    page = new_context(locale="en-US").new_page()
    page.goto("/")
    tab_to(page, "a[href='/complaints/new']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/complaints/new/what-happened")

    def next_page(number: int) -> None:
        tab_to(page, "main .button--primary")
        page.keyboard.press("Enter")
        page.get_by_role("heading", level=1, name=STEP_HEADINGS[number - 1]).wait_for()

    tab_to(page, "input[name=what_happened][value=held_for_ice]")
    page.keyboard.press("Space")
    choose(page, "urgent", "no")
    next_page(2)
    tab_to(page, "#incident_date")
    day = date.today() - timedelta(days=3)
    page.keyboard.type(f"{day.month:02d}{day.day:02d}{day.year}")
    tab_to(page, "#incident_place")
    page.keyboard.type("Central police station")
    next_page(3)
    choose(page, "agency", "police")
    next_page(4)
    tab_to(page, "#narrative")
    page.keyboard.type(NARRATIVE)
    next_page(5)
    next_page(6)
    choose(page, "contact_choice", "anonymous")
    next_page(7)
    # The Back link, by keyboard, goes to the previous page with its answer kept.
    tab_to(page, "a.back-link")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=STEP_HEADINGS[5]).wait_for()
    assert page.locator("input[name=contact_choice][value=anonymous]").is_checked()
    next_page(7)
    next_page(8)
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    shots.take(page, "form filled with the keyboard")
    tab_to(page, "button.button--primary")
    page.keyboard.press("Enter")
    reference, code = receipt(page)
    shots.take(page, "receipt")

    tab_to(page, "main a[href='/track']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/track")
    tab_to(page, "#reference")
    page.keyboard.type(reference)
    tab_to(page, "#code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"Your case {reference}").wait_for()
    tab_to(page, "#message")
    page.keyboard.type("I remembered the officer's badge: 4417.")
    tab_to(page, "button.button--primary")
    page.keyboard.press("Enter")
    page.get_by_text("I remembered the officer's badge: 4417.").wait_for()
    shots.take(page, "case with the message, by keyboard")


NARROW = {"width": 320, "height": 640}
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
         (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
  return {scroll: document.documentElement.scrollWidth, wide};
}"""


def assert_fits(page, problems: list[str], shots, what: str) -> None:
    found = page.evaluate(OVERFLOW)
    if found["scroll"] > NARROW["width"]:
        problems.append(
            f"{what} ({page.url}) is {found['scroll']} px wide at 320: {', '.join(found['wide'])}"
        )
    shots.take(page, what, widths=(NARROW["width"], *WIDTHS))


def public_pages(app) -> list[str]:
    """Every address of the URL map without parameters or permission that shows a page to
    anyone: new public pages are included as they are added."""
    client = app.test_client()
    pages = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or rule.arguments or hasattr(view, "required_permissions"):
            continue
        # The complaint form's address starts a form and opens its first page.
        response = client.get(rule.rule, follow_redirects=True)
        if response.status_code == HTTPStatus.OK and response.mimetype == "text/html":
            pages.append(rule.rule)
    return sorted(pages)


def test_no_sideways_scrolling_at_320_pixels(app, db, new_context, staff_page, shots):
    problems: list[str] = []
    pages = public_pages(app)
    assert {"/", "/policy", "/complaints/new", "/track"} <= set(pages), pages
    page = new_context(viewport=NARROW).new_page()
    for path in pages:
        page.goto(path)
        assert_fits(page, problems, shots, path)

    page.goto("/complaints/new")
    page.get_by_role("button", name="Continue").click()
    assert_fits(page, problems, shots, "complaint form with errors")
    fill_complaint(
        page, on_step=lambda n, heading: assert_fits(page, problems, shots, f"step {n} {heading}")
    )
    page.get_by_role("button", name="Send my complaint").click()
    reference, code = receipt(page)
    assert_fits(page, problems, shots, "receipt")
    open_case(page, reference, code)
    assert_fits(page, problems, shots, "tracked case")

    # Long words and addresses must wrap, not push the page wider.
    long = file_complaint(
        db,
        narrative="See https://example.org/" + "a-very-long-address-without-spaces" * 4,
        incident_place="Mattapan-Hyde-Park-Roslindale-West-Roxbury-district-station",
    ).reference
    db.session.commit()
    staff, _ = staff_page(Role.SUPERVISOR, viewport=NARROW)
    staff.goto("/staff/cases")
    assert_fits(staff, problems, shots, "staff queue")
    for ref in (reference, long):
        staff.goto(f"/staff/cases/{ref}")
        assert_fits(staff, problems, shots, f"staff case {ref}")
    assert not problems, "\n".join(problems)
