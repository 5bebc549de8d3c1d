"""The clause catalogue: seeding from the ordinance, and what intake and /policy show."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from complaints_app.extensions import db
from complaints_app.models import Clause, GuidedQuestion

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "clauses.json"
# The first versions cover every incident a resident could still report; amendments made by
# admin start later and end the version before them.
SEED_EFFECTIVE_FROM = date(2000, 1, 1)


@dataclass(frozen=True)
class SeedResult:
    created: int
    unchanged: int


def load_data() -> dict:
    """The ordinance's clauses and guided questions as shipped with the app."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def seed() -> SeedResult:
    """Create the first version of every clause that does not exist yet. Running it again
    changes nothing; clauses edited since (new versions) are left as they are."""
    data = load_data()
    existing = set(db.session.execute(select(Clause.code).distinct()).scalars())
    questions_by_clause: dict[str, list[dict]] = {}
    for q in data["questions"]:
        questions_by_clause.setdefault(q["clause"], []).append(q)
    created = 0
    for item in data["clauses"]:
        if item["code"] in existing:
            continue
        clause = Clause(
            code=item["code"],
            version=1,
            section=item["section"],
            title=item["title"],
            full_text=item["full_text"],
            summary=item["summary"],
            complaint_eligible=item["complaint_eligible"],
            position=item["position"],
            effective_from=SEED_EFFECTIVE_FROM,
        )
        for q in questions_by_clause.get(item["code"], []):
            clause.questions.append(
                GuidedQuestion(
                    key=q["key"], prompt=q["prompt"], hint=q.get("hint", ""), position=q["position"]
                )
            )
        db.session.add(clause)
        created += 1
    db.session.flush()
    return SeedResult(created=created, unchanged=len(existing))


def current_clauses() -> list[Clause]:
    """Current versions of every clause with their questions, in ordinance order."""
    stmt = Clause.current_select().options(selectinload(Clause.questions))
    return list(db.session.execute(stmt).scalars())


def current_questions() -> list[GuidedQuestion]:
    """The intake questions of the current, complaint-eligible clauses, in order."""
    stmt = (
        select(GuidedQuestion)
        .join(Clause)
        .where(Clause.effective_to.is_(None), Clause.complaint_eligible.is_(True))
        .order_by(GuidedQuestion.position)
    )
    return list(db.session.execute(stmt).scalars())


def clause_in_force(code: str, on: date) -> Clause | None:
    """The version of ``code`` in force on ``on``; for a date before the first version, that one."""
    found = db.session.execute(Clause.in_force_select(code, on)).scalar_one_or_none()
    if found is not None:
        return found
    return db.session.execute(
        select(Clause).where(Clause.code == code).order_by(Clause.version).limit(1)
    ).scalar_one_or_none()
