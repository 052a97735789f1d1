"""The order queue's filters (state, unit subtree, category subtree, channel, words, the
deadline tabs at a given moment) and its keyset pages."""

import pytest

from shuzheng.governance.hotline.selectors import orders as selectors
from shuzheng.governance.hotline.services import loop
from tests.governance.hotline.test_loop import FrozenClock, at

pytestmark = pytest.mark.django_db


def numbers(rows) -> list[str]:
    return [r.number for r in rows]


@pytest.fixture
def orders(hl, order_factory, monkeypatch):
    clock = FrozenClock(monkeypatch)
    clock.set(at(9, 29, 10))
    street = order_factory("handling")  # 拱北, due 10-19 18:00, 催办 10-16 18:00
    consult = order_factory(
        "registered",
        category=hl.social,
        request_type="consult",
        channel="wechat",
        title="社保缴费咨询",
        content="灵活就业人员社保怎么缴费？",
        address="",
        latitude=None,
        longitude=None,
    )
    loop.dispatch(hl.operator, consult, unit=hl.chengguan)  # due 10-09 18:00
    waiting = order_factory("registered")
    return {"street": street, "consult": consult, "waiting": waiting}


def test_state_unit_category_channel_and_words(hl, orders):
    op = hl.operator
    street, consult, waiting = orders["street"], orders["consult"], orders["waiting"]
    assert numbers(selectors.queue(op, state="registered")) == [waiting.number]
    assert numbers(selectors.queue(op, state=["handling", "dispatched"])) == [
        consult.number,
        street.number,
    ]
    assert numbers(selectors.queue(op, unit=hl.tree.xiangzhou)) == [street.number]
    assert numbers(selectors.queue(op, unit=hl.tree.doumen)) == []
    assert numbers(selectors.queue(op, category=hl.urban)) == [waiting.number, street.number]
    assert numbers(selectors.queue(op, category=hl.social.pk)) == [consult.number]
    assert numbers(selectors.queue(op, channel="wechat")) == [consult.number]
    assert numbers(selectors.queue(op, q="社保")) == [consult.number]
    assert numbers(selectors.queue(op, q=street.number.lower())) == [street.number]


def test_the_deadline_tabs_at_a_moment(hl, orders):
    op = hl.operator
    street, consult = orders["street"], orders["consult"]
    assert numbers(selectors.queue(op, approaching=True, now=at(10, 8, 12))) == []
    assert numbers(selectors.queue(op, approaching=True, now=at(10, 8, 18, 30))) == [consult.number]
    assert numbers(selectors.queue(op, overdue=True, now=at(10, 9, 18, 30))) == [consult.number]
    late = at(10, 19, 18, 30)
    assert numbers(selectors.queue(op, overdue=True, now=late)) == [
        consult.number,
        street.number,
    ]
    assert numbers(selectors.queue(op, approaching=True, now=at(10, 16, 18))) == [street.number]


def test_pages_by_key(hl, orders):
    first = selectors.queue(hl.operator, limit=2)
    rest = selectors.queue(hl.operator, limit=2, after=first[-1].pk)
    assert len(first) == 2 and len(rest) == 1
    assert not set(numbers(first)) & set(numbers(rest))
    assert selectors.queue(hl.operator, after=rest[-1].pk) == []


def _queries(callable_):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_a_longer_page_costs_no_more_queries_in_the_api_and_the_workbench(hl, order_factory):
    """The page is read with only the row's columns: a deferred column a row needs would
    show up here as one more query per row."""
    from django.test import Client

    from tests.conftest import api_as

    client = Client()
    client.force_login(hl.operator)
    api = api_as(hl.operator)

    def both():
        assert api.get("/api/v1/hotline/orders/").status_code == 200
        assert client.get("/workbench/hotline/?tab=all").status_code == 200

    order_factory("registered")
    both()  # warm caches (categories, permissions)
    one = _queries(both)
    for _ in range(4):
        order_factory("dispatched")
    assert _queries(both) == one
