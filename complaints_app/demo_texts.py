"""What the demo's cases are made of: how often each channel, agency, clause, ending and
disposition occurs, and the short texts people write. Plain data, read by ``demo_story``."""

from __future__ import annotations

import random
from itertools import accumulate

from complaints_app.models import Agency, Channel, ClosureReason, Disposition, Status

# How each case ends if nothing stops it first, with its share of cases. Open cases are the
# ones whose next step falls after the as-of moment.
ENDINGS: tuple[tuple[str, float], ...] = (
    ("approve", 0.56),
    ("no_trust_act_allegation", 0.08),
    ("outside_jurisdiction", 0.06),
    ("duplicate", 0.04),
    ("referred", 0.06),
    ("withdraw_early", 0.06),
    ("withdraw_late", 0.06),
    # Still open now however long ago they came in: the backlog.
    ("stalled", 0.08),
)
SCREEN_OUT = {
    "no_trust_act_allegation": ClosureReason.NO_TRUST_ACT_ALLEGATION,
    "outside_jurisdiction": ClosureReason.OUTSIDE_JURISDICTION,
    "duplicate": ClosureReason.DUPLICATE,
    "referred": ClosureReason.REFERRED,
}

# The first cases of a run are made to cover every status, closure reason, disposition,
# channel and agency, so even a small demo shows each of them.
FORCED: tuple[tuple[str, Status | None, Disposition | None], ...] = (
    ("stalled", Status.SUBMITTED, None),
    ("stalled", Status.TRIAGE, None),
    ("stalled", Status.INVESTIGATION, None),
    ("stalled", Status.REVIEW, None),
    *(("approve", None, d) for d in Disposition),
    ("no_trust_act_allegation", None, None),
    ("outside_jurisdiction", None, None),
    ("duplicate", None, None),
    ("referred", None, None),
    ("withdraw_early", None, None),
    ("withdraw_late", None, None),
)

CHANNEL_WEIGHTS = (
    (Channel.WEB, 0.55),
    (Channel.ADVOCATE, 0.15),
    (Channel.PHONE, 0.12),
    (Channel.WALK_IN, 0.08),
    (Channel.MAIL, 0.05),
    (Channel.API, 0.05),
)
AGENCY_WEIGHTS = (
    (Agency.POLICE, 0.55),
    (Agency.JAIL, 0.3),
    (Agency.OTHER_CITY, 0.1),
    (Agency.UNKNOWN, 0.05),
)
# Approved findings, as civilian oversight agencies report them.
DISPOSITION_WEIGHTS = (
    (Disposition.SUSTAINED, 0.2),
    (Disposition.NOT_SUSTAINED, 0.3),
    (Disposition.EXONERATED, 0.14),
    (Disposition.UNFOUNDED, 0.2),
    (Disposition.POLICY_FAILURE, 0.08),
    (Disposition.NO_FINDING, 0.08),
)
# Which clauses people complain under, most often first; the question that suggests each.
CLAUSE_WEIGHTS = (
    ("2c", 0.22),
    ("2b", 0.18),
    ("2d", 0.14),
    ("2e", 0.12),
    ("trust", 0.1),
    ("2f", 0.07),
    ("2h", 0.06),
    ("2g", 0.05),
    ("2i", 0.04),
    ("4", 0.02),
)
QUESTION_FOR = {
    "trust": "treated_for_status",
    "2b": "asked_status",
    "2c": "held_for_ice",
    "2d": "info_shared_with_ice",
    "2e": "ice_access",
    "2f": "copy_refused",
    "2g": "u_visa",
    "2h": "helped_ice",
    "2i": "acted_as_ice",
}

FIRST_NAMES = (
    "Ana", "Luis", "Maria", "Jose", "Fatima", "Wei", "Amina", "Carlos", "Sofia", "Jean",
    "Nadia", "Omar", "Rosa", "Tran", "Grace", "Samuel", "Lucia", "Ivan", "Mei", "Ahmed",
)  # fmt: skip
LAST_NAMES = (
    "Garcia", "Nguyen", "Hernandez", "Okafor", "Lopez", "Chen", "Diallo", "Martinez",
    "Haddad", "Silva", "Kowalski", "Mensah", "Reyes", "Pham", "Joseph", "Alvarez",
)  # fmt: skip
PLACES = (
    "Central police station", "the county jail on Water Street", "Main Street and 5th Avenue",
    "the bus terminal", "my apartment building on Elm Street", "District 2 station",
    "the courthouse steps", "a traffic stop on Route 9", "the city clinic", "Harbor Park",
)  # fmt: skip
TIMES = ("around 9 pm", "early morning", "about 2:30 pm", "late at night", "midday", "")
DETAILS = ("District 2", "booking desk", "night shift", "traffic unit", "housing office", "")
OFFICERS = ("Badge 4417", "Officer Lee", "Sgt. Ramos", "Badge 2290", "two officers", "")
ACCESS = ("booking list", "records", "facility", "phone", "video", "person in custody")
# One plain sentence per clause: what the complainant says happened.
SAYS = {
    "trust": "I was treated differently because they thought I was an immigrant.",
    "2b": "The officer asked about my immigration status during a traffic stop.",
    "2c": "I was kept in custody after bail was posted because of an ICE form.",
    "2d": "The jail told ICE my release date and ICE was waiting outside.",
    "2e": "ICE agents came into the station and questioned me in a cell.",
    "2f": "I asked for a copy of the ICE request about me and they refused.",
    "2g": "My U visa certification request was ignored for months.",
    "2h": "City staff helped ICE find my neighbour at work.",
    "2i": "A city officer told me he was arresting me for ICE.",
    "4": "The police would not say how many ICE requests they received.",
}
OPENINGS = (
    "This happened to me.",
    "I am writing for my brother.",
    "I saw this happen to my neighbour.",
    "Please look into this.",
    "I am afraid to give my name.",
    "",
)
CLOSINGS = (
    "I want to know why.",
    "Nobody explained anything.",
    "My family was very scared.",
    "I have papers from that day.",
    "",
)
NOTES = (
    "Requested booking records from the jail.",
    "Called the shift supervisor; waiting for a reply.",
    "Reviewed body-camera footage; nothing on status.",
    "Checked the ICE request log for that date.",
    "Spoke with the complainant by phone.",
)
QUESTIONS = (
    "Could you tell us the time you were released?",
    "Do you have the paper the jail gave you?",
    "Can we call you at a safe time this week?",
)
REPLIES = (
    "I was released around 6 in the morning.",
    "Yes, I will bring the paper on Monday.",
    "Please call after 5 pm.",
    "I do not remember the officer's name.",
)
# "{reference}" is filled in once the case has its reference.
ACK = "Thank you. We received your complaint and will review it. Reference: {reference}."
OUTCOME = "We finished our review of your complaint. The findings are now available."
SCREEN_OUT_TEXT = {
    ClosureReason.NO_TRUST_ACT_ALLEGATION: "What you describe is not covered by the Trust Act.",
    ClosureReason.OUTSIDE_JURISDICTION: "This concerns an agency the city does not oversee.",
    ClosureReason.DUPLICATE: "This repeats a complaint already under review.",
    ClosureReason.REFERRED: "We sent your complaint to the office that handles it.",
}
RETURN_REASONS = ("Please address the 2c facts.", "The summary needs the jail's records.")
FINDINGS = (
    "Records show the hold was honoured past release.",
    "No evidence either way; witnesses disagree.",
    "Conduct followed a written practice that conflicts with the ordinance.",
    "The officer did not ask about status; body camera confirms.",
)
STAFF_WITHDRAW_NOTE = "The complainant called to withdraw."
STAFF_WITHDRAW_MESSAGE = "As you asked, we closed your complaint. You can file again at any time."


_CUMULATIVE: dict[int, tuple[list, list[float]]] = {}


def weighted(rng: random.Random, pairs: tuple) -> object:
    """One value from ``(value, weight)`` pairs."""
    # The pairs are module constants: their running totals are worked out once.
    found = _CUMULATIVE.get(id(pairs))
    if found is None:
        values = [v for v, _ in pairs]
        totals = list(accumulate(w for _, w in pairs))
        found = _CUMULATIVE[id(pairs)] = (values, totals)
    return rng.choices(found[0], cum_weights=found[1])[0]
