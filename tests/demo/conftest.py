"""Fixtures for the demo data: the staff fixtures, and a second database of its own
(``unseeded_app``, whose context is the current one in a test that asks for it)."""

from __future__ import annotations

from tests.staff.conftest import make_user, signed_in  # noqa: F401 — fixtures
from tests.test_cli import unseeded_app  # noqa: F401 — fixture
