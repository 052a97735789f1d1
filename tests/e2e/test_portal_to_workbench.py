"""A person opens the portal, reads it in Traditional Chinese, signs in as demo staff and
reaches the workbench."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_portal_traditional_chinese_login_reaches_workbench(browser, live_server, tmp_path):
    call_command("demo", verbosity=0)
    page = browser.new_page(locale="zh-CN")
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
    page.wait_for_url("**/workbench/")
    assert page.locator("#workbench-title").inner_text() == "工作臺"
    assert "香洲区" in page.content()  # the clerk's organisation (data, not UI text)
    page.screenshot(path=str(tmp_path / "workbench.png"))

    with page.expect_navigation():
        page.locator("#care-toggle").click()
    assert "care-mode" in (page.locator("html").get_attribute("class") or "")
