"""电子监察 in a real browser: the demo supervisor signs in and the three charts draw from the
page's JSON under the Content-Security-Policy (no inline script), without console errors."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from shuzheng.foundation.identity.login.testing import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_sees_charts_drawn_under_the_content_security_policy(
    browser,
    live_server,
    tmp_path,
):
    call_command("demo", verbosity=0)
    page = browser.new_page(locale="zh-CN")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "head")
    page.fill("#id_password", "Zhuhai@2026")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/second-factor/enrol/**")
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user__username="head")))
    with page.expect_navigation():
        page.press("#id_code", "Enter")
    page.locator("#recovery-continue").click()
    page.wait_for_url("**/workbench/")

    page.get_by_role("link", name="电子监察").click()
    page.wait_for_url("**/workbench/supervision/")
    for chart in ("#chart-on-time", "#chart-trend", "#chart-correction"):
        page.wait_for_selector(f"{chart} canvas")
    assert page.locator("#department-table tbody tr").count() >= 1
    page.screenshot(path=str(tmp_path / "supervision.png"), full_page=True)
    assert not errors, errors
