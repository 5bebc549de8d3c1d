"""Section 4 ledger entries for ``demo-data``: ICE holds, administrative warrants and
notification requests received over the same days as the demo's cases, with what came of
them. People are counted by a keyed hash of a made-up booking number, as the ledger counts
them; some people get several requests, and a few requests are linked to a complaint."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from complaints_app.crypto import keyed_digest, keyed_hasher
from complaints_app.demo_story import CaseStory
from complaints_app.demo_texts import weighted
from complaints_app.models import FederalRequest, RequestForm, RequestKind, RequestOutcome

# The ledger's person key is this keyed hash of the booking number.
PERSON_KEY_PURPOSE = "booking-number"
# Ledger entries per case.
REQUESTS_PER_CASE = 0.35


def person_hasher() -> Callable[[str], str]:
    """The ledger's pseudonymous key for a person: a keyed hash of the booking number."""
    column = FederalRequest.__table__.c.person_key
    if column.type.length is not None and column.type.length < 80:
        # A column too narrow for "<key id>$<hex>" holds the bare digest.
        return lambda booking: keyed_digest(PERSON_KEY_PURPOSE, booking).hex()
    return keyed_hasher(PERSON_KEY_PURPOSE)


# Why ICE said it asked, as the request forms give reasons.
REQUEST_REASONS = (
    "final_order",
    "removal_proceedings",
    "biometric_match",
    "statements_or_evidence",
    "other",
    "none_given",
)
FORMS_FOR = {
    RequestKind.HOLD: ((RequestForm.I_247A, 0.9), (RequestForm.OTHER, 0.1)),
    RequestKind.ADMINISTRATIVE_WARRANT: (
        (RequestForm.I_200, 0.55),
        (RequestForm.I_205, 0.35),
        (RequestForm.I_203, 0.1),
    ),
    RequestKind.NOTIFICATION: ((RequestForm.I_247A, 0.7), (RequestForm.OTHER, 0.3)),
}
KIND_WEIGHTS = (
    (RequestKind.HOLD, 0.55),
    (RequestKind.ADMINISTRATIVE_WARRANT, 0.2),
    (RequestKind.NOTIFICATION, 0.25),
)
OUTCOMES_FOR = {
    RequestKind.HOLD: (
        (RequestOutcome.DECLINED, 0.7),
        (RequestOutcome.DETAINED, 0.15),
        (RequestOutcome.TRANSFERRED, 0.15),
    ),
    RequestKind.ADMINISTRATIVE_WARRANT: (
        (RequestOutcome.DECLINED, 0.6),
        (RequestOutcome.DETAINED, 0.2),
        (RequestOutcome.TRANSFERRED, 0.2),
    ),
    RequestKind.NOTIFICATION: (
        (RequestOutcome.DECLINED, 0.75),
        (RequestOutcome.INFORMATION_GIVEN, 0.25),
    ),
}


class LedgerRows:
    """Builds a batch's ledger entries; ``people`` is how many people the run's requests
    are spread over, ``records`` the records officers who enter them."""

    def __init__(self, people: int, records: list[int]):
        self.people = people
        self.records = records
        self.person_hash = person_hasher()

    def rows(
        self,
        rng: random.Random,
        stories: list[tuple[int, str, CaseStory, random.Random]],
        count: int,
    ) -> list[dict]:
        """Section 4 ledger entries received over the same days as the batch's cases; some
        people get several requests; a few entries are linked to a complaint about custody."""
        wanted = int(count * REQUESTS_PER_CASE + rng.random())
        custody = [
            (complaint_id, story)
            for complaint_id, _reference, story, _rng in stories
            if any(a.clause_code in ("2c", "2e") for a in story.allegations)
        ]
        records = self.records
        rows = []
        for _request in range(wanted):
            linked = None
            if custody and rng.random() < 0.08:
                linked, story = rng.choice(custody)
                received_on = story.incident_date
            else:
                story = rng.choice(stories)[2]
                received_on = (story.received_at - timedelta(days=rng.randint(0, 20))).date()
            kind = weighted(rng, KIND_WEIGHTS)
            outcome = weighted(rng, OUTCOMES_FOR[kind])
            held = outcome in (RequestOutcome.DETAINED, RequestOutcome.TRANSFERRED)
            reasons = sorted(set(rng.sample(REQUEST_REASONS, rng.choice((1, 1, 2)))))
            reimbursed = held and rng.random() < 0.2
            hours = rng.choice((0, 0, 2, 6, 12, 24, 48)) + rng.choice((0, 0.5))
            rows.append(
                {
                    "received_on": received_on,
                    "kind": kind,
                    "form": weighted(rng, FORMS_FOR[kind]),
                    "reason_given": ",".join(reasons),
                    "judicial_warrant_presented": rng.random() < 0.03,
                    "person_key": self.person_hash(f"BK-{rng.randrange(self.people):07d}"),
                    "outcome": outcome,
                    "detained_hours": Decimal(str(hours)) if held else None,
                    "reimbursement_amount": Decimal(rng.randrange(50, 900)) if reimbursed else None,
                    "reimbursement_case": (
                        f"ICE-R-{received_on.year}-{rng.randrange(1000):03d}"
                        if reimbursed
                        else None
                    ),
                    "complaint_id": linked,
                    "created_by_id": records[0] if records else None,
                    "created_at": datetime.combine(received_on, datetime.min.time(), UTC)
                    + timedelta(hours=rng.randint(12, 40)),
                }
            )
        return rows
