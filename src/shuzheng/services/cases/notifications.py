"""Who hears about a 办件, and what they read.

* The APPLICANT (``case.owner``) at each step that concerns them: the submission, 受理,
  不予受理, 补齐补正 (what to supply and by when), 准予 / 不予准予, 办结 and 送达 — from
  the ``services.case.<event>`` events of ``services.handle`` and the engine's
  ``workflow.services.case.submit``; the link opens 我的办件.
* The STAFF responsible when the engine's SLA sweep warns (``approaching``) or flags
  (``overdue``): the case's handler and whoever holds the capability the case now waits for
  on the accepting organisation (or its nearest ancestor with such holders); the link opens
  the case in the workbench.

Payloads carry identifiers only; texts (reasons, item name, deadline) are read from the
case when the message is rendered, in each recipient's language.
"""

from __future__ import annotations

import contextvars
import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access, events
from shuzheng.foundation.events.notifications import register_recipients, register_template

APPLICANT_LINK = "/my/cases/%s/"
STAFF_LINK = "/workbench/cases/%s/"

# event type → (title, body, label); each body may use every key of _context().
APPLICANT_TEMPLATES = {
    "workflow.services.case.submit": (
        _("申请已提交"),
        _(
            "您申请的“%(item_name)s”已提交，办件编号 %(number)s。"
            "受理结果将通过站内消息告知您，也可凭办件编号查询办理进度。"
        ),
        _("办件提交确认"),
    ),
    "services.case.accepted": (
        _("您的申请已受理"),
        _(
            "您申请的“%(item_name)s”（办件编号 %(number)s）已受理，受理文书编号 %(doc_no)s，"
            "承诺办结时间 %(due)s。"
        ),
        _("办件受理通知"),
    ),
    "services.case.rejected": (
        _("您的申请不予受理"),
        _("您申请的“%(item_name)s”（办件编号 %(number)s）不予受理。理由：%(reason)s"),
        _("不予受理通知"),
    ),
    "services.case.correction_requested": (
        _("请补齐补正申请材料"),
        _(
            "您申请的“%(item_name)s”（办件编号 %(number)s）需要补齐补正：%(reasons)s。"
            "请于 %(correction_due)s 前补正后重新提交。"
        ),
        _("补齐补正告知"),
    ),
    "services.case.approved": (
        _("您的申请已准予"),
        _("您申请的“%(item_name)s”（办件编号 %(number)s）已作出准予决定。审批结果：%(licence)s"),
        _("准予决定通知"),
    ),
    "services.case.denied": (
        _("您的申请不予准予"),
        _(
            "您申请的“%(item_name)s”（办件编号 %(number)s）不予准予。理由：%(reason)s；"
            "依据：%(legal_basis)s"
        ),
        _("不予准予决定通知"),
    ),
    "services.case.concluded": (
        _("您的申请已办结"),
        _("您申请的“%(item_name)s”（办件编号 %(number)s）已办结，办理结果：%(result)s。"),
        _("办结通知"),
    ),
    "services.case.delivered": (
        _("办理结果已送达"),
        _("您申请的“%(item_name)s”（办件编号 %(number)s）的办理结果已送达，方式：%(method)s。"),
        _("送达通知"),
    ),
}
# a submission taken at the window (代办) confirms to the applicant just the same
APPLICANT_TEMPLATES["workflow.services.case.submit_at_window"] = APPLICANT_TEMPLATES[
    "workflow.services.case.submit"
]

STAFF_TEMPLATES = {
    "workflow.services.case.approaching": (
        _("办件即将超期"),
        _(
            "办件 %(number)s（%(item_name)s）的承诺办结时间为 %(due)s，当前状态：%(state)s。"
            "请及时办理。"
        ),
        _("办件即将超期提醒"),
    ),
    "workflow.services.case.overdue": (
        _("办件已超期"),
        _(
            "办件 %(number)s（%(item_name)s）已超过承诺办结时间 %(due)s，当前状态：%(state)s。"
            "请尽快办理。"
        ),
        _("办件超期提醒"),
    ),
}

# The capability the case waits for in each state (the SLA warnings go to its holders).
WAITING_FOR = {
    "submitted": "cases.accept",
    "approved": "cases.decide",
    "denied": "cases.decide",
    "concluded": "cases.deliver",
}


# --------------------------------------------------------------------------- the case


# While one event is being notified, its case is loaded once (recipients, link and message
# all ask for it); outside that, every call reads the database.
_event_cases: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "cases_notification_cases", default=None
)


def _case_of(payload: dict):
    """The case an event is about: by 办件编号 (services.case.*) or by key (workflow.*)."""
    from shuzheng.services.cases.models import Case

    subject = str(payload.get("subject_id") or "")
    if payload.get("number"):
        lookup = {"number": payload["number"]}
    elif subject.isdigit():
        lookup = {"pk": int(subject)}
    else:
        return None
    memo = _event_cases.get()
    key = tuple(lookup.items())
    if memo is not None and key in memo:
        return memo[key]
    cases = Case.objects.select_related("item_version", "owner", "handler", "organisation")
    try:
        case = cases.get(**lookup)
    except Case.DoesNotExist:
        case = None
    if memo is not None:
        memo[key] = case
    return case


def _when(moment) -> str:
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if isinstance(moment, dt.datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, dt.date):
        return moment.isoformat()
    return "—"


def _context(payload: dict) -> dict:
    """Everything any of the templates above may use, "—" where the case has no value."""
    from shuzheng.services.cases.models import CaseState, DeliveryMethod, Result

    context = {
        key: "—"
        for key in (
            "item_name",
            "doc_no",
            "due",
            "reason",
            "reasons",
            "correction_due",
            "licence",
            "legal_basis",
            "result",
            "method",
            "state",
        )
    }
    context.update(payload)
    case = _case_of(payload)
    if case is None:
        context.setdefault("number", "—")
        return context
    licence = " ".join(filter(None, [case.licence_name, case.licence_number]))
    context.update(
        number=case.number or "—",
        item_name=case.item_version.name,
        doc_no=case.acceptance_doc_no or "—",
        due=_when(payload.get("due_at") or case.due_at),
        reason=case.result_description or "—",
        reasons="；".join(case.correction_reasons or []) or "—",
        correction_due=_when(case.correction_due),
        licence=licence or "—",
        legal_basis=case.decision_basis or "—",
        # lazy labels: rendered in each recipient's language
        result=Result(case.result).label if case.result else "—",
        method=DeliveryMethod(case.delivery_method).label if case.delivery_method else "—",
        state=CaseState(case.state).label,
    )
    return context


# --------------------------------------------------------------------------- who hears


def applicant(event_type: str, payload: dict) -> list:
    """The case's owner (我的办件), when the account is still active."""
    case = _case_of(payload)
    owner = case.owner if case is not None else None
    return [owner] if owner is not None and owner.is_active else []


def responsible_staff(event_type: str, payload: dict) -> list:
    """The handler (while they may still see the case) and the holders of the capability
    the case waits for on the accepting organisation, else on its nearest ancestor."""
    from shuzheng.foundation.access.models import RoleGrant
    from shuzheng.foundation.identity.models import Organisation
    from shuzheng.services.cases.models import Case

    case = _case_of(payload)
    if case is None:
        return []
    users = []
    handler = case.handler
    if (
        handler is not None
        and handler.is_active
        and access.scope(handler, Case.objects.filter(pk=case.pk), "cases.view").exists()
    ):
        users.append(handler)
    perm = WAITING_FOR.get(case.state, "cases.review")
    chain = [int(p) for p in case.organisation.path.strip("/").split("/") if p.isdigit()]
    grants = (
        RoleGrant.objects.filter(
            revoked_at__isnull=True,
            role__permissions__code=perm,
            organisation_id__in=chain,
            organisation__is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    )
    depth = dict(Organisation.objects.filter(pk__in=chain).values_list("pk", "depth"))
    by_depth: dict[int, list] = {}
    for grant in grants:
        by_depth.setdefault(depth.get(grant.organisation_id, 0), []).append(grant.user)
    if by_depth:
        users.extend(by_depth[max(by_depth)])
    return users


def _link(pattern: str, url_name: str):
    def link(payload: dict) -> str:
        case = _case_of(payload)
        if case is None or not case.number:
            return ""
        try:
            return reverse(url_name, kwargs={"number": case.number})
        except NoReverseMatch:  # the applicant's pages are not mounted in this installation
            return pattern % case.number

    return link


applicant_link = _link(APPLICANT_LINK, "cases:my-case")
staff_link = _link(STAFF_LINK, "cases:case")


def on_case_event(event) -> None:
    """A case event the applicant hears about → an inbox message (idempotent by event id)."""
    from shuzheng.foundation.events.notifications.events import notify_for_event

    token = _event_cases.set({})
    try:
        notify_for_event(event)
    finally:
        _event_cases.reset(token)


def register() -> None:
    """Templates, recipients and subscriptions (CasesConfig.ready; idempotent)."""
    for event_type, (title, body, label) in APPLICANT_TEMPLATES.items():
        register_template(event_type, title=title, body=body, prepare=_context, label=label)
        register_recipients(
            event_type, applicant, name=f"cases.applicant.{event_type}", link=applicant_link
        )
        # the SLA events are already delivered to the notifications app; these are not
        events.subscribe(event_type, on_case_event, name=f"cases.notify.{event_type}")
    for event_type, (title, body, label) in STAFF_TEMPLATES.items():
        register_template(event_type, title=title, body=body, prepare=_context, label=label)
        register_recipients(
            event_type, responsible_staff, name=f"cases.staff.{event_type}", link=staff_link
        )
