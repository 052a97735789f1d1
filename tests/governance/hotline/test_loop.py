"""The 12345 loop after 受理, each act's rule and its refusals: 派单 (scope, category
confirmation), 下派, 签收, 退单 (reason) → 改派 (the clock pauses and resumes), 延期 (批准
moves the deadline by working days / 驳回 needs a reason), 回复 → 审核 (退回) → 回访 →
办结 or 重办, 直接答复 with a knowledge article — on the work calendar around the 2026
National Day holiday (国庆 10-01…10-07, 调休 10-10 worked; 中秋 09-25) — and the optimistic
lock."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from shuzheng.foundation import workflow
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.hotline.models import KnowledgeArticle, WorkOrder
from shuzheng.governance.hotline.services import loop

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def at(month, day, hour=10, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


class FrozenClock:
    """``timezone.now()`` for the engine, the services and these tests."""

    def __init__(self, monkeypatch):
        self.now = at(9, 28)
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def set(self, moment):
        self.now = moment
        return moment

    def tick(self, **delta):
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


def fresh(order) -> WorkOrder:
    return WorkOrder.objects.select_related("workflow", "unit").get(pk=order.pk)


def actions(order) -> list[str]:
    return list(fresh(order).workflow.history.order_by("seq").values_list("action", flat=True))


def events_of(kind: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(type=kind).order_by("created_at")]


# --------------------------------------------------------------------------- the whole loop


def test_the_whole_loop_from_call_to_archive_with_every_deadline_on_the_calendar(
    hl, order_factory, clock
):
    clock.set(at(9, 29, 9, 30))  # Tuesday
    order = order_factory("registered")
    assert order.state == "registered" and order.unit == hl.centre
    clock.set(at(9, 29, 10))
    loop.dispatch(hl.operator, order, unit=hl.tree.xiangzhou, opinion="请香洲区处理")
    order = fresh(order)
    # 投诉 of 城乡建设: 10 working days: 09-30, 10-08, 10-09, 10-10 (调休), 10-12 … 10-19
    assert order.state == "dispatched" and order.unit == hl.tree.xiangzhou
    assert order.dispatched_by == hl.centre and order.category_confirmed
    assert order.due_at == at(10, 19, 18)
    assert order.urge_at == at(10, 16, 18)  # the end of the working day before the due day
    assert order.sign_due_at == at(9, 29, 12)  # 2 working hours
    clock.set(at(9, 30, 17))  # one working hour left today, the next after the holiday
    loop.forward(hl.xz_handler, order, unit=hl.tree.gongbei)
    order = fresh(order)
    assert order.unit == hl.tree.gongbei and order.dispatched_by == hl.tree.xiangzhou
    assert order.sign_due_at == at(10, 8, 10)
    assert order.due_at == at(10, 19, 18)  # 下派 does not restart the clock
    clock.set(at(10, 8, 9, 30))
    loop.sign(hl.gb_handler, order)
    assert fresh(order).signed_at == at(10, 8, 9, 30)
    clock.set(at(10, 9, 15))
    loop.reply(hl.gb_handler, order, reply="已协调环卫公司清运，并增加清运频次。")
    clock.set(at(10, 9, 16))
    loop.review(hl.operator, order, approve=True)
    order = fresh(order)
    assert order.state == "callback" and order.sla_state == "stopped" and order.on_time is True
    assert order.callback_due == dt.date(2026, 10, 10)  # the next working day (调休 Saturday)
    clock.set(at(10, 10, 11))
    loop.callback(hl.operator, order, satisfaction="satisfied", score=5, comment="处理及时")
    order = fresh(order)
    assert order.state == "closed" and order.closed_at == at(10, 10, 11)
    assert order.satisfaction == "satisfied" and order.callback_score == 5
    assert actions(order) == [
        "start",
        "dispatch",
        "forward",
        "sign",
        "reply",
        "approve_reply",
        "close",
    ]
    kinds = [e.type for e in OutboxEvent.objects.filter(type__startswith="governance.order.")]
    assert kinds == [
        "governance.order.registered",
        "governance.order.dispatched",
        "governance.order.forwarded",
        "governance.order.signed",
        "governance.order.replied",
        "governance.order.reply_approved",
        "governance.order.closed",
    ]
    assert all(e["order"] == order.number for e in events_of("governance.order.closed"))
    assert AuditRecord.objects.filter(action="hotline.order.dispatch").count() == 1


def test_a_short_limit_is_urged_at_three_quarters_and_a_consultation_spans_the_holiday(
    hl, order_factory, clock
):
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
    loop.dispatch(hl.operator, order, unit=hl.chengguan)
    order = fresh(order)
    assert order.due_at == at(10, 9, 18)  # 3 working days: 09-30, 10-08, 10-09
    assert order.urge_at == at(10, 8, 18)
    urgent = order_factory("registered", urgency="urgent")
    loop.dispatch(hl.operator, urgent, unit=hl.chengguan)
    urgent = fresh(urgent)
    # 1 working day: 09-30 18:00; 75 % of the 32 hours from 09-29 10:00 → 09-30 10:00
    assert urgent.due_at == at(9, 30, 18)
    assert urgent.urge_at == at(9, 30, 10)
    assert urgent.sign_due_at == at(9, 29, 11)  # urgent: 1 working hour


# --------------------------------------------------------------------------- 派单


def test_dispatch_to_a_unit_outside_the_dispatchers_scope_is_refused_and_nothing_written(
    hl, order_factory, clock
):
    order = order_factory("dispatched_district")
    before = actions(order)
    with pytest.raises(ValidationError) as refused:
        loop.forward(hl.xz_handler, fresh(order), unit=hl.tree.jingan)
    assert set(refused.value.message_dict) == {"unit"}
    with pytest.raises(ValidationError) as upward:
        loop.forward(hl.xz_handler, fresh(order), unit=hl.tree.city)
    assert set(upward.value.message_dict) == {"unit"}
    order = fresh(order)
    assert order.unit == hl.tree.xiangzhou and actions(order) == before


def test_a_street_officer_cannot_dispatch_a_registered_order(hl, order_factory):
    order = order_factory("registered")
    with pytest.raises(PermissionDenied):
        loop.dispatch(hl.gb_handler, order, unit=hl.tree.gongbei)
    assert fresh(order).state == "registered"


def test_dispatch_needs_a_unit_and_a_confirmed_leaf_category(hl, order_factory):
    order = order_factory("registered", category=None)
    with pytest.raises(ValidationError) as refused:
        loop.dispatch(hl.operator, order, unit=None)
    assert set(refused.value.message_dict) == {"unit", "category"}
    with pytest.raises(ValidationError) as branch:
        loop.dispatch(hl.operator, order, unit=hl.chengguan, category=hl.sanitation)
    assert set(branch.value.message_dict) == {"category"}
    with pytest.raises(ValidationError) as here:
        loop.dispatch(hl.operator, order, unit=hl.centre, category=hl.garbage)
    assert set(here.value.message_dict) == {"unit"}
    assert fresh(order).state == "registered"


def test_a_corrected_category_is_recorded_for_training_and_sets_the_limit(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    suggestion = {"category": {"id": hl.garbage.pk, "code": "010101", "name": "垃圾清运"}}
    order = order_factory("registered", suggestion=suggestion, request_type="consult")
    loop.dispatch(
        hl.operator, order, unit=hl.chengguan, category=hl.vending, co_units=[hl.tree.xiangzhou]
    )
    order = fresh(order)
    assert order.category == hl.vending and order.category_confirmed
    assert order.suggestion["corrected"]["from"] == "010101"
    assert order.suggestion["corrected"]["to"] == "010102"
    assert list(order.co_units.all()) == [hl.tree.xiangzhou]
    assert order.due_at == at(10, 9, 18)  # 咨询: 3 working days (the default)


def test_co_units_outside_scope_or_equal_to_the_main_unit_are_refused(hl, order_factory):
    fresh_order = order_factory("registered")
    with pytest.raises(ValidationError) as same:
        loop.dispatch(hl.operator, fresh_order, unit=hl.chengguan, co_units=[hl.chengguan.pk])
    assert set(same.value.message_dict) == {"co_units"}
    assert fresh(fresh_order).state == "registered"


# --------------------------------------------------------------------------- 退单 / 改派


def test_a_return_needs_a_reason_and_writes_nothing_without_one(hl, order_factory):
    order = order_factory("dispatched")
    before = actions(order)
    for blank in ("", "   ", None):
        with pytest.raises(ValidationError) as refused:
            loop.return_order(hl.gb_handler, fresh(order), reason=blank)
        assert set(refused.value.message_dict) == {"reason"}
    order = fresh(order)
    assert order.state == "dispatched" and order.unit == hl.tree.gongbei
    assert order.return_count == 0 and actions(order) == before


def test_return_goes_back_to_the_dispatcher_pauses_the_clock_and_reassign_resumes_it(
    hl, order_factory, clock
):
    clock.set(at(9, 29, 10))
    order = order_factory("dispatched")
    assert fresh(order).due_at == at(10, 19, 18)
    clock.set(at(9, 30, 10))
    loop.return_order(hl.gb_handler, order, reason="该地点属前山街道辖区")
    order = fresh(order)
    assert order.state == "returned" and order.sla_state == "paused"
    assert order.unit == hl.tree.xiangzhou and order.return_count == 1
    assert order.sign_due_at is None
    # the street no longer holds it; the district may reassign it within its district
    with pytest.raises(PermissionDenied):
        loop.reassign(hl.gb_handler, order, unit=hl.tree.gongbei)
    with pytest.raises(ValidationError) as outside:
        loop.reassign(hl.xz_handler, order, unit=hl.tree.jingan)
    assert set(outside.value.message_dict) == {"unit"}
    clock.set(at(10, 9, 10))  # paused over 09-30 … 10-09: two working days (10-08, 10-09)
    loop.reassign(hl.xz_handler, order, unit=hl.tree.xiawan, opinion="请夏湾社区处理")
    order = fresh(order)
    assert order.state == "dispatched" and order.sla_state == "running"
    assert order.unit == hl.tree.xiawan and order.dispatched_by == hl.tree.xiangzhou
    assert order.due_at == at(10, 21, 18)  # moved by the two paused working days
    assert order.urge_at == at(10, 20, 18)
    assert order.sign_due_at == at(10, 9, 12)
    assert actions(order)[-2:] == ["return", "reassign"]


# --------------------------------------------------------------------------- 延期


def test_an_approved_extension_moves_the_deadline_by_working_days(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    order = order_factory("extension")
    order = fresh(order)
    assert order.state == "extension" and order.extension_days == 5
    assert order.due_at == at(10, 19, 18)
    # a street officer cannot decide on his own request; the district head can
    with pytest.raises(PermissionDenied):
        loop.decide_extension(hl.gb_handler, order, approve=True, opinion="同意")
    loop.decide_extension(hl.head, order, approve=True, opinion="同意延期")
    order = fresh(order)
    assert order.state == "handling"
    assert order.due_at == at(10, 26, 18)  # 5 more working days: 10-20 … 10-26
    assert order.urge_at == at(10, 23, 18)
    assert order.workflow.due_at == order.due_at


def test_a_rejected_extension_needs_a_reason_and_keeps_the_deadline(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    order = fresh(order_factory("extension"))
    with pytest.raises(ValidationError) as refused:
        loop.decide_extension(hl.head, order, approve=False)
    assert set(refused.value.message_dict) == {"reason"}
    assert fresh(order).state == "extension"
    loop.decide_extension(hl.head, order, approve=False, reason="理由不充分，请按期办结")
    order = fresh(order)
    assert order.state == "handling" and order.due_at == at(10, 19, 18)
    assert order.extension_days == 0


@pytest.mark.parametrize("days", [0, 31, "x", None])
def test_an_extension_is_one_to_thirty_working_days_with_a_reason(hl, order_factory, days):
    order = order_factory("handling")
    with pytest.raises(ValidationError) as refused:
        loop.request_extension(hl.gb_handler, order, days=days, reason="")
    assert set(refused.value.message_dict) == {"days", "reason"}
    assert fresh(order).state == "handling"


# --------------------------------------------------------------------------- 回复 / 审核 / 回访


def test_a_reply_needs_text_and_the_review_can_send_it_back_with_a_reason(hl, order_factory):
    order = order_factory("handling")
    with pytest.raises(ValidationError) as empty:
        loop.reply(hl.gb_handler, order, reply=" ")
    assert set(empty.value.message_dict) == {"reply"}
    loop.reply(hl.gb_handler, order, reply="已处理")
    with pytest.raises(PermissionDenied):
        loop.review(hl.gb_handler, order, approve=True)  # a unit does not review itself
    with pytest.raises(ValidationError) as no_reason:
        loop.review(hl.operator, order, approve=False)
    assert set(no_reason.value.message_dict) == {"reason"}
    loop.review(hl.operator, order, approve=False, reason="未说明清运时间")
    order = fresh(order)
    assert order.state == "handling" and order.sla_state == "running"


def test_an_unsatisfied_caller_sends_the_order_back_for_rework_with_a_new_limit(
    hl, order_factory, clock
):
    clock.set(at(10, 12, 9))
    order = order_factory("callback")
    clock.set(at(10, 13, 10))
    with pytest.raises(ValidationError) as no_reason:
        loop.callback(hl.operator, fresh(order), satisfaction="unsatisfied")
    assert set(no_reason.value.message_dict) == {"reason"}
    loop.callback(
        hl.operator, fresh(order), satisfaction="unsatisfied", score=2, comment="垃圾又堆起来了"
    )
    order = fresh(order)
    assert order.state == "handling" and order.unit == hl.tree.gongbei
    assert order.rework_count == 1 and order.satisfaction == "unsatisfied"
    assert order.sla_state == "running"
    assert order.due_at == at(10, 20, 18)  # 重办: 5 working days from 10-13
    assert order.on_time is None
    history = fresh(order).workflow.history.order_by("-seq").first()
    assert history.action == "rework" and history.reason == "垃圾又堆起来了"
    # the second round closes normally
    loop.reply(hl.gb_handler, order, reply="已清运并安排每日巡查")
    loop.review(hl.operator, order, approve=True)
    loop.callback(hl.operator, order, satisfaction="basic", score=4)
    order = fresh(order)
    assert order.state == "closed" and order.rework_count == 1 and order.on_time is True


@pytest.mark.parametrize(
    ("satisfaction", "score", "field"),
    [("great", 5, "satisfaction"), ("satisfied", 0, "score"), ("satisfied", 6, "score")],
)
def test_callback_values_are_checked(hl, order_factory, satisfaction, score, field):
    order = order_factory("callback")
    with pytest.raises(ValidationError) as refused:
        loop.callback(hl.operator, order, satisfaction=satisfaction, score=score)
    assert field in refused.value.message_dict
    assert fresh(order).state == "callback"


def test_an_unreachable_caller_still_closes_the_order(hl, order_factory):
    order = order_factory("callback")
    loop.callback(hl.operator, order, satisfaction="unreachable")
    assert fresh(order).state == "closed"


def test_a_late_reply_is_recorded_as_not_on_time(hl, order_factory, clock):
    clock.set(at(9, 29, 10))
    order = order_factory("handling")
    clock.set(at(10, 20, 10))  # after 10-19 18:00
    loop.reply(hl.gb_handler, order, reply="已处理")
    loop.review(hl.operator, order, approve=True)
    assert fresh(order).on_time is False


# --------------------------------------------------------------------------- 直接答复


def test_a_direct_answer_closes_the_order_and_counts_the_article(hl, order_factory, clock):
    article = KnowledgeArticle.objects.create(
        title="灵活就业人员社保缴费",
        answer="可通过粤税通小程序缴纳。",
        category=hl.social,
        organisation=hl.centre,
        status="published",
        valid_from=dt.date(2026, 1, 1),
    )
    order = order_factory(
        "registered",
        category=None,
        request_type="consult",
        address="",
        latitude=None,
        longitude=None,
        content="灵活就业社保在哪里交？",
    )
    with pytest.raises(ValidationError) as empty:
        loop.answer(hl.operator, order, answer="")
    assert set(empty.value.message_dict) == {"answer"}
    loop.answer(hl.operator, order, answer=article.answer, article=article)
    order = fresh(order)
    assert order.state == "closed" and order.reply == article.answer
    assert order.category == hl.social and order.category_confirmed
    assert order.closed_at is not None and order.on_time is True
    article.refresh_from_db()
    assert article.uses == 1


def test_an_expired_or_draft_article_cannot_be_cited(hl, order_factory):
    draft = KnowledgeArticle.objects.create(
        title="草稿", answer="x", organisation=hl.centre, valid_from=dt.date(2026, 1, 1)
    )
    order = order_factory("registered")
    with pytest.raises(ValidationError) as refused:
        loop.answer(hl.operator, order, answer="x", article=draft)
    assert set(refused.value.message_dict) == {"article"}
    assert fresh(order).state == "registered"


def test_a_street_officer_cannot_answer_or_merge(hl, order_factory):
    order = order_factory("registered")
    with pytest.raises(PermissionDenied):
        loop.answer(hl.gb_handler, order, answer="x")
    assert fresh(order).state == "registered"


# --------------------------------------------------------------------------- the lock


def test_a_stale_revision_is_a_conflict_and_changes_nothing(hl, order_factory):
    order = order_factory("dispatched")
    seen = order.workflow.revision
    first = WorkOrder.objects.get(pk=order.pk)
    second = WorkOrder.objects.get(pk=order.pk)
    loop.sign(hl.gb_handler, first, revision=seen)
    with pytest.raises(workflow.Conflict):
        loop.return_order(hl.gb_handler, second, reason="不属于本街道", revision=seen)
    with pytest.raises(workflow.Conflict):
        loop.sign(hl.gb_handler, WorkOrder.objects.get(pk=order.pk), revision=seen)
    order = fresh(order)
    assert order.state == "handling" and order.return_count == 0
    assert actions(order).count("sign") == 1


def test_two_signs_from_stale_copies_exactly_one_wins(hl, order_factory, make_staff):
    """Two officers open the same order and sign: the second copy is stale."""
    colleague = make_staff(hl.tree.gongbei, "order-handler", name="拱北承办二")
    order = order_factory("dispatched")
    mine = WorkOrder.objects.select_related("workflow").get(pk=order.pk)
    theirs = WorkOrder.objects.select_related("workflow").get(pk=order.pk)
    loop.sign(hl.gb_handler, mine)
    with pytest.raises(workflow.Conflict):
        loop.sign(colleague, theirs)
    assert actions(order).count("sign") == 1


@pytest.mark.django_db(transaction=True)
def test_two_officers_signing_at_once_exactly_one_wins(hl, order_factory, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row updates are exercised on PostgreSQL")
    colleague = make_staff(hl.tree.gongbei, "order-handler", name="拱北承办二")
    order = order_factory("dispatched")
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(actor):
        from django.db import connections

        mine = WorkOrder.objects.select_related("workflow").get(pk=order.pk)
        barrier.wait()
        try:
            loop.sign(actor, mine)
            outcomes.append("won")
        except workflow.Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (hl.gb_handler, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert actions(order).count("sign") == 1
    assert OutboxEvent.objects.filter(type="governance.order.signed").count() == 1
