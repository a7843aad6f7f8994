"""What every browser test module shares: Debian's chromium, or a skip.

A module calls :func:`require_chromium` at import time and uses the ``browser`` fixture of
``conftest.py``; ``.ci/run`` sets ``BIANHE_REQUIRE_BROWSER=1`` so that CI fails instead of
skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip the calling module when chromium is absent, or fail when it is required."""
    if not CHROMIUM.exists():
        if os.environ.get("BIANHE_REQUIRE_BROWSER") == "1":
            raise RuntimeError("BIANHE_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("chromium is not installed (.ci/run installs it)", allow_module_level=True)
    # Playwright's sync API runs an event loop in this thread; the ORM calls a test makes
    # between page actions are ordinary blocking calls, which Django must be told are fine.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
