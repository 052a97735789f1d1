"""Fixtures of the data-element tests: the small Zhuhai of tests/conftest.py plus 市公安局
(provider), 市卫生健康局 (consumer) and the data authority (市政务服务数据管理局, the tree's
``zwfw``); staff with the data roles; ``make_entry`` for published catalogue entries with
items (built directly, as the catalogue's review would leave them)."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind

POPULATION_ITEMS = [
    # code, name, type, length, grade, mask, personal, sensitive, is_key
    ("id_number", "公民身份号码", "C", 18, "general_4", "id_number", True, True, True),
    ("name", "姓名", "C", 50, "general_3", "name", True, False, False),
    ("sex", "性别", "C", 1, "general_2", "none", True, False, False),
    ("birth_date", "出生日期", "D", 8, "general_3", "date_year", True, False, False),
    ("address", "户籍地址", "C", 200, "general_4", "address", True, True, False),
    ("phone", "联系电话", "C", 20, "important", "phone", True, True, False),
    ("religion", "宗教信仰", "C", 20, "core", "suppress", True, True, False),
]
POPULATION_ROWS = [
    {
        "id_number": "440402199001011236",
        "name": "张三丰",
        "sex": "1",
        "birth_date": "1990-01-01",
        "address": "广东省珠海市香洲区拱北街道粤华路1号",
        "phone": "13800138000",
        "religion": "无",
    },
    {
        "id_number": "440402198502021235",
        "name": "李小红",
        "sex": "2",
        "birth_date": "1985-02-02",
        "address": "广东省珠海市斗门区井岸镇新青路8号",
        "phone": "13912345678",
        "religion": "无",
    },
]


@pytest.fixture
def make_entry(db):
    """make_entry(provider, author, name=…, items=[(code, name, type, length, grade, mask,
    personal, sensitive, is_key), …], share_type=…, publish=True, **fields) → a
    CatalogueEntry (published as version 1 unless ``publish=False``)."""
    from shuzheng.data.catalog.models import (
        CatalogueEntry,
        CatalogueKind,
        Classification,
        DataItem,
        EntryStatus,
        EntryVersion,
        highest,
    )
    from shuzheng.data.catalog.snapshot import snapshot

    counter = {"n": 0}

    def make(
        provider,
        author,
        *,
        name="人口基础信息",
        items=POPULATION_ITEMS,
        publish=True,
        classification=None,
        reviewer=None,
        **fields,
    ):
        counter["n"] += 1
        if classification is None:
            classification, _ = Classification.objects.get_or_create(
                code="1", defaults={"name": "基础信息资源", "kind": CatalogueKind.BASE}
            )
        defaults = dict(
            kind=CatalogueKind.BASE,
            summary=f"{name}（测试）",
            resource_format="database",
            update_cycle="daily",
            share_type="conditional",
            share_method="api",
            open_type="none",
            on_platform=True,
        )
        defaults.update(fields)
        grades = [i[4] for i in items]
        entry = CatalogueEntry.objects.create(
            classification=classification,
            code=f"{classification.code}/{counter['n']:06d}",
            name=name,
            provider=provider,
            provider_code=provider.uscc,
            maintainer=provider,
            grade=defaults.pop("grade", highest(*grades)),
            created_by=author,
            **defaults,
        )
        for order, (code, iname, dtype, length, grade, mask, pi, spi, key) in enumerate(items):
            DataItem.objects.create(
                entry=entry,
                code=code,
                name=iname,
                data_type=dtype,
                length=length,
                grade=grade,
                mask=mask,
                personal=pi,
                sensitive_personal=spi,
                is_key=key,
                sort_order=order,
            )
        if publish:
            now = timezone.now()
            entry.status = EntryStatus.PUBLISHED
            entry.version = 1
            entry.published_at = now
            entry.published = snapshot(entry, version=1, published_at=now)
            entry.save()
            EntryVersion.objects.create(
                entry=entry,
                version=1,
                snapshot=entry.published,
                submitted_by=author,
                reviewed_by=reviewer or author,
                published_at=now,
            )
        return entry

    return make


@pytest.fixture
def dm(tree, make_staff, make_entry, db):
    """The data world: ``dm.gongan`` (市公安局, provider) and ``dm.weijian`` (市卫生健康局,
    consumer) under the city, ``dm.zwfw`` the data authority; staff ``ga_admin`` and
    ``wj_admin`` (data-admin of their department), ``wj_user`` (data-user of 卫健局),
    ``authority`` (data-authority on the city), ``outsider`` (staff of 香洲区 without any data
    role); ``dm.population`` — a published 有条件共享 人口 entry of 公安局 with 7 items
    (every level from 一般2 to 核心) and two stored rows."""
    from shuzheng.data.catalog import store

    org = lambda name: identity.create_organisation(  # noqa: E731
        access.SYSTEM, parent=tree.city, name=name, kind=OrgKind.DEPARTMENT
    )
    gongan = org("珠海市公安局")
    weijian = org("珠海市卫生健康局")
    ga_admin = make_staff(gongan, "data-admin", name="公安数据员")
    wj_admin = make_staff(weijian, "data-admin", name="卫健数据员")
    wj_user = make_staff(weijian, "data-user", name="卫健科员")
    authority = make_staff(tree.zwfw, "data-authority", on=tree.city, name="数据局审核员")
    outsider = make_staff(tree.xiangzhou, "case-handler", name="区科员")
    population = make_entry(gongan, ga_admin, reviewer=authority)
    store.put_records(access.SYSTEM, population, POPULATION_ROWS)
    return SimpleNamespace(
        tree=tree,
        city=tree.city,
        zwfw=tree.zwfw,
        gongan=gongan,
        weijian=weijian,
        ga_admin=ga_admin,
        wj_admin=wj_admin,
        wj_user=wj_user,
        authority=authority,
        outsider=outsider,
        population=population,
    )
