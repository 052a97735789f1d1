"""Fixtures of the catalogue service tests: two classifications, a valid entry's keyword
arguments (``entry_kwargs``) and ``draft`` / ``published`` entries made through the
services (the shared ``make_entry`` builds rows directly)."""

from types import SimpleNamespace

import pytest

from shuzheng.data.catalog import services
from shuzheng.data.catalog.models import CatalogueKind, Classification

ITEMS = [
    {
        "code": "id_number",
        "name": "公民身份号码",
        "data_type": "C",
        "length": 18,
        "grade": "general_4",
        "mask": "id_number",
        "personal": True,
        "sensitive_personal": True,
        "is_key": True,
    },
    {
        "code": "name",
        "name": "姓名",
        "data_type": "C",
        "length": 50,
        "grade": "general_3",
        "mask": "name",
        "personal": True,
    },
    {"code": "sex", "name": "性别", "data_type": "C", "length": 1, "grade": "general_2"},
]


@pytest.fixture
def cls(db):
    base, _ = Classification.objects.get_or_create(
        code="1", defaults={"name": "基础信息资源", "kind": CatalogueKind.BASE}
    )
    people = Classification.objects.create(
        code="101", name="人口", parent=base, kind=CatalogueKind.BASE
    )
    legal = Classification.objects.create(
        code="102", name="法人", parent=base, kind=CatalogueKind.BASE
    )
    return SimpleNamespace(base=base, people=people, legal=legal)


@pytest.fixture
def entry_kwargs(dm, cls):
    """entry_kwargs(**overrides) → keyword arguments of a valid ``create_entry``."""

    def make(**overrides):
        kwargs = dict(
            provider=dm.gongan,
            classification=cls.people,
            name="常住人口登记信息",
            summary="珠海市常住人口的户籍登记信息",
            kind="base",
            resource_format="database",
            update_cycle="daily",
            share_type="conditional",
            share_condition="仅用于本部门法定职责",
            share_method="api",
            open_type="none",
            keywords=["户籍", "常住人口"],
            items=[dict(i) for i in ITEMS],
        )
        kwargs.update(overrides)
        return kwargs

    return make


@pytest.fixture
def draft(dm, entry_kwargs):
    return services.create_entry(dm.ga_admin, **entry_kwargs())


@pytest.fixture
def publish_entry(dm):
    """publish_entry(entry) → the entry submitted by its provider and published by the
    authority (from draft or revising)."""

    def run(entry, note=""):
        entry = services.submit(dm.ga_admin, entry, revision=entry.revision, note=note)
        return services.publish(dm.authority, entry, revision=entry.revision, note="同意发布")

    return run


@pytest.fixture
def published(draft, publish_entry):
    return publish_entry(draft, note="首次发布")
