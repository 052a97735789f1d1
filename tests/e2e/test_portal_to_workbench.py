"""A person opens the portal, reads it in Traditional Chinese, signs in as demo staff (password,
then setting up the mandatory authenticator) and reaches the workbench — with no page breaking
the Content-Security-Policy."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from shuzheng.foundation.identity.login.testing import totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_portal_traditional_chinese_login_reaches_workbench(browser, live_server, tmp_path):
    call_command("demo", verbosity=0)
    page = browser.new_page(locale="zh-CN")
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="珠海市数字政府门户").is_visible()

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hant")
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert page.get_by_role("heading", name="珠海市數字政府門戶").is_visible()
    assert page.locator("#care-toggle").inner_text() == "長者模式"

    page.get_by_role("link", name="登入").first.click()
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "Zhuhai@2026")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/second-factor/enrol/**")  # staff must set up the second factor
    assert page.locator("svg.mfa-qr").is_visible()
    device = TOTPDevice.objects.get(user__username="clerk")
    page.fill("#id_code", totp_code(device))
    with page.expect_navigation():
        page.press("#id_code", "Enter")
    assert page.locator("#recovery-codes li").count() == 10
    page.locator("#recovery-continue").click()
    page.wait_for_url("**/workbench/")
    assert page.locator("#workbench-title").inner_text() == "工作臺"
    assert "香洲区" in page.content()  # the clerk's organisation (data, not UI text)
    page.screenshot(path=str(tmp_path / "workbench.png"))

    with page.expect_navigation():
        page.locator("#care-toggle").click()
    assert "care-mode" in (page.locator("html").get_attribute("class") or "")

    page.goto(live_server.url + "/api/docs/")  # Swagger UI under its own, relaxed policy
    page.wait_for_selector(".swagger-ui .info")
    assert not [m for m in console_errors if "Content Security Policy" in m], console_errors
