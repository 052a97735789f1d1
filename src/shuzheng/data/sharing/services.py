"""政务数据共享 — the write use-cases (《政务数据共享条例》, shared/domain/data.md).

A department asks another for some 信息项 of a published catalogue entry, for a purpose, a
period and a rate (``create_request``); the request runs on the workflow engine
(``workflow.yaml``, code ``data.sharing``):

* 无条件共享: the data authority's compliance check (≤ 2 working days) → ``grant_unconditional``;
* 有条件共享: the check → ``to_provider`` → the provider approves, or rejects with a reason
  (≤ 5 working days when the data is on the platform, ≤ 10 when not) → the requester accepts
  or disputes → the authority coordinates (``coordinate_grant`` / ``coordinate_refuse``);
* 不予共享: never requested directly, only through ``request_coordination`` (with a reason).

Entering ``granted`` creates the ``Grant`` the exchange gateway enforces (``active_grant``);
the provider or the authority may ``revoke`` it, and it expires at the end of its period.

Every act is one transaction: the engine's entry checks (state, the capability on the
organisation path of the request), the act's own field checks (nothing written on a refusal),
the transition (history, SLA clock, the engine's audit and event), the request's copy of
state / deadline / clock state and its ``revision`` (the optimistic lock: a stale revision
raises ``workflow.Conflict`` → 409), an audit record ``data.sharing.*`` and an event
``data.sharing.<event>`` (identifiers only) from which the parties are notified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from shuzheng.data.catalog import masking, snapshot
from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry, ShareType
from shuzheng.data.sharing.models import (
    OPEN_STATES,
    Grant,
    GrantStatus,
    RequestKind,
    RequestState,
    SharingRequest,
)
from shuzheng.foundation import access, events, workflow
from shuzheng.foundation.trust import audit
from shuzheng.foundation.workflow.calendar.calendar import time_zone
from shuzheng.foundation.workflow.services import spec_of

WORKFLOW_FILE = Path(__file__).resolve().parent / "workflow.yaml"
WORKFLOW_CODE = "data.sharing"

TEXT_MAX = 2000
SCENARIO_MAX = 200  # SharingRequest.scenario
PHONE_MAX = 30  # SharingRequest.contact_phone
REQUEST_PREFIX = "GX"  # 共享申请编号 GX20261130-0001
GRANT_PREFIX = "SQ"  # 授权编号 SQ20261130-0001
_LOCK_CLASS = {REQUEST_PREFIX: 0x4758, GRANT_PREFIX: 0x5351}  # advisory-lock namespaces (PG)

# data.sharing.<event> published after each act (what happened). Acts that end in
# ``granted`` publish ``data.sharing.granted`` (with the grant) instead.
EVENTS = {
    "submit": "submitted",
    "resubmit": "submitted",
    "request_coordination": "coordination_requested",
    "to_provider": "forwarded",
    "return": "returned",
    "withdraw": "withdrawn",
    "reject": "rejected",
    "dispute": "disputed",
    "accept_rejection": "closed",
    "coordinate_refuse": "refused",
    "grant_unconditional": "granted",
    "approve": "granted",
    "coordinate_grant": "granted",
}
# acts that need a text, the field it goes in and the message when it is missing
REQUIRED_TEXT = {
    "return": ("reason", gettext_lazy("请填写退回修改的理由")),
    "reject": ("reason", gettext_lazy("请填写不同意共享的理由")),
    "dispute": ("reason", gettext_lazy("请填写异议理由")),
    "request_coordination": ("reason", gettext_lazy("请说明申请协调的理由")),
    "coordinate_grant": ("opinion", gettext_lazy("请填写协调意见")),
    "coordinate_refuse": ("opinion", gettext_lazy("请填写协调意见")),
}


# --------------------------------------------------------------------------- settings


def max_days() -> int:
    """The longest period a request may ask for, in days (``DATA_SHARING_MAX_DAYS``)."""
    return int(getattr(settings, "DATA_SHARING_MAX_DAYS", 1096))


def max_per_minute() -> int:
    return int(getattr(settings, "DATA_SHARING_MAX_PER_MINUTE", 6000))


def max_per_day() -> int:
    return int(getattr(settings, "DATA_SHARING_MAX_PER_DAY", 1_000_000))


def expiry_notice_days() -> int:
    return int(getattr(settings, "DATA_SHARING_EXPIRY_NOTICE_DAYS", 7))


# --------------------------------------------------------------------------- helpers


def ensure_workflow():
    """The 共享申请 definition: loaded from ``workflow.yaml`` the first time a request
    starts; later versions come from the admin or ``manage.py workflow import``."""
    from shuzheng.foundation.workflow.models import WorkflowDefinition

    if not WorkflowDefinition.objects.filter(code=WORKFLOW_CODE).exists():
        workflow.save_definition(access.SYSTEM, WORKFLOW_FILE.read_text(encoding="utf-8"))


def _field(field: str, message, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _add(errors: dict, field: str, message, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _listing(values: Iterable[str]) -> str:
    return pgettext("list separator", "、").join(str(v) for v in values)


def _text(value, field: str, message, *, limit: int = TEXT_MAX, errors=None) -> str:
    """A required free text: stripped, not blank, not too long."""
    text = str(value or "").strip()
    problem = None
    if not text:
        problem = (message, "required")
    elif len(text) > limit:
        problem = (_("不能超过 %(n)s 个字符") % {"n": limit}, "max_length")
    if problem is not None:
        if errors is None:
            raise _field(field, *problem)
        _add(errors, field, *problem)
    return text


def _optional(value, field: str, *, limit: int = TEXT_MAX, errors=None) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        if errors is None:
            raise _field(field, _("不能超过 %(n)s 个字符") % {"n": limit}, "max_length")
        _add(errors, field, _("不能超过 %(n)s 个字符") % {"n": limit}, "max_length")
    return text


def _codes(value) -> list[str]:
    """A list of 信息项标识 from a list, tuple or comma-separated text; blanks dropped,
    duplicates kept once, order kept."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    seen: list[str] = []
    for code in value:
        code = str(code or "").strip()
        if code and code not in seen:
            seen.append(code)
    return seen


def _date(value, field: str, errors: dict) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if value in (None, ""):
        _add(errors, field, _("请填写日期"), "required")
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        _add(errors, field, _("日期格式应为 YYYY-MM-DD"), "invalid")
        return None


def _quota(value, field: str, cap: int, errors: dict) -> int | None:
    try:
        number = int(value)
        if isinstance(value, bool) or str(value).strip() != str(number):
            raise ValueError
    except (TypeError, ValueError):
        _add(errors, field, _("应为正整数"), "invalid")
        return None
    if number < 1:
        _add(errors, field, _("应为正整数"), "min_value")
        return None
    if number > cap:
        _add(errors, field, _("不能超过 %(n)s") % {"n": cap}, "max_value")
        return None
    return number


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(time_zone()).date()


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=time_zone())


def _next_number(model, prefix: str, at: dt.datetime | None = None) -> str:
    """``<prefix><YYYYMMDD>-<seq>``: the day's highest sequence stored plus one. On
    PostgreSQL a transaction-level advisory lock on the day serialises two allocations; on
    SQLite writers are serialised already. Call inside the creating transaction."""
    day = _local_day(at or timezone.now())
    stem = f"{prefix}{day:%Y%m%d}-"
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS[prefix], int(f"{day:%Y%m%d}")]
            )
    last = (
        model.objects.filter(number__startswith=stem)
        .annotate(width=Length("number"))
        .order_by("-width", "-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last[len(stem) :]) + 1 if last else 1
    return f"{stem}{seq:04d}"


def _requester(actor, requester):
    """The requesting department: ``requester`` if given, else the actor's own organisation;
    the actor must hold ``datasharing.request`` on it."""
    from shuzheng.foundation.identity.models import Organisation

    if actor is access.SYSTEM or not getattr(actor, "pk", None):
        raise PermissionDenied(_("共享申请须由申请部门的工作人员提出"))
    access.require(actor, "datasharing.request")
    if requester is None:
        staff = getattr(actor, "staff", None)
        requester = staff.organisation if staff is not None else None
    elif not isinstance(requester, Organisation):
        requester = Organisation.objects.filter(pk=requester).first()
    if requester is None or not requester.is_active:
        raise _field("requester", _("请选择申请部门"), "required")
    if not any(
        requester.path.startswith(p) for p in access.org_paths(actor, "datasharing.request")
    ):
        raise PermissionDenied(_("无权以“%(name)s”的名义提出共享申请") % {"name": requester.name})
    return requester


def _entry(value, errors: dict, *, lock: bool = False) -> CatalogueEntry | None:
    """A catalogue entry others may request: published (or revising, its last publication
    still readable), by object, id or 信息资源代码."""
    entries = CatalogueEntry.objects.select_related("provider")
    if lock:
        entries = entries.select_for_update(of=("self",))
    if isinstance(value, CatalogueEntry):
        found = entries.filter(pk=value.pk).first()
    elif isinstance(value, int):
        found = entries.filter(pk=value).first()
    elif str(value or "").strip():
        found = entries.filter(code=str(value).strip()).first()
    else:
        _add(errors, "entry", _("请选择目录条目"), "required")
        return None
    if found is None or found.status not in VISIBLE_STATES:
        _add(errors, "entry", _("目录条目不存在、未发布或已下线，不能申请"), "not_published")
        return None
    return found


def published_share_type(entry: CatalogueEntry) -> str:
    """The 共享类型 of the entry's last publication (what requesters read)."""
    return (entry.published or {}).get("share_type") or entry.share_type


def _names(items_by_code: dict, codes: Iterable[str]) -> str:
    return _listing(f"{items_by_code[c].get('name') or c}（{c}）" for c in codes)


def _check_items(entry, fields, clear_fields, errors: dict) -> None:
    """Every requested item exists in the entry's published items; none is 核心数据 (never
    delivered); each clear item is requested and may be granted clear (below 重要数据)."""
    items = {item["code"]: item for item in snapshot.items_of(entry)}
    if not fields:
        _add(errors, "fields", _("请至少选择一个信息项"), "required")
    unknown = [c for c in fields if c not in items]
    if unknown:
        _add(
            errors,
            "fields",
            _("目录中没有这些信息项：%(codes)s") % {"codes": _listing(unknown)},
            "unknown_items",
        )
    withheld = [
        c
        for c in fields
        if c in items and masking.delivery(items[c], clear_granted=True) == masking.WITHHELD
    ]
    if withheld:
        _add(
            errors,
            "fields",
            _("以下信息项为核心数据，不予共享，不能申请：%(names)s")
            % {"names": _names(items, withheld)},
            "core_items",
        )
    stray = [c for c in clear_fields if c not in fields]
    if stray:
        _add(
            errors,
            "clear_fields",
            _("申请明文的信息项须在申请的信息项之中：%(codes)s") % {"codes": _listing(stray)},
            "not_requested",
        )
    refused = [
        c
        for c in clear_fields
        if c in fields and c in items and not masking.may_grant_clear(items[c])
    ]
    if refused:
        _add(
            errors,
            "clear_fields",
            _("重要数据及以上级别的信息项只能脱敏提供，不能申请明文：%(names)s")
            % {"names": _names(items, refused)},
            "clear_not_allowed",
        )


def _check_period(start, end, errors: dict) -> tuple[dt.date | None, dt.date | None]:
    start = _date(start, "period_start", errors)
    end = _date(end, "period_end", errors)
    today = timezone.localdate()
    if start is not None and start < today:
        _add(errors, "period_start", _("使用期限不能早于今天"), "past")
    if start is not None and end is not None:
        if end < start:
            _add(errors, "period_end", _("使用期限止不能早于使用期限起"), "before_start")
        elif (end - start).days + 1 > max_days():
            _add(
                errors,
                "period_end",
                _("使用期限最长 %(n)s 天") % {"n": max_days()},
                "too_long",
            )
    return start, end


def _check_duplicates(requester, entry, fields, clear_fields, end, errors, *, exclude=None):
    """Refuse a second open request of the department for overlapping items of the entry,
    and a request an active grant already covers (its items and the whole period)."""
    if "fields" in errors or entry is None:
        return
    open_requests = SharingRequest.objects.filter(
        requester=requester, entry=entry, state__in=OPEN_STATES
    )
    if exclude is not None:
        open_requests = open_requests.exclude(pk=exclude.pk)
    for other in open_requests.order_by("pk"):
        overlap = [c for c in fields if c in (other.fields or [])]
        if overlap:
            _add(
                errors,
                "fields",
                _(
                    "本部门已有尚未办结的共享申请 %(number)s 包含这些信息项（%(codes)s），"
                    "请勿重复申请"
                )
                % {"number": other.number, "codes": _listing(overlap)},
                "duplicate_request",
            )
            return
    if end is None:
        return
    now = timezone.now()
    until = _day_start(end + dt.timedelta(days=1))
    grants = Grant.objects.filter(
        consumer=requester, entry=entry, status=GrantStatus.ACTIVE, valid_until__gt=now
    )
    for grant in grants.order_by("-granted_at", "-pk"):
        if (
            set(fields) <= set(grant.fields or [])
            and set(clear_fields) <= set(grant.clear_fields or [])
            and grant.valid_until >= until
        ):
            last_day = _local_day(grant.valid_until - dt.timedelta(microseconds=1))
            _add(
                errors,
                "fields",
                _(
                    "本部门已有有效授权 %(number)s 覆盖这些信息项（有效期至 %(until)s），无需重复申请"
                )
                % {"number": grant.number, "until": last_day.isoformat()},
                "already_granted",
            )
            return


def _validate(
    actor,
    requester,
    *,
    entry,
    fields,
    clear_fields,
    purpose,
    legal_basis,
    scenario,
    period_start,
    period_end,
    quota_per_minute,
    quota_per_day,
    contact_phone,
    coordination: bool,
    reason: str | None = None,
    exclude=None,
) -> dict:
    """Every rule of a request at once: a ValidationError naming each bad field, or the
    cleaned values."""
    errors: dict = {}
    entry = _entry(entry, errors, lock=True)
    if entry is not None:
        share_type = published_share_type(entry)
        if entry.provider_id == requester.pk:
            _add(errors, "entry", _("不能申请本部门提供的数据"), "own_data")
        elif coordination and share_type != ShareType.NONE:
            _add(
                errors,
                "entry",
                _("该目录条目可以直接申请共享，无需申请协调"),
                "shareable",
            )
        elif not coordination and share_type == ShareType.NONE:
            _add(
                errors,
                "entry",
                _(
                    "该目录条目为不予共享，不能直接申请。确有履职需要的，请提出申请协调"
                    "（说明理由，由数据主管部门协调）"
                ),
                "not_shared",
            )
    fields = _codes(fields)
    clear_fields = _codes(clear_fields)
    if entry is not None:
        _check_items(entry, fields, clear_fields, errors)
    elif not fields:
        _add(errors, "fields", _("请至少选择一个信息项"), "required")
    cleaned = {
        "purpose": _text(purpose, "purpose", _("请填写用途"), errors=errors),
        "legal_basis": _text(
            legal_basis,
            "legal_basis",
            _("请填写申请依据（法律法规、政策文件或履职事项）"),
            errors=errors,
        ),
        "scenario": _optional(scenario, "scenario", limit=SCENARIO_MAX, errors=errors),
        "contact_phone": _optional(contact_phone, "contact_phone", limit=PHONE_MAX, errors=errors),
        "quota_per_minute": _quota(quota_per_minute, "quota_per_minute", max_per_minute(), errors),
        "quota_per_day": _quota(quota_per_day, "quota_per_day", max_per_day(), errors),
    }
    if reason is not None:
        cleaned["reason"] = _text(reason, "reason", _("请说明申请协调的理由"), errors=errors)
    start, end = _check_period(period_start, period_end, errors)
    if entry is not None and "entry" not in errors:
        _check_duplicates(requester, entry, fields, clear_fields, end, errors, exclude=exclude)
    if errors:
        raise ValidationError(errors)
    cleaned.update(
        entry=entry,
        fields=fields,
        clear_fields=clear_fields,
        period_start=start,
        period_end=end,
    )
    return cleaned


# --------------------------------------------------------------------------- the request


def _audit(actor, request: SharingRequest, action: str, **details) -> None:
    audit.record(
        actor,
        f"data.sharing.request.{action}",
        request,
        details={"number": request.number, "entry": request.entry.code, **details},
    )


def _payload(request: SharingRequest, **extra) -> dict:
    return {
        "request": request.number,
        "state": request.state,
        "entry": request.entry.code,
        "entry_id": request.entry_id,
        "requester": request.requester_id,
        "provider": request.provider_id,
        **extra,
    }


def _publish(request: SharingRequest, action: str, **extra) -> None:
    events.publish(
        f"data.sharing.{EVENTS[action]}",
        _payload(request, action=action, **extra),
        key=request.number,
    )


def _start(actor, request: SharingRequest) -> None:
    ensure_workflow()
    request.workflow = workflow.start(actor, request, WORKFLOW_CODE, at=request.created_at)
    request.state = request.workflow.state
    SharingRequest.objects.filter(pk=request.pk).update(
        workflow=request.workflow, state=request.state
    )


def _create(actor, requester, cleaned: dict, kind: str) -> SharingRequest:
    entry = cleaned["entry"]
    now = timezone.now()
    request = SharingRequest.objects.create(
        number=_next_number(SharingRequest, REQUEST_PREFIX, now),
        kind=kind,
        entry=entry,
        entry_version=entry.version,
        share_type=published_share_type(entry),
        requester=requester,
        provider=entry.provider,
        applicant=actor,
        contact_phone=cleaned["contact_phone"],
        fields=cleaned["fields"],
        clear_fields=cleaned["clear_fields"],
        purpose=cleaned["purpose"],
        legal_basis=cleaned["legal_basis"],
        scenario=cleaned["scenario"],
        period_start=cleaned["period_start"],
        period_end=cleaned["period_end"],
        quota_per_minute=cleaned["quota_per_minute"],
        quota_per_day=cleaned["quota_per_day"],
        dispute_reason=cleaned.get("reason", ""),
        created_at=now,
        updated_at=now,
    )
    _start(actor, request)
    _audit(
        actor,
        request,
        "create",
        kind=kind,
        fields=request.fields,
        clear_fields=request.clear_fields,
        period=[request.period_start.isoformat(), request.period_end.isoformat()],
    )
    return request


@transaction.atomic
def create_request(
    actor,
    *,
    entry,
    fields,
    purpose,
    legal_basis,
    period_start,
    period_end,
    clear_fields=(),
    scenario="",
    quota_per_minute=60,
    quota_per_day=10000,
    contact_phone="",
    submit=True,
    requester=None,
) -> SharingRequest:
    """提出共享申请 for the actor's department (or ``requester``, a department on which the
    actor holds ``datasharing.request``): the items, purpose, basis, period and rate asked
    for, checked against the entry's last publication; with ``submit`` it goes to the data
    authority's compliance check at once (2 working days)."""
    org = _requester(actor, requester)
    cleaned = _validate(
        actor,
        org,
        entry=entry,
        fields=fields,
        clear_fields=clear_fields,
        purpose=purpose,
        legal_basis=legal_basis,
        scenario=scenario,
        period_start=period_start,
        period_end=period_end,
        quota_per_minute=quota_per_minute,
        quota_per_day=quota_per_day,
        contact_phone=contact_phone,
        coordination=False,
    )
    request = _create(actor, org, cleaned, RequestKind.SHARE)
    if submit:
        _act(actor, request, "submit", revision=request.revision)
    return request


@transaction.atomic
def request_coordination(
    actor,
    *,
    entry,
    fields,
    purpose,
    legal_basis,
    period_start,
    period_end,
    reason,
    clear_fields=(),
    scenario="",
    quota_per_minute=60,
    quota_per_day=10000,
    contact_phone="",
    submit=True,
    requester=None,
) -> SharingRequest:
    """申请协调: a department that needs 不予共享 data for its duties asks the data authority
    to coordinate (reason required; 10 working days by default). The same rules as a request
    hold otherwise (items, period, rate; 核心数据 never)."""
    org = _requester(actor, requester)
    cleaned = _validate(
        actor,
        org,
        entry=entry,
        fields=fields,
        clear_fields=clear_fields,
        purpose=purpose,
        legal_basis=legal_basis,
        scenario=scenario,
        period_start=period_start,
        period_end=period_end,
        quota_per_minute=quota_per_minute,
        quota_per_day=quota_per_day,
        contact_phone=contact_phone,
        coordination=True,
        reason=reason,
    )
    request = _create(actor, org, cleaned, RequestKind.COORDINATION)
    if submit:
        _act(actor, request, "request_coordination", revision=request.revision, reason=reason)
    return request


EDITABLE = (
    "fields",
    "clear_fields",
    "purpose",
    "legal_basis",
    "scenario",
    "period_start",
    "period_end",
    "quota_per_minute",
    "quota_per_day",
    "contact_phone",
)


@transaction.atomic
def update_request(actor, request: SharingRequest, *, revision=None, **changes) -> SharingRequest:
    """修改申请: the requester changes a draft or a request returned by the compliance check
    (then ``resubmit``s it); every rule is checked again."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TypeError(f"update_request() got unexpected fields {unknown}")
    request = _locked(request)
    _check_revision(request, revision)
    access.check(actor, request, "datasharing.request")
    if request.state not in (RequestState.DRAFT, RequestState.RETURNED):
        raise ValidationError(
            _("只有草稿或退回修改的申请可以修改（当前状态：%(state)s）")
            % {"state": request.get_state_display()},
            code="not_editable",
        )
    values = {name: changes.get(name, getattr(request, name)) for name in EDITABLE}
    cleaned = _validate(
        actor,
        request.requester,
        entry=request.entry,
        coordination=request.kind == RequestKind.COORDINATION,
        exclude=request,
        **values,
    )
    fields = {name: cleaned[name] for name in EDITABLE}
    fields["updated_at"] = timezone.now()
    _save(request, fields)
    _audit(actor, request, "update", changed=sorted(changes))
    return request


# --------------------------------------------------------------------------- acts


def _locked(request: SharingRequest) -> SharingRequest:
    """The request as stored now, its row locked for this transaction."""
    fresh = (
        SharingRequest.objects.select_for_update(of=("self",))
        .select_related("entry", "requester", "provider", "applicant", "workflow")
        .get(pk=request.pk)
    )
    return fresh


def _check_revision(request: SharingRequest, revision) -> None:
    if revision is not None and int(revision) != request.revision:
        raise workflow.Conflict(_("该申请已被他人处理（状态已变化），请刷新后重试"))


def _save(request: SharingRequest, fields: dict) -> None:
    """Write ``fields`` and bump the revision — only if nobody changed the row meanwhile."""
    updated = SharingRequest.objects.filter(pk=request.pk, revision=request.revision).update(
        **fields, revision=F("revision") + 1
    )
    if not updated:
        raise workflow.Conflict(_("该申请已被他人处理（状态已变化），请刷新后重试"))
    for name, value in fields.items():
        setattr(request, name, value)
    request.revision += 1


def _check_share_type(request: SharingRequest, action: str) -> None:
    """The compliance check's outcome must match the 共享类型 the request was made under,
    and each kind of request has its own way in."""
    kind, share_type = request.kind, request.share_type
    if action == "grant_unconditional" and share_type != ShareType.UNCONDITIONAL:
        raise ValidationError(
            _(
                "该申请的数据为“%(type)s”，不能自动授权：合规审查通过后应转提供方审核"
                "（或由协调决定）"
            )
            % {"type": ShareType(share_type).label},
            code="wrong_share_type",
        )
    if action == "to_provider" and share_type != ShareType.CONDITIONAL:
        message = (
            _("该申请的数据为无条件共享，合规审查通过即自动授权，无需转提供方审核")
            if share_type == ShareType.UNCONDITIONAL
            else _("不予共享的数据不能转提供方审核，只能由数据主管部门协调")
        )
        raise ValidationError(message, code="wrong_share_type")
    if action in ("submit", "resubmit") and kind == RequestKind.COORDINATION:
        raise ValidationError(
            _("协调申请应提交数据主管部门协调（申请协调），不经合规审查"), code="wrong_kind"
        )
    if action == "request_coordination" and kind != RequestKind.COORDINATION:
        raise ValidationError(
            _("该申请为共享申请，请提交合规审查；被提供方不同意时可提出异议"), code="wrong_kind"
        )


def _check_grantable(request: SharingRequest) -> None:
    """On the way into ``granted``: the entry is still published, the period has not run
    out, and every item asked for is still there and deliverable as asked (a revision may
    have changed the catalogue)."""
    entry = request.entry
    if entry.status not in VISIBLE_STATES:
        raise ValidationError(_("目录条目已下线，不能授权"), code="entry_withdrawn")
    items = {item["code"]: item for item in snapshot.items_of(entry)}
    gone = [c for c in request.fields if c not in items]
    core = [
        c
        for c in request.fields
        if c in items and masking.delivery(items[c], clear_granted=True) == masking.WITHHELD
    ]
    unclear = [
        c for c in request.clear_fields if c in items and not masking.may_grant_clear(items[c])
    ]
    problems = []
    if request.period_end < timezone.localdate():
        problems.append(
            _("申请的使用期限已于 %(day)s 届满") % {"day": request.period_end.isoformat()}
        )
    if gone:
        problems.append(_("目录已修订，以下信息项已不存在：%(codes)s") % {"codes": _listing(gone)})
    if core:
        problems.append(
            _("以下信息项现为核心数据，不予共享：%(codes)s") % {"codes": _listing(core)}
        )
    if unclear:
        problems.append(
            _("以下信息项现为重要数据，不能明文提供：%(codes)s") % {"codes": _listing(unclear)}
        )
    if problems:
        raise ValidationError(
            pgettext("sentence separator", "；").join(problems)
            + _("。请退回或不同意后由申请部门重新申请。"),
            code="catalogue_changed",
        )


def _texts(action: str, opinion: str, reason: str) -> tuple[str, str]:
    errors: dict = {}
    required = REQUIRED_TEXT.get(action)
    values = {"opinion": opinion, "reason": reason}
    for name in ("opinion", "reason"):
        if required and required[0] == name:
            values[name] = _text(values[name], name, required[1], errors=errors)
        else:
            values[name] = _optional(values[name], name, errors=errors)
    if errors:
        raise ValidationError(errors)
    return values["opinion"], values["reason"]


def _act(actor, request: SharingRequest, action: str, *, revision=None, opinion="", reason=""):
    """One transition (inside the caller's transaction): the checks, the move, the copy,
    the grant, the audit record and the event."""
    _check_revision(request, revision)
    instance = request.workflow
    instance.subject = request  # the engine reads the limits (and checks access) on it
    workflow.check_transition(actor, instance, action, revision=instance.revision)
    _check_share_type(request, action)
    opinion, reason = _texts(action, opinion, reason)
    if spec_of(instance.definition).transition(action).target == RequestState.GRANTED:
        _check_grantable(request)
    from_state = request.state
    instance = workflow.transition(
        actor, instance, action, revision=instance.revision, opinion=opinion, reason=reason
    )
    fields = {
        "state": instance.state,
        "due_at": instance.due_at,
        "sla_state": instance.sla_state,
        "updated_at": instance.updated_at,
    }
    if action == "reject":
        fields["decision_reason"] = reason
    elif action in ("dispute", "request_coordination"):
        fields["dispute_reason"] = reason
    elif action in ("coordinate_grant", "coordinate_refuse"):
        fields["coordination_opinion"] = opinion
    _save(request, fields)
    details = {"from": from_state, "to": request.state}
    if reason:
        details["reason_digest"] = audit.digest(reason)
    if opinion:
        details["opinion_digest"] = audit.digest(opinion)
    _audit(actor, request, action, **details)
    if request.state == RequestState.GRANTED:
        grant = _grant(actor, request, action)
        _publish(request, action, **_grant_payload(grant))
    else:
        _publish(request, action)
    return request


@transaction.atomic
def act(actor, request: SharingRequest, action: str, *, revision=None, opinion="", reason=""):
    """Take workflow transition ``action`` on ``request`` (``workflow.yaml``): the data
    authority's check (``grant_unconditional`` / ``to_provider`` / ``return``), the
    provider's ``approve`` / ``reject`` (reason), the requester's ``submit`` / ``resubmit``
    / ``withdraw`` / ``dispute`` (reason) / ``accept_rejection``, the authority's
    ``coordinate_grant`` / ``coordinate_refuse`` (opinion). ``revision`` is the one the actor
    saw: a request changed since raises ``workflow.Conflict`` and nothing is written."""
    request = _locked(request)
    return _act(actor, request, action, revision=revision, opinion=opinion, reason=reason)


# --------------------------------------------------------------------------- grants


def grant_window(request: SharingRequest) -> tuple[dt.datetime, dt.datetime]:
    """(valid_from, valid_until) of a request's grant: from the start of its first day to
    the end of its last day (local time); ``valid_until`` itself is outside the grant."""
    return (
        _day_start(request.period_start),
        _day_start(request.period_end + dt.timedelta(days=1)),
    )


def last_day(grant: Grant) -> dt.date:
    """The last day a grant is valid on (``valid_until`` is exclusive)."""
    return _local_day(grant.valid_until - dt.timedelta(microseconds=1))


def _grant_payload(grant: Grant) -> dict:
    return {
        "grant": grant.number,
        "consumer": grant.consumer_id,
        "fields": list(grant.fields),
        "clear_fields": list(grant.clear_fields),
        "valid_from": grant.valid_from.isoformat(),
        "valid_until": grant.valid_until.isoformat(),
        "quota_per_minute": grant.quota_per_minute,
        "quota_per_day": grant.quota_per_day,
    }


def _grant(actor, request: SharingRequest, action: str) -> Grant:
    """On entering ``granted``: the grant the gateway enforces, as the request asked."""
    valid_from, valid_until = grant_window(request)
    now = timezone.now()
    grant = Grant.objects.create(
        number=_next_number(Grant, GRANT_PREFIX, now),
        request=request,
        entry=request.entry,
        consumer=request.requester,
        provider=request.provider,
        fields=list(request.fields),
        clear_fields=list(request.clear_fields),
        purpose=request.purpose,
        valid_from=valid_from,
        valid_until=valid_until,
        quota_per_minute=request.quota_per_minute,
        quota_per_day=request.quota_per_day,
        granted_by=actor,
        granted_at=now,
    )
    audit.record(
        actor,
        "data.sharing.grant.create",
        grant,
        details={
            "number": grant.number,
            "request": request.number,
            "entry": request.entry.code,
            "by": action,
            "consumer": grant.consumer_id,
            "fields": grant.fields,
            "clear_fields": grant.clear_fields,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    return grant


@transaction.atomic
def revoke(actor, grant: Grant, *, reason, revision=None) -> Grant:
    """撤销授权: the provider (``datasharing.revoke`` on the providing department) or the data
    authority withdraws a grant, with a reason; the gateway refuses from the next call."""
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("entry", "request", "consumer", "provider")
        .get(pk=grant.pk)
    )
    access.check(actor, grant, "datasharing.revoke")
    if revision is not None and int(revision) != grant.revision:
        raise workflow.Conflict(_("该授权已被他人处理，请刷新后重试"))
    if grant.status == GrantStatus.REVOKED:
        raise ValidationError(
            _("授权 %(number)s 已于 %(at)s 撤销")
            % {
                "number": grant.number,
                "at": timezone.localtime(grant.revoked_at).strftime("%Y-%m-%d %H:%M"),
            },
            code="already_revoked",
        )
    reason = _text(reason, "reason", _("请填写撤销理由"))
    now = timezone.now()
    fields = {
        "status": GrantStatus.REVOKED,
        "revoked_by": actor,
        "revoked_at": now,
        "revoke_reason": reason,
    }
    updated = Grant.objects.filter(pk=grant.pk, revision=grant.revision).update(
        **fields, revision=F("revision") + 1
    )
    if not updated:
        raise workflow.Conflict(_("该授权已被他人处理，请刷新后重试"))
    for name, value in fields.items():
        setattr(grant, name, value)
    grant.revision += 1
    audit.record(
        actor,
        "data.sharing.grant.revoke",
        grant,
        details={"number": grant.number, "reason_digest": audit.digest(reason)},
    )
    events.publish(
        "data.sharing.grant_revoked",
        {
            "grant": grant.number,
            "request": grant.request.number if grant.request_id else "",
            "entry": grant.entry.code,
            "entry_id": grant.entry_id,
            "consumer": grant.consumer_id,
            "provider": grant.provider_id,
        },
        key=grant.number,
    )
    return grant


def active_grant(consumer_id, entry_id, at=None) -> Grant | None:
    """The gateway's lookup: the grant under which department ``consumer_id`` may call entry
    ``entry_id`` at ``at`` (default now) — status active and valid_from ≤ at < valid_until;
    of several, the newest. Read from the database every time (no cache), so a revocation
    or an expiry takes effect at the next call."""
    at = at or timezone.now()
    consumer_id = getattr(consumer_id, "pk", consumer_id)
    entry_id = getattr(entry_id, "pk", entry_id)
    return (
        Grant.objects.filter(
            consumer_id=consumer_id,
            entry_id=entry_id,
            status=GrantStatus.ACTIVE,
            valid_from__lte=at,
            valid_until__gt=at,
        )
        .order_by("-granted_at", "-pk")
        .first()
    )


def notify_expiring(*, now=None) -> int:
    """到期提醒: every active grant that ends within ``DATA_SHARING_EXPIRY_NOTICE_DAYS``
    (default 7) announces ``data.sharing.grant_expiring`` once (its consumer is told);
    returns how many were announced now. Run daily; a grant announced before is skipped."""
    from shuzheng.foundation.trust.models import AuditRecord

    now = now or timezone.now()
    horizon = now + dt.timedelta(days=expiry_notice_days())
    due = Grant.objects.filter(
        status=GrantStatus.ACTIVE, valid_until__gt=now, valid_until__lte=horizon
    ).values_list("pk", flat=True)
    object_type = f"{Grant._meta.app_label}.{Grant._meta.model_name}"
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            grant = (
                Grant.objects.select_for_update(of=("self",))
                .select_related("entry")
                .filter(pk=pk, status=GrantStatus.ACTIVE)
                .first()
            )
            if grant is None:
                continue
            if AuditRecord.objects.filter(
                object_type=object_type,
                object_id=str(grant.pk),
                action="data.sharing.grant.expiry_notice",
            ).exists():
                continue
            audit.record(
                access.SYSTEM,
                "data.sharing.grant.expiry_notice",
                grant,
                details={"number": grant.number, "valid_until": grant.valid_until.isoformat()},
            )
            events.publish(
                "data.sharing.grant_expiring",
                {
                    "grant": grant.number,
                    "entry": grant.entry.code,
                    "entry_id": grant.entry_id,
                    "consumer": grant.consumer_id,
                    "provider": grant.provider_id,
                    "valid_until": grant.valid_until.isoformat(),
                },
                key=grant.number,
            )
            sent += 1
    return sent


def outcome_message(exc: Exception) -> str:
    """One line for a refused act (a page message)."""
    if isinstance(exc, workflow.Conflict):
        return _("该申请已被他人处理，请刷新后重试")
    if isinstance(exc, ValidationError):
        return pgettext("sentence separator", "；").join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("无权执行此操作")
    return str(exc)
