"""Issue 6's "done when", in one browser: a 12345 operator records a call, the model routes it
(香洲区, 按属地), the district forwards it to 拱北街道, the street signs and replies, the
operator reviews it and calls the citizen back (满意, 5 分), and the statistics page counts it
— with no page breaking the Content-Security-Policy, throwing a script error or failing.

The world is small but real: the Zhuhai organisations, the grid outlines, the category file,
属地 and department routing rules, a labelled history (older than the statistics page's default
30 days, so that the page's figures are this journey's alone) and a classifier trained on it.
"""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role
from shuzheng.foundation.identity import demo as identity_demo
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.demo import DEMO_PASSWORD
from shuzheng.foundation.identity.login.testing import totp_code
from shuzheng.foundation.identity.models import Organisation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

WAIT = 30_000  # ms: the machine is shared; htmx, the classifier and the map take their time
PHONE = "13912345678"
CONTENT = "拱北桂花北路的垃圾桶已经三天没人清运了，垃圾堆满溢出来，臭气熏天，希望尽快派人清运。"
IN_GONGBEI = ("22.224615", "113.545424")  # (lat, lng) inside 拱北街道's outline
REPLY = "已安排环卫作业班组到桂花北路现场清运积存垃圾，并加密该点位每日收运频次。"
HISTORY_N = 800
# (username, name, organisation, position) — order handlers, as the 12345 demo has them
HANDLERS = [
    ("xzhotline", "苏婉清", "香洲区", "区 12345 分中心派单员"),
    ("gongbei", "罗家豪", "拱北街道", "街道综合指挥室"),
]


# --------------------------------------------------------------------------- the world


def _world() -> None:
    from shuzheng.governance.grid import services as grid
    from shuzheng.governance.hotline import synthetic
    from shuzheng.governance.hotline.models import Category, RoutingRule
    from shuzheng.governance.hotline.services import categories, routing

    today = timezone.localdate()
    call_command(
        "seedcalendar",
        "--years",
        *[str(y) for y in range(today.year - 1, today.year + 2)],
        stdout=StringIO(),
    )
    identity_demo.load_organisations()
    identity_demo.load_accounts()
    root = Organisation.objects.get(parent__isnull=True, division_code="440400")
    handler = Role.objects.get(code="order-handler")
    for username, name, org_name, position in HANDLERS:
        org = Organisation.objects.get(name=org_name)
        profile = identity.create_staff(
            access.SYSTEM,
            organisation=org,
            username=username,
            display_name=name,
            password=DEMO_PASSWORD,
            position=position,
        )
        access_services.grant_role(access.SYSTEM, user=profile.user, role=handler, organisation=org)
    access_services.grant_role(
        access.SYSTEM,
        user=_user("operator"),  # the demo's 值班长 also takes 12345 calls
        role=Role.objects.get(code="hotline-operator"),
        organisation=root,
    )

    grid.load_demo(access.SYSTEM)
    categories.load_categories(access.SYSTEM)
    routing.default_rules(access.SYSTEM, min_confidence=0.7)  # 属地派单 for on-site leaves
    have = set(RoutingRule.objects.values_list("category_id", flat=True))
    for leaf in Category.objects.filter(
        level=3, is_active=True, default_unit__isnull=False
    ).exclude(pk__in=have):
        routing.save_rule(access.SYSTEM, category=leaf, unit=leaf.default_unit, min_confidence=0.8)
    # closed, labelled history 41–70 days ago: the classifier learns from it, and the
    # statistics page's default period (the last 30 days) does not count it
    synthetic.load_history(access.SYSTEM, n=HISTORY_N, today=today - dt.timedelta(days=40), days=30)
    routing.train(access.SYSTEM)


def _user(username: str):
    from shuzheng.foundation.identity.models import User

    return User.objects.get(username=username)


# --------------------------------------------------------------------------- one staff tab


class Desk:
    """One signed-in member of staff in their own browser context (their own session), with
    the checks every page must pass."""

    def __init__(self, browser, base: str, shots, username: str):
        self.context = browser.new_context(locale="zh-CN")
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
        page.wait_for_url(self.base + path)

    def checked(self, name: str) -> None:
        """Screenshot; no CSP violation, script error or server error so far."""
        page = self.page
        page.wait_for_load_state()
        page.screenshot(path=str(self.shots / f"{self.username}-{name}.png"), full_page=True)
        assert page.locator("html").get_attribute("lang") == "zh-hans", (name, page.url)
        violations = [m for m in self.console if "Content Security Policy" in m]
        assert not violations, (name, violations)
        assert not self.crashes, (name, self.crashes)

    def act(self, action: str, button: str, **fields: str) -> None:
        """Open one action on the order page, fill it in (``select_x`` chooses an option),
        and send it; the page comes back without an error."""
        page = self.page
        box = page.locator(f"#action-{action}")
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        for name, value in fields.items():
            if name.startswith("select_"):
                box.locator(f"#id_{action}-{name[7:]}").select_option(value)
            else:
                box.locator(f"#id_{action}-{name}").fill(value)
        with page.expect_navigation():
            box.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        expect(page.locator(".alert-danger")).to_have_count(0)
        expect(page.locator(".invalid-feedback")).to_have_count(0)

    def see(self, selector: str, text) -> None:
        expect(self.page.locator(selector)).to_have_text(text, timeout=WAIT)


# --------------------------------------------------------------------------- the journey


@pytest.fixture
def desk(browser, live_server, tmp_path):
    """``desk(username)``: a member of staff at their own browser context."""
    opened: list[Desk] = []

    def make(username: str) -> Desk:
        opened.append(Desk(browser, live_server.url, tmp_path, username))
        return opened[-1]

    yield make
    for d in opened:
        d.context.close()


def test_call_is_routed_handled_called_back_and_counted(desk):
    _world()

    # 1. The operator takes the call on 12345 来电登记.
    operator = desk("operator")
    page = operator.page
    operator.sign_in("/workbench/hotline/intake/")
    expect(page.get_by_role("heading", name="12345 来电登记")).to_be_visible()
    operator.checked("intake")

    page.locator("#id_caller_phone").press_sequentially(PHONE)  # earlier orders, masked
    history = page.locator("#caller-history")
    expect(history).to_contain_text("139****5678", timeout=WAIT)
    expect(history).to_contain_text("该号码没有历史工单（首次来电）。")
    page.fill("#id_caller_name", "张伟明")
    page.select_option("#id_request_type", "complaint")
    page.fill("#id_content", CONTENT)
    page.locator("#id_content").press("End")  # the keyup the operator's typing gives

    suggestion = page.locator("#suggest-result")
    expect(suggestion).to_contain_text("建议分类", timeout=WAIT)
    expect(suggestion).to_contain_text("垃圾清运不及时")
    expect(suggestion).to_contain_text("分类模型 v1")
    operator.checked("suggested-category")

    # the place, typed into the picker's own inputs: the map names the street, and the
    # suggestion becomes 香洲区 by location
    page.fill("#latitude", IN_GONGBEI[0])
    page.fill("#longitude", IN_GONGBEI[1])
    page.locator("#longitude").press("Tab")  # change events: the panels ask again
    picked = page.locator("[data-grid-result]")
    expect(picked).to_contain_text("拱北街道", timeout=WAIT)
    expect(picked).to_contain_text("香洲区")
    expect(suggestion).to_contain_text("建议承办单位 香洲区", timeout=WAIT)
    expect(suggestion).to_contain_text("按属地")
    expect(suggestion).to_contain_text("垃圾清运不及时")
    operator.checked("suggested-unit")

    page.locator("#adopt-suggestion").click()
    expect(page.locator("#adopt-suggestion")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#id_category option:checked")).to_have_text(
        re.compile(r"\d{6} 垃圾清运不及时")
    )
    expect(page.locator("#id_unit option:checked")).to_have_text("香洲区")
    with page.expect_navigation():
        page.locator("#op-dispatch").click()
    page.wait_for_url(re.compile(r"/workbench/hotline/orders/[^/]+/$"))
    number = page.locator("h1 .font-monospace").inner_text().strip()
    assert number, page.url
    expect(page.locator(".alert-success")).to_contain_text(f"已登记工单 {number} 并派往香洲区")
    operator.see("#order-state", "已派单")
    operator.see("#order-unit", "香洲区")
    expect(page.locator("#order-content")).to_contain_text("桂花北路的垃圾桶")
    operator.see("#caller-phone", "139****5678")  # handlers never see the number in clear
    grid_cell = page.locator("dt:text-is('网格') + dd")
    expect(grid_cell).to_contain_text("440402005-")  # a cell of 拱北街道
    operator.checked("dispatched")
    order_path = f"/workbench/hotline/orders/{number}/"

    # 2. The district's 12345 sub-centre forwards it to the street (下派).
    district = desk("xzhotline")
    district.sign_in(order_path)
    district.see("#order-state", "已派单")
    district.see("#order-unit", "香洲区")
    district.checked("received")
    district.act("forward", "下派", select_unit="拱北街道", opinion="属拱北街道辖区，请街道处置")
    district.see("#order-state", "已派单")
    district.see("#order-unit", "拱北街道")
    expect(district.page.locator("#history")).to_contain_text("下派")
    district.checked("forwarded")

    # 3. The street signs for it and replies with what it did.
    street = desk("gongbei")
    street.sign_in(order_path)
    street.see("#order-unit", "拱北街道")
    street.act("sign", "签收")
    street.see("#order-state", "办理中")
    street.act("reply", "回复办理结果", reply=REPLY)
    street.see("#order-state", "已回复待审核")
    expect(street.page.locator("#order-reply")).to_contain_text("加密该点位每日收运频次")
    street.checked("replied")

    # 4. The operator reviews the reply and calls the citizen back: 满意, 5 分.
    operator.open(order_path)
    operator.see("#order-state", "已回复待审核")
    operator.act("approve_reply", "审核通过")
    operator.see("#order-state", "待回访")
    operator.act(
        "callback",
        "回访",
        select_satisfaction="satisfied",
        score="5",
        comment="垃圾已清走，市民表示满意",
    )
    operator.see("#order-state", "办结归档")
    expect(page.locator("#order-satisfaction")).to_contain_text("满意 · 5 分")
    history_text = page.locator("#history").inner_text()
    for step in ("派单", "下派", "签收", "回复办理结果", "审核通过", "回访满意办结归档"):
        assert step in history_text, (step, history_text)
    operator.checked("closed")

    # 5. The statistics page counts it: the only order of the last 30 days, closed on time
    # by 拱北街道 with a satisfied caller.
    operator.open("/workbench/hotline/stats/")
    expect(page.locator("#stats-title")).to_have_text("12345 工单统计")
    operator.see("#kpi-received", "1")
    operator.see("#kpi-closed", "1 / 1")
    operator.see("#kpi-satisfaction", "100.0%")
    rows = page.locator("#unit-table tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("th, td")
    expect(cells.nth(0)).to_have_text("拱北街道")
    expect(cells.nth(1)).to_have_text("1")  # 签收
    expect(cells.nth(2)).to_have_text("1")  # 办结
    expect(cells.nth(4)).to_have_text("100.0%")  # 满意率
    expect(page.locator("#category-table tbody tr")).to_have_count(1)
    expect(page.locator("#category-table tbody")).to_contain_text("垃圾清运不及时")
    expect(page.locator("#request-type-table tbody")).to_contain_text("投诉")
    operator.checked("stats")
