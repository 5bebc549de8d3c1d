"""The staff fixtures, for the pages signed-in staff read in each language."""

from tests.staff.conftest import make_user  # noqa: F401
