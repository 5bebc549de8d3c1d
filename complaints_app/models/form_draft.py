"""Answers of a complaint form being filled in, step by step, before it is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from complaints_app.crypto import Sealed
from complaints_app.extensions import db
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class FormDraft(db.Model):
    """One browser's unsent complaint. The browser holds a random key inside its signed
    session; only a keyed hash of it is stored, and the answers are sealed to that hash, so a
    copy of this table reads nothing and opens nothing. Deleted once sent, or once idle past
    ``FORM_DRAFT_IDLE_HOURS``."""

    __tablename__ = "form_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(80), unique=True)  # "key id$hex"
    # The answers so far, the steps completed and the form's one-time submission token.
    answers_ct: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    answers = Sealed("answers_ct", row_attr="key_hash")
