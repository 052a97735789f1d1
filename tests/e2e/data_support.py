"""Helpers of the 数据要素 journey (tests/e2e/test_data_sharing_journey.py): the demo world,
one member of staff at their own browser context, and a plain HTTP client for the gateway
(the health system calls it as any other system would: over HTTP, with its credentials)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from shuzheng.foundation.identity.demo import DEMO_PASSWORD
from shuzheng.foundation.identity.login.testing import totp_code

WAIT = 30_000  # ms: the machine is shared

# --------------------------------------------------------------------------- the world


def load_demo_world() -> dict[str, int]:
    """What ``manage.py demo`` gives the data pages: the work calendar, the Zhuhai
    organisations and accounts, then the 数据要素 loaders in their order (catalogue with its
    synthetic rows, sharing requests, exchange services, clients and a sealed week of
    traffic, quality rules). Returns what each loader reported."""
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.exchange import demo as exchange_demo
    from shuzheng.data.exchange.gateway import core
    from shuzheng.data.quality import demo as quality_demo
    from shuzheng.data.sharing import demo as sharing_demo
    from shuzheng.foundation.identity import demo as identity_demo

    today = timezone.localdate()
    call_command(
        "seedcalendar",
        "--years",
        *[str(y) for y in range(today.year - 1, today.year + 2)],
        stdout=io.StringIO(),
    )
    identity_demo.load_organisations()
    identity_demo.load_accounts()
    core.forget()
    out = io.StringIO()
    counts = {}
    for loader in (catalog_demo, sharing_demo, exchange_demo, quality_demo):
        counts[loader.__name__.split(".")[-2]] = loader.load_demo(stdout=out)
    return counts


# --------------------------------------------------------------------------- one staff tab


class Desk:
    """One signed-in member of staff in their own browser context (their own session), with
    the checks every page must pass: Chinese, no CSP violation, no script error, no 5xx."""

    def __init__(self, browser, base: str, shots, username: str):
        self.context = browser.new_context(locale="zh-CN", accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.base = base
        self.shots = shots
        self.username = username
        self.console: list[str] = []
        self.crashes: list[str] = []
        self.page.on(
            "console", lambda m: self.console.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.crashes.append(str(e)))
        self.page.on(
            "response",
            lambda r: self.crashes.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)

    def sign_in(self, path: str) -> None:
        """Open a workbench page: password, then the mandatory authenticator (first sign-in),
        back on the page asked for."""
        page = self.page
        self.open(path)
        page.wait_for_url("**/accounts/login/**")
        page.fill("#id_username", self.username)
        page.fill("#id_password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/second-factor/enrol/**")
        device = TOTPDevice.objects.get(user__username=self.username)
        page.fill("#id_code", totp_code(device))
        with page.expect_navigation():
            page.press("#id_code", "Enter")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        with page.expect_navigation():
            page.locator("#recovery-continue").click()
        wanted = self.base + path
        page.wait_for_url(lambda url: url == wanted)

    def checked(self, name: str) -> None:
        """Screenshot; the page is Chinese; no CSP violation, script error or server error
        so far."""
        page = self.page
        page.wait_for_load_state()
        page.screenshot(path=str(self.shots / f"{self.username}-{name}.png"), full_page=True)
        assert page.locator("html").get_attribute("lang") == "zh-hans", (name, page.url)
        violations = [m for m in self.console if "Content Security Policy" in m]
        assert not violations, (name, violations)
        assert not self.crashes, (name, self.crashes)

    def act(self, action: str, label: str, **fields: str) -> None:
        """Open one action of the sharing request page, fill it in and send it; the page
        comes back without an error and says it was done."""
        page = self.page
        box = page.locator(f"#action-{action}")
        expect(box.locator("summary")).to_have_text(label)
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        for name, value in fields.items():
            box.locator(f"#id_{action}-{name}").fill(value)
        with page.expect_navigation():
            box.get_by_role("button", name=label, exact=True).click()
        page.wait_for_load_state()
        expect(page.locator(".alert-danger")).to_have_count(0)
        expect(page.locator(".invalid-feedback")).to_have_count(0)
        expect(page.locator(".alert-success")).to_contain_text(f"已办理：{label}")


# --------------------------------------------------------------------------- the gateway


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def call_gateway(
    base: str,
    path: str,
    *,
    credential: str | None,
    purpose: str = "",
    end_user: str = "wj-fuyou:staff001",
    message_id: str | None = None,
) -> Answer:
    """One GET to the gateway over HTTP, as the health system makes it (header values in
    percent-encoded UTF-8, as HTTP headers are latin-1)."""
    headers = {"X-Message-Id": message_id or str(uuid.uuid4()), "X-End-User": quote(end_user)}
    if credential is not None:
        headers["Authorization"] = f"Bearer {credential}"
    if purpose:
        headers["X-Purpose"] = quote(purpose)
    request = urllib.request.Request(base + path, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


# --------------------------------------------------------------------------- small checks


def local_minute(moment: dt.datetime) -> str:
    """How the pages print a deadline (``Y-m-d H:i``, local time)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


MASKED_ID = re.compile(r"\d{6}\*{8}\d{3}[\dX]")
