"""How case references are written. No app imports: the rate limiter and the tracking
service both use it, and importing either from here must not pull in the other."""

from __future__ import annotations

import re

REFERENCE_RE = re.compile(r"^[A-Z]{1,6}-\d{4}-\d{4,6}$")


def normalise_reference(text: str) -> str:
    """A reference as typed (any case, stray spaces) in its canonical form."""
    return re.sub(r"\s+", "", text or "").upper()
