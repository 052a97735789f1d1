"""催办 and 督办 at the right working-day moments (frozen time, the 2026 National Day
holiday in between), each once; the unit holding the order is told; 催办督办 by hand only
for supervisors; a typhoon closure moves the moments the sweep reads."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.foundation import workflow
from shuzheng.foundation.events.notifications.models import Message
from shuzheng.governance.hotline.models import Urge, WorkOrder
from shuzheng.governance.hotline.services import loop, urging
from tests.governance.hotline.test_loop import FrozenClock, at, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


def consultation(hl, order_factory, clock, *, unit=None):
    """A 咨询 (3 working days) dispatched on Tuesday 09-29 10:00: sign by 12:00, 催办 at
    10-08 18:00 (the end of the working day before the due day), due 10-09 18:00."""
    clock.set(at(9, 29, 10))
    order = order_factory(
        "registered",
        category=hl.social,
        request_type="consult",
        address="",
        latitude=None,
        longitude=None,
        content="灵活就业人员社保怎么缴费？",
    )
    loop.dispatch(hl.operator, order, unit=unit or hl.chengguan)
    order = fresh(order)
    assert order.sign_due_at == at(9, 29, 12)
    assert order.urge_at == at(10, 8, 18) and order.due_at == at(10, 9, 18)
    return order


def urges(order) -> list[tuple[str, str, str]]:
    return list(
        Urge.objects.filter(order=order)
        .order_by("at", "pk")
        .values_list("kind", "deadline", "unit__name")
    )


def test_sign_urge_and_supervision_each_fire_once_at_their_moment(hl, order_factory, clock):
    order = consultation(hl, order_factory, clock)
    assert urging.sweep(now=at(9, 29, 11, 59)) == {"urge": 0, "supervise": 0, "sign": 0}
    assert urging.sweep(now=at(9, 29, 12, 1)) == {"urge": 0, "supervise": 0, "sign": 1}
    assert urging.sweep(now=at(9, 29, 12, 30))["sign"] == 0  # once
    assert fresh(order).supervised
    clock.set(at(9, 29, 13))
    loop.sign(hl.cg_handler, order)
    # over the holiday nothing is due: 催办 only at the end of 10-08
    assert urging.sweep(now=at(10, 7, 23)) == {"urge": 0, "supervise": 0, "sign": 0}
    assert urging.sweep(now=at(10, 8, 17, 59))["urge"] == 0
    assert urging.sweep(now=at(10, 8, 18)) == {"urge": 1, "supervise": 0, "sign": 0}
    assert fresh(order).urged
    assert urging.sweep(now=at(10, 9, 18)) == {"urge": 0, "supervise": 0, "sign": 0}
    assert urging.sweep(now=at(10, 9, 18, 1)) == {"urge": 0, "supervise": 1, "sign": 0}
    assert urging.sweep(now=at(10, 12, 9)) == {"urge": 0, "supervise": 0, "sign": 0}
    chengguan = hl.chengguan.name
    assert urges(order) == [
        ("supervise", "sign", chengguan),
        ("urge", "finish", chengguan),
        ("supervise", "finish", chengguan),
    ]
    assert all(u.automatic and u.by is None for u in Urge.objects.filter(order=order))


def test_an_order_already_past_due_is_supervised_not_urged(hl, order_factory, clock):
    order = consultation(hl, order_factory, clock)
    clock.set(at(9, 29, 11))
    loop.sign(hl.cg_handler, order)
    assert urging.sweep(now=at(10, 12, 9)) == {"urge": 0, "supervise": 1, "sign": 0}
    assert urges(order) == [("supervise", "finish", hl.chengguan.name)]


def test_a_paused_or_finished_clock_is_not_urged(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    returned = order_factory("returned")
    clock.set(at(9, 29, 10))
    replied = order_factory("callback")
    assert urging.sweep(now=at(11, 30, 10)) == {"urge": 0, "supervise": 0, "sign": 0}
    assert urges(returned) == [] and urges(replied) == []


def test_each_unit_on_the_way_down_gets_its_own_sign_supervision(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    order = order_factory("dispatched_district")
    assert urging.sweep(now=at(9, 29, 13))["sign"] == 1  # 香洲区 did not sign in 2 hours
    clock.set(at(9, 29, 14))
    loop.forward(hl.xz_handler, order, unit=hl.tree.gongbei)
    assert fresh(order).sign_due_at == at(9, 29, 16)
    assert urging.sweep(now=at(9, 29, 15))["sign"] == 0
    assert urging.sweep(now=at(9, 29, 16, 5))["sign"] == 1
    assert urges(order) == [
        ("supervise", "sign", hl.tree.xiangzhou.name),
        ("supervise", "sign", hl.tree.gongbei.name),
    ]


def test_the_unit_is_notified_of_urging_and_supervision(
    hl, order_factory, clock, django_capture_on_commit_callbacks
):
    order = consultation(hl, order_factory, clock)
    clock.set(at(9, 29, 11))
    loop.sign(hl.cg_handler, order)
    with django_capture_on_commit_callbacks(execute=True):
        urging.sweep(now=at(10, 8, 18, 1))
    with django_capture_on_commit_callbacks(execute=True):
        urging.sweep(now=at(10, 9, 18, 1))
    titles = list(
        Message.objects.filter(recipient=hl.cg_handler)
        .order_by("pk")
        .values_list("title", flat=True)
    )
    assert titles[-2:] == ["工单催办", "工单督办"]
    supervised = Message.objects.filter(recipient=hl.cg_handler, title="工单督办").get()
    assert order.number in supervised.body and "2026-10-09 18:00" in supervised.body
    # nobody else hears of it
    assert not Message.objects.filter(
        recipient__in=[hl.gb_handler, hl.jingan_handler, hl.xz_handler],
        title__in=["工单催办", "工单督办"],
    ).exists()


def test_urging_by_hand_needs_the_supervise_capability_and_a_note(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    order = order_factory("handling")
    with pytest.raises(PermissionDenied):
        loop.urge(hl.gb_handler, order, kind="urge", note="请尽快")
    with pytest.raises(PermissionDenied):
        loop.urge(hl.jingan_handler, order, kind="urge", note="请尽快")
    with pytest.raises(ValidationError) as refused:
        loop.urge(hl.operator, order, kind="shout", note="")
    assert set(refused.value.message_dict) == {"kind", "note"}
    row = loop.urge(hl.head, order, kind="supervise", note="群众反映强烈，请今日内处理")
    assert (row.automatic, row.by, row.unit, row.deadline) == (
        False,
        hl.head,
        hl.tree.gongbei,
        "finish",
    )
    assert fresh(order).supervised and not fresh(order).urged
    loop.urge(hl.operator, order, kind="urge", note="请抓紧")
    loop.urge(hl.operator, order, kind="urge", note="再次催办")  # by hand: as often as needed
    assert Urge.objects.filter(order=order, automatic=False).count() == 3


def test_urging_by_hand_is_only_for_an_order_a_unit_is_handling(hl, order_factory):
    registered = order_factory("registered")
    with pytest.raises(ValidationError):
        loop.urge(hl.operator, registered, kind="urge", note="请尽快")
    closed = order_factory("closed")
    with pytest.raises(ValidationError):
        loop.urge(hl.operator, closed, kind="urge", note="请尽快")
    assert not Urge.objects.exists()


def test_urging_by_hand_with_a_stale_revision_is_a_conflict(hl, order_factory):
    order = order_factory("dispatched")
    seen = order.workflow.revision
    loop.sign(hl.gb_handler, WorkOrder.objects.get(pk=order.pk))
    with pytest.raises(workflow.Conflict):
        loop.urge(hl.operator, fresh(order), kind="urge", note="请签收", revision=seen)
    assert not Urge.objects.exists()


def test_a_typhoon_closure_moves_the_deadline_and_the_urge_moment(
    hl, order_factory, clock, make_staff, django_capture_on_commit_callbacks
):
    from shuzheng.foundation.workflow.calendar import services as work_calendar
    from shuzheng.foundation.workflow.calendar.models import DayKind

    order = consultation(hl, order_factory, clock)
    admin = make_staff(hl.tree.city, "system-admin")
    with django_capture_on_commit_callbacks(execute=True):
        work_calendar.declare_day(
            admin, date=dt.date(2026, 10, 8), kind=DayKind.CLOSURE, name="台风停工"
        )
    order = fresh(order)
    assert order.due_at == at(10, 10, 18) == order.workflow.due_at  # 10-09, 10-10 (调休)
    assert order.urge_at == at(10, 9, 18)
    assert urging.sweep(now=at(10, 8, 18, 30))["urge"] == 0
    assert urging.sweep(now=at(10, 9, 18, 30))["urge"] == 1


def test_an_approved_extension_is_urged_and_supervised_again_on_its_new_deadline(
    hl, order_factory, clock
):
    """The reminders are per deadline: after 延期 the unit is reminded of the new one."""
    order = consultation(hl, order_factory, clock)
    clock.set(at(9, 29, 11))
    loop.sign(hl.cg_handler, order)
    assert urging.sweep(now=at(10, 8, 18, 1))["urge"] == 1
    clock.set(at(10, 9, 9))
    loop.request_extension(hl.cg_handler, fresh(order), days=2, reason="需现场复核")
    loop.decide_extension(hl.operator, fresh(order), approve=True, opinion="同意延期两天")
    order = fresh(order)
    # 10-10 (Saturday) is a 调休 working day: 10-09 + 2 working days = 10-12
    assert order.due_at == at(10, 12, 18)
    assert urging.sweep(now=at(10, 9, 19))["urge"] == 0  # the new 催办 moment: 10-10 18:00
    assert urging.sweep(now=at(10, 10, 18, 1))["urge"] == 1
    assert urging.sweep(now=at(10, 12, 18, 1))["supervise"] == 1
    assert urging.sweep(now=at(10, 12, 19)) == {"urge": 0, "supervise": 0, "sign": 0}
    assert [k for k, _, _ in urges(order)].count("urge") == 2
