"""Who is told about a 办件: the applicant (owner) at each step that concerns them, with the
reasons and deadlines they need; the responsible staff when the SLA sweep warns. Nobody
else hears anything."""

import datetime as dt

import pytest

from shuzheng.foundation.events.notifications.models import Message
from shuzheng.foundation.workflow import services as engine
from shuzheng.services.cases.services import handle
from tests.services.cases.test_handle import FrozenClock, Staff, at, fresh, reach

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


@pytest.fixture
def staff(tree, make_staff):
    return Staff(tree, make_staff)


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw, promised_limit=5, legal_limit=15)


def inbox(user):
    return list(Message.objects.filter(recipient=user).order_by("pk"))


def test_the_applicant_is_told_of_submission_acceptance_and_approval_and_nobody_else(
    staff, item, citizen, other_citizen, case_factory, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_factory(item, citizen, state="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        reach(case, staff, clock, "approved")
    titles = [m.title for m in inbox(citizen)]
    assert titles == ["申请已提交", "您的申请已受理", "您的申请已准予"]
    accepted = inbox(citizen)[1]
    case = fresh(case)
    assert case.number in accepted.body and case.acceptance_doc_no in accepted.body
    assert "2026-10-12 18:00" in accepted.body  # the promised deadline, local time
    assert accepted.link == f"/my/cases/{case.number}/"
    assert inbox(other_citizen) == []
    # staff do not get the applicant's messages
    assert not Message.objects.exclude(recipient=citizen).exists()


def test_the_correction_notice_lists_every_reason_and_the_deadline(
    staff, item, citizen, case_factory, clock, django_capture_on_commit_callbacks
):
    case = case_factory(item, citizen, state="submitted")
    clock.set(at(9, 29))
    with django_capture_on_commit_callbacks(execute=True):
        handle.request_correction(
            staff.clerk, case, reasons=["身份证明不清晰", "缺少场所证明"], days=5
        )
    (message,) = inbox(citizen)
    assert message.title == "请补齐补正申请材料"
    assert "身份证明不清晰；缺少场所证明" in message.body and "2026-10-12" in message.body


def test_each_event_reads_the_case_afresh(
    staff, item, citizen, case_factory, clock, django_capture_on_commit_callbacks
):
    """One event loads its case once; the next event must not see the previous one's copy."""
    from shuzheng.services.cases import notifications
    from shuzheng.services.cases.services import apply

    case = case_factory(item, citizen, state="submitted")
    clock.set(at(9, 29))
    for reason in ("第一次补正", "第二次补正"):
        with django_capture_on_commit_callbacks(execute=True):
            handle.request_correction(staff.clerk, fresh(case), reasons=[reason], days=5)
        if reason == "第一次补正":
            with django_capture_on_commit_callbacks(execute=True):
                apply.resubmit(citizen, fresh(case))
    assert notifications._event_cases.get() is None  # the memo lives only during an event
    notices = [m.body for m in inbox(citizen) if "补正" in m.title]
    assert any("第二次补正" in body and "第一次补正" not in body for body in notices)


def test_rejection_denial_conclusion_and_delivery_reach_the_applicant_with_the_reasons(
    staff, item, citizen, case_factory, clock, django_capture_on_commit_callbacks
):
    rejected = case_factory(item, citizen, state="submitted")
    denied = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    with django_capture_on_commit_callbacks(execute=True):
        handle.reject(staff.clerk, rejected, reason="不属于本部门受理范围")
        handle.deny(staff.head, denied, reason="场所不符合规划", legal_basis="《条例》第十条")
        handle.conclude(staff.handler, denied)
        handle.deliver(staff.clerk, denied, method="window")
    bodies = {m.title: m.body for m in inbox(citizen)}
    assert "不属于本部门受理范围" in bodies["您的申请不予受理"]
    assert "场所不符合规划" in bodies["您的申请不予准予"]
    assert "《条例》第十条" in bodies["您的申请不予准予"]
    assert "不予" in bodies["您的申请已办结"]
    assert "窗口领取" in bodies["办理结果已送达"]


def test_a_failed_act_tells_nobody(
    staff, item, citizen, case_factory, django_capture_on_commit_callbacks
):
    case = case_factory(item, citizen, state="submitted")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):  # noqa: B017
        handle.reject(staff.elsewhere, case, reason="x")
    assert inbox(citizen) == []


def test_the_sla_sweep_warns_the_handler_and_the_departments_reviewers(
    staff, item, citizen, case_factory, clock, django_capture_on_commit_callbacks
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    due = fresh(case).due_at
    with django_capture_on_commit_callbacks(execute=True):
        engine.check_deadlines(now=due - dt.timedelta(hours=2))
    warned = set(Message.objects.filter(title="办件即将超期").values_list("recipient", flat=True))
    assert warned == {staff.handler.pk, staff.head.pk}  # cases.review on the department
    message = Message.objects.filter(recipient=staff.handler).get()
    assert case.number in message.body and "审查" in message.body
    assert message.link == f"/workbench/cases/{case.number}/"
    with django_capture_on_commit_callbacks(execute=True):
        engine.check_deadlines(now=due + dt.timedelta(minutes=1))
    overdue = set(Message.objects.filter(title="办件已超期").values_list("recipient", flat=True))
    assert overdue == {staff.handler.pk, staff.head.pk}
    assert not Message.objects.filter(recipient__in=[staff.elsewhere, citizen]).exists()
