"""Catalogue search through foundation.search: published entries by their publication (Chinese
words, pinyin, item names, provider), with facets; never drafts, never withdrawn entries."""

import pytest
from django.contrib.auth.models import AnonymousUser

from shuzheng.data.catalog import search as registration
from shuzheng.data.catalog import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registered():
    registration.ensure_registered()


def codes(results):
    return [hit.object.code for hit in results]


@pytest.fixture
def world(dm, published, entry_kwargs, publish_entry, cls):
    draft = services.create_entry(
        dm.ga_admin, **entry_kwargs(name="常住人口草稿目录", keywords=["草稿"])
    )
    companies = services.create_entry(
        dm.ga_admin,
        **entry_kwargs(
            name="企业登记信息",
            summary="市场主体的登记注册信息",
            classification=cls.legal,
            kind="base",
            keywords=["营业执照"],
            share_type="unconditional",
            share_condition="",
            open_type="unconditional",
            update_cycle="monthly",
            items=[
                {
                    "code": "uscc",
                    "name": "统一社会信用代码",
                    "data_type": "C",
                    "length": 18,
                    "grade": "general_1",
                    "is_key": True,
                }
            ],
        ),
    )
    companies = publish_entry(companies)
    return published, draft, companies


def test_published_entries_are_found_by_chinese_words_and_pinyin(dm, world):
    people, _draft, companies = world
    assert codes(selectors.search(dm.wj_user, "常住人口")) == [people.code]
    assert codes(selectors.search(dm.wj_user, "changzhurenkou")) == [people.code]
    assert codes(selectors.search(dm.wj_user, "身份号码")) == [people.code]  # an item's name
    assert codes(selectors.search(dm.wj_user, "营业执照")) == [companies.code]  # keyword
    assert people.code in codes(selectors.search(dm.wj_user, "公安局"))  # the provider


def test_drafts_are_never_found(dm, world):
    assert codes(selectors.search(dm.ga_admin, "草稿")) == []
    assert codes(selectors.search(dm.wj_user, "草稿目录")) == []


def test_a_revision_is_found_by_its_publication_until_published_again(dm, world, publish_entry):
    people = world[0]
    entry = services.revise(dm.ga_admin, people, revision=people.revision)
    entry = services.update_entry(dm.ga_admin, entry, revision=entry.revision, name="居民名录")
    assert codes(selectors.search(dm.wj_user, "居民名录")) == []
    assert codes(selectors.search(dm.wj_user, "常住人口登记")) == [people.code]
    publish_entry(entry)
    assert codes(selectors.search(dm.wj_user, "居民名录")) == [people.code]


def test_withdrawn_entries_leave_the_index(dm, world):
    people = world[0]
    services.withdraw(dm.ga_admin, people, revision=people.revision, reason="停止")
    assert codes(selectors.search(dm.wj_user, "常住人口")) == []


def test_facets_filter_inside_the_index(dm, world):
    people, _draft, companies = world
    assert codes(selectors.search(dm.wj_user, "信息", facets={"share_type": "unconditional"})) == [
        companies.code
    ]
    assert codes(selectors.search(dm.wj_user, "信息", facets={"grade": "general_4"})) == [
        people.code
    ]
    found = selectors.search(dm.wj_user, "信息", facets={"update_cycle": ["monthly", "daily"]})
    assert set(codes(found)) == {people.code, companies.code}
    assert codes(selectors.search(dm.wj_user, "信息", facets={"provider": dm.weijian.pk})) == []


def test_without_the_view_capability_only_open_entries_are_found(dm, world):
    people, _draft, companies = world
    for user in (AnonymousUser(), dm.outsider):
        assert codes(selectors.search(user, "信息")) == [companies.code]
