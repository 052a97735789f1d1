"""Browser tests drive Debian's chromium through Playwright (never Playwright's own download).

Where no browser exists, ``make test`` skips them with a visible notice; CI sets
SHUZHENG_REQUIRE_BROWSER=1 so a missing browser fails instead of silently skipping."""

import os
import shutil

import pytest

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


@pytest.fixture(scope="session")
def browser():
    executable = find_browser()
    if executable is None:
        if os.environ.get("SHUZHENG_REQUIRE_BROWSER") == "1":
            pytest.fail("SHUZHENG_REQUIRE_BROWSER=1 but no chromium was found")
        pytest.skip(
            "NOTICE: browser tests skipped — no chromium on this machine "
            "(apt-get install chromium to run them)"
        )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + live server
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any("browser tests skipped" in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(
            "NOTICE: browser tests were skipped (no chromium). CI runs them.", yellow=True
        )
