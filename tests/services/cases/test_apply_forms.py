"""申请表: the JSON Schema of an item version, validated with one Chinese message per field,
drawn as widgets, and prefilled from the applicant's own record."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from shuzheng.services.cases import forms
from tests.services.conftest import FORM_SCHEMA, FORM_UI, GOOD_FORM

SCHEMA = {
    "type": "object",
    "required": ["name", "kind", "start"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "title": "经营者名称", "maxLength": 10},
        "kind": {"type": "string", "title": "经营类型", "enum": ["food", "retail"]},
        "start": {"type": "string", "title": "开业日期", "format": "date"},
        "area": {"type": "number", "title": "面积", "minimum": 1},
        "online": {"type": "boolean", "title": "网上经营"},
        "code": {
            "type": "string",
            "title": "邮政编码",
            "pattern": "^[0-9]{6}$",
            "description": "6 位数字",
        },
    },
}
UI = {
    "order": ["kind", "name"],
    "widgets": {"kind": "radio"},
    "labels": {"kind": {"food": "餐饮", "retail": "零售"}},
    "help": {"name": "与营业执照一致"},
    "prefill": {"name": "applicant.name", "code": "enterprise.uscc", "area": "applicant.name"},
}


def messages(data, *, partial=False, schema=SCHEMA):
    with pytest.raises(ValidationError) as caught:
        forms.validate(schema, UI, data, partial=partial)
    return caught.value.message_dict


def test_html_strings_are_coerced_to_the_schemas_types():
    clean = forms.validate(
        SCHEMA,
        UI,
        {"name": " 张三 ", "kind": "food", "start": "2026-03-01", "area": "12.5", "online": "on"},
    )
    assert clean == {
        "name": "张三",
        "kind": "food",
        "start": "2026-03-01",
        "area": 12.5,
        "online": True,
    }
    assert forms.validate(FORM_SCHEMA, FORM_UI, {**GOOD_FORM, "employees": "3"})["employees"] == 3


def test_every_broken_rule_has_its_own_chinese_message():
    assert messages(
        {
            "name": "一二三四五六七八九十一",
            "kind": "farm",
            "start": "2026-02-30",
            "area": "0",
            "online": "maybe",
            "code": "51900",
        }
    ) == {
        "name": ["“经营者名称”不能超过 10 个字"],
        "kind": ["请从选项中选择“经营类型”"],
        "start": ["“开业日期”应为日期，如 2026-01-31"],
        "area": ["“面积”不能小于 1"],
        "online": ["“网上经营”应选择是或否"],
        "code": ["“邮政编码”格式不正确：6 位数字"],
    }


def test_required_fields_are_named_and_blank_counts_as_missing():
    assert messages({"name": "  ", "kind": "food"}) == {
        "name": ["请填写“经营者名称”"],
        "start": ["请填写“开业日期”"],
    }


def test_a_partial_save_skips_only_the_required_check():
    assert forms.validate(SCHEMA, UI, {"name": "张三"}, partial=True) == {"name": "张三"}
    assert messages({"area": "abc"}, partial=True) == {"area": ["“面积”应为数字"]}


def test_a_key_the_schema_does_not_have_is_refused():
    assert messages({"name": "张三", "admin": "1"}, partial=True) == {"admin": ["表单中不存在此项"]}


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers())))
def test_any_input_gives_clean_data_or_field_errors_never_a_crash(data):
    try:
        clean = forms.validate(SCHEMA, UI, data, partial=True)
    except ValidationError as exc:
        assert exc.message_dict
    else:
        assert set(clean) <= set(SCHEMA["properties"])


def test_fields_follow_the_ui_order_with_labels_choices_and_errors():
    class Version:
        form_schema, form_ui = SCHEMA, UI

    rows = forms.fields_for(Version, {"name": "张三"}, {"kind": ["请选择"]})
    assert [r["name"] for r in rows] == ["kind", "name", "start", "area", "online", "code"]
    kind, name, start, area, online, code = rows
    assert kind["widget"] == "radio" and kind["choices"] == [("food", "餐饮"), ("retail", "零售")]
    assert kind["error"] == "请选择" and kind["required"]
    assert name["value"] == "张三" and name["help"] == "与营业执照一致" and name["maxlength"] == 10
    assert start["widget"] == "date" and area["widget"] == "number"
    assert online["widget"] == "checkbox" and not online["required"]
    assert code["help"] == "6 位数字"


def test_prefill_takes_only_known_sources_into_text_fields():
    class Person:
        name, id_type, id_number, mobile = "张三", "111", "440402199001011236", ""

    class Enterprise:
        name, uscc = "示例公司", "91440400MA4UJ1KK07"

    values = forms.prefill(UI, person=Person, enterprise=Enterprise, schema=SCHEMA)
    assert values == {"name": "张三"}  # area is a number; code (6 digits) refuses a USCC
    loose = {**SCHEMA, "properties": {**SCHEMA["properties"], "code": {"type": "string"}}}
    values = forms.prefill(UI, person=Person, enterprise=Enterprise, schema=loose)
    assert values == {"name": "张三", "code": "91440400MA4UJ1KK07"}
    assert forms.prefill(UI, person=Person, schema=SCHEMA) == {"name": "张三"}
    assert forms.prefill({"prefill": {"name": "applicant.password"}}, person=Person) == {}


def test_prefill_writes_a_mainland_mobile_as_people_write_it_and_skips_values_a_field_refuses(
    citizen,
):
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "phone": {"type": "string", "title": "联系电话", "pattern": "^1\\d{10}$"},
            "name": {"type": "string", "title": "姓名", "maxLength": 1},
        },
    }
    ui = {"prefill": {"phone": "applicant.mobile", "name": "applicant.name"}}
    values = forms.prefill(ui, person=citizen.person, schema=schema)
    assert values == {"phone": "13800138000"}  # stored as +8613800138000; name too long
