"""Fixtures of the 一网通办 tests: published items, citizens, and cases driven to a state
through the real workflow engine (as the installation), independent of the use cases under
test so each test file can start a case where its rule begins."""

import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.files import services as files
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.validators import IdType
from shuzheng.services.cases.models import Case, CaseMaterial
from shuzheng.services.cases.services import common
from shuzheng.services.catalogue.models import (
    BasicItem,
    ItemVersion,
    Material,
    ServiceItem,
    Theme,
    VersionStatus,
)

_seq = itertools.count(1)

# Valid 居民身份证 numbers (check digits correct) for test persons.
ID_NUMBERS = ["440402199001011236", "440402198512120018", "44040219920315004X"]

FORM_SCHEMA = {
    "type": "object",
    "required": ["business_name", "address", "employees"],
    "additionalProperties": False,
    "properties": {
        "business_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 60},
        "address": {"type": "string", "title": "经营场所", "minLength": 4, "maxLength": 120},
        "employees": {"type": "integer", "title": "从业人数", "minimum": 1, "maximum": 500},
        "note": {"type": "string", "title": "备注", "maxLength": 200},
    },
}
FORM_UI = {
    "order": ["business_name", "address", "employees", "note"],
    "widgets": {"note": "textarea"},
    "prefill": {"business_name": "applicant.name"},
}
GOOD_FORM = {
    "business_name": "张三便利店",
    "address": "珠海市香洲区拱北街道夏湾路1号",
    "employees": 3,
}


def make_item(
    org,
    *,
    name="个体工商户设立登记",
    promised_limit=5,
    legal_limit=15,
    review_steps=("审查", "审批"),
    audience="both",
    case_kind="promised",
    commitment=False,
    publish=True,
    materials=None,
):
    """A 实施清单 item of ``org`` with one published version (two required materials, one
    容缺 material, one removed by 五个一律取消) and the form above."""
    n = next(_seq)
    basic = BasicItem.objects.create(
        basic_code=f"{n:012d}",
        name=name,
        item_type="licensing",
        legal_basis="《促进个体工商户发展条例》",
    )
    item = ServiceItem.objects.create(
        implementation_code=f"11440400MB2C{n:024d}", basic=basic, organisation=org
    )
    version = ItemVersion.objects.create(
        item=item,
        version=1,
        status=VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT,
        name=name,
        item_type="licensing",
        legal_basis="《促进个体工商户发展条例》第八条",
        legal_limit=legal_limit,
        promised_limit=promised_limit,
        case_kind=case_kind,
        audience=audience,
        trips=0,
        online_depth=4,
        review_steps=list(review_steps),
        commitment=commitment,
        form_schema=FORM_SCHEMA,
        form_ui=FORM_UI,
        published_at=timezone.now() if publish else None,
    )
    for i, (code, mname, necessity, removed) in enumerate(
        materials
        or [
            ("id_proof", "经营者身份证明", "required", ""),
            ("premises", "经营场所使用证明", "required", ""),
            ("health_cert", "从业人员健康证明", "deferrable", ""),
            ("old_form", "名称预先核准通知书", "required", "online_check"),
        ]
    ):
        Material.objects.create(
            version=version,
            code=code,
            name=mname,
            kind="electronic",
            necessity=necessity,
            removed_rule=removed,
            sort_order=i,
        )
    if publish:
        item.current = version
        item.save(update_fields=["current"])
    return item


@pytest.fixture
def item_factory(db):
    return make_item


@pytest.fixture
def theme(db):
    return Theme.objects.create(code="kaiban", name="开办", audience="enterprise")


def make_citizen(name="张三", id_number=None, username=None):
    """A citizen with a login and a 居民身份证 on record."""
    n = next(_seq)
    user = identity.register_account(
        access.SYSTEM,
        username=username or f"citizen{n}",
        display_name=name,
        password="Zhuhai@2026x",
    )
    identity.register_person(
        access.SYSTEM,
        name=name,
        id_type=IdType.RESIDENT_ID,
        id_number=id_number or ID_NUMBERS[n % len(ID_NUMBERS)],
        mobile="13800138000",
        user=user,
    )
    user.refresh_from_db()
    return user


@pytest.fixture
def citizen(db):
    return make_citizen(id_number=ID_NUMBERS[0])


@pytest.fixture
def other_citizen(db):
    return make_citizen(name="李四", id_number=ID_NUMBERS[1])


def pdf_upload(name="material.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )


def make_case(item, user, *, state="submitted", form=None):
    """A case of ``user`` for ``item``'s current version, driven through the workflow as the
    installation to ``state`` (draft, submitted, accepted, review, approved, concluded)."""
    version = item.current
    person = user.person
    case = Case.objects.create(
        item=item,
        item_version=version,
        organisation=item.organisation,
        applicant_type="person",
        person=person,
        applicant_name=person.name,
        applicant_id_type=person.id_type,
        applicant_id_number=person.id_number,
        owner=user,
        submitted_by=user,
        channel="web",
        form_data=form or dict(GOOD_FORM),
    )
    common.start(access.SYSTEM, case)
    for material in version.materials.filter(removed_rule="", necessity="required"):
        stored = files.store(user, "services.material", pdf_upload(f"{material.code}.pdf"))
        CaseMaterial.objects.create(case=case, material=material, file=stored)
    path = {
        "draft": [],
        "submitted": ["submit"],
        "accepted": ["submit", "accept"],
        "review": ["submit", "accept", "start_review"],
    }
    steps = path.get(state)
    if steps is None:
        raise ValueError(f"make_case cannot reach {state!r}")
    for action in steps:
        common.move(access.SYSTEM, case, action)
        if action == "submit":
            Case.objects.filter(pk=case.pk).update(
                number=f"T{case.pk:010d}", submitted_at=timezone.now()
            )
    case.refresh_from_db()
    return case


@pytest.fixture
def case_factory(db):
    return make_case
