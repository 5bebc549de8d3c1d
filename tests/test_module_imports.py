"""Module imports stay acyclic where a cycle once was: extensions → ratelimit → tracking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules_loaded_by(module: str) -> set[str]:
    """The project modules a fresh interpreter has loaded after importing ``module``."""
    script = (
        f"import sys, {module}\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('complaints_app')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_references_module_imports_nothing_of_the_app():
    assert _modules_loaded_by("complaints_app.references") == {
        "complaints_app",
        "complaints_app.references",
    }


@pytest.mark.parametrize("module", ["complaints_app.ratelimit", "complaints_app.extensions"])
def test_rate_limiter_does_not_import_the_tracking_service(module):
    loaded = _modules_loaded_by(module)
    assert "complaints_app.services.tracking" not in loaded


def test_tracking_still_offers_normalise_reference():
    from complaints_app import references
    from complaints_app.services import tracking

    assert tracking.normalise_reference is references.normalise_reference
    assert tracking.normalise_reference(" ta-2026-0042 ") == "TA-2026-0042"
