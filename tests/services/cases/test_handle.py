"""办件 handling by staff: each transition's rule and its refusals (who may not, which fields
are required, from which states), the deadlines on the work calendar around the 2026
National Day holiday (国庆 10-01…10-07, 调休 09-20 and 10-10 worked), 特别程序 pauses,
办结 statistics, bulk acts, the optimistic lock — and, on PostgreSQL, a real race."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from shuzheng.foundation import workflow
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.workflow.calendar import add_working_days, working_days_between
from shuzheng.services.cases.models import Case, SpecialProcedure
from shuzheng.services.cases.services import handle
from shuzheng.services.catalogue.models import ItemVersion

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def at(month, day, hour=10, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


class FrozenClock:
    """``timezone.now()`` for the engine, the calendar-dependent services and these tests."""

    def __init__(self, monkeypatch):
        self.now = at(9, 28)
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def set(self, moment):
        self.now = moment
        return moment


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


class Staff:
    """The people of a small city: a department (政务服务数据管理局) with a window clerk, a
    handler and a head; a window clerk of 斗门区 who must see none of it."""

    def __init__(self, tree, make_staff):
        self.clerk = make_staff(tree.zwfw, "window-clerk", name="窗口受理员")
        self.handler = make_staff(tree.zwfw, "case-handler", name="审查员")
        self.head = make_staff(tree.zwfw, "department-head", name="科长")
        self.elsewhere = make_staff(tree.doumen, "window-clerk", name="斗门窗口")


@pytest.fixture
def staff(tree, make_staff):
    return Staff(tree, make_staff)


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw, promised_limit=5, legal_limit=15)


def history(case) -> list[str]:
    return list(case.workflow.history.order_by("seq").values_list("action", flat=True))


def fresh(case) -> Case:
    return Case.objects.select_related("workflow").get(pk=case.pk)


def reach(case, staff, clock, state, *, start=None):
    """Drive a submitted case through the handling services to ``state``."""
    clock.set(start or at(9, 29))
    handle.accept(staff.clerk, case, opinion="材料齐全")
    if state == "accepted":
        return case
    clock.set(clock.now + dt.timedelta(hours=1))
    handle.start_review(staff.handler, case)
    if state == "review":
        return case
    handle.pass_step(staff.handler, case, opinion="审查通过")
    if state == "last_step":
        return case
    handle.approve(staff.head, case, opinion="同意", legal_basis="《促进个体工商户发展条例》第八条")
    if state == "approved":
        return case
    handle.conclude(staff.handler, case)
    return case


# --------------------------------------------------------------------------- 受理


def test_accept_starts_both_clocks_on_the_work_calendar_across_national_day(
    staff, item, citizen, case_factory, clock
):
    case = case_factory(item, citizen, state="submitted")
    clock.set(at(9, 29))  # Tuesday; 5 working days: 09-30, 10-08, 10-09, 10-10 (调休), 10-12
    handle.accept(staff.clerk, case, opinion="材料齐全")
    case = fresh(case)
    assert case.state == "accepted" and case.sla_state == "running"
    assert case.due_at == dt.datetime(2026, 10, 12, 18, tzinfo=TZ)
    assert case.legal_due_at == dt.datetime(2026, 10, 26, 18, tzinfo=TZ)  # 15 working days
    assert case.accepted_at == at(9, 29)
    assert case.accepted_by == staff.clerk and case.handler == staff.clerk
    assert case.acceptance_doc_no == f"珠政受〔2026〕{case.pk:06d}号"
    assert history(case)[-1] == "accept"


def test_a_clerk_of_another_department_cannot_accept_and_nothing_is_written(
    staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    before = history(case)
    with pytest.raises(PermissionDenied):
        handle.accept(staff.elsewhere, case, opinion="材料齐全")
    case = fresh(case)
    assert case.state == "submitted" and case.accepted_at is None and history(case) == before


def test_a_handler_without_the_accept_capability_cannot_accept(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    with pytest.raises(PermissionDenied):
        handle.accept(staff.handler, case)
    assert fresh(case).state == "submitted"


def test_a_window_clerk_cannot_approve(staff, item, citizen, case_factory, clock):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    with pytest.raises(PermissionDenied):
        handle.approve(staff.clerk, case, opinion="同意", legal_basis="第八条")
    case = fresh(case)
    assert case.state == "review" and case.result == "" and case.decided_at is None


def test_accepting_twice_is_not_allowed_from_the_new_state(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    handle.accept(staff.clerk, case)
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        handle.accept(staff.clerk, case)
    assert "已受理" in refused.value.messages[0]


def test_decisions_and_conclusion_are_not_allowed_before_review(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    with pytest.raises(workflow.TransitionNotAllowed):
        handle.approve(staff.head, case, opinion="同意", legal_basis="第八条")
    with pytest.raises(workflow.TransitionNotAllowed):
        handle.conclude(staff.handler, case)
    with pytest.raises(workflow.TransitionNotAllowed):
        handle.deliver(staff.clerk, case, method="online")
    assert fresh(case).state == "submitted" and history(case) == ["start", "submit"]


# --------------------------------------------------------------------------- 不予受理 / 补正


def test_reject_needs_a_reason_and_writes_nothing_without_one(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    with pytest.raises(ValidationError) as refused:
        handle.reject(staff.clerk, case, reason="   ")
    assert set(refused.value.message_dict) == {"reason"}
    case = fresh(case)
    assert case.state == "submitted" and history(case) == ["start", "submit"]
    assert not OutboxEvent.objects.filter(type="services.case.rejected").exists()


def test_reject_is_final_and_keeps_the_reason(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    handle.reject(staff.clerk, case, reason="不属于本部门职权范围")
    case = fresh(case)
    assert case.state == "rejected" and case.is_final
    assert case.result_description == "不属于本部门职权范围"
    assert case.workflow.history.last().reason == "不属于本部门职权范围"
    with pytest.raises(workflow.TransitionNotAllowed):
        handle.accept(staff.clerk, case)


def test_correction_lists_every_reason_and_a_deadline_in_working_days(
    staff, item, citizen, case_factory, clock
):
    case = case_factory(item, citizen, state="submitted")
    clock.set(at(9, 29, 16))
    handle.request_correction(
        staff.clerk, case, reasons=["身份证明不清晰", " ", "经营场所证明缺少盖章"], days=5
    )
    case = fresh(case)
    assert case.state == "correction" and case.corrections == 1
    assert case.correction_reasons == ["身份证明不清晰", "经营场所证明缺少盖章"]
    assert case.correction_due == dt.date(2026, 10, 12)  # skips 国庆, counts 10-10 (调休)
    assert case.correction_due == add_working_days(dt.date(2026, 9, 29), 5)
    assert case.sla_state == ""  # the promised clock has not started
    record = case.workflow.history.last()
    assert record.reason == "身份证明不清晰；经营场所证明缺少盖章"
    assert record.data == {"reasons": case.correction_reasons, "days": 5}


@pytest.mark.parametrize(
    ("reasons", "days", "fields"),
    [
        ([], 5, {"reasons"}),
        (["", "  "], 5, {"reasons"}),
        (["缺章"], 0, {"days"}),
        ([], 99, {"reasons", "days"}),
    ],
)
def test_correction_without_reasons_or_with_a_bad_deadline_is_refused(
    staff, item, citizen, case_factory, reasons, days, fields
):
    case = case_factory(item, citizen, state="submitted")
    with pytest.raises(ValidationError) as refused:
        handle.request_correction(staff.clerk, case, reasons=reasons, days=days)
    assert set(refused.value.message_dict) == fields
    case = fresh(case)
    assert case.state == "submitted" and case.corrections == 0 and case.correction_due is None
    assert history(case) == ["start", "submit"]


# --------------------------------------------------------------------------- 审查


def test_review_passes_its_steps_in_order_before_a_decision(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    assert fresh(case).handler == staff.handler and case.review_step == 0
    with pytest.raises(ValidationError) as early:  # 审批 (the second step) not reached yet
        handle.approve(staff.head, case, opinion="同意", legal_basis="第八条")
    assert "审批" in early.value.messages[0]
    with pytest.raises(ValidationError) as blank:
        handle.pass_step(staff.handler, case, opinion="")
    assert set(blank.value.message_dict) == {"opinion"}
    handle.pass_step(staff.handler, case, opinion="材料真实有效")
    assert fresh(case).review_step == 1
    with pytest.raises(ValidationError) as last:
        handle.pass_step(staff.head, case, opinion="再审")
    assert "最后一个审查环节" in last.value.messages[0]
    assert fresh(case).review_step == 1


def test_the_clerk_cannot_sign_for_review(staff, item, citizen, case_factory, clock):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "accepted")
    with pytest.raises(PermissionDenied):
        handle.start_review(staff.clerk, case)


# --------------------------------------------------------------------------- 决定


def test_approve_without_a_legal_basis_is_a_field_error_and_writes_nothing(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    before = history(case)
    with pytest.raises(ValidationError) as refused:
        handle.approve(staff.head, case, opinion="同意", legal_basis=" ")
    assert set(refused.value.message_dict) == {"legal_basis"}
    case = fresh(case)
    assert case.state == "review" and case.decided_at is None and history(case) == before


def test_approve_records_the_decision_and_numbers_the_licence(
    staff, item, citizen, case_factory, clock
):
    ItemVersion.objects.filter(pk=item.current_id).update(result_name="营业执照")
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    clock.set(at(10, 8, 15))
    handle.approve(staff.head, case, opinion="符合条件", legal_basis="《条例》第八条")
    case = fresh(case)
    assert case.state == "approved" and case.result == "granted"
    assert case.decision_basis == "《条例》第八条" and case.result_description == "符合条件"
    assert case.decided_at == at(10, 8, 15)
    assert case.licence_name == "营业执照" and case.licence_number == f"ZH2026{case.pk:010d}"
    assert case.workflow.history.last().data == {"legal_basis": "《条例》第八条"}


def test_a_given_licence_number_is_kept_and_an_item_without_a_result_name_gets_none(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    handle.approve(staff.head, case, opinion="同意", legal_basis="第八条")
    assert fresh(case).licence_name == "" and fresh(case).licence_number == ""
    other = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    handle.approve(staff.head, other, opinion="同意", legal_basis="第八条", licence_number="X-1")
    assert fresh(other).licence_number == "X-1"


def test_deny_needs_both_a_reason_and_a_legal_basis(staff, item, citizen, case_factory, clock):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    with pytest.raises(ValidationError) as refused:
        handle.deny(staff.head, case, reason="", legal_basis="")
    assert set(refused.value.message_dict) == {"reason", "legal_basis"}
    assert fresh(case).state == "review"
    handle.deny(staff.head, case, reason="经营场所不符合规划", legal_basis="《条例》第十条")
    case = fresh(case)
    assert case.state == "denied" and case.result == "refused"
    assert case.result_description == "经营场所不符合规划"
    assert case.decision_basis == "《条例》第十条"


# --------------------------------------------------------------------------- 特别程序


def test_a_special_procedure_pauses_the_clock_and_moves_both_deadlines_by_its_working_days(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    promised, legal = fresh(case).due_at, fresh(case).legal_due_at
    assert promised.date() == dt.date(2026, 10, 12) and legal.date() == dt.date(2026, 10, 26)
    clock.set(at(9, 30))
    handle.start_special(
        staff.handler, case, kind="expert_review", reason="需组织专家评审", planned_days=3
    )
    case = fresh(case)
    assert case.state == "special" and case.sla_state == "paused"
    special = SpecialProcedure.objects.get(case=case)
    assert special.started_by == staff.handler and special.ended_at is None
    clock.set(at(10, 9))
    handle.end_special(staff.handler, case, result="专家评审通过")
    case = fresh(case)
    paused = working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 9))
    assert paused == 2  # 10-08, 10-09: the holiday in between costs nothing
    assert case.state == "review" and case.sla_state == "running"
    assert case.due_at.date() == add_working_days(promised.date(), paused) == dt.date(2026, 10, 14)
    assert case.legal_due_at.date() == add_working_days(legal.date(), paused)
    special.refresh_from_db()
    assert special.ended_at == at(10, 9) and special.result == "专家评审通过"


def test_a_special_procedure_needs_a_known_kind_and_a_reason(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    with pytest.raises(ValidationError) as refused:
        handle.start_special(staff.handler, case, kind="séance", reason="", planned_days="x")
    assert set(refused.value.message_dict) == {"kind", "reason", "planned_days"}
    case = fresh(case)
    assert case.state == "review" and not SpecialProcedure.objects.exists()
    with pytest.raises(ValidationError):
        handle.end_special(staff.handler, case, result="结束")  # none is running


# --------------------------------------------------------------------------- 办结 / 送达


def test_conclusion_on_time_counts_working_days_without_the_special_procedure(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    clock.set(at(9, 30))
    handle.start_special(staff.handler, case, kind="testing", reason="需检测")
    clock.set(at(10, 9))
    handle.end_special(staff.handler, case, result="检测合格")
    handle.pass_step(staff.handler, case, opinion="通过")
    handle.approve(staff.head, case, opinion="同意", legal_basis="第八条")
    clock.set(at(10, 13))
    handle.conclude(staff.handler, case)
    case = fresh(case)
    assert case.state == "concluded" and case.sla_state == "stopped"
    assert case.concluded_at == at(10, 13)
    # 09-30, 10-08, 10-09, 10-10, 10-12, 10-13 = 6 working days, 2 of them in 特别程序
    assert case.working_days_used == 4
    assert case.overdue is False


def test_conclusion_after_the_promised_deadline_is_flagged_overdue(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "approved")
    clock.set(at(10, 13))  # due 10-12 18:00
    handle.conclude(staff.handler, case)
    case = fresh(case)
    assert case.overdue is True and case.working_days_used == 6


def test_delivery_records_the_method_and_refuses_an_unknown_one(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "concluded")
    with pytest.raises(ValidationError) as refused:
        handle.deliver(staff.clerk, case, method="pigeon")
    assert set(refused.value.message_dict) == {"method"}
    assert fresh(case).state == "concluded"
    clock.set(at(10, 10, 9))
    handle.deliver(staff.clerk, case, method="express")
    case = fresh(case)
    assert case.state == "delivered" and case.delivery_method == "express"
    assert case.delivered_at == at(10, 10, 9)


# --------------------------------------------------------------------------- events


def test_each_act_publishes_a_services_event_with_identifiers_only(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "concluded")
    types = list(
        OutboxEvent.objects.filter(type__startswith="services.case.")
        .order_by("created_at", "id")
        .values_list("type", flat=True)
    )
    assert types == [
        "services.case.accepted",
        "services.case.review_started",
        "services.case.step_passed",
        "services.case.approved",
        "services.case.concluded",
    ]
    concluded = OutboxEvent.objects.get(type="services.case.concluded").payload
    assert concluded["number"] == case.number and concluded["state"] == "concluded"
    assert concluded["item"] == item.implementation_code
    assert concluded["organisation"] == item.organisation_id
    assert citizen.person.id_number not in str(concluded)


# --------------------------------------------------------------------------- the lock


def test_a_stale_revision_is_a_conflict_and_changes_nothing(staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    seen = case.workflow.revision
    other = Case.objects.get(pk=case.pk)
    handle.request_correction(staff.clerk, other, reasons=["补充照片"], revision=seen)
    with pytest.raises(workflow.Conflict):
        handle.reject(staff.clerk, Case.objects.get(pk=case.pk), reason="不符", revision=seen)
    case = fresh(case)
    assert case.state == "correction" and history(case)[-1] == "request_correction"


@pytest.mark.django_db(transaction=True)
def test_two_heads_approving_at_once_exactly_one_wins(tree, make_staff, item_factory):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row updates are exercised on PostgreSQL")
    from tests.services.conftest import make_case, make_citizen

    staff = Staff(tree, make_staff)
    second = make_staff(tree.zwfw, "department-head", name="副科长")
    case = make_case(item_factory(tree.zwfw), make_citizen(), state="review")
    handle.pass_step(staff.handler, case, opinion="通过")
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(actor):
        from django.db import connections

        mine = Case.objects.select_related("workflow").get(pk=case.pk)
        barrier.wait()
        try:
            handle.approve(actor, mine, opinion="同意", legal_basis="第八条")
            outcomes.append("won")
        except workflow.Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (staff.head, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]
    case = fresh(case)
    assert case.state == "approved"
    assert case.workflow.history.filter(action="approve").count() == 1
    assert OutboxEvent.objects.filter(type="services.case.approved").count() == 1


# --------------------------------------------------------------------------- bulk


def test_bulk_sign_for_review_succeeds_per_case_and_reports_each_refusal(
    staff, item, citizen, case_factory, clock
):
    ready = [reach(case_factory(item, citizen, state="submitted"), staff, clock, "accepted")]
    ready.append(reach(case_factory(item, citizen, state="submitted"), staff, clock, "accepted"))
    waiting = case_factory(item, citizen, state="submitted")
    outcomes = handle.bulk(staff.handler, [*ready, waiting], "start_review")
    assert [(c.pk, ok) for c, ok, _m in outcomes] == [
        (ready[0].pk, True),
        (ready[1].pk, True),
        (waiting.pk, False),
    ]
    assert "已申报" in outcomes[2][2]
    assert [fresh(c).state for c in ready] == ["review", "review"]
    assert fresh(waiting).state == "submitted"


def test_bulk_delivery_needs_a_method_and_unsafe_acts_are_refused_in_bulk(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    for action in ("approve", "deny", "accept", "reject", "withdraw"):
        with pytest.raises(ValidationError) as refused:
            handle.bulk(staff.head, [case], action, opinion="同意", legal_basis="x")
        assert set(refused.value.message_dict) == {"action"}
    with pytest.raises(ValidationError) as no_method:
        handle.bulk(staff.clerk, [case], "deliver")
    assert set(no_method.value.message_dict) == {"method"}
    assert fresh(case).state == "review"


def test_bulk_conclusion_by_a_clerk_of_another_department_is_refused_per_case(
    staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "approved")
    ((_case, ok, message),) = handle.bulk(staff.elsewhere, [case], "conclude")
    assert not ok and message
    assert fresh(case).state == "approved"


# --------------------------------------------------------------------------- the calendar


def test_a_typhoon_closure_moves_the_deadlines_the_queues_read(
    tree, make_staff, staff, item, citizen, case_factory, clock, django_capture_on_commit_callbacks
):
    from shuzheng.foundation.workflow.calendar import services as work_calendar
    from shuzheng.foundation.workflow.calendar.models import DayKind

    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    assert fresh(case).due_at.date() == dt.date(2026, 10, 12)
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    with django_capture_on_commit_callbacks(execute=True):
        work_calendar.declare_day(
            admin, date=dt.date(2026, 10, 9), kind=DayKind.CLOSURE, name="台风停工"
        )
    case = fresh(case)
    assert case.due_at.date() == dt.date(2026, 10, 13) == case.workflow.due_at.date()
    assert case.legal_due_at.date() == dt.date(2026, 10, 27)
