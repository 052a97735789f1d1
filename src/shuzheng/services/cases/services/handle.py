"""办件 handling by staff: 受理 / 不予受理 / 补齐补正, 审查 and its 环节, 特别程序, 准予 /
不予准予, 办结 and 送达 — the state table of ``workflow.yaml``, each act one transaction.

Every act goes through ``common.move`` (the engine checks the transition's permission, the
optimistic lock on the revision the actor saw, writes the history row, the audit record
and ``workflow.services.case.<action>``); this module checks the act's own fields first
(so a missing 法律依据 is a field error and nothing is written), then records the act's
business facts on the case and publishes ``services.case.<event>`` for other networks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shuzheng.foundation import access, events, workflow
from shuzheng.foundation.workflow.calendar import Clock, add_working_days, working_days_between
from shuzheng.foundation.workflow.calendar.calendar import time_zone
from shuzheng.services.cases.models import (
    Case,
    DeliveryMethod,
    Result,
    SpecialKind,
    SpecialProcedure,
)
from shuzheng.services.cases.services import common

# The acts a clerk may apply to many cases at once: none of them needs a per-case opinion.
BULK_ACTIONS = ("start_review", "conclude", "deliver")
CORRECTION_DAYS_MAX = 30
TEXT_MAX = 2000

# services.case.<event> published after each act (past tense: what happened).
EVENTS = {
    "accept": "accepted",
    "reject": "rejected",
    "request_correction": "correction_requested",
    "start_review": "review_started",
    "pass_step": "step_passed",
    "start_special": "special_started",
    "end_special": "special_ended",
    "approve": "approved",
    "deny": "denied",
    "conclude": "concluded",
    "deliver": "delivered",
}


# --------------------------------------------------------------------------- helpers


def _field(field: str, message, code: str = "required") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value, field: str, message) -> str:
    """A required free text (意见, 理由, 法律依据): stripped, not blank, not too long."""
    text = str(value or "").strip()
    if not text:
        raise _field(field, message)
    if len(text) > TEXT_MAX:
        raise _field(field, _("不能超过 %(n)s 个字符") % {"n": TEXT_MAX}, code="max_length")
    return text


def _enter(actor, case: Case, action: str, revision: int | None) -> None:
    """The engine's entry checks (revision, state, permission) before the act's own field
    checks, so an actor who may not act — or acts on a case that has moved — learns that
    first, in the engine's words."""
    instance = case.workflow
    instance.subject = case
    workflow.check_transition(actor, instance, action, revision=revision)


def _moment(case: Case) -> dt.datetime:
    """The time the engine stamped on the transition just taken (the clock's time)."""
    return case.workflow.updated_at


def _record(case: Case, **fields) -> None:
    """Write the act's business facts onto the case (after ``move`` copied the state)."""
    for name, value in fields.items():
        setattr(case, name, value)
    Case.objects.filter(pk=case.pk).update(**fields)


def _person(actor):
    return actor if getattr(actor, "pk", None) and actor is not access.SYSTEM else None


def _publish(case: Case, action: str, **extra) -> None:
    """``services.case.<event>``: identifiers and codes for other networks (好差评, 审管结合,
    notifications); free texts stay on the case, never in the outbox."""
    payload = {
        "number": case.number,
        "item": case.item.implementation_code,
        "organisation": case.organisation_id,
        "state": case.state,
        **extra,
    }
    events.publish(f"services.case.{EVENTS[action]}", payload, key=case.number or "")


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(time_zone()).date()


def acceptance_doc_no(case: Case, at: dt.datetime) -> str:
    """受理文书编号, e.g. 珠政受〔2026〕000123号: unique because the sequence is the case's key."""
    return f"珠政受〔{_local_date(at).year}〕{case.pk:06d}号"  # an identifier: never translated


def new_licence_number(case: Case, at: dt.datetime) -> str:
    """结果证照编号 when the item issues a named result and none was given."""
    return f"ZH{_local_date(at).year}{case.pk:010d}"


def legal_due(case: Case) -> dt.datetime | None:
    """法定办结时间: the pinned version's 法定时限 from the acceptance time on the work
    calendar, extended by every ended 特别程序 (行政许可法 第四十五条: hearings, testing,
    expert review … do not count)."""
    if case.accepted_at is None:
        return None
    version = case.item_version
    clock = Clock.start(case.accepted_at, version.legal_limit, version.legal_limit_unit)
    for special in case.special_procedures.order_by("started_at", "pk"):
        if special.ended_at is None:
            continue
        clock.pause(max(special.started_at, case.accepted_at))
        clock.resume(special.ended_at)
    return clock.due_at


def paused_working_days(case: Case) -> int:
    """Working days spent in ended 特别程序 (each counted like the SLA clock counts a pause)."""
    total = 0
    for special in case.special_procedures.exclude(ended_at__isnull=True):
        total += max(0, working_days_between(special.started_at, special.ended_at))
    return total


# --------------------------------------------------------------------------- 受理


@transaction.atomic
def accept(actor, case: Case, *, opinion: str = "", revision: int | None = None) -> Case:
    """受理: the promised time limit starts now (the engine's clock); the 法定 limit too."""
    _enter(actor, case, "accept", revision)
    common.move(actor, case, "accept", revision=revision, opinion=str(opinion or "").strip())
    at = _moment(case)
    case.accepted_at = at
    _record(
        case,
        accepted_at=at,
        accepted_by=_person(actor),
        handler=_person(actor),
        acceptance_doc_no=acceptance_doc_no(case, at),
        legal_due_at=legal_due(case),
    )
    _publish(case, "accept", due_at=case.due_at, legal_due_at=case.legal_due_at)
    return case


@transaction.atomic
def reject(actor, case: Case, *, reason: str, revision: int | None = None) -> Case:
    """不予受理: final, and the applicant is told why."""
    _enter(actor, case, "reject", revision)
    reason = _text(reason, "reason", _("不予受理须写明理由"))
    common.move(actor, case, "reject", revision=revision, reason=reason)
    _record(case, result_description=reason, handler=_person(actor))
    _publish(case, "reject")
    return case


@transaction.atomic
def request_correction(
    actor, case: Case, *, reasons: Iterable[str], days: int = 5, revision: int | None = None
) -> Case:
    """补齐补正: tell the applicant at once and in full what to supply, by a deadline in
    working days (一次性告知); the case waits for the applicant's resubmission."""
    _enter(actor, case, "request_correction", revision)
    if isinstance(reasons, str):
        reasons = reasons.splitlines()
    items = [str(r).strip() for r in (reasons or []) if str(r or "").strip()]
    errors = {}
    if not items:
        errors["reasons"] = ValidationError(_("请逐项列明需要补正的内容"), code="required")
    elif sum(len(r) for r in items) > TEXT_MAX:
        errors["reasons"] = ValidationError(
            _("不能超过 %(n)s 个字符") % {"n": TEXT_MAX}, code="max_length"
        )
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= CORRECTION_DAYS_MAX:
        errors["days"] = ValidationError(
            _("补正期限应为 1 至 %(n)s 个工作日") % {"n": CORRECTION_DAYS_MAX}, code="range"
        )
    if errors:
        raise ValidationError(errors)
    common.move(
        actor,
        case,
        "request_correction",
        revision=revision,
        reason="；".join(items),
        data={"reasons": items, "days": days},
    )
    at = _moment(case)
    due = add_working_days(_local_date(at), days)
    Case.objects.filter(pk=case.pk).update(corrections=F("corrections") + 1)
    case.corrections = (case.corrections or 0) + 1
    _record(case, correction_reasons=items, correction_due=due, handler=_person(actor))
    _publish(case, "request_correction", correction_due=due, corrections=case.corrections)
    return case


# --------------------------------------------------------------------------- 审查


@transaction.atomic
def start_review(actor, case: Case, *, revision: int | None = None) -> Case:
    """签收: the handler takes the case into 审查 (its first 环节)."""
    _enter(actor, case, "start_review", revision)
    common.move(actor, case, "start_review", revision=revision)
    _record(case, handler=_person(actor))
    _publish(case, "start_review", step=case.review_step)
    return case


@transaction.atomic
def pass_step(actor, case: Case, *, opinion: str, revision: int | None = None) -> Case:
    """审查环节通过: the opinion is recorded and the case moves to the next 环节."""
    _enter(actor, case, "pass_step", revision)
    opinion = _text(opinion, "opinion", _("请填写本环节的审查意见"))
    common.move(actor, case, "pass_step", revision=revision, opinion=opinion)
    Case.objects.filter(pk=case.pk).update(review_step=F("review_step") + 1)
    case.review_step = Case.objects.values_list("review_step", flat=True).get(pk=case.pk)
    _record(case, handler=_person(actor))
    _publish(case, "pass_step", step=case.review_step)
    return case


@transaction.atomic
def start_special(
    actor,
    case: Case,
    *,
    kind: str,
    reason: str,
    planned_days: int | None = None,
    revision: int | None = None,
) -> Case:
    """特别程序 (检验、检测、鉴定、专家评审、听证、公示 …): the promised clock pauses."""
    _enter(actor, case, "start_special", revision)
    errors = {}
    if kind not in SpecialKind.values:
        errors["kind"] = ValidationError(_("请选择特别程序种类"), code="invalid_choice")
    try:
        reason = _text(reason, "reason", _("请写明启动特别程序的理由"))
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if planned_days in ("", None):
        planned_days = None
    else:
        try:
            planned_days = int(planned_days)
        except (TypeError, ValueError):
            planned_days = -1
        if not 1 <= planned_days <= 365:
            errors["planned_days"] = ValidationError(
                _("预计时长应为 1 至 365 个工作日"), code="range"
            )
    if errors:
        raise ValidationError(errors)
    common.move(
        actor,
        case,
        "start_special",
        revision=revision,
        reason=reason,
        data={"kind": kind, "planned_days": planned_days},
    )
    SpecialProcedure.objects.create(
        case=case,
        kind=kind,
        reason=reason,
        planned_days=planned_days,
        started_at=_moment(case),
        started_by=_person(actor),
    )
    _publish(case, "start_special", kind=kind)
    return case


@transaction.atomic
def end_special(actor, case: Case, *, result: str, revision: int | None = None) -> Case:
    """特别程序结束: the clock resumes and both deadlines move by the paused working time."""
    _enter(actor, case, "end_special", revision)
    result = _text(result, "result", _("请填写特别程序的结果"))
    common.move(actor, case, "end_special", revision=revision, opinion=result)
    at = _moment(case)
    special = (
        SpecialProcedure.objects.select_for_update()
        .filter(case=case, ended_at__isnull=True)
        .order_by("-started_at", "-pk")
        .first()
    )
    if special is not None:
        special.ended_at, special.result = at, result
        special.save(update_fields=["ended_at", "result"])
    _record(case, legal_due_at=legal_due(case))
    _publish(case, "end_special", due_at=case.due_at, legal_due_at=case.legal_due_at)
    return case


# --------------------------------------------------------------------------- 决定


def _decision_fields(**texts) -> dict:
    """Check a decision's texts together, so every missing one is reported at once."""
    clean, errors = {}, {}
    for field, (value, message) in texts.items():
        try:
            clean[field] = _text(value, field, message)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def approve(
    actor,
    case: Case,
    *,
    opinion: str,
    legal_basis: str,
    licence_number: str = "",
    revision: int | None = None,
) -> Case:
    """准予: a decision states its opinion and its legal basis; a named result (证照)
    gets its number."""
    _enter(actor, case, "approve", revision)
    clean = _decision_fields(
        opinion=(opinion, _("请填写审批意见")),
        legal_basis=(legal_basis, _("作出决定须写明法律依据")),
    )
    number = str(licence_number or "").strip()
    if len(number) > 60:
        raise _field("licence_number", _("证照编号不能超过 60 个字符"), code="max_length")
    common.move(
        actor,
        case,
        "approve",
        revision=revision,
        opinion=clean["opinion"],
        data={"legal_basis": clean["legal_basis"]},
    )
    at = _moment(case)
    name = case.item_version.result_name
    if name and not number:
        number = new_licence_number(case, at)
    _record(
        case,
        result=Result.GRANTED,
        result_description=clean["opinion"],
        decision_basis=clean["legal_basis"],
        decided_at=at,
        licence_name=name,
        licence_number=number if name or number else "",
        handler=_person(actor),
    )
    _publish(case, "approve", result=case.result, licence_name=name)
    return case


@transaction.atomic
def deny(actor, case: Case, *, reason: str, legal_basis: str, revision: int | None = None) -> Case:
    """不予准予: the reason and the legal basis are both required (行政许可法 第三十八条)."""
    _enter(actor, case, "deny", revision)
    clean = _decision_fields(
        reason=(reason, _("不予准予须说明理由")),
        legal_basis=(legal_basis, _("作出决定须写明法律依据")),
    )
    common.move(
        actor,
        case,
        "deny",
        revision=revision,
        reason=clean["reason"],
        data={"legal_basis": clean["legal_basis"]},
    )
    _record(
        case,
        result=Result.REFUSED,
        result_description=clean["reason"],
        decision_basis=clean["legal_basis"],
        decided_at=_moment(case),
        handler=_person(actor),
    )
    _publish(case, "deny", result=case.result)
    return case


# --------------------------------------------------------------------------- 办结 / 送达


@transaction.atomic
def conclude(actor, case: Case, *, revision: int | None = None) -> Case:
    """办结: the clock stops; whether it was late and how many working days it took
    (特别程序 excluded) are kept for 电子监察."""
    _enter(actor, case, "conclude", revision)
    common.move(actor, case, "conclude", revision=revision)
    at = _moment(case)
    used = None
    if case.accepted_at is not None:
        used = max(0, working_days_between(case.accepted_at, at) - paused_working_days(case))
    _record(
        case,
        concluded_at=at,
        overdue=bool(case.due_at and at > case.due_at),
        working_days_used=used,
    )
    _publish(
        case,
        "conclude",
        result=case.result,
        overdue=case.overdue,
        working_days_used=used,
        channel=case.channel,
    )
    return case


@transaction.atomic
def deliver(actor, case: Case, *, method: str, revision: int | None = None) -> Case:
    """送达: the result reaches the applicant online (电子证照), at the window or by post."""
    _enter(actor, case, "deliver", revision)
    if method not in DeliveryMethod.values:
        raise _field("method", _("请选择送达方式"), code="invalid_choice")
    common.move(actor, case, "deliver", revision=revision, data={"method": method})
    _record(case, delivery_method=method, delivered_at=_moment(case))
    _publish(case, "deliver", method=method)
    return case


# --------------------------------------------------------------------------- 批量


ACTS = {
    "accept": accept,
    "reject": reject,
    "request_correction": request_correction,
    "start_review": start_review,
    "pass_step": pass_step,
    "start_special": start_special,
    "end_special": end_special,
    "approve": approve,
    "deny": deny,
    "conclude": conclude,
    "deliver": deliver,
}


def outcome_message(exc: Exception) -> str:
    """One line for a refused act (a page message, a bulk row)."""
    if isinstance(exc, workflow.Conflict):
        return _("该办件已被他人处理，请刷新后重试")
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or _("无权执行此操作")


def bulk(actor, cases: Iterable[Case], action: str, **kw) -> list[tuple[Case, bool, str]]:
    """批量签收 / 批量办结 / 批量送达: the same act on many cases, each in its own
    transaction, so one refusal stops nothing else; returns (case, ok, message) per case.
    Acts that need a per-case opinion or decision are never done in bulk."""
    if action not in BULK_ACTIONS:
        raise _field(
            "action",
            _("“%(action)s”不能批量办理，只能逐件办理") % {"action": action},
            code="not_bulk",
        )
    if action == "deliver" and kw.get("method") not in DeliveryMethod.values:
        raise _field("method", _("请选择送达方式"), code="invalid_choice")
    act = ACTS[action]
    outcomes = []
    for case in cases:
        try:
            with transaction.atomic():
                act(actor, case, **kw)
            outcomes.append((case, True, ""))
        except (ValidationError, PermissionDenied, workflow.Conflict) as exc:
            outcomes.append((case, False, outcome_message(exc)))
    return outcomes
