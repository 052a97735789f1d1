"""Who hears about a sharing request or a grant, and what they read (from the
``data.sharing.<event>`` events of ``services`` and the workflow engine's SLA sweep).

* The DATA AUTHORITY (``datasharing.check`` on the requesting department, i.e. the city):
  a request submitted for the compliance check; (``datasharing.coordinate``) a dispute or a
  coordination request.
* The PROVIDER (``datasharing.decide`` on the providing department): a request forwarded to
  it after the check; a grant of its data made by the check or by coordination; a revocation.
* The REQUESTER (the applicant, else ``datasharing.request`` on the requesting department):
  every decision — forwarded, returned, rejected, refused after coordination, granted — a
  revocation of its grant and a grant about to expire.
* 临期 / 超期 (``workflow.data.sharing.approaching`` / ``overdue``): whoever's turn it is —
  the authority while checking or coordinating, the provider while deciding.

Payloads carry identifiers only; names, reasons and deadlines are read when the message is
rendered, in each recipient's language.
"""

from __future__ import annotations

import contextvars
import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import events
from shuzheng.foundation.events.notifications import register_recipients, register_template

REQUEST_LINK = "/workbench/data/sharing/requests/%s/"
GRANT_LINK = "/workbench/data/sharing/grants/%s/"

# event → (title, body, label); each body may use every key of _context().
TEMPLATES = {
    "data.sharing.submitted": (
        _("共享申请待合规审查"),
        _(
            "%(requester)s申请共享%(provider)s的“%(entry)s”（申请编号 %(number)s），"
            "请于 %(due)s 前完成合规审查。"
        ),
        _("共享申请合规审查通知"),
    ),
    "data.sharing.coordination_requested": (
        _("不予共享数据的协调申请"),
        _(
            "%(requester)s申请协调共享%(provider)s的不予共享数据“%(entry)s”（申请编号 "
            "%(number)s），理由：%(dispute_reason)s。请于 %(due)s 前协调。"
        ),
        _("共享协调申请通知"),
    ),
    "data.sharing.forwarded": (
        _("共享申请已通过合规审查，待提供方审核"),
        _(
            "%(requester)s申请共享%(provider)s的“%(entry)s”（申请编号 %(number)s）已通过合规"
            "审查，转提供方审核，答复时限 %(due)s。"
        ),
        _("共享申请转提供方审核通知"),
    ),
    "data.sharing.returned": (
        _("共享申请被退回修改"),
        _(
            "您的共享申请 %(number)s（%(provider)s的“%(entry)s”）合规审查未通过，退回修改。"
            "理由：%(reason)s"
        ),
        _("共享申请退回通知"),
    ),
    "data.sharing.rejected": (
        _("提供方不同意共享"),
        _(
            "%(provider)s不同意您的共享申请 %(number)s（“%(entry)s”），理由：%(decision_reason)s。"
            "如有异议，可在申请页面提出异议，由数据主管部门协调。"
        ),
        _("提供方不同意共享通知"),
    ),
    "data.sharing.disputed": (
        _("共享争议待协调"),
        _(
            "%(requester)s对%(provider)s不同意共享“%(entry)s”（申请编号 %(number)s）提出异议，"
            "理由：%(dispute_reason)s。请于 %(due)s 前协调。"
        ),
        _("共享争议协调通知"),
    ),
    "data.sharing.refused": (
        _("协调结果：不予共享"),
        _(
            "共享申请 %(number)s（%(provider)s的“%(entry)s”）经数据主管部门协调，维持不予共享。"
            "协调意见：%(coordination_opinion)s"
        ),
        _("共享协调结果通知"),
    ),
    "data.sharing.granted": (
        _("共享申请已授权"),
        _(
            "%(requester)s申请共享%(provider)s的“%(entry)s”（申请编号 %(number)s）已授权，"
            "授权编号 %(grant)s，有效期 %(valid_from)s 至 %(valid_until)s。"
        ),
        _("共享授权通知"),
    ),
    "data.sharing.grant_revoked": (
        _("共享授权已撤销"),
        _(
            "%(consumer)s使用%(provider)s“%(entry)s”的授权 %(grant)s 已撤销，即时生效。"
            "理由：%(reason)s"
        ),
        _("共享授权撤销通知"),
    ),
    "data.sharing.grant_expiring": (
        _("共享授权即将到期"),
        _(
            "本部门使用%(provider)s“%(entry)s”的授权 %(grant)s 将于 %(valid_until)s 到期。"
            "如需继续使用，请及时提出新的共享申请。"
        ),
        _("共享授权到期提醒"),
    ),
}
SLA_TEMPLATES = {
    "workflow.data.sharing.approaching": (
        _("共享申请即将超期"),
        _(
            "共享申请 %(number)s（%(requester)s申请%(provider)s的“%(entry)s”）当前环节"
            "“%(state)s”的办理时限为 %(due)s，请及时办理。"
        ),
        _("共享申请临期提醒"),
    ),
    "workflow.data.sharing.overdue": (
        _("共享申请已超期"),
        _(
            "共享申请 %(number)s（%(requester)s申请%(provider)s的“%(entry)s”）当前环节"
            "“%(state)s”已超过办理时限 %(due)s，请尽快办理。"
        ),
        _("共享申请超期提醒"),
    ),
}

# who hears what (besides the SLA events: whoever's turn it is)
AUTHORITY_CHECK = ("data.sharing.submitted",)
AUTHORITY_COORDINATE = ("data.sharing.coordination_requested", "data.sharing.disputed")
PROVIDER = ("data.sharing.forwarded", "data.sharing.granted", "data.sharing.grant_revoked")
REQUESTER = (
    "data.sharing.forwarded",
    "data.sharing.returned",
    "data.sharing.rejected",
    "data.sharing.refused",
    "data.sharing.granted",
    "data.sharing.grant_revoked",
    "data.sharing.grant_expiring",
)
# the capability whose holders act in each state with a clock
WAITING_FOR = {
    "checking": ("requester", "datasharing.check"),
    "provider_review": ("provider", "datasharing.decide"),
    "coordinating": ("requester", "datasharing.coordinate"),
}


# --------------------------------------------------------------------------- the objects

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "datasharing_notification_objects", default=None
)


def _cached(key, load):
    memo = _memo.get()
    if memo is not None and key in memo:
        return memo[key]
    found = load()
    if memo is not None:
        memo[key] = found
    return found


def _request_of(payload: dict):
    """The request an event is about: by 申请编号, or by key (the engine's SLA events)."""
    from shuzheng.data.sharing.models import SharingRequest

    rows = SharingRequest.objects.select_related("entry", "requester", "provider", "applicant")
    number = str(payload.get("request") or "")
    subject = str(payload.get("subject_id") or "")
    if number:
        return _cached(("request", number), lambda: rows.filter(number=number).first())
    if subject.isdigit():
        return _cached(("request-pk", subject), lambda: rows.filter(pk=int(subject)).first())
    return None


def _grant_of(payload: dict):
    from shuzheng.data.sharing.models import Grant

    number = str(payload.get("grant") or "")
    if not number:
        return None
    rows = Grant.objects.select_related(
        "entry", "consumer", "provider", "request", "request__applicant"
    )
    return _cached(("grant", number), lambda: rows.filter(number=number).first())


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


def _last_text(request, field: str) -> str:
    if request.workflow_id is None:
        return ""
    return (
        request.workflow.history.exclude(**{field: ""})
        .order_by("-seq")
        .values_list(field, flat=True)
        .first()
        or ""
    )


def _context(payload: dict) -> dict:
    """Everything the templates may use, "—" where there is no value."""
    from shuzheng.data.sharing.models import RequestState
    from shuzheng.data.sharing.services import last_day

    context = dict.fromkeys(
        (
            "number",
            "entry",
            "requester",
            "provider",
            "consumer",
            "due",
            "state",
            "reason",
            "decision_reason",
            "dispute_reason",
            "coordination_opinion",
            "grant",
            "valid_from",
            "valid_until",
        ),
        "—",
    )
    context.update({k: v for k, v in payload.items() if isinstance(v, str | int)})
    grant = _grant_of(payload)
    request = _request_of(payload)
    if request is None and grant is not None and grant.request_id:
        request = grant.request
    if request is not None:
        context.update(
            number=request.number,
            entry=request.entry.name,
            requester=request.requester.name,
            provider=request.provider.name,
            due=_when(payload.get("due_at") or request.due_at),
            state=RequestState(request.state).label,
            reason=_last_text(request, "reason") or "—",
            decision_reason=request.decision_reason or "—",
            dispute_reason=request.dispute_reason or "—",
            coordination_opinion=request.coordination_opinion or "—",
        )
    if grant is not None:
        context.update(
            grant=grant.number,
            entry=grant.entry.name,
            consumer=grant.consumer.name,
            provider=grant.provider.name,
            valid_from=_when(timezone.localtime(grant.valid_from).date()),
            valid_until=_when(last_day(grant)),
        )
        if grant.revoke_reason:
            context["reason"] = grant.revoke_reason
    return context


# --------------------------------------------------------------------------- who hears


def holders(organisation, perm: str) -> list:
    """The active holders of ``perm`` on ``organisation``, else on its nearest ancestor that
    has any (a grant on the city reaches every department)."""
    from shuzheng.foundation.access.models import RoleGrant
    from shuzheng.foundation.identity.models import Organisation

    chain = [int(p) for p in organisation.path.strip("/").split("/") if p.isdigit()]
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
        users = by_depth.setdefault(depth.get(grant.organisation_id, 0), [])
        if grant.user not in users:
            users.append(grant.user)
    return by_depth[max(by_depth)] if by_depth else []


def _requesting_side(applicant, organisation) -> list:
    """The applicant while active, else whoever may request for the department."""
    if applicant is not None and applicant.is_active:
        return [applicant]
    return holders(organisation, "datasharing.request")


def requester(event_type: str, payload: dict) -> list:
    grant = _grant_of(payload)
    if grant is not None:
        applicant = grant.request.applicant if grant.request_id else None
        return _requesting_side(applicant, grant.consumer)
    request = _request_of(payload)
    return _requesting_side(request.applicant, request.requester) if request else []


def provider(event_type: str, payload: dict) -> list:
    """The provider's deciders — not about the grant its own approval made."""
    if event_type == "data.sharing.granted" and payload.get("action") == "approve":
        return []
    grant = _grant_of(payload)
    organisation = grant.provider if grant is not None else None
    if organisation is None:
        request = _request_of(payload)
        organisation = request.provider if request is not None else None
    return holders(organisation, "datasharing.decide") if organisation is not None else []


def _authority(perm: str):
    def resolve(event_type: str, payload: dict) -> list:
        request = _request_of(payload)
        return holders(request.requester, perm) if request is not None else []

    return resolve


def whose_turn(event_type: str, payload: dict) -> list:
    """Holders of the capability the request waits for in its current state."""
    request = _request_of(payload)
    if request is None or request.state not in WAITING_FOR:
        return []
    side, perm = WAITING_FOR[request.state]
    return holders(getattr(request, side), perm)


def request_link(payload: dict) -> str:
    request = _request_of(payload)
    if request is None:
        return grant_link(payload)
    try:
        return reverse("datasharing:request", kwargs={"number": request.number})
    except NoReverseMatch:
        return REQUEST_LINK % request.number


def grant_link(payload: dict) -> str:
    grant = _grant_of(payload)
    if grant is None:
        return ""
    try:
        return reverse("datasharing:grant", kwargs={"number": grant.number})
    except NoReverseMatch:
        return GRANT_LINK % grant.number


def on_sharing_event(event) -> None:
    """A sharing event with a template → inbox messages (idempotent by event id)."""
    from shuzheng.foundation.events.notifications.events import notify_for_event

    token = _memo.set({})
    try:
        notify_for_event(event)
    finally:
        _memo.reset(token)


def register() -> None:
    """Templates, recipients and subscriptions (SharingConfig.ready via events; idempotent)."""
    for event_type, (title, body, label) in {**TEMPLATES, **SLA_TEMPLATES}.items():
        register_template(event_type, title=title, body=body, prepare=_context, label=label)
    groups = (
        (AUTHORITY_CHECK, _authority("datasharing.check"), "authority"),
        (AUTHORITY_COORDINATE, _authority("datasharing.coordinate"), "coordinator"),
        (PROVIDER, provider, "provider"),
        (REQUESTER, requester, "requester"),
        (tuple(SLA_TEMPLATES), whose_turn, "turn"),
    )
    for event_types, resolver, group in groups:
        for event_type in event_types:
            link = grant_link if "grant_" in event_type else request_link
            register_recipients(
                event_type, resolver, name=f"datasharing.{group}.{event_type}", link=link
            )
    for event_type in TEMPLATES:
        # the SLA events are already delivered to the notifications app; these are not
        events.subscribe(event_type, on_sharing_event, name=f"datasharing.notify.{event_type}")
