"""The words a complainant reads when their case closes: what each allegation was about, what
was found, what happens next, and where else they can turn.

Staff start from these texts and may edit them; the workflow refuses to close a case with an
empty message. Everything here is plain words for a resident who never read the ordinance:
clause titles and summaries come from the catalogue with the city's names filled in, and every
sentence goes through gettext with named placeholders.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints_app.models import Allegation, ClosureReason, Complaint, Disposition
from complaints_app.services.clause_texts import clause_text
from complaints_app.templating import policy_text

# What each finding means for the person who complained, not the oversight term of art.
DISPOSITION_PLAIN = {
    Disposition.SUSTAINED: _l(
        "We found that this happened and that it broke the policy. We have told the "
        "department, and asked it to act."
    ),
    Disposition.NOT_SUSTAINED: _l(
        "We could not find enough evidence to say whether this happened or not. This does not "
        "mean we think you are wrong."
    ),
    Disposition.EXONERATED: _l(
        "We found that this happened, but that it was allowed under the law or the policy."
    ),
    Disposition.UNFOUNDED: _l("We found that this did not happen as described."),
    Disposition.POLICY_FAILURE: _l(
        "We found that the officer followed a department practice, but that the practice itself "
        "goes against the policy. We have asked the department to change it."
    ),
    Disposition.NO_FINDING: _l(
        "We made no finding, because the complaint was withdrawn or we could not reach you."
    ),
}

# Why a case was closed without an investigation, in plain words.
CLOSURE_PLAIN = {
    ClosureReason.NO_TRUST_ACT_ALLEGATION: _l(
        "what you described is not something the %(policy)s covers"
    ),
    ClosureReason.OUTSIDE_JURISDICTION: _l(
        "what you described is outside what our office can look into, for example because it "
        "concerns another city, the state or federal agents"
    ),
    ClosureReason.DUPLICATE: _l(
        "the same events are already in another complaint, and we handle them together there"
    ),
    ClosureReason.REFERRED: _l("we sent your complaint to another office that can deal with it"),
    ClosureReason.WITHDRAWN: _l("it was withdrawn"),
    ClosureReason.FINDINGS_APPROVED: _l("the findings were approved"),
}


def closure_plain(reason: ClosureReason | None) -> str:
    """Why a case closed, as the end of the sentence "Your complaint was closed: …"."""
    if reason is None:
        return ""
    return str(CLOSURE_PLAIN[reason]) % {"policy": current_app.config["POLICY_TITLE"]}


def _allegation_plain(allegation: Allegation, *, with_finding: bool) -> str:
    if allegation.clause is not None:
        # In the language the message is being written in (the complainant's), English when
        # that language has no official text of this clause version.
        words = clause_text(allegation.clause)
        about = _(
            "%(title)s. %(summary)s",
            title=policy_text(words.title),
            summary=policy_text(words.summary),
        )
    else:
        about = _("Something else you described.")
    if not with_finding or allegation.disposition is None:
        return "- " + about
    return _(
        "- %(about)s\n  What we found: %(finding)s",
        about=about,
        finding=DISPOSITION_PLAIN[allegation.disposition],
    )


def _allegations_plain(complaint: Complaint, *, with_finding: bool) -> str:
    # One paragraph per allegation: the tracking page shows blank-line-separated paragraphs.
    return "\n\n".join(
        _allegation_plain(a, with_finding=with_finding) for a in complaint.allegations
    )


def _elsewhere() -> str:
    cfg = current_app.config
    text = _(
        "Where else you can turn: a legal aid organisation or a lawyer can advise you for free "
        "or at low cost, and can tell you whether you can go to court. You can also contact "
        "your state's civil rights office. Nobody at our office will ask about your "
        "immigration status."
    )
    extra = (cfg.get("OUTCOME_HELP") or "").strip()
    return f"{text}\n{extra}" if extra else text


def _sign_off() -> str:
    cfg = current_app.config
    return _("%(office)s, %(city)s", office=cfg["OFFICE_NAME"], city=cfg["CITY_NAME"])


def approval_message(complaint: Complaint) -> str:
    """The prefilled outcome of approved findings: every allegation's clause and finding in
    plain words, what happens next, and where else to turn."""
    return "\n\n".join(
        [
            _(
                "We have finished looking into your complaint %(ref)s. Here is what you told us "
                "about and what we found:",
                ref=complaint.reference,
            ),
            _allegations_plain(complaint, with_finding=True),
            _(
                "What happens next: your case is now closed. You can still read it here with your "
                "reference and tracking code. If something new happens, you can file a new "
                "complaint."
            ),
            _elsewhere(),
            _sign_off(),
        ]
    )


def screen_out_message(complaint: Complaint) -> str:
    """The prefilled message of a case closed without investigation. The workflow puts the
    reason, in plain words, before it (``screen_out_reason_sentence``), so the words always
    match the reason recorded."""
    return "\n\n".join(
        [
            _("Your complaint %(ref)s was about:", ref=complaint.reference),
            _allegations_plain(complaint, with_finding=False),
            _(
                "What happens next: our office will not investigate this complaint. You can "
                "still read it here with your reference and tracking code. If something new "
                "happens, you can file a new complaint."
            ),
            _elsewhere(),
            _sign_off(),
        ]
    )


def screen_out_reason_sentence(reason: ClosureReason) -> str:
    """The first sentence of a screen-out message: why the case closed, in plain words."""
    # The surviving case may be someone else's: its reference is never named here.
    return _("We closed your complaint because %(why)s.", why=closure_plain(reason))


def withdrawal_message(complaint: Complaint) -> str:
    """The prefilled message of a withdrawal staff record for the complainant."""
    return "\n\n".join(
        [
            _(
                "You told us that you want to withdraw your complaint %(ref)s. We have closed it "
                "and stopped working on it.",
                ref=complaint.reference,
            ),
            _(
                "What happens next: nothing more, unless you contact us. You can still read your "
                "case here with your reference and tracking code, and you can file a new "
                "complaint at any time."
            ),
            _elsewhere(),
            _sign_off(),
        ]
    )
