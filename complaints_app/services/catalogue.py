"""The clause catalogue: seeding from the ordinance, and what intake and /policy show."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from complaints_app.extensions import db
from complaints_app.models import Clause, ClauseText, GuidedQuestion, GuidedQuestionText
from complaints_app.services.clause_texts import latest_text, translation_languages
from complaints_app.timeutil import city_today

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "clauses.json"
# The first versions cover every incident a resident could still report; amendments made by
# admin start later and end the version before them.
SEED_EFFECTIVE_FROM = date(2000, 1, 1)


@dataclass(frozen=True)
class SeedResult:
    created: int
    unchanged: int
    # Official texts in other languages added to clause versions that had none.
    translated: int = 0


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
    translated = _seed_translations(data)
    return SeedResult(created=created, unchanged=len(existing), translated=translated)


def _seed_translations(data: dict) -> int:
    """Give every clause version whose English is the shipped English the shipped official
    texts in each language it has none in yet. A version an admin reworded is left alone: the
    shipped translation is of other words. Returns how many texts were added."""
    by_code = {item["code"]: item for item in data["clauses"]}
    by_key = {q["key"]: q for q in data["questions"]}
    added = 0
    clauses = db.session.execute(
        select(Clause).options(selectinload(Clause.questions)).order_by(Clause.id)
    ).scalars()
    for clause in clauses:
        item = by_code.get(clause.code)
        if item is None:
            continue
        same_english = (clause.title, clause.summary, clause.full_text) == (
            item["title"],
            item["summary"],
            item["full_text"],
        )
        for lang, words in (item.get("translations") or {}).items():
            if not same_english or latest_text(clause.texts, lang) is not None:
                continue
            clause.texts.append(
                ClauseText(
                    language=lang,
                    revision=1,
                    section=words["section"],
                    title=words["title"],
                    summary=words["summary"],
                    full_text=words["full_text"],
                )
            )
            added += 1
        for question in clause.questions:
            q = by_key.get(question.key)
            if q is None or (question.prompt, question.hint) != (q["prompt"], q.get("hint", "")):
                continue
            for lang, words in (q.get("translations") or {}).items():
                if latest_text(question.texts, lang) is not None:
                    continue
                question.texts.append(
                    GuidedQuestionText(
                        language=lang,
                        revision=1,
                        prompt=words["prompt"],
                        hint=words.get("hint", ""),
                    )
                )
                added += 1
    db.session.flush()
    return added


def current_clauses(today: date | None = None) -> list[Clause]:
    """The version of every clause in force ``today`` (default: the city's today) with its
    questions, in ordinance order. An amendment takes effect on its date, not when saved."""
    stmt = Clause.current_select(today).options(selectinload(Clause.questions))
    return list(db.session.execute(stmt).scalars())


def current_questions(today: date | None = None) -> list[GuidedQuestion]:
    """The intake questions of the complaint-eligible clause versions in force ``today``
    (default: the city's today), in order."""
    if today is None:
        today = city_today()
    stmt = (
        select(GuidedQuestion)
        .join(Clause)
        .where(Clause.in_force_on(today), Clause.complaint_eligible.is_(True))
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


class CatalogueError(ValueError):
    """A refused change to the catalogue; the message says why."""


def amend_clause(
    code: str,
    actor,
    *,
    title: str,
    summary: str,
    full_text: str,
    complaint_eligible: bool,
    effective_from: date,
    questions: dict[str, tuple[str, str]],
) -> Clause:
    """A new version of ``code`` in force from ``effective_from``; the version before it ends
    that day. Its guided questions are copied, with the prompt and hint given for each key
    (only keys the clause already has). Allegations keep the version they cite, so old cases
    still show the text in force on their incident date. Flushes, never commits."""
    from flask_babel import gettext as _

    current = db.session.execute(
        select(Clause)
        .where(Clause.code == code, Clause.effective_to.is_(None))
        .options(selectinload(Clause.questions))
    ).scalar_one_or_none()
    if current is None:
        raise CatalogueError(_("No current clause with the code %(code)s.", code=code))
    if effective_from <= current.effective_from:
        raise CatalogueError(
            _(
                "The new version must take effect after %(date)s, when the current version "
                "took effect.",
                date=current.effective_from.isoformat(),
            )
        )
    known = {q.key for q in current.questions}
    unknown = sorted(set(questions) - known)
    if unknown:
        raise CatalogueError(_("Unknown guided questions: %(keys)s.", keys=", ".join(unknown)))
    amended = Clause(
        code=current.code,
        version=current.version + 1,
        section=current.section,
        title=title.strip(),
        full_text=full_text.strip(),
        summary=summary.strip(),
        complaint_eligible=complaint_eligible,
        position=current.position,
        effective_from=effective_from,
        created_by_id=getattr(actor, "id", None),
    )
    for q in current.questions:
        prompt, hint = questions.get(q.key, (q.prompt, q.hint))
        amended.questions.append(
            GuidedQuestion(
                key=q.key, prompt=prompt.strip(), hint=(hint or "").strip(), position=q.position
            )
        )
    current.effective_to = effective_from
    db.session.add(amended)
    db.session.flush()
    return amended


@dataclass(frozen=True)
class QuestionTranslation:
    prompt: str
    hint: str


def translate_clause(
    clause: Clause,
    language: str,
    actor,
    *,
    section: str,
    title: str,
    summary: str,
    full_text: str,
    questions: dict[str, QuestionTranslation],
) -> int:
    """Record the official ``language`` text of this clause version and of its guided
    questions. Each text that changed becomes a new revision carrying who wrote it and when;
    the earlier revisions stay as the record of the wording. A question left with an empty
    prompt keeps its earlier text (or English, if it has none). Returns how many texts were
    written. Flushes, never commits."""
    from flask_babel import gettext as _

    if language not in translation_languages():
        raise CatalogueError(_("Choose a language to translate into."))
    if not (section.strip() and title.strip() and summary.strip() and full_text.strip()):
        raise CatalogueError(_("Enter the section name, title, summary and full text."))
    actor_id = getattr(actor, "id", None)
    written = 0
    latest = latest_text(clause.texts, language)
    words = (section.strip(), title.strip(), summary.strip(), full_text.strip())
    if (
        latest is None
        or (
            latest.section,
            latest.title,
            latest.summary,
            latest.full_text,
        )
        != words
    ):
        clause.texts.append(
            ClauseText(
                language=language,
                revision=(latest.revision + 1) if latest else 1,
                section=words[0],
                title=words[1],
                summary=words[2],
                full_text=words[3],
                created_by_id=actor_id,
            )
        )
        written += 1
    for question in clause.questions:
        given = questions.get(question.key)
        if given is None or not given.prompt.strip():
            continue
        latest_q = latest_text(question.texts, language)
        pair = (given.prompt.strip(), (given.hint or "").strip())
        if latest_q is not None and (latest_q.prompt, latest_q.hint) == pair:
            continue
        question.texts.append(
            GuidedQuestionText(
                language=language,
                revision=(latest_q.revision + 1) if latest_q else 1,
                prompt=pair[0],
                hint=pair[1],
                created_by_id=actor_id,
            )
        )
        written += 1
    db.session.flush()
    return written


def previous_version(clause: Clause) -> Clause | None:
    """The version of the same clause just before ``clause``, if any."""
    return db.session.execute(
        select(Clause)
        .where(Clause.code == clause.code, Clause.version < clause.version)
        .order_by(Clause.version.desc())
        .options(selectinload(Clause.questions))
        .limit(1)
    ).scalar_one_or_none()
