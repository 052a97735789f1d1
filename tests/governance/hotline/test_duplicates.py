"""Duplicates: the same category within R metres and T hours is offered at intake, nearest
first; merging keeps one master, counts every caller there, and the followers' callers get
the master's reply when it closes (at once when it already has)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.foundation.events.notifications.models import Message
from shuzheng.governance.hotline.selectors import orders as selectors
from shuzheng.governance.hotline.services import intake, loop
from tests.governance.conftest import IN_GONGBEI
from tests.governance.hotline.test_loop import FrozenClock, at, fresh

pytestmark = pytest.mark.django_db
LAT, LNG = IN_GONGBEI
METRES_PER_DEGREE = 111_195  # of latitude, on the mean Earth radius


def north(metres: float) -> float:
    return LAT + metres / METRES_PER_DEGREE


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


def candidates(hl, user=None, **kw):
    found = selectors.duplicate_candidates(
        user or hl.operator,
        category=kw.pop("category", hl.garbage),
        latitude=kw.pop("latitude", LAT),
        longitude=kw.pop("longitude", LNG),
        **kw,
    )
    return [(o.number, d) for o, d in found]


def test_candidates_are_the_same_category_near_and_recent_nearest_first(hl, order_factory, clock):
    clock.set(at(11, 2, 10))
    old = order_factory("registered", latitude=LAT)
    clock.set(at(11, 4, 9))
    far = order_factory("registered", latitude=north(300))
    near = order_factory("registered", latitude=north(120))
    nearer = order_factory("registered", latitude=north(40))
    other = order_factory("registered", category=hl.vending, latitude=LAT)
    clock.set(at(11, 5, 11))  # 73 hours after ``old``
    found = candidates(hl)
    assert [n for n, _d in found] == [nearer.number, near.number]
    assert found[0][1] == pytest.approx(40, abs=1) and found[1][1] == pytest.approx(120, abs=1)
    assert old.number not in dict(found) and far.number not in dict(found)
    assert other.number not in dict(found)
    # wider settings reach them; the order itself can be left out
    wide = dict(candidates(hl, radius_m=500, hours=96))
    assert {old.number, far.number, near.number, nearer.number} == set(wide)
    assert nearer.number not in dict(candidates(hl, exclude=nearer))


def test_candidates_need_a_category_and_a_real_point(hl, order_factory):
    order_factory("registered")
    assert candidates(hl, category=None) == []
    assert candidates(hl, latitude="x") == []
    assert candidates(hl, latitude=float("nan")) == []


def test_merging_counts_every_caller_and_followers_follow_the_master(hl, order_factory):
    master = order_factory("registered")
    first = order_factory("registered", latitude=north(30), caller_phone="+8613900139000")
    second = order_factory("registered", latitude=north(60))
    loop.merge(hl.operator, first, master)
    first = fresh(first)
    assert first.state == "merged" and first.master == master
    assert fresh(master).callers_count == 2
    history = first.workflow.history.order_by("-seq").first()
    assert history.action == "merge" and master.number in history.reason
    # merged orders are no longer offered; the master is
    offered = [n for n, _d in candidates(hl)]
    assert master.number in offered and first.number not in offered
    loop.merge(hl.operator, second, master, reason="同一小区垃圾问题")
    assert fresh(master).callers_count == 3


def test_a_follower_with_followers_brings_them_along(hl, order_factory):
    master = order_factory("registered")
    middle = order_factory("registered")
    leaf = order_factory("registered")
    loop.merge(hl.operator, leaf, middle)
    loop.merge(hl.operator, middle, master)
    assert fresh(leaf).master == master
    assert fresh(master).callers_count == 3


def test_a_merge_is_refused_across_categories_into_a_merged_order_or_itself(hl, order_factory):
    master = order_factory("registered")
    other = order_factory("registered", category=hl.vending)
    follower = order_factory("registered")
    with pytest.raises(ValidationError) as category:
        loop.merge(hl.operator, other, master)
    assert set(category.value.message_dict) == {"master"}
    loop.merge(hl.operator, follower, master)
    third = order_factory("registered")
    with pytest.raises(ValidationError) as merged:
        loop.merge(hl.operator, third, fresh(follower))
    assert set(merged.value.message_dict) == {"master"}
    with pytest.raises(ValidationError) as itself:
        loop.merge(hl.operator, third, third)
    assert set(itself.value.message_dict) == {"master"}
    with pytest.raises(ValidationError) as nothing:
        loop.merge(hl.operator, third, "GD20990101000001")
    assert set(nothing.value.message_dict) == {"master"}
    assert fresh(third).state == "registered" and fresh(master).callers_count == 2


def test_only_a_registered_order_is_merged_and_only_by_the_centre(hl, order_factory):
    master = order_factory("registered")
    dispatched = order_factory("dispatched")
    with pytest.raises(ValidationError):  # 已派单: no 合并 from that state
        loop.merge(hl.operator, dispatched, master)
    follower = order_factory("registered")
    with pytest.raises(PermissionDenied):
        loop.merge(hl.gb_handler, follower, master)
    assert fresh(follower).state == "registered" and fresh(master).callers_count == 1


def test_followers_get_the_masters_reply_and_their_callers_are_told(
    hl, order_factory, django_capture_on_commit_callbacks
):
    from tests.services.conftest import make_citizen

    citizen = make_citizen(name="赵市民")
    with django_capture_on_commit_callbacks(execute=True):
        follower = intake.report(
            citizen,
            request_type="complaint",
            content="我家楼下垃圾也没人收。",
            category=hl.garbage,
            latitude=north(50),
            longitude=LNG,
        )
    master = order_factory("handling")
    with django_capture_on_commit_callbacks(execute=True):
        loop.merge(hl.operator, follower, master)
    assert fresh(master).callers_count == 2
    loop.reply(hl.gb_handler, master, reply="已协调环卫公司清运，并增加清运频次。")
    loop.review(hl.operator, master, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        loop.callback(hl.operator, master, satisfaction="satisfied", score=5)
    follower = fresh(follower)
    assert follower.state == "merged"
    assert follower.reply == "已协调环卫公司清运，并增加清运频次。"
    assert follower.closed_at == fresh(master).closed_at
    titles = list(
        Message.objects.filter(recipient=citizen).order_by("pk").values_list("title", flat=True)
    )
    assert titles == ["您的诉求已受理", "您的诉求已办结"]
    closed = Message.objects.get(recipient=citizen, title="您的诉求已办结")
    assert follower.number in closed.body and "增加清运频次" in closed.body


def test_merging_into_a_closed_master_gives_the_reply_at_once(hl, order_factory, clock):
    clock.set(at(11, 2, 10))
    master = order_factory("closed")
    clock.set(at(11, 3, 10))
    follower = order_factory("registered")
    loop.merge(hl.operator, follower, master)
    follower = fresh(follower)
    assert follower.reply == fresh(master).reply and follower.closed_at == at(11, 3, 10)
    assert fresh(master).callers_count == 2
    assert dt.timedelta(0) < follower.closed_at - fresh(master).closed_at
