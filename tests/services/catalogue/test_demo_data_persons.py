"""The persons demo catalogue (个人办事, ``catalogue-persons.json``) keeps the interchange and
form contracts, names only real Zhuhai departments, and reads like a believable 办事指南."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from shuzheng.foundation import access
from shuzheng.foundation.identity import demo
from shuzheng.services.catalogue.localise import VERSION_TEXT_FIELDS
from shuzheng.services.catalogue.models import (
    Audience,
    BasicItem,
    CaseKind,
    ExerciseLevel,
    Fee,
    HandlingScope,
    ItemType,
    ItemVersion,
    LimitUnit,
    Material,
    MaterialKind,
    MaterialSource,
    Necessity,
    OnlineDepth,
    Question,
    RemovalRule,
    Theme,
    ThemeAudience,
)

DATA = (
    Path(__file__).resolve().parents[3]
    / "src/shuzheng/services/catalogue/data/catalogue-persons.json"
)
CATALOGUE = json.loads(DATA.read_text(encoding="utf-8"))
ITEMS = CATALOGUE["items"]
VERSIONS = [item["version"] for item in ITEMS]
IDS = [item["implementation_code"] for item in ITEMS]

PERSON_THEMES = {
    "birth": "出生",
    "school": "上学",
    "employment": "就业",
    "marriage_birth": "婚育",
    "housing": "置业",
    "travel": "出行",
    "social_security": "社保",
    "medical": "医疗",
    "retirement": "退休",
    "after_death": "身后",
    "hk_macau": "港澳",
}
ENTERPRISE_THEMES = {
    "kaiban",
    "zhunying",
    "jingying",
    "biangeng",
    "zhuxiao",
    "touzi",
    "jianshe",
    "kuajing",
}
PREFILL_SOURCES = {
    "applicant.name",
    "applicant.id_type",
    "applicant.id_number",
    "applicant.mobile",
    "enterprise.name",
    "enterprise.uscc",
    "enterprise.legal_representative",
    "enterprise.address",
}
WIDGETS = {"textarea", "select", "radio", "date"}
PROPERTY_KEYWORDS = {
    "type",
    "title",
    "description",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "enum",
    "format",
}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def values(choices):
    return {str(value) for value in choices.values}


def uscc_is_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


# Real-looking answers to try against a field's pattern (身份证, 手机, 回乡证, 银行卡 …).
SAMPLE_ANSWERS = (
    "440402199001011236",
    "13800138000",
    "M12345678",
    "CA1234567",
    "91440400MA4W1234XY",
    "1234567(8)",
    "Q440123456",
    "6222021234567890123",
    "44040219900101123611",
    "2026-01",
)


def sample_answer(name, prop):
    if "enum" in prop:
        return prop["enum"][0]
    if prop["type"] == "boolean":
        return True
    if prop["type"] in ("integer", "number"):
        return prop.get("minimum", 1)
    if prop.get("format") == "date":
        return "2026-01-05"
    if "pattern" in prop:
        for answer in SAMPLE_ANSWERS:
            if re.search(prop["pattern"], answer) and (
                prop.get("minLength", 0) <= len(answer) <= prop.get("maxLength", 10_000)
            ):
                return answer
        pytest.fail(f"no sample answer matches {name}: {prop['pattern']}")
    return "珠海市香洲区测试路" + "一" * max(0, prop.get("minLength", 0) - 9)


def untranslated(version: dict, language: str) -> list[str]:
    """The non-empty guide texts a reader of ``language`` would see in Chinese."""
    own = version["translations"].get(language, {})
    return [f for f in VERSION_TEXT_FIELDS if version[f] and not own.get(f)]


def test_the_file_is_in_the_catalogue_interchange_format():
    assert CATALOGUE["format"] == "shuzheng.catalogue/1"
    assert set(CATALOGUE) == {"format", "themes", "basic_items", "items"}
    for item in ITEMS:
        assert set(item) == {"implementation_code", "basic_code", "organisation", "version"}


def test_the_file_is_written_with_indent_one_and_readable_chinese():
    text = DATA.read_text(encoding="utf-8")
    assert text == json.dumps(CATALOGUE, ensure_ascii=False, indent=1) + "\n"


def test_there_are_at_least_32_person_items_from_at_least_10_departments():
    assert len(ITEMS) >= 32
    assert len({item["organisation"] for item in ITEMS}) >= 10
    assert all(v["audience"] in ("person", "both") for v in VERSIONS)


def test_every_organisation_is_a_department_the_demo_loader_creates():
    reference = json.loads(demo.DATA.read_text(encoding="utf-8"))
    names = {dept["name"] for dept in reference["municipal_departments"]}
    unknown = {item["organisation"] for item in ITEMS} - names
    assert not unknown, unknown


def test_the_life_event_themes_are_the_eleven_person_themes_in_order():
    themes = CATALOGUE["themes"]
    assert [(t["code"], t["name"]) for t in themes] == list(PERSON_THEMES.items())
    assert all(t["audience"] == "person" for t in themes)
    assert {t["audience"] for t in themes} <= values(ThemeAudience)
    orders = [t["sort_order"] for t in themes]
    assert orders == sorted(set(orders))


def test_items_refer_only_to_themes_defined_in_the_file_never_to_enterprise_ones():
    defined = {t["code"] for t in CATALOGUE["themes"]}
    used = {code for v in VERSIONS for code in v["themes"]}
    assert used <= defined
    assert not used & ENTERPRISE_THEMES
    assert used == defined, "every life event has at least one item"


def test_implementation_codes_are_36_characters_unique_and_start_with_a_valid_credit_code():
    assert len(set(IDS)) == len(IDS)
    by_org = {}
    for item in ITEMS:
        code = item["implementation_code"]
        assert re.fullmatch(r"[0-9A-Z]{36}", code), code
        assert uscc_is_valid(code[:18]), code
        assert code[18:30] == item["basic_code"], code
        by_org.setdefault(item["organisation"], set()).add(code[:18])
    assert all(len(codes) == 1 for codes in by_org.values()), by_org
    assert len({next(iter(c)) for c in by_org.values()}) == len(by_org)


def test_basic_codes_are_12_digits_defined_once_and_each_one_used():
    basics = CATALOGUE["basic_items"]
    codes = [b["basic_code"] for b in basics]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"\d{12}", c) for c in codes)
    referenced = {item["basic_code"] for item in ITEMS}
    assert referenced == set(codes)
    by_code = {b["basic_code"]: b for b in basics}
    for item in ITEMS:
        assert by_code[item["basic_code"]]["item_type"] == item["version"]["item_type"]
    for basic in basics:
        assert basic["item_type"] in values(ItemType)
        assert basic["exercise_levels"] and set(basic["exercise_levels"]) <= values(ExerciseLevel)
        assert basic["name"] and basic["legal_basis"] and basic["version"]


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_every_choice_is_a_value_of_the_model(version):
    assert version["item_type"] in values(ItemType)
    assert version["legal_limit_unit"] in values(LimitUnit)
    assert version["promised_limit_unit"] in values(LimitUnit)
    assert version["case_kind"] in values(CaseKind)
    assert version["audience"] in values(Audience)
    assert version["online_depth"] in {int(v) for v in OnlineDepth.values}
    assert 2 <= version["online_depth"] <= 4
    assert version["scope"] in values(HandlingScope)
    for material in version["materials"]:
        assert material["kind"] in values(MaterialKind)
        assert material["necessity"] in values(Necessity)
        assert material["source"] in values(MaterialSource)
        assert material["removed_rule"] in values(RemovalRule) | {""}


@pytest.mark.parametrize("item", ITEMS, ids=IDS)
def test_every_field_fits_the_model_columns(item):
    """clean_fields checks lengths, choices and slugs without touching the database."""
    version = dict(item["version"])
    parts = {k: version.pop(k) for k in ("materials", "fees", "questions", "themes")}
    ItemVersion(version=1, **version).clean_fields(exclude=["item"])
    for material in parts["materials"]:
        Material(**material).clean_fields(exclude=["version"])
    for fee in parts["fees"]:
        Fee(**fee).clean_fields(exclude=["version"])
    for question in parts["questions"]:
        Question(**question).clean_fields(exclude=["version"])
    basic = next(b for b in CATALOGUE["basic_items"] if b["basic_code"] == item["basic_code"])
    BasicItem(**basic).clean_fields()
    for theme in CATALOGUE["themes"]:
        Theme(**theme).clean_fields()


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_every_form_schema_is_a_valid_closed_object_schema(version):
    schema = version["form_schema"]
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert 3 <= len(properties) <= 8
    assert schema["required"] and set(schema["required"]) <= set(properties)
    assert set(schema) == {"type", "additionalProperties", "required", "properties"}
    for name, prop in properties.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert set(prop) <= PROPERTY_KEYWORDS, (name, set(prop) - PROPERTY_KEYWORDS)
        assert prop["type"] in {"string", "integer", "number", "boolean"}
        assert re.search(r"[\u4e00-\u9fff]", prop["title"]), name
        if "format" in prop:
            assert prop["format"] == "date" and prop["type"] == "string"
        if "pattern" in prop:
            re.compile(prop["pattern"])
        if "minLength" in prop and "maxLength" in prop:
            assert prop["minLength"] <= prop["maxLength"]
        if "minimum" in prop and "maximum" in prop:
            assert prop["minimum"] <= prop["maximum"]


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_every_form_ui_names_real_fields_allowed_widgets_and_allowed_prefill_sources(version):
    properties = version["form_schema"]["properties"]
    ui = version["form_ui"]
    assert set(ui) <= {"order", "widgets", "help", "labels", "prefill"}
    assert sorted(ui["order"]) == sorted(properties)
    for field, widget in ui.get("widgets", {}).items():
        assert field in properties and widget in WIDGETS
        if widget == "date":
            assert properties[field].get("format") == "date"
        if widget in ("select", "radio"):
            assert "enum" in properties[field]
    for field in properties:
        if properties[field].get("format") == "date":
            assert ui["widgets"].get(field) == "date", field
    assert set(ui.get("help", {})) <= set(properties)
    for field, labels in ui.get("labels", {}).items():
        assert set(labels) == set(properties[field]["enum"]), field
    for field, prop in properties.items():
        if "enum" in prop:
            assert field in ui.get("labels", {}), field
    for field, source in ui.get("prefill", {}).items():
        assert field in properties and source in PREFILL_SOURCES


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_every_form_can_be_filled_in_and_refuses_unknown_or_missing_fields(version):
    """A pattern that no real answer matches would make the item impossible to apply for."""
    schema = version["form_schema"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    answers = {name: sample_answer(name, prop) for name, prop in schema["properties"].items()}
    assert list(validator.iter_errors(answers)) == []
    assert not validator.is_valid({**answers, "unknown_field": "x"})
    for field in schema["required"]:
        assert not validator.is_valid({k: v for k, v in answers.items() if k != field})


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_the_promised_limit_is_never_longer_than_the_legal_limit(version):
    assert version["legal_limit"] >= 1 and version["promised_limit"] >= 1
    if version["legal_limit_unit"] == version["promised_limit_unit"]:
        assert version["promised_limit"] <= version["legal_limit"]
    if version["case_kind"] == "immediate":
        assert version["promised_limit"] == 1
        assert version["promised_limit_unit"] == "working_days"


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_materials_have_unique_codes_and_at_least_one_is_still_asked_for(version):
    materials = version["materials"]
    assert 2 <= len(materials) <= 6
    codes = [m["code"] for m in materials]
    assert len(set(codes)) == len(codes)
    assert any(not m["removed_rule"] for m in materials)
    for material in materials:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", material["code"])
        assert material["copies"] >= 1
        if material["removed_rule"]:
            assert material["notes"], "a removed material says why"
        if material["removed_rule"] == "e_licence" or material["issuing_department"] == "公安机关":
            assert material["source"] == "government"


def test_the_five_removal_rules_and_deferrable_materials_all_appear():
    rules = Counter(m["removed_rule"] for v in VERSIONS for m in v["materials"])
    assert {"no_legal_basis", "e_licence", "commitment", "covered", "online_check"} <= set(rules)
    assert rules["e_licence"] >= 3 and rules["commitment"] >= 3
    necessity = Counter(m["necessity"] for v in VERSIONS for m in v["materials"])
    assert necessity["deferrable"] >= 2
    assert any(m["source"] == "government" for v in VERSIONS for m in v["materials"])


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_the_guide_is_complete_and_consistent(version):
    assert 1 <= len(version["questions"]) <= 3
    assert 1 <= len(version["review_steps"]) <= 3
    assert version["keywords"] and version["process"] and version["handling_forms"]
    assert version["legal_basis"].startswith("《")
    assert version["charged"] == bool(version["fees"])
    assert version["online_payment"] <= version["charged"]
    assert version["complaint_phone"] == "12345"
    assert re.fullmatch(r"0756-123\d\d", version["consult_phone"])
    assert version["trips"] <= 2
    online = any("网上办理" in form for form in version["handling_forms"])
    assert online == (version["online_depth"] >= 3), version["name"]
    if version["trips"] == 0:
        assert version["online_depth"] >= 3
    if version["scope"] == "cross_border":
        assert "hk_macau" in version["themes"]


def test_most_items_need_no_trip_and_the_rest_at_most_two():
    trips = Counter(v["trips"] for v in VERSIONS)
    assert trips[0] > len(VERSIONS) / 2
    assert set(trips) <= {0, 1, 2}


def test_the_items_citizens_ask_for_most_are_all_there():
    names = [v["name"] for v in VERSIONS]
    wanted = [
        "居住证申领",
        "居住证签注",
        "港澳居民居住证申领",
        "出生医学证明",
        "新生儿入户",
        "生育津贴",
        "生育医疗费用报销",
        "城乡居民医保参保登记",
        "失业保险金申领",
        "就业登记",
        "灵活就业人员社保登记",
        "住房公积金提取（租赁住房）",
        "住房公积金提取（购买自住住房）",
        "住房公积金提取（离休、退休）",
        "住房公积金个人住房贷款",
        "二手房转移登记",
        "首次登记",
        "抵押权首次登记",
        "结婚登记",
        "离婚登记",
        "积分入学",
        "高龄津贴",
        "残疾人两项补贴",
        "最低生活保障",
        "基本养老保险待遇申领",
        "丧葬补助金",
        "退役军人优待证",
        "机动车驾驶证换证",
        "港澳居民在珠海就业参加社会保险",
        "澳门居民办理珠海居住证明",
    ]
    missing = [w for w in wanted if not any(w in name for name in names)]
    assert not missing, missing
    assert len(set(names)) == len(names)


def test_macau_items_are_handled_across_the_border():
    macau = [v for v in VERSIONS if "澳门" in v["name"] or "港澳" in v["name"]]
    assert len(macau) >= 5
    assert sum(v["scope"] == "cross_border" for v in macau) >= 5


def test_translations_are_texts_of_the_guide_fields_in_the_three_supported_languages():
    """The layout ``localise`` reads: text fields, lists of text, materials by code, fees and
    questions by position (each with its own text fields)."""
    from shuzheng.services.catalogue import localise

    parts = {"fees": localise.FEE_TEXT_FIELDS, "questions": localise.QUESTION_TEXT_FIELDS}
    for version in VERSIONS:
        codes = {m["code"] for m in version["materials"]}
        for language, own in version["translations"].items():
            assert language in {"zh-hant", "pt", "en"}
            for name, value in own.items():
                where = (version["name"], language, name)
                if name in localise.VERSION_LIST_FIELDS:
                    assert len(value) == len(version[name]), where
                    assert all(isinstance(t, str) and t.strip() for t in value), where
                elif name == "materials":
                    assert set(value) <= codes, where
                    for row in value.values():
                        assert set(row) <= set(localise.MATERIAL_TEXT_FIELDS), where
                elif name in parts:
                    assert len(value) == len(version[name]), where
                    for row in value:
                        assert set(row) <= set(parts[name]), where
                else:
                    assert name in VERSION_TEXT_FIELDS, where
                    assert isinstance(value, str) and value.strip(), where


def test_traditional_chinese_is_given_only_where_macau_usage_differs():
    hant = [v for v in VERSIONS if "zh-hant" in v["translations"]]
    assert hant and len(hant) <= 5
    for version in hant:
        assert "澳门" in version["name"] or "港澳" in version["name"]


def test_at_least_ten_items_have_portuguese_and_english_names_and_conditions():
    translated = [
        v
        for v in VERSIONS
        if all(
            v["translations"].get(lang, {}).get(f)
            for lang in ("pt", "en")
            for f in ("name", "acceptance_conditions")
        )
    ]
    assert len(translated) >= 10


@pytest.mark.parametrize(
    "version", [v for v in VERSIONS if v["scope"] == "cross_border"], ids=lambda v: v["name"]
)
@pytest.mark.parametrize("language", ["pt", "en"])
def test_every_guide_text_of_a_macau_item_is_translated(version, language):
    assert untranslated(version, language) == []


def test_departments_shared_with_the_enterprise_catalogue_carry_the_same_credit_code():
    """One 实施主体 has one 统一社会信用代码, whichever demo file names it."""
    other = DATA.with_name("catalogue-enterprises.json")
    if not other.exists():
        pytest.skip("no enterprise demo catalogue")
    theirs = {
        item["organisation"]: item["implementation_code"][:18]
        for item in json.loads(other.read_text(encoding="utf-8"))["items"]
    }
    ours = {item["organisation"]: item["implementation_code"][:18] for item in ITEMS}
    shared = set(ours) & set(theirs)
    assert shared
    assert {name: ours[name] for name in shared} == {name: theirs[name] for name in shared}
    assert not {i["implementation_code"] for i in ITEMS} & {
        i["implementation_code"] for i in json.loads(other.read_text(encoding="utf-8"))["items"]
    }


@pytest.mark.django_db
def test_the_file_imports_as_published_and_importing_it_again_changes_nothing():
    from shuzheng.services.catalogue import io
    from shuzheng.services.catalogue.models import ServiceItem

    demo.load_organisations()
    result = io.import_catalogue(access.SYSTEM, CATALOGUE, publish=True)
    assert sorted(result.created) == sorted(IDS)
    published = ServiceItem.objects.filter(current__status="published")
    assert published.count() == len(ITEMS)
    assert Theme.objects.filter(audience="person").count() == len(PERSON_THEMES)
    item = ServiceItem.objects.get(current__name="港澳居民居住证申领")
    assert item.current.scope == "cross_border"
    assert item.current.materials.filter(removed_rule="covered").exists()
    again = io.import_catalogue(access.SYSTEM, CATALOGUE, publish=True)
    assert sorted(again.unchanged) == sorted(IDS)
    assert not again.changed
