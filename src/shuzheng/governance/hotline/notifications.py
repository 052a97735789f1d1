"""Who hears about a 工单, and what they read (from the ``governance.order.<event>`` events
of ``services.loop``, ``services.intake`` and ``services.urging``).

* The UNIT that holds the order: its handlers (``hotline.handle`` on the unit, else on its
  nearest ancestor with such holders) when an order is 派单 / 下派 / 改派 to it, 催办 or
  督办, its reply sent back by the platform, a 延期 decided, or a 重办 ordered.
* The DISPATCHER when an order is 退单 back to it (``hotline.dispatch``), the APPROVERS of
  a 延期申请 (``hotline.approve_extension``), the REVIEWERS of a reply (``hotline.review``).
* The REPORTER (a citizen's or grid officer's own account): when the order is registered,
  when its reply has passed review, and when it is closed (an order merged into another
  hears when the master closes, with the master's reply).

Payloads carry identifiers only; texts (title, reasons, the reply, deadlines) are read from
the order when the message is rendered, in each recipient's language.
"""

from __future__ import annotations

import contextvars
import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import events
from shuzheng.foundation.events.notifications import register_recipients, register_template

STAFF_LINK = "/workbench/hotline/orders/%s/"
REPORTER_LINK = "/hotline/my/%s/"

# event → (title, body, label); each body may use every key of _context().
UNIT_TEMPLATES = {
    "governance.order.dispatched": (
        _("新派工单"),
        _(
            "工单 %(number)s（%(title)s）已派至%(unit)s，请于 %(sign_due)s 前签收，办结时限 %(due)s。"
        ),
        _("工单派单通知"),
    ),
    "governance.order.forwarded": (
        _("新派工单"),
        _(
            "工单 %(number)s（%(title)s）已下派至%(unit)s，请于 %(sign_due)s 前签收，办结时限 %(due)s。"
        ),
        _("工单下派通知"),
    ),
    "governance.order.reassigned": (
        _("改派工单"),
        _(
            "工单 %(number)s（%(title)s）已改派至%(unit)s，请于 %(sign_due)s 前签收，办结时限 %(due)s。"
        ),
        _("工单改派通知"),
    ),
    "governance.order.urged": (
        _("工单催办"),
        _("工单 %(number)s（%(title)s）即将超过%(deadline)s %(deadline_at)s，请抓紧办理。%(note)s"),
        _("工单催办通知"),
    ),
    "governance.order.supervised": (
        _("工单督办"),
        _(
            "工单 %(number)s（%(title)s）已超过%(deadline)s %(deadline_at)s，现予督办，请立即办理。%(note)s"
        ),
        _("工单督办通知"),
    ),
    "governance.order.extension_approved": (
        _("延期申请已批准"),
        _("工单 %(number)s（%(title)s）的延期申请已批准，办结时限延至 %(due)s。"),
        _("延期审批结果"),
    ),
    "governance.order.extension_rejected": (
        _("延期申请被驳回"),
        _("工单 %(number)s（%(title)s）的延期申请被驳回，理由：%(reason)s。办结时限仍为 %(due)s。"),
        _("延期审批结果"),
    ),
    "governance.order.reply_rejected": (
        _("办理结果被退回"),
        _("工单 %(number)s（%(title)s）的办理结果审核未通过，理由：%(reason)s。请继续办理。"),
        _("审核退回通知"),
    ),
    "governance.order.reworked": (
        _("工单需重办"),
        _(
            "工单 %(number)s（%(title)s）回访不满意，需重新办理，原因：%(reason)s。办结时限 %(due)s。"
        ),
        _("重办通知"),
    ),
}
DISPATCHER_TEMPLATES = {
    "governance.order.returned": (
        _("工单被退回"),
        _("工单 %(number)s（%(title)s）被退回，理由：%(reason)s。请改派。"),
        _("退单通知"),
    ),
}
APPROVER_TEMPLATES = {
    "governance.order.extension_requested": (
        _("延期申请待审批"),
        _("%(unit)s申请工单 %(number)s（%(title)s）延期 %(days)s 个工作日，理由：%(reason)s。"),
        _("延期申请通知"),
    ),
}
REVIEWER_TEMPLATES = {
    "governance.order.replied": (
        _("办理结果待审核"),
        _("%(unit)s已回复工单 %(number)s（%(title)s）的办理结果，请审核。"),
        _("回复待审核通知"),
    ),
}
REPORTER_TEMPLATES = {
    "governance.order.registered": (
        _("您的诉求已受理"),
        _("您反映的“%(title)s”已受理，工单编号 %(number)s。办理进展将通过站内消息告知您。"),
        _("诉求受理通知"),
    ),
    "governance.order.reply_approved": (
        _("您的诉求已有办理结果"),
        _("您反映的“%(title)s”（工单编号 %(number)s）办理结果：%(reply)s"),
        _("诉求办理结果通知"),
    ),
    "governance.order.answered": (
        _("您的诉求已答复"),
        _("您反映的“%(title)s”（工单编号 %(number)s）已答复：%(reply)s"),
        _("诉求答复通知"),
    ),
    "governance.order.closed": (
        _("您的诉求已办结"),
        _("您反映的“%(title)s”（工单编号 %(number)s）已办结。办理结果：%(reply)s"),
        _("诉求办结通知"),
    ),
}

# who acts next, per group of templates
UNIT_PERM = "hotline.handle"
DISPATCHER_PERM = "hotline.dispatch"
APPROVER_PERM = "hotline.approve_extension"
REVIEWER_PERM = "hotline.review"


# --------------------------------------------------------------------------- the order

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "hotline_notification_orders", default=None
)


def _order_of(payload: dict):
    from shuzheng.governance.hotline.models import WorkOrder

    number = str(payload.get("order") or "")
    if not number:
        return None
    memo = _memo.get()
    if memo is not None and number in memo:
        return memo[number]
    found = (
        WorkOrder.objects.select_related("unit", "reporter", "workflow", "master")
        .filter(number=number)
        .first()
    )
    if memo is not None:
        memo[number] = found
    return found


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


def _last_reason(order) -> str:
    if order.workflow_id is None:
        return ""
    record = (
        order.workflow.history.exclude(reason="").order_by("-seq").values_list("reason", flat=True)
    ).first()
    return record or ""


def _context(payload: dict) -> dict:
    """Everything the templates may use, "—" where the order has no value."""
    from shuzheng.governance.hotline.models import Urge

    context = dict.fromkeys(
        (
            "number",
            "title",
            "unit",
            "due",
            "sign_due",
            "reason",
            "reply",
            "days",
            "deadline",
            "deadline_at",
        ),
        "—",
    )
    context["note"] = ""
    context.update(payload)
    order = _order_of(payload)
    if order is None:
        return context
    reply = order.reply
    if not reply and order.master_id is not None:
        reply = order.master.reply
    context.update(
        number=order.number,
        title=order.title,
        unit=order.unit.name,
        due=_when(order.due_at),
        sign_due=_when(order.sign_due_at),
        reason=_last_reason(order) or "—",
        reply=reply or "—",
        days=order.extension_days or payload.get("days") or "—",
    )
    urge = Urge.objects.filter(pk=payload.get("urge")).first() if payload.get("urge") else None
    if urge is not None:
        sign = urge.deadline == "sign"
        context.update(
            deadline=_("签收时限") if sign else _("办结时限"),
            deadline_at=_when(order.sign_due_at if sign else order.due_at),
            note=(_("督办意见：%(note)s") % {"note": urge.note}) if urge.note else "",
        )
    return context


# --------------------------------------------------------------------------- who hears


def holders(order, perm: str) -> list:
    """The active holders of ``perm`` on the order's unit, else on its nearest ancestor
    that has any."""
    from shuzheng.foundation.access.models import RoleGrant
    from shuzheng.foundation.identity.models import Organisation

    unit = order.unit
    chain = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()]
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
    return by_depth[max(by_depth)] if by_depth else []


def _holders_of(perm: str):
    def resolve(event_type: str, payload: dict) -> list:
        order = _order_of(payload)
        return holders(order, perm) if order is not None else []

    return resolve


def reporter(event_type: str, payload: dict) -> list:
    """The account that reported the order (我的诉求), while it is active."""
    order = _order_of(payload)
    user = order.reporter if order is not None else None
    return [user] if user is not None and user.is_active else []


def _link(pattern: str, url_name: str):
    def link(payload: dict) -> str:
        order = _order_of(payload)
        if order is None:
            return ""
        try:
            return reverse(url_name, kwargs={"number": order.number})
        except NoReverseMatch:
            return pattern % order.number

    return link


staff_link = _link(STAFF_LINK, "hotline:order")
reporter_link = _link(REPORTER_LINK, "hotline:my-order")


def on_order_event(event) -> None:
    """An order event with a template → inbox messages (idempotent by event id)."""
    from shuzheng.foundation.events.notifications.events import notify_for_event

    token = _memo.set({})
    try:
        notify_for_event(event)
    finally:
        _memo.reset(token)


def register() -> None:
    """Templates, recipients and the subscription (HotlineConfig.ready via events; idempotent)."""
    groups = (
        (UNIT_TEMPLATES, _holders_of(UNIT_PERM), "unit", staff_link),
        (DISPATCHER_TEMPLATES, _holders_of(DISPATCHER_PERM), "dispatcher", staff_link),
        (APPROVER_TEMPLATES, _holders_of(APPROVER_PERM), "approver", staff_link),
        (REVIEWER_TEMPLATES, _holders_of(REVIEWER_PERM), "reviewer", staff_link),
        (REPORTER_TEMPLATES, reporter, "reporter", reporter_link),
    )
    for templates, resolver, group, link in groups:
        for event_type, (title, body, label) in templates.items():
            register_template(event_type, title=title, body=body, prepare=_context, label=label)
            register_recipients(
                event_type, resolver, name=f"hotline.{group}.{event_type}", link=link
            )
            events.subscribe(event_type, on_order_event, name=f"hotline.notify.{event_type}")
