"""axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation on any page of the app.

The pages come from the URL map: every rule that answers GET, filled in with real objects
(a case, a clause, an account, a one-time link, a ledger entry, a finalised report, an
organisation's case) and opened by each role its permission lets in, and by an organisation's
lead advocate where only a lead may go. A new page is checked without anyone listing it;
one whose address needs a value this file cannot give fails with a message saying so.
Files, JSON and CSV are left out by the content type they are served with, not by name.
The walk is made in every language a page is offered in: each browser asks for its language
with Accept-Language, as a resident's browser would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import url_for

from complaints_app.authz import LEAD_PERMISSIONS, ROLE_PERMISSIONS
from complaints_app.i18n import STAFF_BLUEPRINTS
from complaints_app.models import (
    Channel,
    ConsentMethod,
    Disposition,
    RequestForm,
    RequestKind,
    RequestOutcome,
    RequestReason,
    Role,
    TokenScope,
)
from complaints_app.services import (
    account_changes,
    api_tokens,
    ledger,
    organisations,
    periods,
    semiannual,
    two_factor,
    workflow,
)
from complaints_app.services.public_statistics import PUBLIC_TABLES
from complaints_app.services.statistics import TABLE_KEYS
from tests.browser.axe import ambiguous_labels, describe, duplicate_ids, violations
from tests.browser.conftest import PASSWORD, SCREENSHOTS, sign_in
from tests.browser.test_journeys import fill_complaint, translator
from tests.browser.test_keyboard_and_width import NARROW, OVERFLOW
from tests.helpers import FORM_STEPS, png_with_text, post_complaint, receipt_of
from tests.ledger.conftest import Calendar, calendar  # noqa: F401 — a fixture used here
from tests.ledger.test_semiannual import _entry as ledger_entry
from tests.staff.conftest import complaint_by_reference, file_complaint

ANONYMOUS = "anonymous"
# An advocate whom an admin made their organisation's lead: the only one who opens the
# pages of LEAD_PERMISSIONS.
LEAD_ADVOCATE = "lead advocate"
# A page that needs a signed-in account but no particular permission is opened as intake.
SIGNED_IN = Role.INTAKE


@dataclass
class Samples:
    """Values for the parts of an address, keyed by argument name; several values give
    several pages (a case in each state that shows different forms)."""

    values: dict[str, list] = field(default_factory=dict)
    # Plain email addresses, not ORM objects: reading an expired object would open a
    # transaction (on SQLite, the write lock) while the server works.
    emails: dict[Role | str, str] = field(default_factory=dict)
    totp_email: str = ""


def _federal_request(day, booking: str, reason: str = "") -> ledger.Entry:
    """A hold the person was detained on, as the ledger tests enter it."""
    entry = ledger_entry(
        day,
        RequestKind.HOLD,
        RequestForm.I_247A,
        [RequestReason.FINAL_ORDER],
        booking,
        RequestOutcome.DETAINED,
        "4",
    )
    return replace(entry, amendment_reason=reason)


@pytest.fixture
def samples(app, db, make_user, calendar: Calendar) -> Samples:  # noqa: F811
    users = {role: make_user(role) for role in Role}
    intake, investigator = users[Role.INTAKE], users[Role.INVESTIGATOR]
    # A fresh case; one with a photo filed through the public form, under investigation by
    # the investigator (so every role that opens cases can open its file); one waiting for
    # the supervisor's review.
    submitted = file_complaint(db)
    response = post_complaint(app.test_client(), files=[(png_with_text(), "photo.png")])
    assert response.status_code == HTTPStatus.OK
    investigated = complaint_by_reference(db, receipt_of(response)[0])
    reviewed = file_complaint(db, urgent=True)
    for complaint in (investigated, reviewed):
        workflow.acknowledge(complaint, intake, "We received your complaint.")
        for allegation in complaint.allegations:
            allegation.clause_confirmed = True
        workflow.screen_in(complaint, intake, investigator)
    for allegation in reviewed.allegations:
        allegation.disposition = Disposition.SUSTAINED
    workflow.submit_findings(reviewed, investigator, "The hold was unlawful.")
    issued = account_changes.create_account(
        users[Role.ADMIN], "new.records@office.example", Role.RECORDS
    )
    # An account with an authenticator app, for the second step of sign-in.
    totp_user = make_user(Role.SUPERVISOR)
    secret = two_factor.new_secret()
    assert two_factor.enroll(totp_user, secret, pyotp.TOTP(secret).now())
    # The advocate's organisation: its lead (who manages its advocates), a case it filed for
    # a client, and an API token (the tokens page lists it).
    advocate = users[Role.ADVOCATE]
    lead = make_user(Role.ADVOCATE)
    organisations.set_lead(None, lead, True)
    for_client = file_complaint(
        db,
        channel=Channel.ADVOCATE,
        contact=None,
        filed_by=advocate,
        organisation=advocate.organisation,
        consent_attested=True,
        consent_method=ConsentMethod.IN_PERSON,
        consent_given_on=calendar.day(1, "second"),
    )
    api_tokens.issue(advocate, "Case sync", TokenScope.READ)
    # The section 4 ledger: a request in the first period, which is then finalised and
    # amended by a supervisor (so its report shows the amendment), and one in the running
    # period (whose report is still open, with the cross-check and no public page).
    over = ledger.create(_federal_request(calendar.day(10), "B-1001"), users[Role.RECORDS])
    running = ledger.create(
        _federal_request(calendar.day(1, "second"), "B-1002"), users[Role.RECORDS]
    )
    first = periods.period_of(calendar.first)
    semiannual.finalise(first, users[Role.SUPERVISOR])
    ledger.create(
        _federal_request(calendar.day(11), "B-1003", "Found in the paper file after the report."),
        users[Role.SUPERVISOR],
    )
    found = Samples(
        values={
            "reference": [
                submitted.reference,
                investigated.reference,
                reviewed.reference,
                for_client.reference,
            ],
            "attachment_id": [investigated.attachments[0].id],
            "code": ["2c"],
            "language": ["es"],
            "user_id": [investigator.id],
            "token": [issued.token],
            "filename": ["css/app.css"],
            "request_id": [over.id, running.id],
            "period_name": [first.name, periods.period_of(calendar.second).name],
            "key": [TABLE_KEYS[0]],
            "table_key": [PUBLIC_TABLES[0]],
            "step": [slug for slug, _names in FORM_STEPS],
        },
        emails={
            **{role: user.email for role, user in users.items()},
            LEAD_ADVOCATE: lead.email,
        },
        totp_email=totp_user.email,
    )
    db.session.commit()  # and hold no transaction (SQLite's lock) while the server works
    return found


def _second_factor_step(visits: Visits):
    """The second step of sign-in exists only between the password and the code: an
    account with an authenticator app signs in up to that step."""
    page = visits.context().new_page()
    page.goto("/login")
    page.locator("#email").fill(visits.samples.totp_email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/login/two-factor")
    return ANONYMOUS, page


def _link_opened(visits: Visits):
    """A one-time link's page shows its form once the link was opened in this browser."""
    page = visits.context().new_page()
    page.goto(f"/account/link/{visits.samples.values['token'][0]}")
    return ANONYMOUS, page


def _enrolling(visits: Visits):
    """The QR code is drawn only while an authenticator app is being set up."""
    page = visits.context().new_page()
    sign_in(page, visits.samples.emails[SIGNED_IN])
    page.goto("/account/two-factor")
    return SIGNED_IN, page


# Pages that can be shown only after something happened in the same browser: the endpoint
# and what to do first; each gets a browser of its own.
def _complaint_form_filled(visits: Visits):
    """The complaint form's later pages open only once the earlier ones are answered: one
    browser goes through every page up to the send page, and each page is then opened."""
    page = getattr(visits, "complaint_form_page", None)
    if page is None:
        page = visits.context().new_page()
        page.goto("/complaints/new")
        fill_complaint(page, t=visits.words)
        visits.complaint_form_page = page
    return ANONYMOUS, page


PREPARE = {
    "public.complaint_step": _complaint_form_filled,
    "public.complaint_check": _complaint_form_filled,
    "public.complaint_send": _complaint_form_filled,
    "auth.second_factor": _second_factor_step,
    "auth.account_link": _link_opened,
    "auth.enrolment_qr": _enrolling,
}


# Query arguments a page needs beside its address (a period, say), by endpoint.
QUERY: dict[str, dict[str, str]] = {"staff.report_csv": {"period": "all"}}


class Visits:
    """One signed-in browser context per role (and one anonymous), opened when first needed.
    A page already checked is not checked again, except once for each role that has not yet
    been shown that rule's page."""

    def __init__(self, new_context, samples: Samples, axe_source: str, shots, app, lang) -> None:
        self.new_context = new_context
        self.lang = lang
        self.words = translator(app, lang)
        self.samples = samples
        self.axe_source = axe_source
        self.shots = shots
        self.pages: dict[object, object] = {}
        self.checked: list[str] = []
        self.seen: set[tuple[object, str]] = set()
        self.narrow_checked: set[str] = set()
        self.problems: list[str] = []
        self.excluded: list[str] = []

    def context(self):
        """A context whose every page has axe loaded before its own content: cheaper than
        evaluating the script again after each navigation."""
        context = self.new_context(
            locale=self.lang, extra_http_headers={"Accept-Language": self.lang}
        )
        context.add_init_script(script=self.axe_source)
        return context

    def page(self, who):
        if who not in self.pages:
            page = self.context().new_page()
            if who != ANONYMOUS:
                sign_in(page, self.samples.emails[who])
            self.pages[who] = page
        return self.pages[who]

    def check(self, page, who, what: str) -> None:
        """axe at a desktop's width (and, the first time a rule is seen, at a phone's: what
        the narrow layout shows or hides, and whether it fits 320 px), and the two
        screenshots."""
        path = urlsplit(page.url).path
        key = (who, path)
        if key in self.seen:
            return
        self.seen.add(key)
        where = f"{what} as {getattr(who, 'value', who)} in {self.lang}"
        self.checked.append(f"{path} ({where})")
        found = violations(page, self.axe_source)
        narrow = []
        if what not in self.narrow_checked:
            self.narrow_checked.add(what)
            page.set_viewport_size({"width": 375, "height": 800})
            narrow = [v for v in violations(page, self.axe_source) if v not in found]
            # The public pages' 320-px check does not reach signed-in pages: each is measured
            # here, on its first visit, at the narrowest phone.
            page.set_viewport_size(NARROW)
            if (wide := page.evaluate(OVERFLOW))["scroll"] > NARROW["width"]:
                self.problems.append(
                    f"{where}: {wide['scroll']} px wide at 320 px, it scrolls sideways: "
                    + ", ".join(wide["wide"])
                )
            page.set_viewport_size({"width": 1280, "height": 800})
        if found or narrow:
            reports = [describe(where, found), describe(f"{where} at 375px", narrow)]
            self.problems.append("\n".join(r for r in reports if r))
        if twice := duplicate_ids(page):
            self.problems.append(f"{where}: ids used more than once: {', '.join(twice)}")
        if same := ambiguous_labels(page):
            self.problems.append(f"{where}: fields sharing a label: {', '.join(same)}")
        if (shown := page.evaluate("document.documentElement.lang")) != self.lang:
            self.problems.append(f"{where}: the page says it is in {shown!r}")
        self.shots.take(page, f"{getattr(who, 'value', who)} {path}")


def _visitors(app, rule) -> list:
    view = app.view_functions[rule.endpoint]
    needed = getattr(view, "required_permissions", None)
    if needed is None:
        return [ANONYMOUS]
    # Most permissions first: a supervisor is shown every form of a case an investigator
    # or intake would see, so the roles after it need only their own first page.
    allowed = [role for role in Role if needed <= ROLE_PERMISSIONS.get(role, frozenset())]
    visitors: list = sorted(allowed, key=lambda role: -len(ROLE_PERMISSIONS[role]))
    if needed & LEAD_PERMISSIONS and needed <= ROLE_PERMISSIONS[Role.ADVOCATE] | LEAD_PERMISSIONS:
        visitors.append(LEAD_ADVOCATE)
    return visitors


REDIRECTS = (301, 302, 303, 307, 308)


def _is_sign_in(location: str) -> bool:
    return urlsplit(location).path == "/login"


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_every_page_has_no_axe_violations(app, db, new_context, samples, axe_source, shots, lang):
    visits = Visits(new_context, samples, axe_source, shots, app, lang)
    needs_sample = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        if (
            rule.endpoint.partition(".")[0] in STAFF_BLUEPRINTS
            and lang not in app.config["STAFF_LANGUAGES"]
        ):
            continue  # the office's pages are not offered in this language: English is checked
        missing = sorted(a for a in rule.arguments if a not in samples.values)
        if missing:
            needs_sample.append(
                f"{rule.rule} ({rule.endpoint}) needs a sample value for "
                f"{', '.join(missing)}: add one to the `samples` fixture of {__name__}"
            )
            continue
        visitors = _visitors(app, rule)
        if not visitors:
            visits.problems.append(f"{rule.rule} ({rule.endpoint}): no role may open it")
        for who in visitors:
            shown = _visit_rule(app, visits, rule, who)
            if not shown:
                visits.problems.append(
                    f"{rule.rule} ({rule.endpoint}) as {getattr(who, 'value', who)} showed no "
                    "page with any sample: give it a sample it can show (the `samples` "
                    "fixture), the query it needs (QUERY) or a way in (PREPARE)"
                )
    report = "\n".join(visits.checked)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"axe-pages-{lang}.txt").write_text(
        report + "\n\nLeft out by content type:\n" + "\n".join(visits.excluded) + "\n"
    )
    assert not needs_sample, "\n".join(needs_sample)
    assert not visits.problems, "\n\n".join(visits.problems)
    assert len(visits.checked) >= (20 if lang in app.config["STAFF_LANGUAGES"] else 15), report


def _visit_rule(app, visits: Visits, rule, who) -> bool:
    """Open every address the rule gives with the samples; True if one showed a page."""
    if rule.endpoint in PREPARE:
        who, page = PREPARE[rule.endpoint](visits)
    else:
        page = visits.page(who)
    if who == ANONYMOUS and rule.endpoint not in PREPARE and not rule.arguments:
        # A page that sends an anonymous visitor to sign in is opened signed in.
        first = page.request.get(_path(app, rule, {}), max_redirects=0)
        if first.status in REDIRECTS and _is_sign_in(first.headers["location"]):
            who, page = SIGNED_IN, visits.page(SIGNED_IN)
    shown = False
    arguments = sorted(rule.arguments)
    for combination in itertools.product(*(visits.samples.values[a] for a in arguments)):
        path = _path(app, rule, dict(zip(arguments, combination, strict=True)))
        if shown and any(p == path for _, p in visits.seen):
            continue  # this address was checked already, and this visitor saw the rule's page
        first = page.request.get(path, max_redirects=0)
        if first.status in REDIRECTS and _is_sign_in(first.headers["location"]):
            continue  # not a way in for this visitor
        response = page.request.get(path) if first.status in REDIRECTS else first
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            # Not a page (a file, JSON, CSV, or an API's refusal in JSON): nothing for axe.
            if (entry := f"{rule.rule} ({content_type})") not in visits.excluded:
                visits.excluded.append(entry)
            shown = True
            continue
        if response.status != HTTPStatus.OK:
            continue  # this sample is not for this visitor (a case they may not open)
        page.goto(path)
        visits.check(page, who, rule.endpoint)
        shown = True
    return shown


def _path(app, rule, values) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **values, **QUERY.get(rule.endpoint, {}))


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_forms_showing_errors_have_no_axe_violations(
    app, new_context, samples, axe_source, shots, lang
):
    """In each language: the complaint form's first step sent empty and its second with a
    date in the future, its send page without the confirmation, the sign-in form sent empty
    and with a wrong password, the tracking form with a wrong code, an advocate's form sent
    empty, and the page for an address that does not exist."""
    t = translator(app, lang)
    browser = new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    page = browser.new_page()
    problems = []

    def check(what: str) -> None:
        assert page.evaluate("document.documentElement.lang") == lang, what
        found = violations(page, axe_source)
        if found:
            problems.append(describe(f"{what} in {lang}", found))
        if same := ambiguous_labels(page):
            problems.append(f"{what} in {lang}: fields sharing a label: {', '.join(same)}")
        shots.take(page, what)

    page.goto("/complaints/new")
    page.get_by_role("button", name=t("Continue")).click()
    assert page.locator("#error-summary").is_visible()
    check("complaint form with errors")
    fill_complaint(page, t=t)
    page.get_by_role("link", name=t("Back")).click()
    page.get_by_role("link", name=t("Back")).click()
    page.goto("/complaints/new/when-and-where")
    page.get_by_label(t("When did it happen?")).fill("2999-01-01")
    page.get_by_role("button", name=t("Continue")).click()
    assert page.locator("#error-summary").is_visible()
    check("complaint date in the future")
    page.goto("/complaints/new/send")
    page.get_by_role("button", name=t("Send my complaint")).click()
    assert page.locator("#error-summary").is_visible()
    check("complaint send page with errors")

    page.goto("/login")
    page.locator("main form button[type=submit]").click()
    assert page.locator("#error-summary").is_visible()
    check("sign-in form sent empty")
    page.locator("#email").fill(samples.emails[Role.INTAKE])
    page.locator("#password").fill("not the password")
    page.locator("main form button[type=submit]").click()
    assert page.get_by_text(t("The email address or password is not right")).is_visible()
    check("sign-in form with a wrong password")

    page.goto("/track")
    page.get_by_label(t("Case reference")).fill(samples.values["reference"][0])
    page.get_by_label(t("Tracking code")).fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name=t("Show my case")).click()
    assert page.locator("#error-summary").is_visible()
    check("tracking form with a wrong code")

    page.goto("/no-such-page")
    check("page not found")

    advocate = browser.new_page()
    sign_in(advocate, samples.emails[Role.ADVOCATE])
    page = advocate
    page.goto("/org/complaints/new")
    page.get_by_role("button", name=t("Send the complaint")).click()
    assert page.locator("#error-summary").is_visible()
    check("advocate's form sent empty")
    assert not problems, "\n\n".join(problems)
