"""Builders shared by the catalogue-core tests: staff of two departments, a valid version's
content, and items driven through the real catalogue services. A test module imports the
``*_fixture`` functions to use the fixtures (named ``staff``, ``kaiban`` …)."""

import itertools

import pytest
from django.utils import translation

from shuzheng.services.catalogue import services
from shuzheng.services.catalogue.models import BasicItem, Theme
from tests.services.conftest import FORM_SCHEMA, FORM_UI

_seq = itertools.count(1)

MATERIALS = [
    {
        "code": "id_proof",
        "name": "经营者身份证明",
        "kind": "electronic",
        "necessity": "required",
        "source": "government",
        "issuing_department": "公安机关",
    },
    {"code": "premises", "name": "经营场所使用证明", "kind": "copy", "necessity": "required"},
    {
        "code": "health_cert",
        "name": "从业人员健康证明",
        "kind": "original",
        "necessity": "deferrable",
    },
    {
        "code": "old_form",
        "name": "名称预先核准通知书",
        "kind": "electronic",
        "necessity": "required",
        "removed_rule": "online_check",
    },
]
QUESTIONS = [{"question": "可以网上办理吗？", "answer": "可以，全程网办。"}]


def content(**over) -> dict:
    """A complete, valid version (fields and parts) — override any key."""
    values = {
        "name": "个体工商户设立登记",
        "item_type": "licensing",
        "legal_basis": "《促进个体工商户发展条例》第八条",
        "legal_limit": 15,
        "promised_limit": 5,
        "case_kind": "promised",
        "audience": "both",
        "online_depth": 4,
        "trips": 0,
        "process": ["网上申请", "受理", "审查", "决定", "送达"],
        "handling_forms": ["网上办理", "窗口办理"],
        "review_steps": ["审查", "审批"],
        "keywords": ["个体户", "开店"],
        "consult_phone": "0756-12345",
        "form_schema": FORM_SCHEMA,
        "form_ui": FORM_UI,
        "translations": {"pt": {"name": "Registo de empresário em nome individual"}},
        "themes": ["kaiban"],
        "materials": [dict(m) for m in MATERIALS],
        "questions": [dict(q) for q in QUESTIONS],
    }
    values.update(over)
    return values


def basic_item(code=None, **over) -> BasicItem:
    n = next(_seq)
    fields = {
        "basic_code": code or f"00020100{n:04d}",
        "name": "个体工商户设立登记",
        "item_type": "licensing",
        "legal_basis": "《促进个体工商户发展条例》",
        "exercise_levels": ["municipal", "district"],
    }
    fields.update(over)
    return BasicItem.objects.create(**fields)


def implementation_code() -> str:
    return f"11440400MB2C{next(_seq) + 500000:024d}"


def create(actor, org, **over):
    return services.create_item(
        actor,
        basic=basic_item(),
        organisation=org,
        implementation_code=implementation_code(),
        **content(**over),
    )


def publish(editor, reviewer, org, **over):
    """An item whose first version was drafted by ``editor`` and published by ``reviewer``."""
    item = create(editor, org, **over)
    version = services.submit_for_review(editor, item.versions.get())
    services.review(reviewer, version, approve=True, opinion="同意发布")
    item.refresh_from_db()
    return item


@pytest.fixture(name="kaiban")
def kaiban_fixture(db):
    return Theme.objects.create(code="kaiban", name="开办", audience="enterprise", sort_order=10)


class Staff:
    def __init__(self, tree, make_staff):
        self.editor = make_staff(tree.zwfw, "catalogue-editor")
        self.head = make_staff(tree.zwfw, "department-head")
        self.other_editor = make_staff(tree.doumen, "catalogue-editor")
        self.other_head = make_staff(tree.doumen, "department-head")


@pytest.fixture(name="staff")
def staff_fixture(tree, make_staff):
    return Staff(tree, make_staff)


@pytest.fixture(autouse=True, name="simplified_chinese")
def simplified_chinese_fixture():
    """Messages are asserted in Simplified Chinese whatever an earlier test activated."""
    with translation.override("zh-hans"):
        yield
