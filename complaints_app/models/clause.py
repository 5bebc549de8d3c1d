"""The ordinance's provisions, versioned so old cases keep the text in force on their date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints_app.extensions import db
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class Clause(db.Model):
    """One version of one provision, in force from ``effective_from`` (inclusive) until
    ``effective_to`` (exclusive). The latest version has no ``effective_to``; it may start
    in the future, so "in force today" is a date test, not "no end date"."""

    __tablename__ = "clause"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_clause_code_version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to > effective_from", name="effective_range"
        ),
        Index("ix_clause_code_effective", "code", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)
    section: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120))
    full_text: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    complaint_eligible: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    questions: Mapped[list[GuidedQuestion]] = relationship(
        back_populates="clause", order_by="GuidedQuestion.position", cascade="all, delete-orphan"
    )
    # Every revision of every language's official text of this version; readers take the
    # newest revision per language (``services.clause_texts.clause_text``). Loaded with the
    # clause because every page that shows a clause shows it in the reader's language.
    texts: Mapped[list[ClauseText]] = relationship(
        back_populates="clause",
        order_by="ClauseText.revision",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def anchor(self) -> str:
        """The stable fragment of this clause on /policy, e.g. ``clause-2c``."""
        return f"clause-{self.code}"

    @classmethod
    def in_force_on(cls, on: date):
        """The SQL condition "this version is in force on ``on``"."""
        return (cls.effective_from <= on) & (cls.effective_to.is_(None) | (cls.effective_to > on))

    @classmethod
    def current_select(cls, on: date | None = None):
        """The version of every clause in force on ``on`` (default: today in the city's time
        zone), in ordinance order. An amendment dated in the future is not current yet."""
        if on is None:
            from complaints_app.timeutil import city_today

            on = city_today()
        return select(cls).where(cls.in_force_on(on)).order_by(cls.position)

    @classmethod
    def in_force_select(cls, code: str, on: date):
        """The version of ``code`` in force on ``on``."""
        return select(cls).where(cls.code == code, cls.in_force_on(on)).limit(1)


class GuidedQuestion(db.Model):
    """A plain-language intake question; a "yes" suggests an allegation under its clause."""

    __tablename__ = "guided_question"
    __table_args__ = (UniqueConstraint("clause_id", "key", name="uq_guided_question_clause_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    prompt: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)

    clause: Mapped[Clause] = relationship(back_populates="questions")
    texts: Mapped[list[GuidedQuestionText]] = relationship(
        back_populates="question",
        order_by="GuidedQuestionText.revision",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class ClauseText(db.Model):
    """The official text of one clause version in a language other than English (English is
    the clause's own columns: the source, and what a reader sees when their language has no
    text). Append-only: an edit is a new revision, so who changed the wording and when is
    kept, as a new clause version keeps the English history."""

    __tablename__ = "clause_text"
    __table_args__ = (
        UniqueConstraint("clause_id", "language", "revision", name="uq_clause_text_revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(12))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    section: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    full_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    clause: Mapped[Clause] = relationship(back_populates="texts")


class GuidedQuestionText(db.Model):
    """A guided question's prompt and hint in a language other than English; append-only
    revisions like ``ClauseText``."""

    __tablename__ = "guided_question_text"
    __table_args__ = (
        UniqueConstraint(
            "question_id", "language", "revision", name="uq_guided_question_text_revision"
        ),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("guided_question.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(12))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    prompt: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    question: Mapped[GuidedQuestion] = relationship(back_populates="texts")
