"""The 12345 loop after 受理 — the state table of ``workflow.yaml``, each act one
transaction:

直接答复 → 办结 | 并入重复工单 | 派单 (city → district → street 下派, or a department) →
签收 | 退单 (reason) → 改派 → … → 办理 (⇄ 延期申请 → 批准 / 驳回) → 回复 → 审核 (通过 →
回访 | 退回 → 办理) → 回访 (满意 / 基本满意 / 无法联系 → 办结归档 | 不满意 → 重办), and 催办 /
督办 by hand.

Every act first takes the engine's entry checks (revision, state, the permission on the unit
that holds the order), then checks its own fields (a missing reason is a field error and
nothing is written), then moves through ``common.move`` (history, the engine's audit and
``workflow.governance.order.<action>``), records its business facts on the order, writes
its own audit entry and publishes ``governance.order.<event>`` (``EVENTS``), from which the
people concerned are notified (``notifications``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shuzheng.foundation import access, events, workflow
from shuzheng.foundation.trust import audit
from shuzheng.foundation.workflow.calendar.calendar import (
    HOURS,
    NATURAL_DAYS,
    WORKING_DAYS,
    WORKING_HOURS,
    Clock,
    add_working_days,
    office_hours,
    time_zone,
)
from shuzheng.foundation.workflow.models import WorkflowInstance
from shuzheng.governance.hotline.models import (
    TIMED_STATES,
    KnowledgeArticle,
    Satisfaction,
    Urge,
    UrgeKind,
    WorkOrder,
)
from shuzheng.governance.hotline.services import common, intake, urging

TEXT_MAX = 2000
REPLY_MAX = 4000
EXTENSION_DAYS_MAX = 30
EXTENSION_REASON_MAX = 500  # WorkOrder.extension_reason
COMMENT_MAX = 500  # WorkOrder.callback_comment / Urge.note
SCORE_RANGE = (1, 5)

# governance.order.<event> published after each act (what happened).
EVENTS = {
    "answer": "answered",
    "merge": "merged",
    "dispatch": "dispatched",
    "forward": "forwarded",
    "sign": "signed",
    "return": "returned",
    "reassign": "reassigned",
    "request_extension": "extension_requested",
    "approve_extension": "extension_approved",
    "reject_extension": "extension_rejected",
    "reply": "replied",
    "approve_reply": "reply_approved",
    "reject_reply": "reply_rejected",
    "close": "closed",
    "rework": "reworked",
}


# --------------------------------------------------------------------------- helpers


def _field(field: str, message, code: str = "required") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value, field: str, message, *, limit: int = TEXT_MAX) -> str:
    """A required free text (答复, 理由, 意见): stripped, not blank, not too long."""
    text = str(value or "").strip()
    if not text:
        raise _field(field, message)
    if len(text) > limit:
        raise _field(field, _("不能超过 %(n)s 个字符") % {"n": limit}, code="max_length")
    return text


def _optional(value, field: str, *, limit: int = TEXT_MAX) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise _field(field, _("不能超过 %(n)s 个字符") % {"n": limit}, code="max_length")
    return text


def _enter(actor, order: WorkOrder, action: str, revision: int | None) -> None:
    """The engine's entry checks before the act's own field checks: an actor who may not act
    — or acts on an order that has moved — learns that first, in the engine's words."""
    instance = order.workflow
    instance.subject = order
    workflow.check_transition(actor, instance, action, revision=revision)


def _moment(order: WorkOrder) -> dt.datetime:
    """The time the engine stamped on the transition just taken."""
    return order.workflow.updated_at


def _record(order: WorkOrder, **fields) -> None:
    """Write the act's business facts onto the order (after ``move`` copied the state)."""
    for name, value in fields.items():
        setattr(order, name, value)
    WorkOrder.objects.filter(pk=order.pk).update(**fields)


def _bump(order: WorkOrder, field: str) -> None:
    WorkOrder.objects.filter(pk=order.pk).update(**{field: F(field) + 1})
    setattr(order, field, WorkOrder.objects.values_list(field, flat=True).get(pk=order.pk))


def _audit(actor, order: WorkOrder, action: str, **details) -> None:
    audit.record(
        actor, f"hotline.order.{action}", order, details={"number": order.number, **details}
    )


def _publish(order: WorkOrder, action: str, **extra) -> None:
    """``governance.order.<event>``: identifiers and codes only; texts stay on the order."""
    payload = {"order": order.number, "state": order.state, "unit": order.unit_id, **extra}
    events.publish(f"governance.order.{EVENTS[action]}", payload, key=order.number)


def _organisation(value):
    from shuzheng.foundation.identity.models import Organisation

    if value in (None, ""):
        return None
    if isinstance(value, Organisation):
        return value
    try:
        return Organisation.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def may_dispatch_to(actor, unit) -> bool:
    """Whether ``unit`` lies within a subtree on which ``actor`` holds hotline.dispatch."""
    if actor is access.SYSTEM:
        return True
    return any(unit.path.startswith(root) for root in access.org_paths(actor, "hotline.dispatch"))


def _target(actor, order: WorkOrder, value, field: str = "unit", *, below=None):
    """The unit an order is sent to: an active organisation within the actor's dispatch
    scope, not the one holding the order now (and below ``below`` when given)."""
    unit = _organisation(value)
    if unit is None or not unit.is_active:
        raise _field(field, _("请选择承办单位"), "invalid_choice")
    if unit.pk == order.unit_id:
        raise _field(
            field, _("工单已在“%(name)s”，请选择其他单位") % {"name": unit.name}, "same_unit"
        )
    if below is not None and not (unit.path.startswith(below.path) and unit.pk != below.pk):
        raise _field(
            field,
            _("下派只能派给“%(name)s”的下级单位") % {"name": below.name},
            "not_below",
        )
    if not may_dispatch_to(actor, unit):
        raise _field(
            field,
            _("“%(name)s”不在您的派单范围内") % {"name": unit.name},
            "out_of_scope",
        )
    return unit


def _reschedule(order: WorkOrder, **fields) -> None:
    """After the clock started, resumed or was extended: the 催办 moment moves with it."""
    fields["urge_at"] = urging.urge_at_for(order)
    _record(order, **fields)


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(time_zone()).date()


def _lock_instance(order: WorkOrder, revision: int | None) -> None:
    """For acts that are no transition (催办 by hand): the revision the actor saw must still
    be the order's, and a concurrent transition waits for this act."""
    current = (
        WorkflowInstance.objects.select_for_update()
        .values_list("revision", flat=True)
        .get(pk=order.workflow_id)
    )
    if revision is not None and int(revision) != current:
        raise workflow.Conflict(_("该事项已被他人处理（状态已变化），请刷新后重试"))


# --------------------------------------------------------------------------- 直接答复 / 合并


def _article(value) -> KnowledgeArticle | None:
    if value in (None, ""):
        return None
    article = value
    if not isinstance(value, KnowledgeArticle):
        try:
            article = KnowledgeArticle.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            article = None
    today = timezone.localdate()
    if (
        article is None
        or article.status != "published"
        or article.valid_from > today
        or (article.valid_until is not None and article.valid_until < today)
    ):
        raise _field("article", _("知识库条目不存在或已失效"), "invalid_choice")
    return article


@transaction.atomic
def answer(
    actor, order: WorkOrder, *, answer: str, article=None, revision: int | None = None
) -> WorkOrder:
    """直接答复: the operator answers at once (a knowledge-base article, usually); the order
    is closed and its category counts as confirmed (training data)."""
    _enter(actor, order, "answer", revision)
    text = _text(answer, "answer", _("请填写答复内容"), limit=REPLY_MAX)
    found = _article(article)
    if order.category is None and found is not None and found.category_id:
        order.category = found.category
    common.move(
        actor,
        order,
        "answer",
        revision=revision,
        opinion=text,
        data={"article": found.pk if found else None},
    )
    at = _moment(order)
    _record(
        order,
        reply=text,
        replied_at=at,
        closed_at=at,
        on_time=True,
        category=order.category,
        category_confirmed=order.category is not None,
    )
    if found is not None:
        KnowledgeArticle.objects.filter(pk=found.pk).update(uses=F("uses") + 1)
    _audit(actor, order, "answer", article=found.pk if found else None)
    _publish(order, "answer", article=found.pk if found else None)
    return order


def _master(actor, follower: WorkOrder, value) -> WorkOrder:
    """The master order of a merge, locked for this transaction."""
    if isinstance(value, WorkOrder):
        lookup = {"pk": value.pk}
    elif str(value or "").strip():
        text = str(value).strip()
        lookup = {"number": text} if not text.isdigit() else {"pk": int(text)}
    else:
        raise _field("master", _("请选择主工单"), "required")
    visible = access.scope(actor, WorkOrder.objects.all(), "hotline.view")
    master = visible.select_for_update().filter(**lookup).first()
    if master is None:
        raise _field("master", _("找不到主工单"), "invalid_choice")
    if master.pk == follower.pk:
        raise _field("master", _("工单不能并入自身"), "same_order")
    if master.state == "merged" or master.master_id is not None:
        raise _field(
            "master",
            _("工单 %(number)s 已并入其他工单，请选择其主工单") % {"number": master.number},
            "merged",
        )
    if (
        follower.category_id is not None
        and master.category_id is not None
        and follower.category_id != master.category_id
    ):
        raise _field("master", _("只能合并同一诉求分类的工单"), "other_category")
    return master


@transaction.atomic
def merge(
    actor, follower: WorkOrder, master, *, reason: str = "", revision: int | None = None
) -> WorkOrder:
    """并入重复工单: ``follower`` follows ``master`` (its callers are counted there, its
    caller gets the master's reply when it closes — at once when it already has)."""
    _enter(actor, follower, "merge", revision)
    master = _master(actor, follower, master)
    reason = _optional(reason, "reason") or _("与工单 %(number)s 重复") % {"number": master.number}
    common.move(
        actor, follower, "merge", revision=revision, reason=reason, data={"master": master.number}
    )
    at = _moment(follower)
    fields = {"master": master}
    if follower.category_id is None and master.category_id is not None:
        fields["category"] = master.category
    if master.state == "closed":
        fields.update(reply=master.reply, replied_at=master.replied_at or at, closed_at=at)
    _record(follower, **fields)
    # followers of the follower now follow the master too
    WorkOrder.objects.filter(master=follower).update(master=master)
    # the follower's callers as stored (orders merged into it earlier count too)
    follower.callers_count = WorkOrder.objects.values_list("callers_count", flat=True).get(
        pk=follower.pk
    )
    WorkOrder.objects.filter(pk=master.pk).update(
        callers_count=F("callers_count") + follower.callers_count
    )
    master.refresh_from_db(fields=["callers_count"])
    _audit(actor, follower, "merge", master=master.number, callers=master.callers_count)
    _publish(follower, "merge", master=master.number, callers=master.callers_count)
    if master.state == "closed":
        _publish(follower, "close", master=master.number)
    return follower


# --------------------------------------------------------------------------- 派单


@transaction.atomic
def dispatch(
    actor,
    order: WorkOrder,
    *,
    unit,
    category=None,
    co_units: Iterable = (),
    opinion: str = "",
    revision: int | None = None,
) -> WorkOrder:
    """派单: to a district (三级派单), a street or a department within the actor's dispatch
    scope. The category is confirmed (or corrected: recorded for the classifier's training),
    the 签收时限 set and the 办结时限 clock started."""
    _enter(actor, order, "dispatch", revision)
    errors = {}
    try:
        target = _target(actor, order, unit)
    except ValidationError as exc:
        errors.update(exc.error_dict)
        target = None
    chosen = order.category
    if category not in (None, ""):
        chosen = intake.resolve_category(category)
        if chosen is None:
            errors["category"] = [ValidationError(_("没有这个诉求分类"), code="invalid_choice")]
    if chosen is None and "category" not in errors:
        errors["category"] = [ValidationError(_("派单前请确认诉求分类"), code="required")]
    check = {}
    intake.check_leaf(chosen, check)
    errors.update(check)
    helpers = []
    for value in co_units or ():
        try:
            helper = _target(actor, order, value, "co_units")
        except ValidationError as exc:
            errors.setdefault("co_units", []).extend(exc.error_dict["co_units"])
            continue
        if target is not None and helper.pk == target.pk:
            errors.setdefault("co_units", []).append(
                ValidationError(_("协办单位不能与承办单位相同"), code="same_unit")
            )
        elif helper not in helpers:
            helpers.append(helper)
    try:
        opinion = _optional(opinion, "opinion")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    suggestion = dict(order.suggestion or {})
    suggested = (suggestion.get("category") or {}).get("code")
    if suggested and suggested != chosen.code:
        suggestion["corrected"] = {
            "from": suggested,
            "to": chosen.code,
            "by": getattr(actor, "username", "system"),
            "at": timezone.now().isoformat(),
        }
    previous = order.unit
    order.category = chosen  # the engine reads the 办结时限 of this category
    common.move(
        actor,
        order,
        "dispatch",
        revision=revision,
        opinion=opinion,
        data={
            "unit": target.pk,
            "unit_name": target.name,
            "category": chosen.code,
            "co_units": [u.pk for u in helpers],
        },
    )
    at = _moment(order)
    _reschedule(
        order,
        unit=target,
        dispatched_by=previous,
        category=chosen,
        category_confirmed=True,
        suggestion=suggestion,
        sign_due_at=urging.sign_due(order, at),
    )
    order.co_units.set(helpers)
    _audit(
        actor,
        order,
        "dispatch",
        unit=target.pk,
        category=chosen.code,
        co_units=[u.pk for u in helpers],
        corrected=bool(suggestion.get("corrected")),
    )
    _publish(
        order, "dispatch", category=chosen.code, due_at=order.due_at, sign_due_at=order.sign_due_at
    )
    return order


@transaction.atomic
def forward(
    actor, order: WorkOrder, *, unit, opinion: str = "", revision: int | None = None
) -> WorkOrder:
    """下派: the district passes the order down to a street (a department to its unit); the
    clock runs on, the street has its own 签收时限."""
    _enter(actor, order, "forward", revision)
    target = _target(actor, order, unit, below=order.unit)
    opinion = _optional(opinion, "opinion")
    previous = order.unit
    common.move(
        actor,
        order,
        "forward",
        revision=revision,
        opinion=opinion,
        data={"unit": target.pk, "unit_name": target.name, "from": previous.pk},
    )
    at = _moment(order)
    _record(order, unit=target, dispatched_by=previous, sign_due_at=urging.sign_due(order, at))
    _audit(actor, order, "forward", unit=target.pk, previous=previous.pk)
    _publish(order, "forward", sign_due_at=order.sign_due_at)
    return order


@transaction.atomic
def sign(actor, order: WorkOrder, *, revision: int | None = None) -> WorkOrder:
    """签收: the unit takes the order in hand."""
    _enter(actor, order, "sign", revision)
    common.move(actor, order, "sign", revision=revision)
    _record(order, signed_at=_moment(order))
    _audit(actor, order, "sign")
    _publish(order, "sign")
    return order


@transaction.atomic
def return_order(actor, order: WorkOrder, *, reason: str, revision: int | None = None) -> WorkOrder:
    """退单: not this unit's duty (a reason is required); the order goes back to the unit
    that dispatched it, the clock pauses until it is 改派."""
    _enter(actor, order, "return", revision)
    reason = _text(reason, "reason", _("退单须写明理由"))
    returned_by = order.unit
    back = order.dispatched_by or intake.centre()
    common.move(actor, order, "return", revision=revision, reason=reason, data={"to": back.pk})
    _record(order, unit=back, sign_due_at=None)
    _bump(order, "return_count")
    _audit(actor, order, "return", returned_by=returned_by.pk, to=back.pk)
    _publish(order, "return", returned_by=returned_by.pk)
    return order


@transaction.atomic
def reassign(
    actor, order: WorkOrder, *, unit, opinion: str = "", revision: int | None = None
) -> WorkOrder:
    """改派: the dispatcher sends a returned order to another unit; the clock resumes."""
    _enter(actor, order, "reassign", revision)
    target = _target(actor, order, unit)
    opinion = _optional(opinion, "opinion")
    previous = order.unit
    common.move(
        actor,
        order,
        "reassign",
        revision=revision,
        opinion=opinion,
        data={"unit": target.pk, "unit_name": target.name},
    )
    at = _moment(order)
    _reschedule(order, unit=target, dispatched_by=previous, sign_due_at=urging.sign_due(order, at))
    _audit(actor, order, "reassign", unit=target.pk)
    _publish(order, "reassign", due_at=order.due_at, sign_due_at=order.sign_due_at)
    return order


# --------------------------------------------------------------------------- 延期


@transaction.atomic
def request_extension(
    actor, order: WorkOrder, *, days, reason: str, revision: int | None = None
) -> WorkOrder:
    """延期申请: 1–30 working days more, with a reason."""
    _enter(actor, order, "request_extension", revision)
    errors = {}
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= EXTENSION_DAYS_MAX:
        errors["days"] = [
            ValidationError(
                _("延期时长应为 1 至 %(n)s 个工作日") % {"n": EXTENSION_DAYS_MAX}, code="range"
            )
        ]
    try:
        reason = _text(reason, "reason", _("请写明延期理由"), limit=EXTENSION_REASON_MAX)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    common.move(
        actor, order, "request_extension", revision=revision, reason=reason, data={"days": days}
    )
    _record(order, extension_days=days, extension_reason=reason)
    _audit(actor, order, "request_extension", days=days)
    _publish(order, "request_extension", days=days)
    return order


def _extension_amount(clock: dict, days: int) -> int:
    """``days`` working days in the unit of the order's clock."""
    unit = clock.get("unit")
    if unit in (WORKING_DAYS, NATURAL_DAYS):
        return days
    if unit == HOURS:
        return days * 24
    if unit == WORKING_HOURS:
        begin, end = office_hours()
        return days * max(1, end.hour - begin.hour)  # a working day of office hours
    return days


@transaction.atomic
def decide_extension(
    actor,
    order: WorkOrder,
    *,
    approve: bool,
    opinion: str = "",
    reason: str = "",
    revision: int | None = None,
) -> WorkOrder:
    """批准 (the 办结时限 moves by the days asked for) or 驳回 (a reason is required) a
    延期申请; either way the order is back in 办理."""
    if approve:
        _enter(actor, order, "approve_extension", revision)
        days = int(order.extension_days or 0)
        opinion = _optional(opinion, "opinion") or _("同意延期 %(n)s 个工作日") % {"n": days}
        common.move(
            actor,
            order,
            "approve_extension",
            revision=revision,
            opinion=opinion,
            data={"days": days},
        )
        instance = order.workflow
        workflow.extend_clock(instance, _extension_amount(instance.clock or {}, days))
        order.due_at = instance.due_at
        _reschedule(order, due_at=instance.due_at)
        _audit(actor, order, "approve_extension", days=days)
        _publish(order, "approve_extension", days=days, due_at=order.due_at)
        return order
    _enter(actor, order, "reject_extension", revision)
    reason = _text(reason or opinion, "reason", _("驳回延期须写明理由"))
    common.move(actor, order, "reject_extension", revision=revision, reason=reason)
    _record(order, extension_days=0)
    _audit(actor, order, "reject_extension")
    _publish(order, "reject_extension")
    return order


# --------------------------------------------------------------------------- 回复 / 审核


@transaction.atomic
def reply(
    actor, order: WorkOrder, *, reply: str, attachments: Iterable = (), revision: int | None = None
) -> WorkOrder:
    """回复 (办结报告): what the unit did; the platform reviews it."""
    _enter(actor, order, "reply", revision)
    text = _text(reply, "reply", _("请填写办理结果"), limit=REPLY_MAX)
    files = [str(a) for a in (attachments or ()) if str(a or "").strip()]
    common.move(actor, order, "reply", revision=revision, opinion=text, attachments=files)
    _record(order, reply=text, replied_at=_moment(order))
    _audit(actor, order, "reply", attachments=len(files))
    _publish(order, "reply")
    return order


@transaction.atomic
def review(
    actor, order: WorkOrder, *, approve: bool, reason: str = "", revision: int | None = None
) -> WorkOrder:
    """审核 by the platform: 通过 → 待回访 (the clock stops; whether the unit was on time is
    kept; the caller is called back the next working day), 退回 → 办理 (a reason is
    required)."""
    if approve:
        _enter(actor, order, "approve_reply", revision)
        common.move(actor, order, "approve_reply", revision=revision)
        at = _moment(order)
        clock = order.workflow.clock or {}
        late = Clock.from_dict(clock).is_overdue(at) if clock else False
        _record(
            order,
            on_time=not late,
            callback_due=add_working_days(_local_date(at), 1),
        )
        _audit(actor, order, "approve_reply", on_time=not late)
        _publish(order, "approve_reply", on_time=not late)
        return order
    _enter(actor, order, "reject_reply", revision)
    reason = _text(reason, "reason", _("审核退回须写明理由"))
    common.move(actor, order, "reject_reply", revision=revision, reason=reason)
    _audit(actor, order, "reject_reply")
    _publish(order, "reject_reply")
    return order


# --------------------------------------------------------------------------- 回访


@transaction.atomic
def callback(
    actor,
    order: WorkOrder,
    *,
    satisfaction: str,
    score=None,
    comment: str = "",
    reason: str = "",
    revision: int | None = None,
) -> WorkOrder:
    """回访: 满意 / 基本满意 / 无法联系 → 办结归档 (orders merged into this one get its
    reply); 不满意 → 重办 (the unit gets a new, shorter limit)."""
    unsatisfied = satisfaction == Satisfaction.UNSATISFIED
    action = "rework" if unsatisfied else "close"
    _enter(actor, order, action, revision)
    errors = {}
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [ValidationError(_("请选择回访结果"), code="invalid_choice")]
    if score in ("", None):
        score = None
    else:
        try:
            score = int(score)
        except (TypeError, ValueError):
            score = -1
        if not SCORE_RANGE[0] <= score <= SCORE_RANGE[1]:
            errors["score"] = [
                ValidationError(
                    _("满意度评分应为 %(low)s 至 %(high)s 分")
                    % {"low": SCORE_RANGE[0], "high": SCORE_RANGE[1]},
                    code="range",
                )
            ]
    try:
        comment = _optional(comment, "comment", limit=COMMENT_MAX)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if unsatisfied and not errors:
        try:
            reason = _text(reason or comment, "reason", _("不满意重办须写明原因"))
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    facts = {"satisfaction": satisfaction, "callback_score": score, "callback_comment": comment}
    if unsatisfied:
        common.move(actor, order, "rework", revision=revision, reason=reason, data=facts)
        at = _moment(order)
        _bump(order, "rework_count")
        _reschedule(order, callback_at=at, callback_due=None, on_time=None, **facts)
        _audit(actor, order, "rework", satisfaction=satisfaction, score=score)
        _publish(order, "rework", due_at=order.due_at, rework_count=order.rework_count)
        return order
    common.move(actor, order, "close", revision=revision, opinion=comment, data=facts)
    at = _moment(order)
    _record(order, callback_at=at, closed_at=at, **facts)
    _audit(actor, order, "close", satisfaction=satisfaction, score=score)
    _publish(order, "close", satisfaction=satisfaction)
    _close_followers(order, at)
    return order


def _close_followers(master: WorkOrder, at: dt.datetime) -> None:
    """Orders merged into ``master`` get its reply, and their callers are told."""
    followers = list(WorkOrder.objects.filter(master=master).only("pk", "number", "state", "unit"))
    if not followers:
        return
    WorkOrder.objects.filter(pk__in=[f.pk for f in followers]).update(
        reply=master.reply, replied_at=master.replied_at, closed_at=at, updated_at=at
    )
    for follower in followers:
        events.publish(
            "governance.order.closed",
            {
                "order": follower.number,
                "state": follower.state,
                "unit": follower.unit_id,
                "master": master.number,
            },
            key=follower.number,
        )


# --------------------------------------------------------------------------- 催办 / 督办


@transaction.atomic
def urge(actor, order: WorkOrder, *, kind: str, note: str, revision: int | None = None) -> Urge:
    """催办 / 督办 by hand (``hotline.supervise``): the unit holding the order is told, with a
    note; the order is flagged."""
    access.check(actor, order, "hotline.supervise")
    _lock_instance(order, revision)
    order.refresh_from_db(fields=["state", "unit", "sign_due_at", "due_at"])
    if order.state not in TIMED_STATES:
        raise ValidationError(
            _("只有已派单、办理中或延期审批中的工单可以催办督办"), code="not_allowed_from_state"
        )
    errors = {}
    if kind not in UrgeKind.values:
        errors["kind"] = [ValidationError(_("请选择催办或督办"), code="invalid_choice")]
    try:
        note = _text(note, "note", _("请填写督办意见"), limit=COMMENT_MAX)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    row = Urge.objects.create(
        order=order,
        kind=kind,
        deadline="sign" if order.state == "dispatched" else "finish",
        automatic=False,
        by=actor if getattr(actor, "pk", None) else None,
        unit=order.unit,
        note=note,
        at=timezone.now(),
    )
    _record(order, **({"urged": True} if kind == UrgeKind.URGE else {"supervised": True}))
    audit.record(
        actor,
        f"hotline.order.{kind}",
        order,
        details={"number": order.number, "deadline": row.deadline, "unit": row.unit_id},
    )
    urging.publish_urge(order, row)
    return row


# --------------------------------------------------------------------------- the table


def outcome_message(exc: Exception) -> str:
    """One line for a refused act (a page message)."""
    if isinstance(exc, workflow.Conflict):
        return _("该工单已被他人处理，请刷新后重试")
    if isinstance(exc, ValidationError):
        return pgettext("sentence separator", "；").join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("无权执行此操作")
    return str(exc)


ACTS = {
    "answer": answer,
    "merge": merge,
    "dispatch": dispatch,
    "forward": forward,
    "sign": sign,
    "return": return_order,
    "reassign": reassign,
    "request_extension": request_extension,
    "decide_extension": decide_extension,
    "reply": reply,
    "review": review,
    "callback": callback,
    "urge": urge,
}
