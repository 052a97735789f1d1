"""The issue's "done when", in one browser: a citizen finds 生育津贴支付 by saying 生孩子, reads
its guide (also in Traditional Chinese), applies online with a PDF, and gets a receipt; the
window clerk accepts the case, the handler reviews, grants and concludes it, and the citizen
sees the result and its timeline in 我的办件 — with no page breaking the Content-Security-Policy.
"""

import re

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from shuzheng.foundation.identity.demo import DEMO_PASSWORD
from shuzheng.foundation.identity.login.testing import totp_code
from shuzheng.services.cases.numbering import is_valid_number
from shuzheng.services.catalogue.models import ServiceItem

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ITEM = "生育津贴支付"
BIRTH_ITEMS = ("出生医学证明办理", "新生儿入户", "生育津贴支付", "生育登记")
PDF = {
    "name": "x.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Journey:
    """One browser tab with the checks every page of the journey must pass."""

    def __init__(self, browser, shots):
        self.page = browser.new_page(locale="zh-CN")
        self.shots = shots
        self.step = 0
        self.number = ""  # the 办件编号 once the receipt showed it
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

    def checked(self, name: str, lang: str = "zh-hans"):
        """Screenshot, then the page's language; no CSP violation, script error or server
        error so far."""
        page = self.page
        page.wait_for_load_state()
        self.step += 1
        page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=True)
        assert page.locator("html").get_attribute("lang") == lang, (name, page.url)
        violations = [m for m in self.console if "Content Security Policy" in m]
        assert not violations, (name, violations)
        assert not self.crashes, (name, self.crashes)

    def sign_in(self, username: str, *, staff: bool):
        """Password; staff then set up the mandatory authenticator (first sign-in)."""
        page = self.page
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        if not staff:
            return
        page.wait_for_url("**/second-factor/enrol/**")
        assert page.locator("svg.mfa-qr").is_visible()
        device = TOTPDevice.objects.get(user__username=username)
        page.fill("#id_code", totp_code(device))
        with page.expect_navigation():
            page.press("#id_code", "Enter")
        assert page.locator("#recovery-codes li").count() == 10
        with page.expect_navigation():
            page.locator("#recovery-continue").click()

    def sign_out(self):
        page = self.page
        with page.expect_navigation():
            page.get_by_role("button", name="退出登录").click()
        assert page.get_by_role("link", name="登录", exact=True).is_visible()

    def act(self, action: str, button: str, **fields: str):
        """Open one action on the workbench case page, fill it in, and send it."""
        page = self.page
        box = page.locator(f"#action-{action}")
        box.locator("summary").click()
        for name, value in fields.items():
            box.locator(f"#{action}-{name}").fill(value)
        with page.expect_navigation():
            box.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/workbench/cases/{self.number}/"), page.url
        assert page.locator(".alert-danger").count() == 0, page.locator("main").inner_text()


def test_citizen_finds_applies_and_gets_a_granted_result_through_the_workbench(
    browser, live_server, tmp_path
):
    call_command("demo", verbosity=0)
    version = ServiceItem.objects.select_related("current").get(current__name=ITEM).current
    required = list(
        version.materials.filter(necessity="required", removed_rule="").values_list(
            "code", flat=True
        )
    )
    assert required, "the journey uploads at least one required material"
    j = Journey(browser, tmp_path)
    page = j.page

    # 1. An anonymous visitor says what happened in their own words.
    page.goto(live_server.url + "/")
    j.checked("portal")
    page.fill("#services-q", "生孩子")
    with page.expect_navigation():
        page.locator("#services-search button[type=submit]").click()
    assert "/services/search/" in page.url
    j.checked("search-birth")
    hits = page.locator("#search-results .sz-search-hit")
    assert hits.count() > 0, page.locator("#search-results").inner_text()
    names = hits.locator("h3").all_inner_texts()
    assert any(birth in name for name in names for birth in BIRTH_ITEMS), names
    why = " ".join(page.locator("#search-results .sz-search-why").all_inner_texts())
    assert "生孩子" in why and ("出生" in why or "生育" in why), why

    page.fill("#search-q", ITEM)  # live results (htmx), the address bar following
    page.wait_for_url(re.compile(r"q=%E7%94%9F%E8%82%B2%E6%B4%A5%E8%B4%B4"))
    link = page.locator("#search-results").get_by_role("link", name=ITEM, exact=True)
    link.first.wait_for()
    j.checked("search-item")
    with page.expect_navigation():
        link.first.click()
    assert page.locator("#guide-title").inner_text() == ITEM
    assert page.locator("#sec-materials-h").inner_text() == "申请材料"
    materials = page.locator("#materials-table").inner_text()
    for code in required:
        assert version.materials.get(code=code).name in materials
    assert "15" in page.locator("#f-promised-limit").inner_text()
    badges = page.locator("header .sz-badge").all_inner_texts()
    assert "零跑动" in badges and "全程网办" in badges, badges
    j.checked("guide")

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hant")
    assert page.locator("#guide-title").inner_text() == "生育津貼支付"
    assert page.locator("#sec-materials-h").inner_text() == "申請材料"
    assert page.get_by_role("link", name="在線辦理").is_visible()
    j.checked("guide-zh-hant", lang="zh-hant")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("#guide-title").inner_text() == ITEM
    j.checked("guide-zh-hans")

    # 2. 在线办理 asks for a sign-in, then opens the prefilled form.
    with page.expect_navigation():
        page.get_by_role("link", name="在线办理").click()
    assert "/accounts/login/" in page.url
    j.checked("login-citizen")
    j.sign_in("citizen", staff=False)
    page.wait_for_url(re.compile(r"/my/drafts/\d+/$"))
    assert page.locator("h1").inner_text() == ITEM
    assert page.locator("#field-applicant_name").input_value() == "陈志明"
    assert page.locator("#field-id_number").input_value()
    j.checked("draft")
    page.get_by_label("生育", exact=True).check()
    page.fill("#field-event_date", "2026-05-01")
    page.fill("#field-leave_days", "98")
    page.fill("#field-employer", "珠海海岸线科技有限公司")
    for code in required:
        page.set_input_files(f"#file-{code}", PDF)
    with page.expect_navigation():
        page.locator("#submit-button").click()
    page.wait_for_url(re.compile(r"/my/cases/[^/]+/receipt/$"))
    number = page.locator("#receipt-number").inner_text().strip()
    assert is_valid_number(number), number
    j.number = number
    assert DATE.search(page.locator("#receipt-expected").inner_text())
    assert "15" in page.locator("#receipt-limit").inner_text()
    j.checked("receipt")
    j.sign_out()
    j.checked("signed-out-citizen")

    # 3. The window clerk accepts it (first sign-in: sets up the authenticator).
    with page.expect_navigation():
        page.get_by_role("link", name="登录", exact=True).click()
    j.sign_in("clerk", staff=True)
    page.wait_for_url("**/workbench/")
    with page.expect_navigation():
        page.get_by_role("link", name="办件受理审批").click()
    assert "/workbench/cases/" in page.url
    assert page.locator("#tab-to_accept").get_attribute("aria-current") == "page"
    row = page.locator(f"#case-{number}")
    assert ITEM in row.inner_text()
    j.checked("queue-to-accept")
    with page.expect_navigation():
        row.get_by_role("link", name=number).click()
    assert page.locator("#case-state").inner_text() == "已申报"
    j.checked("case-submitted")
    j.act("accept", "受理", opinion="材料齐全，予以受理")
    assert page.locator("#case-state").inner_text() == "已受理"
    assert "受理" in page.locator("#history").inner_text()
    j.checked("case-accepted")
    j.sign_out()

    # 4. The handler reviews (every review step), grants with a legal basis, concludes.
    with page.expect_navigation():
        page.get_by_role("link", name="登录", exact=True).click()
    j.sign_in("handler", staff=True)
    page.wait_for_url("**/workbench/")
    with page.expect_navigation():
        page.get_by_role("link", name="办件受理审批").click()
    with page.expect_navigation():
        page.locator("#tab-to_review").click()
    row = page.locator(f"#case-{number}")
    j.checked("queue-to-review")
    with page.expect_navigation():
        row.get_by_role("link", name=number).click()
    j.act("start_review", "开始审查")
    assert page.locator("#case-state").inner_text() == "审查"
    step = page.locator("dt:text-is('当前环节') + dd")
    steps = list(version.review_steps)
    assert step.inner_text() == steps[0]
    for name in steps[1:]:
        j.act("pass_step", "审查通过进入下一环节", opinion="材料真实，符合条件")
        assert step.inner_text() == name
    j.checked("case-reviewed")
    basis = page.locator("#action-approve #approve-legal_basis")
    assert basis.input_value() == version.legal_basis  # offered from the guide
    j.act(
        "approve",
        "准予",
        opinion="符合生育津贴支付条件，准予支付",
        legal_basis="《中华人民共和国社会保险法》第五十四条、第五十六条",
    )
    assert page.locator("#case-state").inner_text() == "准予"
    j.act("conclude", "办结")
    assert page.locator("#case-state").inner_text() == "办结"
    history = page.locator("#history").inner_text()
    assert "社会保险法" in history and "准予支付" in history
    j.checked("case-concluded")
    j.sign_out()

    # 5. The citizen sees the result and how it got there.
    with page.expect_navigation():
        page.get_by_role("link", name="登录", exact=True).click()
    j.sign_in("citizen", staff=False)
    with page.expect_navigation():
        page.get_by_role("link", name="我的办件").click()
    row = page.locator("#case-table tr", has_text=number)
    assert "办结" in row.inner_text()
    j.checked("my-cases")
    with page.expect_navigation():
        row.get_by_role("link", name=number).click()
    assert page.locator("#case-state").inner_text() == "办结"
    result = page.locator("#case-result").inner_text()
    assert "准予" in result and "社会保险法" in result
    assert "结果证照" in result and version.result_name in result, result
    timeline = page.locator("#timeline strong").all_inner_texts()
    for label in ("提交申请", "受理", "准予", "办结"):
        assert label in timeline, timeline
    assert "黄志强" not in page.locator("#timeline").inner_text()  # staff shown as their office
    j.checked("my-case")
