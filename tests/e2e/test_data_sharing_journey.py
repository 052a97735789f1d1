"""Issue 7's "done when", in one browser, on the demo: 市卫生健康局 requests 人口基础信息 from
the catalogue, the data authority passes the compliance check, 市公安局 approves within its
five working days, 卫健局 registers its health system and gets its secret once, the system
calls the gateway over HTTP and receives only its granted fields, masked by grade (an
ungranted field and a call without credentials are refused with problem+json), the log is
sealed, and the evidence bundle 卫健局 exports verifies — on the page and in-process.

The world is the demo itself (``manage.py demo``'s 数据要素 loaders on the foundation's
Zhuhai organisations and accounts), so the test proves the demo supports the journey:
wjdata (卫健局), sjju (数据局), gadata (公安局).
"""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.data_support import (
    MASKED_ID,
    Desk,
    call_gateway,
    load_demo_world,
    local_minute,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

FIELDS = {"id_number": "公民身份号码", "name": "姓名", "sex": "性别", "birth_date": "出生日期"}
PURPOSE = "新生儿出生医学证明签发时核验父母身份信息，办理“出生一件事”联办。"
BASIS = "《中华人民共和国母婴保健法》第二十三条；《出生医学证明管理办法》；《政务数据共享条例》"
SCENARIO = "出生医学证明签发"
APP_NAME = "妇幼健康信息系统"
APP_CODE = "fuyou-health"


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


@pytest.fixture
def gateway_cache():
    """The gateway caches client and service rows per process; the live server shares this
    process, and the database is emptied after the test."""
    from shuzheng.data.exchange.gateway import core

    core.forget()
    yield
    core.forget()


def _population_row(entry) -> dict:
    """A clean stored 人口 row (a name of two characters or more, a valid 18-digit number)."""
    from shuzheng.data.catalog import store

    for _id, row in store.page(entry.pk, limit=20):
        if len(row.get("name") or "") >= 2 and len(row.get("id_number") or "") == 18:
            return row
    raise AssertionError("no clean 人口 row in the demo store")


def test_health_requests_population_data_calls_the_gateway_and_proves_it(
    desk, live_server, settings, gateway_cache
):
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.exchange import evidence, sealing
    from shuzheng.data.exchange.models import DataService, ExchangeLog
    from shuzheng.data.sharing.models import SharingRequest
    from shuzheng.foundation.workflow.calendar import calendar

    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 0  # seal the journey's calls right away
    counts = load_demo_world()
    assert all(counts.values()), counts
    population = catalog_demo.find("population")
    assert population is not None and population.provider.name == "珠海市公安局"
    service = DataService.objects.get(entry=population)
    person = _population_row(population)
    today = timezone.localdate()

    # 1. 卫健局's data administrator finds 人口基础信息 in the catalogue and requests it.
    wj = desk("wjdata")
    page = wj.page
    wj.sign_in("/workbench/data/catalog/")
    expect(page.get_by_role("heading", name="政务数据目录", exact=True)).to_be_visible()
    page.fill("#catalog-q", "人口")
    page.press("#catalog-q", "Enter")
    page.wait_for_url(re.compile(r"[?&]q=%E4%BA%BA%E5%8F%A3|[?&]q=人口"))  # htmx pushes it
    # search results, not the plain list (which is in code order)
    expect(page.locator("#entry-table caption")).to_have_text("按相关程度排列")
    hit = (
        page.locator("#entry-table tbody tr")
        .filter(has_text="人口基础信息")
        .filter(has_text="珠海市公安局")
    )
    expect(hit).to_have_count(1)
    wj.checked("catalogue-search")
    with page.expect_navigation():
        hit.get_by_role("link", name=population.code).click()
    expect(page.locator("#entry-name")).to_have_text("人口基础信息")
    expect(page.locator("#entry-provider")).to_contain_text("珠海市公安局")
    expect(page.locator("#entry-share-type")).to_have_text("有条件共享")
    wj.checked("entry")
    with page.expect_navigation():
        page.get_by_role("link", name="申请共享", exact=True).click()
    assert re.search(r"/workbench/data/sharing/new/\?entry=", page.url), page.url
    expect(page.get_by_role("heading", name="提出共享申请")).to_be_visible()
    expect(page.locator("#entry-name")).to_have_text("人口基础信息")
    for code, name in FIELDS.items():
        page.get_by_label(name, exact=True).check()
        assert page.locator(f"#field-{code}").is_checked(), code
    # how each is delivered without clear delivery: the ID number and the name masked
    expect(page.locator("#item-id_number")).to_contain_text("脱敏")
    expect(page.locator("#item-name")).to_contain_text("脱敏")
    expect(page.locator("#item-sex")).to_contain_text("明文")
    page.fill("#id_purpose", PURPOSE)
    page.fill("#id_legal_basis", BASIS)
    page.fill("#id_scenario", SCENARIO)
    page.fill("#id_period_start", today.isoformat())
    page.fill("#id_period_end", (today + dt.timedelta(days=364)).isoformat())
    page.fill("#id_contact_phone", "0756-2135201")
    wj.checked("request-form")
    with page.expect_navigation():
        page.locator("#submit-request").click()
    page.wait_for_url(re.compile(r"/workbench/data/sharing/requests/[^/]+/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator(".alert-success")).to_contain_text(f"共享申请 {number} 已提交")
    expect(page.locator("#request-state")).to_have_text("合规审查中")
    for code in FIELDS:
        expect(page.locator(f"#item-{code}")).to_have_count(1)
    sharing = SharingRequest.objects.get(number=number)
    assert sharing.requester.name == "珠海市卫生健康局" and sharing.entry_id == population.pk
    assert sorted(sharing.fields) == sorted(FIELDS) and sharing.clear_fields == []
    expect(page.locator("#request-due")).to_have_text(local_minute(sharing.due_at))
    wj.checked("requested")
    request_path = f"/workbench/data/sharing/requests/{number}/"

    # 2. The data authority passes the compliance check and sends it to the provider.
    authority = desk("sjju")
    apage = authority.page
    authority.sign_in("/workbench/data/sharing/?box=to_check")
    row = apage.locator(f"#request-{number}")
    expect(row).to_contain_text("人口基础信息")
    expect(row).to_contain_text("珠海市卫生健康局")
    expect(row).to_contain_text(local_minute(sharing.due_at))  # the check's 2 working days
    authority.checked("to-check")
    with apage.expect_navigation():
        row.get_by_role("link", name=number).click()
    expect(apage.locator("#request-state")).to_have_text("合规审查中")
    expect(apage.locator("#request-purpose")).to_contain_text("出生一件事")
    authority.act(
        "to_provider",
        "合规审查通过（转提供方审核）",
        opinion="用途明确，依据充分，申请信息项符合最小必要原则。",
    )
    expect(apage.locator("#request-state")).to_have_text("提供方审核中")
    sharing.refresh_from_db()
    checked_at = next(r.at for r in sharing.workflow.history.all() if r.action == "to_provider")
    # the provider's clock: 5 working days (the data is on the platform), end of office hours
    assert sharing.due_at == calendar.deadline(checked_at, 5, "working_days")
    due_day = timezone.localtime(sharing.due_at).date()
    assert due_day == calendar.add_working_days(timezone.localtime(checked_at).date(), 5)
    expect(apage.locator("#request-due")).to_have_text(local_minute(sharing.due_at))
    authority.checked("sent-to-provider")

    # 3. 公安局 sees it in 待我方审核 with its due date, and approves within it.
    ga = desk("gadata")
    gpage = ga.page
    ga.sign_in("/workbench/data/sharing/?box=to_decide")
    row = gpage.locator(f"#request-{number}")
    expect(row).to_contain_text("提供方审核中")
    expect(row.locator("time")).to_have_text(local_minute(sharing.due_at))
    ga.checked("to-decide")
    with gpage.expect_navigation():
        row.get_by_role("link", name=number).click()
    expect(gpage.locator("#request-due")).to_have_text(local_minute(sharing.due_at))
    ga.act("approve", "同意共享", opinion="同意按申请的信息项脱敏提供，不得向第三方提供。")
    expect(gpage.locator("#request-state")).to_have_text("已授权")
    sharing.refresh_from_db()
    grant = sharing.grant
    approved_at = sharing.workflow.history.get(action="approve").at
    assert approved_at < calendar.deadline(checked_at, 5, "working_days")  # within its deadline
    expect(gpage.locator("#request-grant")).to_contain_text(grant.number)
    assert sorted(grant.fields) == sorted(FIELDS) and grant.clear_fields == []
    ga.checked("approved")

    # 4. 卫健局 sees the grant on its request, and registers its health system: the secret
    # is shown once.
    wj.open(request_path)
    expect(page.locator("#request-state")).to_have_text("已授权")
    expect(page.locator("#request-grant")).to_contain_text(grant.number)
    wj.open("/workbench/data/apps/")
    expect(page.get_by_role("heading", name="接入应用", exact=True)).to_be_visible()
    card = page.locator(f"#grant-{grant.number}")
    expect(card).to_contain_text("人口基础信息")
    expect(card).to_contain_text(f"服务 {service.code}/{service.version}")
    page.get_by_label("应用系统名称").fill(APP_NAME)
    page.get_by_label("子系统编码").fill(APP_CODE)
    with page.expect_navigation():
        page.get_by_role("button", name="登记并生成密钥").click()
    expect(page.locator("#issued-secret")).to_contain_text("密钥只显示这一次")
    credential = page.locator("#credential").input_value()
    key_id = page.locator("#key-id").inner_text().strip()
    assert credential.startswith(key_id + ".") and len(credential) > len(key_id) + 16
    wj.checked("secret-issued")
    wj.open("/workbench/data/apps/")  # the list never shows the secret again
    expect(page.locator("#client-table")).to_contain_text(APP_NAME)
    assert credential.split(".", 1)[1] not in page.content()

    # 5. The health system calls the gateway over HTTP.
    base = live_server.url
    record_path = f"/gateway/v1/services/{service.code}/{service.version}/records/"
    record_path += person["id_number"]
    ok = call_gateway(base, record_path, credential=credential, purpose=PURPOSE)
    assert ok.status == 200, ok.body
    assert ok.content_type.startswith("application/json")
    document = ok.json
    assert document["fields"] == list(FIELDS)
    assert document["masking"] == {
        "id_number": "masked",
        "name": "masked",
        "sex": "clear",
        "birth_date": "masked",
    }
    (record,) = document["records"]
    assert set(record) == set(FIELDS)  # only the granted fields
    assert MASKED_ID.fullmatch(record["id_number"]), record
    number_in_clear = person["id_number"]
    assert record["id_number"] == f"{number_in_clear[:6]}********{number_in_clear[-4:]}"
    assert record["name"] == person["name"][0] + "*" * (len(person["name"]) - 1)
    assert record["sex"] == person["sex"]  # 一般 2 级: clear
    assert record["birth_date"] == person["birth_date"][:4]  # the year only
    for withheld in ("phone", "household_address", "household_no", "marital_status"):
        if person.get(withheld):
            assert person[withheld].encode() not in ok.body, withheld
    assert number_in_clear.encode() not in ok.body
    assert person["name"].encode() not in ok.body

    narrowed = call_gateway(
        base, record_path + "?fields=sex", credential=credential, purpose=PURPOSE
    )
    assert narrowed.status == 200, narrowed.body
    assert narrowed.json["records"] == [{"sex": person["sex"]}]

    denied = call_gateway(
        base, record_path + "?fields=phone", credential=credential, purpose=PURPOSE
    )
    assert denied.status == 403, denied.body
    assert denied.content_type.startswith("application/problem+json")
    problem = denied.json
    assert problem["status"] == 403 and problem["reason"] == "field_not_granted", problem
    assert "phone" in problem["detail"] or "联系电话" in problem["detail"], problem
    assert "records" not in problem
    if person.get("phone"):
        assert person["phone"].encode() not in denied.body

    anonymous = call_gateway(base, record_path, credential=None, purpose=PURPOSE)
    assert anonymous.status == 401, anonymous.body
    assert anonymous.content_type.startswith("application/problem+json")
    assert anonymous.headers.get("www-authenticate", "").lower().startswith("bearer")
    assert number_in_clear.encode() not in anonymous.body

    calls = list(
        ExchangeLog.objects.filter(
            service_code=f"{service.code}/{service.version}", client__key_id=key_id
        ).order_by("seq")
    )
    assert [c.status_code for c in calls] == [200, 200, 403], calls
    assert all(c.purpose == PURPOSE for c in calls)
    mine = {c.seq for c in calls}

    # 6. The log is sealed; 卫健局 exports the week's evidence and checks it on the page.
    sealed = sealing.seal()
    assert sealed is not None and sealed.last_seq >= max(mine)
    assert sealing.verify().ok
    wj.open("/workbench/data/exchange/evidence/")
    expect(page.get_by_role("heading", name="交换存证", exact=True)).to_be_visible()
    expect(page.locator("#seal-unsealed")).to_contain_text("0 条")
    expect(page.locator("#id_end")).to_have_value(today.isoformat())
    wj.checked("evidence")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出 JSON 存证文件").click()
    download = download_info.value
    assert download.suggested_filename.startswith("exchange-evidence-")
    bundle_path = download.path()
    bundle = bundle_path.read_bytes()

    report = evidence.check(bundle)
    assert report.ok, report.problems
    assert report.organisation["name"] == "珠海市卫生健康局"
    assert report.unsealed_rows == 0
    document = json.loads(bundle)
    full = {r["seq"] for s in document["seals"] for r in s["rows"] if "row" in r}
    assert mine <= full  # the journey's calls are in the bundle, in full

    pem = page.locator("#platform-public-key").text_content()  # the platform's key, pinned
    page.locator("#id_bundle").set_input_files(str(bundle_path))
    page.get_by_label("签名公钥（PEM，可选）").fill(pem)
    with page.expect_navigation():
        page.get_by_role("button", name="核验", exact=True).click()
    verdict = page.locator("#report-ok")
    expect(verdict).to_contain_text("核验通过：存证文件完整、签名有效")
    expect(page.locator("#check-report")).to_contain_text("已用您提供的公钥核验")
    expect(page.locator("#check-report")).to_contain_text("珠海市卫生健康局")
    expect(page.locator("#report-failed")).to_have_count(0)
    wj.checked("evidence-verified")

    # the other side can prove the same calls: 公安局's own bundle holds them in full too
    from shuzheng.foundation.identity.models import User

    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    theirs = evidence.export(
        User.objects.get(username="gadata"),
        start=start,
        end=start + dt.timedelta(days=1),
        organisation=population.provider,
    )
    assert evidence.check(theirs).ok
    provider_full = {r["seq"] for s in json.loads(theirs)["seals"] for r in s["rows"] if "row" in r}
    assert mine <= provider_full
