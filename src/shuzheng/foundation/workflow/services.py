"""The workflow engine's write use-cases: load a definition, start an instance, transition.

One transition = one transaction: the access check, the required fields, the guards, the
optimistic-lock update, the SLA clock, the history row, the audit record and the event."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shuzheng.foundation import access
from shuzheng.foundation.access.registry import CAPABILITIES
from shuzheng.foundation.trust import audit
from shuzheng.foundation.workflow import sla
from shuzheng.foundation.workflow.guards import GUARDS, GuardContext, GuardFailed
from shuzheng.foundation.workflow.models import (
    SlaState,
    TransitionRecord,
    WorkflowDefinition,
    WorkflowInstance,
)
from shuzheng.foundation.workflow.spec import Spec, dump_text, load_text, parse_limit, validate


class Conflict(Exception):
    """Someone else moved the instance first (optimistic lock); reload and try again."""

    http_status = 409  # the API answers 409 problem+json


class TransitionNotAllowed(ValidationError):
    pass


def spec_of(definition: WorkflowDefinition) -> Spec:
    cached = getattr(definition, "_spec", None)
    if cached is None:
        cached = definition._spec = validate(definition.spec)
    return cached


def check_spec(raw: dict) -> Spec:
    return validate(raw, known_guards=set(GUARDS), known_permissions=set(CAPABILITIES))


@transaction.atomic
def save_definition(actor, raw: dict | str) -> WorkflowDefinition:
    """Store a definition as the next version of its code — unless it equals the latest."""
    access.require(actor, "system.configure")
    if isinstance(raw, str):
        raw = load_text(raw)
    spec = check_spec(raw)
    latest = (
        WorkflowDefinition.objects.select_for_update()
        .filter(code=spec.code)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.spec == raw:
        return latest
    definition = WorkflowDefinition.objects.create(
        code=spec.code,
        version=(latest.version + 1) if latest else 1,
        name=spec.name,
        spec=raw,
        created_by=None if actor is access.SYSTEM else actor,
    )
    audit.record(
        actor,
        "workflow.definition.save",
        definition,
        details={
            "code": spec.code,
            "version": definition.version,
            "digest": audit.digest(dump_text(raw, "json")),
        },
    )
    return definition


def export_definition(definition: WorkflowDefinition, fmt: str = "yaml") -> str:
    return dump_text(definition.spec, fmt)


def latest_definition(code: str) -> WorkflowDefinition:
    definition = WorkflowDefinition.objects.filter(code=code).order_by("-version").first()
    if definition is None:
        raise LookupError(f"no workflow definition {code!r}: load it first")
    return definition


@transaction.atomic
def start(actor, subject, code: str, *, at=None) -> WorkflowInstance:
    """Put ``subject`` into the latest version of process ``code`` at its initial state."""
    definition = latest_definition(code)
    spec = spec_of(definition)
    at = at or timezone.now()
    instance = WorkflowInstance.objects.create(
        definition=definition,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        state=spec.initial,
        started_at=at,
        updated_at=at,
    )
    _history(instance, 1, "start", "", spec.initial, actor, at=at)
    audit.record(
        actor,
        f"workflow.{code}.start",
        subject,
        details={"instance": instance.pk, "version": definition.version},
    )
    return instance


def available_actions(actor, instance: WorkflowInstance) -> list:
    """The transitions ``actor`` could take now (for buttons; transition() re-checks)."""
    spec = spec_of(instance.definition)
    subject = instance.subject
    allowed = []
    for t in spec.transitions_from(instance.state):
        try:
            access.check(actor, subject, t.permission)
        except PermissionDenied:
            continue
        allowed.append(t)
    return allowed


def transition(
    actor,
    instance: WorkflowInstance,
    action: str,
    *,
    opinion: str = "",
    reason: str = "",
    attachments=(),
    data=None,
    revision: int | None = None,
    at=None,
) -> WorkflowInstance:
    """Take transition ``action``. ``revision`` is the one the caller saw (e.g. If-Match);
    by default the one loaded with ``instance``. Raises TransitionNotAllowed (naming the
    rule), ValidationError (missing fields, failed guard), PermissionDenied or Conflict —
    and in every one of those cases writes nothing."""
    with transaction.atomic():
        return _transition(
            actor,
            instance,
            action,
            opinion=opinion,
            reason=reason,
            attachments=list(attachments),
            data=data or {},
            revision=instance.revision if revision is None else revision,
            at=at or timezone.now(),
        )


def check_transition(actor, instance: WorkflowInstance, action: str, *, revision=None):
    """The entry checks of a transition — revision, action, current state, permission — with
    nothing written; returns the transition. A use case calls it before checking its own
    fields, so an actor who may not act (or acts on a moved instance) learns that first."""
    revision = instance.revision if revision is None else revision
    if revision != instance.revision:  # the caller decided on a state that has since moved
        raise Conflict(_("该事项已被他人处理（状态已变化），请刷新后重试"))
    spec = spec_of(instance.definition)
    t = spec.transition(action)
    if t is None:
        raise TransitionNotAllowed(
            _("流程“%(name)s”没有“%(action)s”这个操作") % {"name": spec.name, "action": action},
            code="unknown_action",
        )
    if instance.state not in t.sources:
        raise TransitionNotAllowed(
            _("当前状态“%(state)s”不能执行“%(label)s”（只能从%(sources)s执行）")
            % {
                "state": spec.label(instance.state),
                "label": t.label,
                "sources": pgettext("list separator", "、").join(spec.label(s) for s in t.sources),
            },
            code="not_allowed_from_state",
        )
    access.check(actor, instance.subject, t.permission)
    return t


def _transition(actor, instance, action, *, opinion, reason, attachments, data, revision, at):
    t = check_transition(actor, instance, action, revision=revision)
    spec = spec_of(instance.definition)
    subject = instance.subject
    supplied = {"opinion": opinion.strip(), "reason": reason.strip(), "attachments": attachments}
    missing = {
        f: ValidationError(_("“%(label)s”需要填写此项") % {"label": t.label}, code="required")
        for f in t.require
        if not supplied[f]
    }
    if missing:
        raise ValidationError(missing)
    _check_attachments(actor, attachments)
    context = GuardContext(
        instance=instance, subject=subject, actor=actor, action=action, data=data
    )
    for name in t.guards:
        label, check = GUARDS[name]
        try:
            check(context)
        except GuardFailed as failed:
            raise ValidationError(
                _("未满足“%(rule)s”：%(why)s") % {"rule": label, "why": failed}, code="guard"
            ) from None
    clock, due_at, sla_state = _apply_sla(instance, t, subject, at)
    updated = WorkflowInstance.objects.filter(pk=instance.pk, revision=revision).update(
        state=t.target,
        revision=F("revision") + 1,
        clock=clock,
        due_at=due_at,
        sla_state=sla_state,
        updated_at=at,
    )
    if not updated:
        raise Conflict(_("该事项已被他人处理（状态已变化），请刷新后重试"))
    from_state = instance.state
    instance.state, instance.revision, instance.updated_at = t.target, revision + 1, at
    instance.clock, instance.due_at, instance.sla_state = clock, due_at, sla_state
    seq = instance.revision + 1  # history: 1 = start, then one row per revision
    _history(
        instance,
        seq,
        action,
        from_state,
        t.target,
        actor,
        opinion=supplied["opinion"],
        reason=supplied["reason"],
        attachments=attachments,
        data=data,
        at=at,
    )
    audit.record(
        actor,
        f"workflow.{spec.code}.{action}",
        subject,
        details={
            "instance": instance.pk,
            "from": from_state,
            "to": t.target,
            "opinion_digest": audit.digest(opinion) if opinion else None,
        },
    )
    _publish(spec.code, action, instance, from_state, actor)
    return instance


def extend_clock(instance: WorkflowInstance, amount: int) -> WorkflowInstance:
    """Lengthen the running (or paused) clock of ``instance`` by ``amount`` of its own unit
    (an approved 延期: "+5 working days"), moving its deadline and re-arming the
    approaching / overdue notices. Call inside the use case's transaction, after the
    transition that approved it; raises TransitionNotAllowed when no clock is live."""
    clock = dict(instance.clock or {})
    if not clock or clock.get("state") not in (SlaState.RUNNING, SlaState.PAUSED):
        raise TransitionNotAllowed(_("没有正在计时的时限，不能延期"), code="no_clock")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("延期时长必须是正整数"), code="bad_amount")
    clock["limit"] = int(clock["limit"]) + amount
    due_at = sla.due_at(clock)
    WorkflowInstance.objects.filter(pk=instance.pk).update(
        clock=clock, due_at=due_at, approaching_sent_at=None, overdue_sent_at=None
    )
    instance.clock, instance.due_at = clock, due_at
    instance.approaching_sent_at = instance.overdue_sent_at = None
    return instance


def _check_attachments(actor, attachments) -> None:
    """Attachments are stored files (foundation.files) the actor may read, by id."""
    from django.http import Http404

    from shuzheng.foundation.files import selectors as files

    for file_id in attachments:
        try:
            files.file_for(actor, file_id)
        except Http404:
            raise ValidationError(
                {
                    "attachments": ValidationError(
                        _("附件 %(id)s 不存在或无权使用") % {"id": file_id}, code="attachment"
                    )
                }
            ) from None


def _apply_sla(instance, t, subject, at):
    clock = dict(instance.clock or {})
    if t.sla == "start":
        amount, unit = _limit(t.limit, subject)
        clock = sla.start(at, amount, unit)
    elif t.sla in ("pause", "resume", "stop"):
        if not clock:
            raise TransitionNotAllowed(
                _("“%(label)s”需要已开始计时的时限") % {"label": t.label}, code="no_clock"
            )
        clock = getattr(sla, t.sla)(clock, at)
    if not clock:
        return {}, None, SlaState.NONE
    return clock, sla.due_at(clock), sla.state(clock)


def _limit(text, subject) -> tuple[int, str]:
    parsed = parse_limit(text)
    if isinstance(parsed, str):  # subject.<attribute> holds "<amount> <unit>"
        parsed = parse_limit(getattr(subject, parsed))
        if isinstance(parsed, str):
            raise ValidationError(_("时限属性应为“数量 单位”"), code="bad_limit")
    return parsed


def _history(
    instance,
    seq,
    action,
    from_state,
    to_state,
    actor,
    *,
    opinion="",
    reason="",
    attachments=(),
    data=None,
    at=None,
):
    real = actor if getattr(actor, "pk", None) and actor is not access.SYSTEM else None
    TransitionRecord.objects.create(
        instance=instance,
        seq=seq,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=real,
        actor_name=str(actor) if actor is not None else "",
        opinion=opinion,
        reason=reason,
        attachments=list(attachments),
        data=data or {},
        at=at or timezone.now(),
    )


def _publish(code, action, instance, from_state, actor):
    from shuzheng.foundation import events

    events.publish(
        f"workflow.{code}.{action}",
        {
            "instance": instance.pk,
            "subject_type": instance.subject_type.natural_key(),
            "subject_id": instance.subject_id,
            "from": from_state,
            "to": instance.state,
            "revision": instance.revision,
            "actor": getattr(actor, "username", "system"),
        },
    )


def check_deadlines(*, now=None, lead=None) -> dict:
    """The SLA sweep: emit "approaching" once when a running clock nears its deadline and
    "overdue" once when it passes; returns counts. Run as a periodic job.

    A deadline is inclusive, as in :meth:`Clock.is_overdue`: at exactly ``due_at`` the case
    is still on time (and approaching); it is overdue only after."""
    from datetime import timedelta

    from django.conf import settings

    from shuzheng.foundation import events

    now = now or timezone.now()
    lead = lead or timedelta(hours=settings.WORKFLOW_APPROACHING_HOURS)
    counts = {"approaching": 0, "overdue": 0}
    running = WorkflowInstance.objects.filter(sla_state=SlaState.RUNNING, due_at__isnull=False)
    for kind, rows, stamp in (
        (
            "overdue",
            running.filter(due_at__lt=now, overdue_sent_at__isnull=True),
            "overdue_sent_at",
        ),
        (
            "approaching",
            running.filter(
                due_at__gte=now, due_at__lte=now + lead, approaching_sent_at__isnull=True
            ),
            "approaching_sent_at",
        ),
    ):
        for instance in rows.select_related("definition").iterator(chunk_size=500):
            with transaction.atomic():
                marked = WorkflowInstance.objects.filter(
                    pk=instance.pk, **{f"{stamp}__isnull": True}
                ).update(**{stamp: now})
                if marked:
                    events.publish(
                        f"workflow.{instance.definition.code}.{kind}",
                        {
                            "instance": instance.pk,
                            "subject_id": instance.subject_id,
                            "due_at": instance.due_at.isoformat(),
                            "state": instance.state,
                        },
                    )
                    counts[kind] += 1
    return counts


def recompute_deadlines(**_signal) -> int:
    """After the calendar changed (a typhoon closure, a new year's 调休), running and paused
    clocks get their deadline again from the current calendar; stopped ones keep theirs."""
    changed = 0
    live = WorkflowInstance.objects.filter(sla_state__in=[SlaState.RUNNING, SlaState.PAUSED])
    for pk, clock, due in live.values_list("pk", "clock", "due_at").iterator(chunk_size=1000):
        new_due = sla.due_at(clock)
        if new_due != due:
            WorkflowInstance.objects.filter(pk=pk).update(due_at=new_due)
            changed += 1
    return changed
