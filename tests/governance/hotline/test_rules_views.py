"""The rules page (派单规则与分类模型) and the suggestion API: who may use them, what they
show, and bad input."""

import pytest
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.governance.hotline.models import ClassifierModel, RoutingRule
from shuzheng.governance.hotline.services import routing
from tests.governance.conftest import IN_GONGBEI
from tests.governance.hotline.test_routing import GARBAGE_TEXT, history  # noqa: F401

pytestmark = pytest.mark.django_db

SUGGEST = "/api/v1/hotline/suggest/"


def test_the_page_lists_rules_and_model_versions(client, history):  # noqa: F811
    hl = history
    rule = routing.save_rule(access.SYSTEM, category=hl.garbage, by_location=True, note="属地")
    routing.train(access.SYSTEM)
    client.force_login(hl.admin)
    page = client.get(reverse("hotline:rules"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="rule-{rule.pk}"' in html and "按属地派单" in html
    assert 'id="model-1"' in html and "当前使用" in html
    assert 'id="level1-table"' in html


def test_handlers_and_operators_may_not_open_or_post(client, hl):
    rule = routing.save_rule(access.SYSTEM, category=hl.garbage, unit=hl.chengguan)
    for user in (hl.gb_handler, hl.operator):
        client.force_login(user)
        assert client.get(reverse("hotline:rules")).status_code == 403
        assert client.get(reverse("hotline:rule-new")).status_code == 403
        response = client.post(
            reverse("hotline:rule-new"),
            {"category": hl.garbage.pk, "unit": hl.chengguan.pk, "min_confidence": "0.5"},
        )
        assert response.status_code == 403
        assert client.post(reverse("hotline:rule-toggle", args=[rule.pk])).status_code == 403
        assert client.post(reverse("hotline:rules-retrain")).status_code == 403
    assert RoutingRule.objects.count() == 1 and RoutingRule.objects.get().active
    assert not ClassifierModel.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("hotline:rules"))
    assert response.status_code == 302


def test_an_administrator_adds_edits_and_deactivates_a_rule(client, hl):
    client.force_login(hl.admin)
    assert client.get(reverse("hotline:rule-new")).status_code == 200
    response = client.post(
        reverse("hotline:rule-new"),
        {
            "category": hl.garbage.pk,
            "district": hl.tree.xiangzhou.pk,
            "grid": hl.cells[0].code,
            "unit": hl.tree.gongbei.pk,
            "min_confidence": "0.75",
            "priority": "20",
            "active": "on",
            "note": "拱北一网格",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.grid, rule.unit, rule.min_confidence, rule.priority) == (
        hl.cells[0],
        hl.tree.gongbei,
        0.75,
        20,
    )
    edit = client.get(reverse("hotline:rule-edit", args=[rule.pk]))
    assert edit.status_code == 200 and hl.cells[0].code in edit.content.decode()
    response = client.post(
        reverse("hotline:rule-edit", args=[rule.pk]),
        {
            "category": hl.garbage.pk,
            "by_location": "on",
            "min_confidence": "0.9",
            "priority": "5",
            "active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.by_location and rule.unit is None and rule.grid is None and rule.district is None
    assert client.post(reverse("hotline:rule-toggle", args=[rule.pk])).status_code == 302
    rule.refresh_from_db()
    assert not rule.active
    listing = client.get(reverse("hotline:rules")).content.decode()
    assert f'id="rule-{rule.pk}"' not in listing  # only active ones by default
    assert (
        f'id="rule-{rule.pk}"'
        in client.get(reverse("hotline:rules") + "?show=all").content.decode()
    )


def test_bad_rule_input_shows_field_errors_and_saves_nothing(client, hl):
    client.force_login(hl.admin)
    response = client.post(
        reverse("hotline:rule-new"),
        {"category": hl.garbage.pk, "min_confidence": "0.8", "priority": "100", "active": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择承办单位，或选择“按属地派单”" in html
    assert 'id="f-unit-error"' in html
    response = client.post(
        reverse("hotline:rule-new"),
        {"category": hl.garbage.pk, "unit": hl.chengguan.pk, "grid": "NO-SUCH-CELL"},
    )
    assert response.status_code == 400 and "NO-SUCH-CELL" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_retrain_now_and_roll_back(client, history):  # noqa: F811
    client.force_login(history.admin)
    assert client.post(reverse("hotline:rules-retrain")).status_code == 302
    assert client.post(reverse("hotline:rules-retrain")).status_code == 302
    assert list(ClassifierModel.objects.values_list("version", "active").order_by("version")) == [
        (1, False),
        (2, True),
    ]
    first = ClassifierModel.objects.get(version=1)
    assert client.post(reverse("hotline:model-activate", args=[first.pk])).status_code == 302
    assert ClassifierModel.objects.get(active=True).version == 1
    assert client.post(reverse("hotline:model-activate", args=[999999])).status_code == 404


def test_retrain_without_history_says_why(client, hl):
    client.force_login(hl.admin)
    response = client.post(reverse("hotline:rules-retrain"), follow=True)
    assert "无法训练分类模型" in response.content.decode()
    assert not ClassifierModel.objects.exists()


# --------------------------------------------------------------------------- API


def test_the_api_suggests_with_the_grid_of_the_point(api_for, history):  # noqa: F811
    hl = history
    routing.train(access.SYSTEM)
    rule = routing.save_rule(
        access.SYSTEM, category=hl.garbage, grid=hl.cells[0], unit=hl.tree.gongbei, min_confidence=0
    )
    api = api_for(hl.operator)
    response = api.post(
        SUGGEST,
        {"text": GARBAGE_TEXT, "latitude": IN_GONGBEI[0], "longitude": IN_GONGBEI[1]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"]["code"] == "010101"
    assert body["rule"] == rule.pk and body["unit"]["id"] == hl.tree.gongbei.pk
    assert body["words"] and body["reasons"]
    without_place = api.post(SUGGEST, {"text": GARBAGE_TEXT}, format="json").json()
    assert without_place["rule"] is None


def test_the_api_without_a_model_still_answers(api_for, hl):
    response = api_for(hl.operator).post(SUGGEST, {"text": GARBAGE_TEXT}, format="json")
    assert response.status_code == 200
    assert response.json()["model_version"] is None
    assert response.json()["reasons"] == ["尚未训练分类模型"]


def test_the_api_refuses_those_who_do_not_register_orders(api_for, api, hl):
    assert api_for(hl.gb_handler).post(SUGGEST, {"text": "垃圾"}, format="json").status_code == 403
    assert api.post(SUGGEST, {"text": "垃圾"}, format="json").status_code in (401, 403)


def test_the_api_rejects_bad_input(api_for, hl):
    api = api_for(hl.operator)
    missing = api.post(SUGGEST, {}, format="json")
    assert missing.status_code == 400 and "text" in str(missing.json())
    half = api.post(SUGGEST, {"text": "垃圾", "latitude": 22.2}, format="json")
    assert half.status_code == 400 and "longitude" in str(half.json())
    off = api.post(SUGGEST, {"text": "垃圾", "latitude": 95, "longitude": 113}, format="json")
    assert off.status_code == 400


def test_blank_confidence_and_priority_take_the_defaults(client, hl):
    client.force_login(hl.admin)
    response = client.post(
        reverse("hotline:rule-new"),
        {"category": hl.social.pk, "unit": hl.tree.zwfw.pk, "min_confidence": "", "active": "on"},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.min_confidence, rule.priority, rule.active) == (0.8, 100, True)
