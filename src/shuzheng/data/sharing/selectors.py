"""Reads of sharing requests and grants, every one through ``access.scope``.

A request is seen (``datasharing.view``) by the requesting and the providing department and
by the data authority (a grant on the city); the boxes narrow that to what waits for the
user: 我的申请 (``datasharing.request``: the requesting side), 待合规审查
(``datasharing.check``, state checking), 待我方审核 (``datasharing.decide``: the providing
side, state provider_review), 待协调 (``datasharing.coordinate``, state coordinating).
A grant is seen by its consumer and its provider (``side`` picks one). Out of scope is 404.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.data.sharing.models import (
    OPEN_STATES,
    Grant,
    GrantStatus,
    RequestState,
    SharingRequest,
)
from shuzheng.foundation import access

LIMIT_MAX = 200

# box → (label, capability, state it waits in)
BOXES = {
    "mine": (gettext_lazy("我的申请"), "datasharing.request", None),
    "to_check": (gettext_lazy("待合规审查"), "datasharing.check", RequestState.CHECKING),
    "to_decide": (gettext_lazy("待我方审核"), "datasharing.decide", RequestState.PROVIDER_REVIEW),
    "to_coordinate": (
        gettext_lazy("待协调"),
        "datasharing.coordinate",
        RequestState.COORDINATING,
    ),
    "all": (gettext_lazy("全部"), "datasharing.view", None),
}
SIDES = {
    "consumer": gettext_lazy("本部门使用"),
    "provider": gettext_lazy("本部门提供"),
    "all": gettext_lazy("全部"),
}
REQUEST_RELATED = ("entry", "requester", "provider", "applicant")
GRANT_RELATED = ("entry", "consumer", "provider", "request", "granted_by", "revoked_by")


def visible_requests(user) -> QuerySet[SharingRequest]:
    return access.scope(user, SharingRequest.objects.all(), "datasharing.view")


def requests_for(
    user,
    *,
    box: str = "mine",
    state=None,
    overdue: bool | None = None,
    after: int | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[SharingRequest]:
    """The requests of one box (``BOXES``), newest first; ``state`` narrows (a value or a
    list), ``overdue`` keeps those whose running clock has passed its deadline, ``after``
    continues a page (the last id seen)."""
    if box not in BOXES:
        raise ValueError(f"unknown box {box!r}")
    _label, perm, waiting = BOXES[box]
    rows = access.scope(user, SharingRequest.objects.all(), perm)
    if perm != "datasharing.view":  # the box's capability, and seeing it at all
        rows = rows.filter(pk__in=visible_requests(user).values("pk"))
    if waiting is not None:
        rows = rows.filter(state=waiting)
    if state:
        states = [state] if isinstance(state, str) else list(state)
        rows = rows.filter(state__in=states)
    if overdue is not None:
        now = now or timezone.now()
        late = Q(sla_state="running", due_at__lt=now)
        rows = rows.filter(late) if overdue else rows.exclude(late)
    if after:
        rows = rows.filter(pk__lt=after)
    rows = rows.select_related(*REQUEST_RELATED).order_by("-pk")
    if limit is not None:
        rows = rows[: max(1, min(int(limit), LIMIT_MAX + 1))]
    return rows


def count(user, *, box: str, cap: int = 99) -> int:
    """How many requests a box holds (at most ``cap`` + 1 counted)."""
    rows = requests_for(user, box=box)
    if box in ("mine", "all"):
        rows = rows.filter(state__in=OPEN_STATES)
    return len(rows.values_list("pk", flat=True)[: cap + 1])


def get_request(user, number: str) -> SharingRequest:
    """One request by 申请编号, or Http404 when it does not exist or is out of scope."""
    try:
        return (
            visible_requests(user)
            .select_related(*REQUEST_RELATED, "workflow", "workflow__definition", "grant")
            .get(number=str(number or "").strip())
        )
    except SharingRequest.DoesNotExist:
        raise Http404(_("找不到该共享申请")) from None


def history(request: SharingRequest):
    """流转记录 of the request, oldest first."""
    if request.workflow_id is None:
        return []
    return list(request.workflow.history.select_related("actor").order_by("seq"))


def _within(field: str, paths: list[str]) -> Q:
    if not paths:
        return Q(pk__in=[])
    within = Q()
    for path in paths:
        within |= Q(**{f"{field}__path__startswith": path})
    return within


def grants_for(
    user,
    *,
    side: str = "consumer",
    active: bool | None = None,
    entry=None,
    after: int | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Grant]:
    """The grants ``user`` may see, newest first: those its departments use (``consumer``),
    those they provide (``provider``) or both (``all``); ``active`` keeps the grants valid
    now (or those not)."""
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}")
    rows = access.scope(user, Grant.objects.all(), "datasharing.view")
    if side != "all" and user is not access.SYSTEM:
        rows = rows.filter(_within(side, access.org_paths(user, "datasharing.view")))
    if active is not None:
        now = now or timezone.now()
        valid = Q(status=GrantStatus.ACTIVE, valid_from__lte=now, valid_until__gt=now)
        rows = rows.filter(valid) if active else rows.exclude(valid)
    if entry is not None:
        rows = rows.filter(entry=entry)
    if after:
        rows = rows.filter(pk__lt=after)
    rows = rows.select_related(*GRANT_RELATED).order_by("-pk")
    if limit is not None:
        rows = rows[: max(1, min(int(limit), LIMIT_MAX + 1))]
    return rows


def get_grant(user, number: str) -> Grant:
    """One grant by 授权编号, or Http404."""
    try:
        return (
            access.scope(user, Grant.objects.all(), "datasharing.view")
            .select_related(*GRANT_RELATED)
            .get(number=str(number or "").strip())
        )
    except Grant.DoesNotExist:
        raise Http404(_("找不到该共享授权")) from None


def grant_state(grant: Grant, now: dt.datetime | None = None) -> str:
    """``active``, ``pending`` (not yet valid), ``expired`` or ``revoked``."""
    now = now or timezone.now()
    if grant.status == GrantStatus.REVOKED:
        return "revoked"
    if now < grant.valid_from:
        return "pending"
    if now >= grant.valid_until:
        return "expired"
    return "active"


GRANT_STATE_LABELS = {
    "active": gettext_lazy("有效"),
    "pending": gettext_lazy("未到生效时间"),
    "expired": gettext_lazy("已到期"),
    "revoked": gettext_lazy("已撤销"),
}


def deadline_flags(request: SharingRequest, now: dt.datetime | None = None) -> dict:
    """overdue (红) / approaching (黄, within ``WORKFLOW_APPROACHING_HOURS``) of a request
    whose clock runs."""
    from django.conf import settings

    now = now or timezone.now()
    running = request.sla_state == "running" and request.due_at is not None
    overdue = bool(running and now > request.due_at)
    lead = dt.timedelta(hours=getattr(settings, "WORKFLOW_APPROACHING_HOURS", 24))
    approaching = bool(running and not overdue and request.due_at - now <= lead)
    return {"overdue": overdue, "approaching": approaching}
