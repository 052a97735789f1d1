"""来电登记 pages: only 12345 operators reach them; one button registers and dispatches (or
answers, or merges) in one transaction — a refusal of either step leaves nothing behind; the
caller's history shows masked phones only; the live partials show the suggestion and why,
and nearby duplicates that can be merged into."""

import pytest
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.governance.hotline.models import WorkOrder
from tests.governance.conftest import GOOD_PHONE, IN_GONGBEI, IN_JINGAN

pytestmark = pytest.mark.django_db

URL = "/workbench/hotline/intake/"
CONTENT = "拱北夏湾路小区门口垃圾三天没人清运，气味很大，请尽快处理。"


@pytest.fixture
def citizen(db):
    return identity.register_account(
        access.SYSTEM, username="citizen-intake", display_name="市民", password="Zhuhai@2026x"
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def post_data(hl, **overrides):
    data = {
        "caller_phone": "13800138000",
        "caller_name": "李小明",
        "channel": "phone",
        "request_type": "complaint",
        "urgency": "normal",
        "title": "",
        "content": CONTENT,
        "category": hl.garbage.pk,
        "address": "拱北夏湾路 88 号",
        "latitude": IN_GONGBEI[0],
        "longitude": IN_GONGBEI[1],
        "unit": "",
        "answer": "",
        "op": "register",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------- who may


def test_url_names_are_the_contracts():
    assert reverse("hotline:intake") == URL
    for name in ("caller-lookup", "classify-suggest", "duplicate-check"):
        assert reverse(f"hotline:{name}").startswith(URL)


def test_operator_gets_the_screen_others_are_refused(client, hl, citizen):
    page = signed_in(client, hl.operator).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("登记并派单", "直接答复办结", 'id="answer"', 'name="category"', "010101 垃圾清运"):
        assert text in html
    # a street handler may handle orders but not take calls; a citizen has no workbench
    assert signed_in(client, hl.gb_handler).get(URL).status_code == 403
    assert signed_in(client, citizen).get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_the_dispatch_targets_are_the_operators_scope_only(client, hl):
    html = signed_in(client, hl.operator).get(URL).content.decode()
    assert f'value="{hl.tree.xiangzhou.pk}"' in html
    assert "香洲区" in html
    # the centre itself is where the order already is: not a target
    assert f'<option value="{hl.centre.pk}"' not in html


# --------------------------------------------------------------------------- registering


def test_register_and_dispatch_in_one_go(client, hl):
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, op="dispatch", unit=hl.tree.xiangzhou.pk)
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:order", kwargs={"number": order.number})
    assert order.state == "dispatched"
    assert order.unit == hl.tree.xiangzhou
    assert order.category == hl.garbage and order.category_confirmed
    assert order.channel == "phone" and order.registered_by == hl.operator
    assert order.caller_phone == GOOD_PHONE  # normalised, stored encrypted
    assert order.grid is not None and order.grid.street == hl.tree.gongbei
    page = client.get(response["Location"])
    assert order.number in page.content.decode()


def test_register_only_leaves_the_order_at_the_centre(client, hl):
    signed_in(client, hl.operator).post(URL, post_data(hl, op="register"))
    order = WorkOrder.objects.get()
    assert order.state == "registered" and order.unit == hl.centre


def test_a_bad_post_shows_field_errors_and_writes_nothing(client, hl):
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, content="", request_type="", op="dispatch", unit=hl.tree.xiangzhou.pk)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写诉求内容" in html and "请选择诉求类型" in html
    assert 'aria-invalid="true"' in html
    assert WorkOrder.objects.count() == 0


def test_the_services_location_rule_comes_back_under_the_address(client, hl):
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, address="", latitude="", longitude="")
    )
    assert response.status_code == 400
    assert "须填写地点" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_dispatch_needs_a_unit_and_nothing_is_registered_without_one(client, hl):
    response = signed_in(client, hl.operator).post(URL, post_data(hl, op="dispatch", unit=""))
    assert response.status_code == 400
    assert "请选择承办单位" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_unit_outside_the_dispatch_scope_is_refused(client, hl):
    handler = signed_in(client, hl.operator)
    response = handler.post(URL, post_data(hl, op="dispatch", unit=hl.centre.pk))
    assert response.status_code == 400
    assert "不在您可派单的范围内" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_dispatch_without_a_category_rolls_the_registration_back(client, hl):
    """register() accepts an order without a category, dispatch() does not: the two run in
    one transaction, so the registration is undone with the refused dispatch."""
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, category="", op="dispatch", unit=hl.tree.xiangzhou.pk)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "派单前请确认诉求分类" in html and 'id="id_category_error"' in html
    assert WorkOrder.objects.count() == 0


def test_a_refused_dispatch_rolls_the_registration_back(client, hl, monkeypatch):
    from django.core.exceptions import ValidationError

    from shuzheng.governance.hotline.services import loop

    def refuse(*args, **kwargs):
        raise ValidationError({"unit": "该单位今日不受理派单（测试）"})

    monkeypatch.setattr(loop, "dispatch", refuse)
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, op="dispatch", unit=hl.tree.xiangzhou.pk)
    )
    assert response.status_code == 400
    assert "该单位今日不受理派单（测试）" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_direct_answer_registers_and_closes(client, hl):
    answer = "生活垃圾清运由城管部门负责，您可拨打 12319 城管热线预约清运。"
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, category=hl.social.pk, address="", op="answer", answer=answer)
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.state == "closed" and order.reply == answer and order.closed_at is not None


def test_direct_answer_without_text_writes_nothing(client, hl):
    response = signed_in(client, hl.operator).post(URL, post_data(hl, op="answer", answer=""))
    assert response.status_code == 400
    assert "请填写答复内容" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_merge_into_a_duplicate_counts_the_caller(client, hl, order_factory):
    master = order_factory("dispatched")
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, merge_into=master.number, op=None)
    )
    assert response.status_code == 302
    follower = WorkOrder.objects.exclude(pk=master.pk).get()
    master.refresh_from_db()
    assert follower.state == "merged" and follower.master == master
    assert master.callers_count == 2


def test_merge_into_an_unknown_order_writes_nothing(client, hl):
    response = signed_in(client, hl.operator).post(
        URL, post_data(hl, merge_into="GD20000101000001")
    )
    assert response.status_code == 400
    assert "找不到要并入的工单" in response.content.decode()
    assert WorkOrder.objects.count() == 0


# --------------------------------------------------------------------------- partials


def test_caller_lookup_shows_the_history_with_masked_phones_only(client, hl, order_factory):
    earlier = order_factory("closed")
    other = order_factory("registered", caller_phone="+8613900139000")
    response = signed_in(client, hl.operator).post(
        reverse("hotline:caller-lookup"), {"caller_phone": "138 0013 8000"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert earlier.number in html and other.number not in html
    assert "138****8000" in html
    assert "13800138000" not in html and GOOD_PHONE not in html
    assert "李小明" not in html  # the caller's name is masked too
    assert "办结归档" in html


def test_caller_lookup_of_a_bad_number_does_not_echo_it(client, hl):
    lookup = signed_in(client, hl.operator)
    response = lookup.post(reverse("hotline:caller-lookup"), {"caller_phone": "1380013"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "号码格式不正确" in html and "1380013" not in html
    # while the number is still being typed nothing is looked up
    typing = lookup.post(reverse("hotline:caller-lookup"), {"caller_phone": "138"})
    assert typing.content.decode().strip() == ""


def test_caller_lookup_is_the_operators(client, hl, order_factory):
    order_factory("registered")
    response = signed_in(client, hl.jingan_handler).post(
        reverse("hotline:caller-lookup"), {"caller_phone": "13800138000"}
    )
    assert response.status_code == 403


def test_classify_suggest_shows_category_unit_confidence_and_why(client, hl, monkeypatch):
    from shuzheng.governance.hotline.services import routing

    seen = {}

    def suggest(text, *, district=None, grid=None):
        seen.update(text=text, district=district, grid=grid)
        return {
            "model_version": 3,
            "category": {
                "id": hl.garbage.pk,
                "code": "010101",
                "name": "垃圾清运",
                "confidence": 0.87,
            },
            "alternatives": [
                {"id": hl.vending.pk, "code": "010102", "name": "占道经营", "confidence": 0.08}
            ],
            "unit": {"id": hl.chengguan.pk, "name": hl.chengguan.name, "source": "category"},
            "rule": None,
            "confident": True,
            "words": [["垃圾", 1.2], ["清运", 0.9]],
            "reasons": ["关键词：垃圾、清运"],
        }

    monkeypatch.setattr(routing, "suggest", suggest)
    response = signed_in(client, hl.operator).post(
        reverse("hotline:classify-suggest"),
        {"content": CONTENT, "latitude": IN_GONGBEI[0], "longitude": IN_GONGBEI[1]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "010101 垃圾清运" in html and "87%" in html and hl.chengguan.name in html
    assert "采用建议" in html and f'data-adopt-category="{hl.garbage.pk}"' in html
    assert f'data-adopt-unit="{hl.chengguan.pk}"' in html
    assert "关键词：垃圾、清运" in html and "清运" in html
    # the place of the call narrows the routing: its grid cell and district go along
    assert seen["grid"] is not None and seen["district"] == hl.tree.xiangzhou


def test_classify_suggest_without_a_model_asks_for_a_manual_choice(client, hl, monkeypatch):
    from shuzheng.governance.hotline.services import routing

    monkeypatch.setattr(
        routing,
        "suggest",
        lambda text, **kw: {
            "model_version": None,
            "category": None,
            "alternatives": [],
            "unit": None,
            "rule": None,
            "confident": False,
            "words": [],
            "reasons": [],
        },
    )
    response = signed_in(client, hl.operator).get(
        reverse("hotline:classify-suggest"), {"content": CONTENT}
    )
    assert response.status_code == 200
    assert "请人工选择分类" in response.content.decode()


def test_duplicate_check_offers_nearby_orders_of_the_same_category(client, hl, order_factory):
    near = order_factory("dispatched")
    elsewhere = order_factory("registered", latitude=IN_JINGAN[0], longitude=IN_JINGAN[1])
    operator = signed_in(client, hl.operator)
    url = reverse("hotline:duplicate-check")
    html = operator.get(
        url, {"category": hl.garbage.pk, "latitude": IN_GONGBEI[0], "longitude": IN_GONGBEI[1]}
    ).content.decode()
    assert near.number in html and elsewhere.number not in html
    assert "并入此工单" in html and f'value="{near.number}"' in html
    other_category = operator.get(
        url, {"category": hl.vending.pk, "latitude": IN_GONGBEI[0], "longitude": IN_GONGBEI[1]}
    ).content.decode()
    assert near.number not in other_category and "附近没有同类工单" in other_category
    missing = operator.get(url, {"category": hl.garbage.pk}).content.decode()
    assert near.number not in missing
