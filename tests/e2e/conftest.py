"""Browser tests drive Debian's chromium through Playwright (never Playwright's own download);
the session-wide ``browser`` fixture lives in tests/conftest.py so that browser tests outside
e2e/ (the grid maps) share the one Playwright instance.

Where no browser exists, ``make test`` skips them with a visible notice; CI sets
SHUZHENG_REQUIRE_BROWSER=1 so a missing browser fails instead of silently skipping."""

import os
import shutil

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    explicit = os.environ.get("SHUZHENG_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any("browser tests skipped" in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(
            "NOTICE: browser tests were skipped (no chromium). CI runs them.", yellow=True
        )
