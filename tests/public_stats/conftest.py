"""Cases written straight to the database (the statistics tests' own fixtures)."""

from tests.reports.conftest import city, make_case  # noqa: F401
