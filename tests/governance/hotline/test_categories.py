"""The 诉求分类 tree: its data file (three levels, six-digit codes, municipal departments as
units, limits only where they differ) and the loader (idempotent by code, units resolved by
name, refusals and bad files leave nothing behind)."""

import copy
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from shuzheng.foundation import access
from shuzheng.foundation.identity import demo
from shuzheng.governance.hotline.models import Category, RequestType, RoutingRule
from shuzheng.governance.hotline.services import categories, limits, routing


def _walk(nodes, level=1, parent=""):
    for node in nodes:
        yield node, level, parent
        yield from _walk(node.get("children") or [], level + 1, node["code"])


@pytest.fixture(scope="module")
def doc():
    return categories.read()


@pytest.fixture(scope="module")
def nodes(doc):
    return list(_walk(doc["categories"]))


def test_the_file_says_it_is_modelled_on_the_standard_not_copied(doc):
    note = doc["note"]
    assert "GB/T 39666-2020" in note
    assert "参照" in note and "并非标准原文" in note


def test_three_levels_of_two_digit_codes(nodes):
    level1 = [n for n, lvl, _p in nodes if lvl == 1]
    leaves = [n for n, lvl, _p in nodes if not n.get("children")]
    assert len(level1) >= 12
    assert len(leaves) >= 60
    for node, level, parent in nodes:
        assert len(node["code"]) == 2 * level and node["code"].isdigit()
        assert node["code"].startswith(parent)
        assert level <= 3
    assert all(len(n["code"]) == 6 for n in leaves)
    assert len({n["code"] for n, _l, _p in nodes}) == len(nodes)
    names = {n["name"] for n in level1}
    for expected in (
        "城乡建设",
        "市容环卫",
        "交通出行",
        "环境保护",
        "劳动保障",
        "社会保障",
        "教育",
    ):
        assert expected in names


def test_units_are_municipal_departments_of_the_reference_file(nodes):
    reference = json.loads(demo.DATA.read_text(encoding="utf-8"))
    departments = {d["name"] for d in reference["municipal_departments"]}
    for node, _level, _parent in nodes:
        assert node["default_unit"] in departments, node["code"]


def test_limits_are_valid_and_only_where_they_differ_from_the_defaults(nodes):
    for node, _level, _parent in nodes:
        for kind, value in (node.get("limits") or {}).items():
            assert kind in RequestType.values
            assert value != limits.DEFAULT_LIMITS[kind], node["code"]
        if node.get("sign_limit"):
            assert node["sign_limit"] != limits.DEFAULT_SIGN_LIMIT


def test_on_site_problems_need_a_location_and_citizen_apps_may_report_them(nodes):
    by_name = {n["name"]: n for n, _l, _p in nodes}
    for name in ("道路破损坑洼", "路灯故障", "垃圾清运不及时", "社会生活噪声", "违章停车"):
        assert by_name[name]["needs_location"] is True
        assert by_name[name]["open311"] is True
    for name in ("社保缴费与转移", "办事指南咨询", "公积金提取与贷款"):
        assert by_name[name]["needs_location"] is False
        assert by_name[name]["open311"] is False


@pytest.mark.django_db
def test_loading_twice_changes_nothing(tree, nodes):
    assert categories.load_categories(access.SYSTEM) == len(nodes)
    first = list(Category.objects.order_by("code").values())
    assert categories.load_categories(access.SYSTEM) == len(nodes)
    assert list(Category.objects.order_by("code").values()) == first
    leaf = Category.objects.get(code="020101")
    assert leaf.level == 3 and leaf.parent.code == "0201" and leaf.parent.parent.code == "02"
    assert leaf.needs_location and leaf.open311


@pytest.mark.django_db
def test_units_are_found_by_name_and_missing_ones_stay_empty(tree):
    # the small test tree has only 珠海市政务服务数据管理局 among the departments
    categories.load_categories(access.SYSTEM)
    assert Category.objects.get(code="160101").default_unit == tree.zwfw
    assert Category.objects.get(code="020101").default_unit is None


@pytest.mark.django_db
def test_with_the_demo_organisations_every_category_has_its_unit():
    demo.load_organisations()
    categories.load_categories(access.SYSTEM)
    assert not Category.objects.filter(default_unit__isnull=True).exists()
    assert Category.objects.get(code="030201").default_unit.name == "珠海市公安局"


@pytest.mark.django_db
def test_a_corrected_file_updates_rows_in_place(tree, tmp_path, doc):
    categories.load_categories(access.SYSTEM)
    pk = Category.objects.get(code="020101").pk
    changed = copy.deepcopy(doc)
    leaf = changed["categories"][1]["children"][0]["children"][0]
    assert leaf["code"] == "020101"
    leaf["name"] = "生活垃圾清运不及时"
    leaf["limits"] = {"complaint": "2 working_days"}
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    before = Category.objects.count()
    categories.load_categories(access.SYSTEM, path)
    row = Category.objects.get(code="020101")
    assert row.pk == pk and row.name == "生活垃圾清运不及时"
    assert row.limits == {"complaint": "2 working_days"}
    assert Category.objects.count() == before


@pytest.mark.django_db
def test_a_bad_file_writes_nothing(tree, tmp_path, doc):
    broken = copy.deepcopy(doc)
    broken["categories"][0]["children"][0]["children"][0]["code"] = "029901"  # not under 0101
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        categories.load_categories(access.SYSTEM, path)
    assert "file" in caught.value.message_dict
    assert not Category.objects.exists()

    broken = copy.deepcopy(doc)
    broken["categories"][0]["limits"] = {"complaint": "13 days"}
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError):
        categories.load_categories(access.SYSTEM, path)
    assert not Category.objects.exists()


@pytest.mark.django_db
def test_only_hotline_administrators_load_the_tree(hl):
    before = Category.objects.count()
    with pytest.raises(PermissionDenied):
        categories.load_categories(hl.gb_handler)
    with pytest.raises(PermissionDenied):
        categories.load_categories(hl.operator)
    assert Category.objects.count() == before
    assert categories.load_categories(hl.admin) > 60


@pytest.mark.django_db
def test_default_rules_send_on_site_leaves_to_their_district(tree):
    categories.load_categories(access.SYSTEM)
    created = routing.default_rules(access.SYSTEM)
    assert created == len(categories.local_codes())
    assert routing.default_rules(access.SYSTEM) == 0
    rule = RoutingRule.objects.get(category__code="020101")
    assert rule.by_location and rule.unit is None and rule.active
    assert not RoutingRule.objects.filter(category__code="060101").exists()  # 社保: a department


@pytest.mark.django_db
def test_command_loads_the_tree(tree):
    out = StringIO()
    call_command("hotline_categories", stdout=out)
    assert "Categories loaded" in out.getvalue()
    assert Category.objects.filter(level=3).count() >= 60
