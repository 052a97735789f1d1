"""A street officer sees only the orders his street holds — through every path: the queue,
one order, its history, the caller lookup, duplicate candidates, 我的诉求, the dispatch
targets, and the API (list, detail, history, actions, callers, duplicates, caller reveal).
The district sees its streets; the centre's operator the whole city; a citizen only what
they reported."""

import pytest
from django.http import Http404

from shuzheng.governance.hotline.selectors import orders as selectors
from shuzheng.governance.hotline.services import intake, loop
from tests.conftest import api_as
from tests.governance.conftest import GOOD_PHONE, IN_GONGBEI, IN_JINGAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(hl, order_factory):
    """A: held by 拱北街道 (dispatched via 香洲区); B: 井岸镇 (dispatched straight to the
    town); C: still at the centre, at the same spot as A; D: a citizen's report at the
    centre. All from the same phone."""
    from tests.services.conftest import make_citizen

    a = order_factory("dispatched")
    b = order_factory("registered", latitude=IN_JINGAN[0], longitude=IN_JINGAN[1])
    loop.dispatch(hl.operator, b, unit=hl.tree.jingan)
    c = order_factory("registered")
    citizen = make_citizen(name="赵市民")
    d = intake.report(
        citizen,
        request_type="complaint",
        content="夏湾路垃圾没人清运。",
        category=hl.garbage,
        latitude=IN_GONGBEI[0],
        longitude=IN_GONGBEI[1],
        caller_phone=GOOD_PHONE,
    )
    return {"a": a, "b": b, "c": c, "d": d, "citizen": citizen}


def numbers(rows) -> set[str]:
    return {r.number for r in rows}


def test_the_queue_of_each_level(hl, world):
    a, b, c, d = (world[k] for k in "abcd")
    assert numbers(selectors.queue(hl.gb_handler)) == {a.number}
    assert numbers(selectors.queue(hl.jingan_handler)) == {b.number}
    assert numbers(selectors.queue(hl.xz_handler)) == {a.number}
    assert numbers(selectors.queue(hl.operator)) == {a.number, b.number, c.number, d.number}
    assert numbers(selectors.queue(world["citizen"])) == {d.number}
    # filters cannot widen the scope
    assert numbers(selectors.queue(hl.gb_handler, unit=hl.tree.city)) == {a.number}
    assert numbers(selectors.queue(hl.gb_handler, q=b.number)) == set()
    assert numbers(selectors.queue(hl.operator, q=b.number)) == {b.number}


def test_one_order_and_its_history_are_404_out_of_scope(hl, world):
    a, b = world["a"], world["b"]
    assert selectors.order(hl.gb_handler, a.number) == a
    assert [r.action for r in selectors.history(selectors.order(hl.gb_handler, a.number))] == [
        "start",
        "dispatch",
        "forward",
    ]
    for number in (b.number, world["c"].number, "GD20990101000001"):
        with pytest.raises(Http404):
            selectors.order(hl.gb_handler, number)
    with pytest.raises(Http404):
        selectors.order(world["citizen"], a.number)
    assert selectors.order(world["citizen"], world["d"].number) == world["d"]


def test_the_caller_lookup_and_duplicates_are_scoped(hl, world):
    a, c, d = world["a"], world["c"], world["d"]
    assert numbers(selectors.by_caller(hl.gb_handler, "13800138000")) == {a.number}
    assert numbers(selectors.by_caller(hl.jingan_handler, GOOD_PHONE)) == {world["b"].number}
    assert len(selectors.by_caller(hl.operator, GOOD_PHONE)) == 4
    assert selectors.by_caller(hl.operator, "not a phone") == []
    near = selectors.duplicate_candidates(
        hl.gb_handler, category=hl.garbage, latitude=IN_GONGBEI[0], longitude=IN_GONGBEI[1]
    )
    assert numbers(o for o, _d in near) == {a.number}
    everything = selectors.duplicate_candidates(
        hl.operator, category=hl.garbage, latitude=IN_GONGBEI[0], longitude=IN_GONGBEI[1]
    )
    assert numbers(o for o, _d in everything) == {a.number, c.number, d.number}


def test_mine_is_only_what_one_reported(hl, world):
    assert numbers(selectors.mine(world["citizen"])) == {world["d"].number}
    assert selectors.mine(hl.gb_handler) == []


def test_dispatch_targets_are_within_the_dispatchers_scope(hl, world):
    a, c = world["a"], world["c"]
    assert {u.name for u in selectors.dispatch_targets(hl.gb_handler, a)} == {"夏湾社区"}
    district = {u.name for u in selectors.dispatch_targets(hl.xz_handler, a)}
    assert "井岸镇" not in district and "拱北街道" not in district
    city = {u.name for u in selectors.dispatch_targets(hl.operator, c)}
    assert {"香洲区", "拱北街道", "井岸镇", "珠海市城市管理和综合执法局"} <= city
    assert hl.centre.name not in city  # where it is now


# --------------------------------------------------------------------------- the API


def test_the_api_shows_a_street_officer_only_his_street(hl, world):
    a, b = world["a"], world["b"]
    client = api_as(hl.gb_handler)
    listed = client.get("/api/v1/hotline/orders/").json()["results"]
    assert [r["number"] for r in listed] == [a.number]
    assert client.get(f"/api/v1/hotline/orders/{a.number}/").status_code == 200
    for path in ("", "history/"):
        assert client.get(f"/api/v1/hotline/orders/{b.number}/{path}").status_code == 404
    refused = client.post(f"/api/v1/hotline/orders/{b.number}/actions/sign/", {}, format="json")
    assert refused.status_code == 404
    revealed = client.post(
        f"/api/v1/hotline/orders/{b.number}/caller/", {"reason": "回访"}, format="json"
    )
    assert revealed.status_code == 404
    callers = client.get("/api/v1/hotline/callers/", {"phone": "13800138000"}).json()
    assert [r["number"] for r in callers] == [a.number]
    near = client.get(
        "/api/v1/hotline/duplicates/",
        {"category": hl.garbage.pk, "latitude": IN_GONGBEI[0], "longitude": IN_GONGBEI[1]},
    ).json()
    assert [r["order"]["number"] for r in near] == [a.number]
    b.refresh_from_db()
    assert b.state == "dispatched"


def test_the_api_refuses_a_forward_outside_the_districts_scope(hl, order_factory):
    order = order_factory("dispatched_district")
    client = api_as(hl.xz_handler)
    answer = client.post(
        f"/api/v1/hotline/orders/{order.number}/actions/forward/",
        {"unit": hl.tree.jingan.pk},
        format="json",
    )
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["unit"]
    order.refresh_from_db()
    assert order.unit == hl.tree.xiangzhou and order.state == "dispatched"
