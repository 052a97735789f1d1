"""智能派单: which unit a suggestion names and why — rule (grid before district before
city-wide, inactive ignored, below its confidence not applied), model, category — plus the
no-model behaviour, training refusals, versions and the rule editor's bad input."""

import itertools
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.hotline.classify import features
from shuzheng.governance.hotline.models import ClassifierModel, RoutingRule, WorkOrder
from shuzheng.governance.hotline.services import routing

GARBAGE = [
    "{p}小区门口的垃圾{d}没人清运，臭气熏天",
    "{p}垃圾桶满了溢出来，苍蝇到处飞，环卫车也不来收",
    "{p}的垃圾站一直没清理，堆得像小山一样",
    "楼下{p}的生活垃圾好几天没人收，味道很大",
]
VENDING = [
    "{p}每天晚上都有流动摊贩占着人行道摆摊",
    "{p}的水果摊把摊位摆到马路上，行人只能绕行",
    "{p}一到傍晚就有一排夜宵摊占道经营，油污满地",
    "{p}有小贩霸占公交站台卖东西，城管来了就跑",
]
SOCIAL = [
    "请问灵活就业人员在珠海交社保每个月要交多少{d}",
    "辞职以后社保断缴了，自己怎么续交社保{d}",
    "从外地来珠海工作，之前的社保关系怎么转过来{d}",
    "公司说给我们交了社保，我查了发现少交了几个月{d}",
]
PLACES = ["夏湾路", "粤华路", "迎宾南路", "昌盛路"]
WHEN = ["", "，已经三天了", "，一个星期了", "，请尽快处理"]


def _texts(templates):
    return [t.format(p=p, d=d) for t, p, d in itertools.product(templates, PLACES, WHEN) if t][:16]


@pytest.fixture
def history(hl):
    """16 confirmed and signed orders per category: 垃圾清运 handled by 拱北街道, 占道经营 by
    城管局, 社保缴费 by 政务服务数据管理局."""
    n = itertools.count(1)
    now = timezone.now()
    for category, unit, templates in (
        (hl.garbage, hl.tree.gongbei, GARBAGE),
        (hl.vending, hl.chengguan, VENDING),
        (hl.social, hl.tree.zwfw, SOCIAL),
    ):
        for text in _texts(templates):
            WorkOrder.objects.create(
                number=f"GD20260101{next(n):06d}",
                channel="phone",
                request_type="complaint",
                title=text[:20],
                content=text,
                unit=unit,
                category=category,
                category_confirmed=True,
                signed_at=now,
                state="closed",
            )
    return hl


@pytest.fixture
def trained(history):
    routing.train(access.SYSTEM)
    return history


GARBAGE_TEXT = "夏湾路小区门口垃圾三天没人清运，臭得不行，请尽快处理"


def _rule(category, **fields):
    fields.setdefault("min_confidence", 0.0)
    return routing.save_rule(access.SYSTEM, category=category, **fields)


# --------------------------------------------------------------------------- no model


@pytest.mark.django_db
def test_without_a_model_suggest_answers_and_says_why(hl):
    result = routing.suggest(GARBAGE_TEXT, district=hl.tree.xiangzhou, grid=hl.cells[0])
    assert result["model_version"] is None
    assert result["category"] is None and result["unit"] is None
    assert result["alternatives"] == [] and result["words"] == []
    assert result["confident"] is False
    assert result["reasons"] == ["尚未训练分类模型"]
    assert routing.active_model() is None


@pytest.mark.django_db
def test_training_without_enough_history_is_refused(hl):
    with pytest.raises(ValidationError):
        routing.train(access.SYSTEM)
    assert not ClassifierModel.objects.exists()


# --------------------------------------------------------------------------- training


@pytest.mark.django_db
def test_a_handler_or_operator_cannot_retrain(history):
    for user in (history.gb_handler, history.operator):
        with pytest.raises(PermissionDenied):
            routing.train(user)
    assert not ClassifierModel.objects.exists()


@pytest.mark.django_db
def test_versions_increment_and_one_is_active(history):
    first = routing.train(history.admin)
    second = routing.train(access.SYSTEM)
    assert (first.version, second.version) == (1, 2)
    assert list(ClassifierModel.objects.filter(active=True)) == [second]
    assert routing.suggest(GARBAGE_TEXT)["model_version"] == 2
    assert first.trained_by == history.admin.username and second.trained_by == "system"
    assert AuditRecord.objects.filter(action="hotline.classifier.train").count() == 2
    routing.activate(history.admin, first)
    assert routing.suggest(GARBAGE_TEXT)["model_version"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.active and not second.active
    with pytest.raises(PermissionDenied):
        routing.activate(history.gb_handler, second)
    assert routing.suggest(GARBAGE_TEXT)["model_version"] == 1


@pytest.mark.django_db
def test_metrics_of_a_small_history(history):
    model = routing.train(access.SYSTEM, holdout=0.25)
    m = model.metrics
    assert m["n_total"] == 48 and m["n_test"] == 12 and m["n_train"] == 36
    assert m["label_counts"] == {"010101": 12, "010102": 12, "020101": 12}
    assert set(m["unit_label_counts"]) == {
        "拱北街道",
        "珠海市城市管理和综合执法局",
        "珠海市政务服务数据管理局",
    }
    assert 0 <= m["category"]["top1"] <= m["category"]["top3"] <= 1
    assert set(m["level1"]) == {"01", "02"}
    assert m["level1"]["01"]["name"] == "城乡建设"
    assert model.trained_on == 36


@pytest.mark.django_db
def test_the_retrain_command_prints_the_held_out_figures(history):
    out = StringIO()
    call_command("hotline_retrain", "--holdout", "0.25", stdout=out)
    text = out.getvalue()
    assert "Classifier v1 trained and active" in text
    assert "category: top-1" in text and "unit:     top-1" in text
    assert ClassifierModel.objects.get(active=True).metrics["n_test"] == 12


@pytest.mark.django_db
def test_the_retrain_command_without_history_fails_cleanly(hl):
    with pytest.raises(CommandError):
        call_command("hotline_retrain", stdout=StringIO())
    assert not ClassifierModel.objects.exists()


@pytest.mark.django_db
def test_only_confirmed_categories_and_signed_units_are_labels(history):
    WorkOrder.objects.create(
        number="GD20260102000001",
        channel="phone",
        request_type="complaint",
        title="未确认",
        content="一条没有确认分类也没签收的工单",
        unit=history.centre,
        category=history.garbage,
        category_confirmed=False,
    )
    samples = routing.training_samples()
    assert len(samples) == 48
    assert all(s.category and s.unit for s in samples)


# --------------------------------------------------------------------------- suggestions


@pytest.mark.django_db
def test_the_model_suggests_the_category_with_the_words_that_drove_it(trained):
    result = routing.suggest(GARBAGE_TEXT)
    assert result["model_version"] == 1
    assert result["category"]["code"] == "010101"
    assert result["category"]["id"] == trained.garbage.pk
    assert result["category"]["path"] == "城乡建设 / 市容环卫 / 垃圾清运"
    assert 0 < result["category"]["confidence"] <= 1
    assert [a["code"] for a in result["alternatives"]] == sorted(
        [a["code"] for a in result["alternatives"]],
        key=lambda c: -next(x["confidence"] for x in result["alternatives"] if x["code"] == c),
    )
    assert {a["code"] for a in result["alternatives"]} == {"010102", "020101"}
    words = [w for w, _weight in result["words"]]
    assert "垃圾" in words
    for word in words:
        assert word in features.normalise(GARBAGE_TEXT)
    assert any(r.startswith("关键词：") and "垃圾" in r for r in result["reasons"])


@pytest.mark.django_db
def test_rule_precedence_grid_over_district_over_city(trained):
    hl = trained
    city = _rule(hl.garbage, unit=hl.chengguan)
    district = _rule(hl.garbage, district=hl.tree.xiangzhou, unit=hl.tree.xiangzhou)
    grid = _rule(hl.garbage, grid=hl.cells[0], unit=hl.tree.gongbei)

    at_grid = routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])
    assert at_grid["rule"] == grid.pk
    assert at_grid["unit"] == {"id": hl.tree.gongbei.pk, "name": "拱北街道", "source": "rule"}
    assert any(r.startswith("规则：") for r in at_grid["reasons"])

    other_cell = routing.suggest(GARBAGE_TEXT, grid=hl.cells[1])  # same district
    assert other_cell["rule"] == district.pk

    in_district = routing.suggest(GARBAGE_TEXT, district=hl.tree.xiangzhou)
    assert in_district["rule"] == district.pk
    assert in_district["unit"]["id"] == hl.tree.xiangzhou.pk

    elsewhere = routing.suggest(GARBAGE_TEXT, district=hl.tree.doumen)
    assert elsewhere["rule"] == city.pk
    assert routing.suggest(GARBAGE_TEXT)["rule"] == city.pk


@pytest.mark.django_db
def test_an_inactive_rule_is_ignored(trained):
    hl = trained
    district = _rule(hl.garbage, district=hl.tree.xiangzhou, unit=hl.tree.xiangzhou)
    grid = _rule(hl.garbage, grid=hl.cells[0], unit=hl.tree.gongbei)
    routing.save_rule(hl.admin, grid, active=False)
    assert routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])["rule"] == district.pk
    routing.save_rule(hl.admin, district, active=False)
    result = routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])
    assert result["rule"] is None and result["unit"]["source"] in ("model", "category")


@pytest.mark.django_db
def test_a_rule_below_its_confidence_is_not_applied(trained):
    hl = trained
    city = _rule(hl.garbage, unit=hl.chengguan)
    strict = _rule(hl.garbage, grid=hl.cells[0], unit=hl.tree.gongbei, min_confidence=1.0)
    result = routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])
    assert result["rule"] == city.pk
    assert any(f"规则 #{strict.pk}" in r and "未应用" in r for r in result["reasons"])
    routing.save_rule(hl.admin, city, min_confidence=1.0)
    result = routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])
    assert result["rule"] is None


@pytest.mark.django_db
def test_a_rule_of_a_parent_category_applies_to_its_leaves_but_a_leaf_rule_wins(trained):
    hl = trained
    parent = _rule(hl.urban, unit=hl.tree.zwfw)
    assert routing.suggest(GARBAGE_TEXT)["rule"] == parent.pk
    leaf = _rule(hl.garbage, unit=hl.chengguan)
    assert routing.suggest(GARBAGE_TEXT)["rule"] == leaf.pk
    # but a district rule on the parent is more specific than a city-wide leaf rule
    local = _rule(hl.urban, district=hl.tree.xiangzhou, unit=hl.tree.xiangzhou)
    assert routing.suggest(GARBAGE_TEXT, district=hl.tree.xiangzhou)["rule"] == local.pk


@pytest.mark.django_db
def test_priority_decides_between_equally_specific_rules(trained):
    hl = trained
    _rule(hl.garbage, unit=hl.chengguan, priority=50)
    first = _rule(hl.garbage, unit=hl.tree.zwfw, priority=10)
    assert routing.suggest(GARBAGE_TEXT)["rule"] == first.pk


@pytest.mark.django_db
def test_a_by_location_rule_sends_the_order_to_its_district(trained):
    hl = trained
    rule = _rule(hl.garbage, by_location=True)
    result = routing.suggest(GARBAGE_TEXT, grid=hl.cells[2])  # 井岸: 斗门区
    assert result["rule"] == rule.pk
    assert result["unit"] == {"id": hl.tree.doumen.pk, "name": "斗门区", "source": "location"}
    assert any("按属地派单" in r for r in result["reasons"])
    nowhere = routing.suggest(GARBAGE_TEXT)  # no place: the rule cannot apply
    assert nowhere["rule"] is None


@pytest.mark.django_db
def test_without_a_rule_the_confident_model_unit_then_the_category_unit(trained, settings):
    hl = trained
    settings.HOTLINE_UNIT_MIN_CONFIDENCE = 0.0
    result = routing.suggest(GARBAGE_TEXT)
    assert result["rule"] is None
    assert result["unit"] == {"id": hl.tree.gongbei.pk, "name": "拱北街道", "source": "model"}
    assert any(r.startswith("模型建议承办单位") for r in result["reasons"])

    settings.HOTLINE_UNIT_MIN_CONFIDENCE = 1.0  # never confident enough
    result = routing.suggest(GARBAGE_TEXT)
    assert result["unit"] == {
        "id": hl.chengguan.pk,
        "name": hl.chengguan.name,
        "source": "category",
    }
    assert any(r.startswith("按分类主管单位") for r in result["reasons"])

    social = routing.suggest("请问社保断缴了怎么续交")  # no unit on 社保缴费 or above
    assert social["category"]["code"] == "020101"
    assert social["unit"] is None
    assert "未能确定承办单位，请人工派单" in social["reasons"]


@pytest.mark.django_db
def test_an_inactive_category_is_never_suggested(trained):
    hl = trained
    hl.garbage.is_active = False
    hl.garbage.save()
    result = routing.suggest(GARBAGE_TEXT)
    assert result["category"]["code"] != "010101"
    assert all(a["code"] != "010101" for a in result["alternatives"])
    for word, _weight in result["words"]:  # explained for the category shown
        assert word in features.normalise(GARBAGE_TEXT)


@pytest.mark.django_db
def test_empty_text_is_not_classified(trained):
    result = routing.suggest("   ")
    assert result["category"] is None and result["model_version"] == 1


@pytest.mark.django_db
def test_low_confidence_asks_the_operator_to_confirm(trained, settings):
    settings.HOTLINE_CATEGORY_MIN_CONFIDENCE = 1.0
    result = routing.suggest(GARBAGE_TEXT)
    assert result["confident"] is False
    assert any("请人工确认分类" in r for r in result["reasons"])


# --------------------------------------------------------------------------- rule editor


@pytest.mark.django_db
def test_a_rule_needs_a_unit_or_by_location(hl):
    with pytest.raises(ValidationError) as caught:
        routing.save_rule(hl.admin, category=hl.garbage, min_confidence=0.8)
    assert "unit" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        routing.save_rule(hl.admin, category=hl.garbage, unit=hl.chengguan, by_location=True)
    assert "unit" in caught.value.message_dict
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_bad_rule_fields_are_field_errors(hl):
    cases = [
        ({"category": None, "unit": hl.chengguan}, "category"),
        ({"category": hl.garbage, "unit": hl.chengguan, "min_confidence": 1.5}, "min_confidence"),
        ({"category": hl.garbage, "unit": hl.chengguan, "min_confidence": "高"}, "min_confidence"),
        ({"category": hl.garbage, "unit": hl.chengguan, "priority": -1}, "priority"),
        ({"category": hl.garbage, "unit": hl.chengguan, "district": hl.tree.gongbei}, "district"),
        (
            {
                "category": hl.garbage,
                "unit": hl.chengguan,
                "district": hl.tree.doumen,
                "grid": hl.cells[0],
            },
            "grid",
        ),
        ({"category": hl.garbage, "unit": 999999}, "unit"),
        ({"category": hl.garbage, "unit": hl.chengguan, "note": "长" * 201}, "note"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as caught:
            routing.save_rule(hl.admin, **fields)
        assert field in caught.value.message_dict, (fields, caught.value.message_dict)
    assert not RoutingRule.objects.exists()


@pytest.mark.django_db
def test_a_grid_rule_takes_its_district_and_saving_is_audited(hl):
    rule = routing.save_rule(
        hl.admin, category=hl.garbage, grid=hl.cells[0], unit=hl.tree.gongbei, min_confidence=0.7
    )
    assert rule.district == hl.tree.xiangzhou and rule.active
    assert AuditRecord.objects.filter(action="hotline.rule.create", object_id=str(rule.pk)).exists()
    routing.save_rule(hl.admin, rule, min_confidence=0.9)
    rule.refresh_from_db()
    assert rule.min_confidence == 0.9 and rule.unit == hl.tree.gongbei
    update = AuditRecord.objects.get(action="hotline.rule.update", object_id=str(rule.pk))
    assert set(update.details["changed"]) == {"min_confidence"}  # only what changed


@pytest.mark.django_db
def test_handlers_and_operators_cannot_edit_rules(hl):
    rule = routing.save_rule(access.SYSTEM, category=hl.garbage, unit=hl.chengguan)
    for user in (hl.gb_handler, hl.operator, hl.head):
        with pytest.raises(PermissionDenied):
            routing.save_rule(user, category=hl.garbage, unit=hl.chengguan)
        with pytest.raises(PermissionDenied):
            routing.save_rule(user, rule, active=False)
    assert RoutingRule.objects.count() == 1
    rule.refresh_from_db()
    assert rule.active


@pytest.mark.django_db
def test_unknown_rule_fields_are_a_programming_error(hl):
    with pytest.raises(TypeError):
        routing.save_rule(hl.admin, category=hl.garbage, unit=hl.chengguan, colour="red")


@pytest.mark.django_db
def test_a_warm_suggestion_costs_no_query_and_an_edit_applies_at_once(trained):
    """Categories and rules are kept per process; a save drops them (the next suggestion
    reads them again)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hl = trained
    rule = _rule(hl.garbage, grid=hl.cells[0], unit=hl.tree.gongbei)
    assert routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])["rule"] == rule.pk
    with CaptureQueriesContext(connection) as captured:
        result = routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])
    assert result["rule"] == rule.pk
    assert len(captured) <= 1  # at most the cached active-model key, never categories or rules
    hl.garbage.name = "生活垃圾清运"
    hl.garbage.save()
    assert routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])["category"]["name"] == "生活垃圾清运"
    routing.save_rule(hl.admin, rule, active=False)
    assert routing.suggest(GARBAGE_TEXT, grid=hl.cells[0])["rule"] != rule.pk
