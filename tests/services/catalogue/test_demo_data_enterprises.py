"""The enterprise demo catalogue (法人办事 and 珠澳 items) keeps the shared interchange
contract: every value fits the model, every form is a valid closed JSON Schema, every
organisation exists in the Zhuhai reference data, and the reform patterns show."""

import json
import re
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from shuzheng.foundation.identity.demo import DATA as ORGS_FILE
from shuzheng.services import catalogue
from shuzheng.services.catalogue.models import (
    Audience,
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
    ThemeAudience,
)

DATA_DIR = Path(catalogue.__file__).with_name("data")
FILE = DATA_DIR / "catalogue-enterprises.json"
OWN_THEMES = {"kaiban", "zhunying", "jingying", "biangeng", "jianshe", "kuajing", "zhuxiao"}
PERSON_THEMES_USED = {"hk_macau"}
CROSS_BORDER_THEMES = {"kuajing", "hk_macau"}
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
PROPERTY_TYPES = {"string", "integer", "number", "boolean"}
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
# ItemVersion fields the interchange format leaves out (see the shared contract).
NOT_EXCHANGED = {
    "id",
    "item",
    "version",
    "status",
    "created_at",
    "created_by",
    "submitted_at",
    "reviewed_by",
    "review_opinion",
    "published_at",
    "result_sample",
}
NESTED = {"materials", "fees", "questions", "themes"}
MUST_HAVE = [
    "个体工商户设立登记",
    "企业设立登记（有限责任公司）",
    "企业变更登记",
    "企业注销登记（含简易注销）",
    "食品经营许可",
    "小餐饮登记",
    "公共场所卫生许可",
    "药品零售企业许可",
    "建设工程规划许可证核发",
    "建设用地规划许可",
    "建筑工程施工许可证核发",
    "建设工程消防设计审查",
    "城镇污水排入排水管网许可",
    "排污许可",
    "道路货物运输经营许可",
    "网约车经营许可",
    "娱乐场所经营许可",
    "劳务派遣经营许可",
    "人力资源服务许可",
    "发票领用",
    "涉税信息报告",
    "外商投资企业设立",
    "澳门企业在珠海设立分支机构",
    "澳门机动车入出横琴",
    "港澳建筑专业人士执业备案",
    "港澳医师短期行医",
    "户外广告设置许可",
    "临时占用城市道路许可",
    "城市建筑垃圾处置核准",
    "危险化学品经营许可",
]


@cache
def _data() -> dict:
    return json.loads(FILE.read_text(encoding="utf-8"))


def _items() -> list[dict]:
    return _data()["items"]


def _versions():
    return [(item["implementation_code"], item["version"]) for item in _items()]


def _values(choices) -> set:
    return set(choices.values)


@cache
def _organisation_names() -> frozenset:
    """Names the demo loader creates from the project's own copy of the reference file."""
    data = json.loads(Path(ORGS_FILE).read_text(encoding="utf-8"))
    names = {data["city"]["name"]}
    names |= {dept["name"] for dept in data["municipal_departments"]}
    for area in data["districts"]:
        names.add(area["name"])
        names |= {town["name"] for town in area.get("streets_towns", [])}
    return frozenset(names)


def _max_length(model, field: str) -> int | None:
    return model._meta.get_field(field).max_length


def test_the_file_is_one_document_in_the_shared_interchange_format():
    data = _data()
    assert data["format"] == "shuzheng.catalogue/1"
    assert set(data) == {"format", "themes", "basic_items", "items"}
    text = FILE.read_text(encoding="utf-8")
    assert "\\u" not in text, "the file is written with ensure_ascii=False"


def test_it_offers_at_least_32_items_from_at_least_10_departments():
    items = _items()
    assert len(items) >= 32
    assert len({item["organisation"] for item in items}) >= 10


def test_every_implementing_body_is_an_organisation_the_demo_loader_creates():
    unknown = {item["organisation"] for item in _items()} - _organisation_names()
    assert not unknown


def test_implementation_codes_are_36_characters_unique_and_marked_as_enterprise_data():
    codes = [item["implementation_code"] for item in _items()]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[0-9A-Z]{36}", code), code
        assert code[18:20] == "QY", code


def test_implementation_codes_do_not_collide_with_the_other_demo_catalogues():
    ours = {item["implementation_code"] for item in _items()}
    for other in DATA_DIR.glob("catalogue-*.json"):
        if other == FILE:
            continue
        theirs = {i["implementation_code"] for i in json.loads(other.read_text("utf-8"))["items"]}
        assert not ours & theirs, other.name


def test_basic_codes_are_12_digits_defined_once_and_every_reference_is_defined():
    basics = _data()["basic_items"]
    defined = [b["basic_code"] for b in basics]
    assert len(defined) == len(set(defined))
    for code in defined:
        assert re.fullmatch(r"2\d{11}", code), code
    referenced = {item["basic_code"] for item in _items()}
    assert referenced <= set(defined)
    assert set(defined) <= referenced, "every basic item is implemented here"


def test_basic_items_use_the_models_choices():
    for basic in _data()["basic_items"]:
        assert basic["item_type"] in _values(ItemType)
        assert basic["exercise_levels"]
        assert set(basic["exercise_levels"]) <= _values(ExerciseLevel)
        assert "municipal" in basic["exercise_levels"], "implemented here by 市级 bodies"
        assert basic["name"] and basic["legal_basis"]


def test_every_version_carries_every_content_field_of_the_model_and_nothing_else():
    concrete = [f for f in ItemVersion._meta.get_fields() if getattr(f, "concrete", False)]
    content = {f.name for f in concrete if not f.is_relation} - NOT_EXCHANGED
    known = {f.name for f in concrete} - NOT_EXCHANGED
    for code, version in _versions():
        assert content <= set(version), (code, content - set(version))
        assert set(version) <= known | NESTED, (code, set(version) - known - NESTED)


def test_choice_values_are_the_models_own():
    for code, v in _versions():
        assert v["item_type"] in _values(ItemType), code
        assert v["legal_limit_unit"] in _values(LimitUnit), code
        assert v["promised_limit_unit"] in _values(LimitUnit), code
        assert v["case_kind"] in _values(CaseKind), code
        assert v["audience"] in _values(Audience), code
        assert v["online_depth"] in _values(OnlineDepth), code
        assert v["scope"] in _values(HandlingScope), code
        for material in v["materials"]:
            assert material["kind"] in _values(MaterialKind), code
            assert material["necessity"] in _values(Necessity), code
            assert material["source"] in _values(MaterialSource), code
            assert material["removed_rule"] in _values(RemovalRule) | {""}, code


def test_guide_facts_stay_within_the_published_ranges():
    for code, v in _versions():
        assert v["trips"] in (0, 1), code
        assert 2 <= v["online_depth"] <= 4, code
        assert 1 <= len(v["review_steps"]) <= 3, code
        assert v["legal_limit"] >= 1 and v["promised_limit"] >= 1, code
        assert v["process"] and v["handling_forms"] and v["keywords"], code
        assert v["location"] and v["office_hours"] and v["consult_phone"], code
        assert v["result_type"] and v["result_name"] and v["legal_basis"], code
        assert v["acceptance_conditions"], code


def test_the_promised_limit_never_exceeds_the_legal_limit():
    for code, v in _versions():
        if v["promised_limit_unit"] == v["legal_limit_unit"]:
            assert v["promised_limit"] <= v["legal_limit"], code


def test_every_text_fits_its_database_column():
    for code, v in _versions():
        for field, value in v.items():
            if isinstance(value, str) and field not in NESTED:
                limit = _max_length(ItemVersion, field)
                assert limit is None or len(value) <= limit, (code, field)
        for material in v["materials"]:
            for field, value in material.items():
                limit = _max_length(Material, field)
                if isinstance(value, str) and limit is not None:
                    assert len(value) <= limit, (code, material["code"], field)


def test_materials_are_two_to_seven_with_codes_unique_per_item():
    material_fields = {f.name for f in Material._meta.get_fields() if getattr(f, "concrete", False)}
    allowed = material_fields - {"id", "version", "blank_form", "sample", "sort_order"}
    for code, v in _versions():
        materials = v["materials"]
        assert 2 <= len(materials) <= 7, code
        codes = [m["code"] for m in materials]
        assert len(codes) == len(set(codes)), code
        for material in materials:
            assert set(material) <= allowed, (code, set(material) - allowed)
            assert re.fullmatch(r"[a-z0-9_-]{1,40}", material["code"]), material["code"]
            assert material["copies"] >= 1
            if material["source"] == "government":
                assert material["issuing_department"], (code, material["code"])


def test_the_catalogue_shows_every_reform_pattern():
    versions = [v for _, v in _versions()]
    rules = {m["removed_rule"] for v in versions for m in v["materials"]} - {""}
    assert rules == _values(RemovalRule), "each 五个一律取消 rule removes at least one material"
    assert sum(any(m["removed_rule"] for m in v["materials"]) for v in versions) >= 10
    assert sum(any(m["necessity"] == "deferrable" for m in v["materials"]) for v in versions) >= 5
    government = [m for v in versions for m in v["materials"] if m["source"] == "government"]
    assert len(government) >= 10, "免证办: materials from the e-licence library"
    assert sum(v["commitment"] for v in versions) >= 5, "告知承诺制 items"
    assert {v["scope"] for v in versions} >= {"city", "province", "cross_border"}


def test_every_remaining_material_is_asked_for_and_every_removed_one_says_why():
    for code, v in _versions():
        remaining = [m for m in v["materials"] if not m["removed_rule"]]
        assert remaining, code
        for material in v["materials"]:
            if material["necessity"] == "deferrable":
                assert not material["removed_rule"], (code, material["code"])


def test_charged_items_list_their_fees_and_free_items_none():
    for code, v in _versions():
        fee_fields = {f.name for f in Fee._meta.get_fields() if getattr(f, "concrete", False)}
        assert bool(v["fees"]) == v["charged"], code
        for fee in v["fees"]:
            assert set(fee) <= fee_fields - {"id", "version", "sort_order"}
            assert fee["name"] and fee["standard"]


def test_every_item_answers_one_to_three_common_questions():
    question_fields = {"question", "answer"}
    assert question_fields <= {f.name for f in Question._meta.get_fields()}
    for code, v in _versions():
        assert 1 <= len(v["questions"]) <= 3, code
        for qa in v["questions"]:
            assert set(qa) == question_fields and qa["question"] and qa["answer"], code


def test_themes_are_the_enterprise_life_cycle_and_items_reference_only_known_ones():
    themes = _data()["themes"]
    assert {t["code"] for t in themes} == OWN_THEMES
    assert all(t["audience"] in _values(ThemeAudience) for t in themes)
    assert all(t["audience"] == "enterprise" for t in themes)
    orders = [t["sort_order"] for t in themes]
    assert len(orders) == len(set(orders))
    for code, v in _versions():
        assert v["themes"], code
        assert set(v["themes"]) <= OWN_THEMES | PERSON_THEMES_USED, code


@pytest.mark.parametrize("code", [i["implementation_code"] for i in _data()["items"]])
def test_each_form_schema_is_a_valid_closed_object_schema(code):
    version = next(v for c, v in _versions() if c == code)
    schema = version["form_schema"]
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert 4 <= len(properties) <= 10
    assert schema["required"] and set(schema["required"]) <= set(properties)
    for name, prop in properties.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert prop["type"] in PROPERTY_TYPES, name
        assert set(prop) <= PROPERTY_KEYWORDS, name
        assert re.search(r"[\u4e00-\u9fff]", prop["title"]), "titles are Chinese"
        if "pattern" in prop:
            re.compile(prop["pattern"])
        if "format" in prop:
            assert prop["format"] == "date"


@pytest.mark.parametrize("code", [i["implementation_code"] for i in _data()["items"]])
def test_each_form_ui_names_real_properties_and_allowed_prefill_sources(code):
    version = next(v for c, v in _versions() if c == code)
    properties = version["form_schema"]["properties"]
    ui = version["form_ui"]
    assert set(ui) <= {"order", "widgets", "help", "labels", "prefill"}
    assert sorted(ui["order"]) == sorted(properties)
    for widget_field, widget in ui.get("widgets", {}).items():
        assert widget_field in properties and widget in WIDGETS
        if widget in ("select", "radio"):
            assert "enum" in properties[widget_field], widget_field
    for help_field in ui.get("help", {}):
        assert help_field in properties
    for label_field, labels in ui.get("labels", {}).items():
        assert set(labels) == {str(v) for v in properties[label_field]["enum"]}, label_field
    prefill = ui.get("prefill", {})
    for field, source in prefill.items():
        assert field in properties and source in PREFILL_SOURCES, (field, source)
    if version["audience"] == "legal":
        assert all(s.startswith("enterprise.") for s in prefill.values()), code


def test_prefilled_enterprise_fields_accept_the_demo_enterprise():
    demo = {
        "enterprise.name": "珠海海岸线科技有限公司",
        "enterprise.uscc": "91440400MA4UABCD1X",
        "enterprise.legal_representative": "王丽华",
        "enterprise.address": "广东省珠海市香洲区情侣中路 88 号",
        "applicant.name": "陈志明",
        "applicant.mobile": "13800138000",
    }
    for code, v in _versions():
        for field, source in v["form_ui"].get("prefill", {}).items():
            if source not in demo:
                continue
            errors = list(
                Draft202012Validator(v["form_schema"]["properties"][field]).iter_errors(
                    demo[source]
                )
            )
            assert not errors, (code, field)


def test_at_least_ten_items_and_every_macau_item_are_translated():
    translated = 0
    for code, v in _versions():
        translations = v["translations"]
        assert set(translations) <= {"zh-hant", "pt", "en"}, code
        full = all(
            translations.get(lang, {}).get("name")
            and translations.get(lang, {}).get("acceptance_conditions")
            for lang in ("pt", "en")
        )
        translated += full
        if set(v["themes"]) & CROSS_BORDER_THEMES:
            assert full, f"{code}: 珠澳 items need Portuguese and English"
            assert translations.get("zh-hant", {}).get("name"), code
    assert translated >= 10


def test_the_items_the_demo_relies_on_are_all_present():
    names = [f"{v['name']} {v['short_name']}" for _, v in _versions()]
    missing = [wanted for wanted in MUST_HAVE if not any(wanted in name for name in names)]
    assert not missing


def test_macau_items_are_cross_border_and_legal_person_items_serve_enterprises():
    for code, v in _versions():
        if "澳门" in v["name"]:
            assert v["scope"] == "cross_border", code
        assert v["audience"] in ("legal", "both"), code


@pytest.mark.django_db
def test_every_item_saves_through_the_models_with_full_validation():
    """Round trip into the real tables: choices, lengths and slugs as the database sees them."""
    from shuzheng.foundation.identity.demo import load_organisations
    from shuzheng.foundation.identity.models import Organisation
    from shuzheng.services.catalogue.models import BasicItem, ServiceItem, Theme

    load_organisations()
    data = _data()
    themes = {}
    for spec in data["themes"] + [
        {"code": "hk_macau", "name": "港澳居民", "audience": "person", "sort_order": 99}
    ]:
        theme = Theme(**spec)
        theme.full_clean()
        theme.save()
        themes[theme.code] = theme
    basics = {}
    for spec in data["basic_items"]:
        basic = BasicItem(**spec)
        basic.full_clean()
        basic.save()
        basics[basic.basic_code] = basic
    for spec in data["items"]:
        item = ServiceItem(
            implementation_code=spec["implementation_code"],
            basic=basics[spec["basic_code"]],
            organisation=Organisation.objects.get(name=spec["organisation"]),
        )
        item.full_clean()
        item.save()
        fields = {k: v for k, v in spec["version"].items() if k not in NESTED}
        version = ItemVersion(item=item, version=1, **fields)
        version.full_clean()
        version.save()
        version.themes.set([themes[code] for code in spec["version"]["themes"]])
        for order, material in enumerate(spec["version"]["materials"]):
            row = Material(version=version, sort_order=order, **material)
            row.full_clean()
            row.save()
        for order, fee in enumerate(spec["version"]["fees"]):
            row = Fee(version=version, sort_order=order, **fee)
            row.full_clean()
            row.save()
        for order, qa in enumerate(spec["version"]["questions"]):
            row = Question(version=version, sort_order=order, **qa)
            row.full_clean()
            row.save()
    assert ItemVersion.objects.count() == len(data["items"])
