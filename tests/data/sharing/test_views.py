"""The sharing pages: the new-request form for an entry named by its URL-encoded code (the
items with level and delivery, checkboxes for items and clear items, the coordination form
for a 不予共享 entry), the queues with deadlines and overdue marks, a request with its
timeline and the actions open to the user (a stale page changes nothing), and the grants
with revocation for the provider and the authority only."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from shuzheng.data.sharing import services
from shuzheng.data.sharing.models import Grant, SharingRequest
from tests.data.sharing.conftest import FIELDS, at, fresh

pytestmark = pytest.mark.django_db

NEW = "/workbench/data/sharing/new/"
QUEUE = "/workbench/data/sharing/"
GRANTS = "/workbench/data/sharing/grants/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(dm, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "entry": dm.population.code,
        "fields": list(FIELDS),
        "clear_fields": ["name"],
        "purpose": "出生医学证明签发时核验父母身份",
        "legal_basis": "《中华人民共和国母婴保健法》",
        "scenario": "出生医学证明核验",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=364)).isoformat(),
        "quota_per_minute": "60",
        "quota_per_day": "10000",
        "contact_phone": "0756-2222222",
    }
    data.update(overrides)
    return data


def test_the_form_shows_every_item_with_its_level_and_delivery(dm):
    page = browser(dm.wj_admin).get(f"{NEW}?entry={quote(dm.population.code, safe='')}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "人口基础信息" in html and "有条件共享" in html
    for code in ("id_number", "name", "sex", "birth_date", "address", "phone", "religion"):
        assert f'id="item-{code}"' in html
    assert "核心数据，不予共享" in html  # religion
    assert (
        'id="field-religion" ' in html and "disabled" in html.split('id="field-religion"')[1][:40]
    )
    assert 'id="clear-name"' in html and 'id="clear-phone"' not in html  # 重要数据: masked only
    assert 'id="clear-sex"' not in html  # 一般 2 级 is clear anyway


def test_an_unknown_entry_code_says_so(dm):
    page = browser(dm.wj_admin).get(f"{NEW}?entry={quote('9/999999', safe='')}")
    assert page.status_code == 404 and "找不到已发布的目录条目" in page.content.decode()
    assert browser(dm.wj_admin).get(NEW).status_code == 200


def test_submitting_the_form_files_the_request(dm):
    answer = browser(dm.wj_admin).post(NEW, form(dm))
    request = SharingRequest.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/requests/{request.number}/")
    assert request.fields == FIELDS and request.clear_fields == ["name"]
    assert request.state == "checking"


def test_bad_input_comes_back_on_the_form(dm):
    answer = browser(dm.wj_admin).post(
        NEW, form(dm, fields=["name", "religion"], clear_fields=["address"], purpose="")
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert (
        "核心数据" in html
        and "请填写用途" in html
        and "申请明文的信息项须在申请的信息项之中" in html
    )
    assert not SharingRequest.objects.exists()


def test_not_shared_entries_get_the_coordination_form(dm, make_entry):
    secret = make_entry(dm.gongan, dm.ga_admin, name="出入境记录", share_type="none")
    page = browser(dm.wj_admin).get(f"{NEW}?entry={quote(secret.code, safe='')}")
    html = page.content.decode()
    assert 'id="coordination-note"' in html and "申请协调的理由" in html
    answer = browser(dm.wj_admin).post(NEW, form(dm, entry=secret.code, fields=["name"]))
    assert answer.status_code == 400 and "请说明申请协调的理由" in answer.content.decode()
    answer = browser(dm.wj_admin).post(
        NEW, form(dm, entry=secret.code, fields=["name"], reason="流调需要")
    )
    assert answer.status_code == 302
    assert SharingRequest.objects.get().kind == "coordination"


def test_who_may_open_the_form(dm):
    assert browser(dm.outsider).get(NEW).status_code == 403
    assert browser(dm.authority).get(NEW).status_code == 403


def test_queues_mark_overdue_requests(dm, new_request, clock):
    clock.set(at(11, 27, 10))
    request = new_request()
    page = browser(dm.authority).get(QUEUE, {"box": "to_check"})
    html = page.content.decode()
    assert request.number in html and "2026-12-01 18:00" in html
    assert 'text-bg-danger">已超期' not in html
    clock.set(at(12, 2, 9))
    html = browser(dm.authority).get(QUEUE, {"box": "to_check"}).content.decode()
    assert 'class="table-danger"' in html and 'text-bg-danger">已超期' in html
    assert browser(dm.authority).get(QUEUE, {"box": "to_decide"}).status_code == 404
    tabs = browser(dm.wj_admin).get(QUEUE).content.decode()
    assert 'id="tab-mine"' in tabs and 'id="tab-to_check"' not in tabs
    assert browser(dm.outsider).get(QUEUE).status_code == 403


def test_the_request_page_offers_each_party_its_actions(dm, new_request):
    request = new_request()
    url = f"/workbench/data/sharing/requests/{request.number}/"
    html = browser(dm.authority).get(url).content.decode()
    assert 'id="action-to_provider"' in html and 'id="action-return"' in html
    assert 'id="action-grant_unconditional"' not in html  # 有条件共享
    assert "提交申请" in html  # the timeline
    html = browser(dm.ga_admin).get(url).content.decode()
    assert 'id="no-actions"' in html
    assert browser(dm.outsider).get(url).status_code == 403


def test_acting_from_the_page_and_a_stale_page(dm, new_request):
    request = new_request()
    action = f"/workbench/data/sharing/requests/{request.number}/actions/to_provider/"
    stale = browser(dm.authority).post(action, {"revision": fresh(request).revision - 1})
    assert stale.status_code == 302 and fresh(request).state == "checking"
    done = browser(dm.authority).post(action, {"revision": fresh(request).revision})
    assert done.status_code == 302 and fresh(request).state == "provider_review"
    reject = f"/workbench/data/sharing/requests/{request.number}/actions/reject/"
    answer = browser(dm.ga_admin).post(reject, {"revision": fresh(request).revision})
    assert answer.status_code == 400 and "请填写不同意共享的理由" in answer.content.decode()
    answer = browser(dm.wj_admin).post(
        f"/workbench/data/sharing/requests/{request.number}/actions/approve/",
        {"revision": fresh(request).revision},
    )
    assert answer.status_code == 403 and fresh(request).state == "provider_review"
    browser(dm.ga_admin).post(
        f"/workbench/data/sharing/requests/{request.number}/actions/approve/",
        {"revision": fresh(request).revision, "approve-opinion": "同意"},
    )
    assert fresh(request).state == "granted"


def test_grants_list_offers_revocation_to_the_provider_only(dm, new_request):
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    grant = Grant.objects.get()
    mine = browser(dm.wj_admin).get(GRANTS).content.decode()
    assert grant.number in mine and "确认撤销" not in mine
    theirs = browser(dm.ga_admin).get(GRANTS, {"side": "provider"}).content.decode()
    assert grant.number in theirs and "确认撤销" in theirs
    page = browser(dm.wj_admin).get(f"{GRANTS}{grant.number}/").content.decode()
    assert 'id="revoke"' not in page and "姓名" in page
    url = f"{GRANTS}{grant.number}/revoke/"
    assert browser(dm.wj_admin).post(url, {"revision": 0, "reason": "x"}).status_code == 403
    answer = browser(dm.ga_admin).post(url, {"revision": 0, "reason": ""})
    assert answer.status_code == 400 and "请填写撤销理由" in answer.content.decode()
    answer = browser(dm.ga_admin).post(url, {"revision": 0, "reason": "停止提供"})
    assert answer.status_code == 302
    assert Grant.objects.get().status == "revoked"
    assert services.active_grant(dm.weijian.pk, dm.population.pk) is None
