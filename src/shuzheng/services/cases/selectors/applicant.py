"""我的办件 and the public progress query: the applicant's reads.

Every read of one's own cases starts from ``access.scope(user, …, "cases.view")`` and is
then narrowed to what is *mine* — cases one owns and cases of enterprises one acts for — so
a staff member's organisation grant never turns the portal's 我的办件 into a queue, and a
list and a detail always agree (a case outside them is a 404). The public progress query is
the one read without an account: knowing the 办件编号 *and* the last four characters of the
applicant's document number is the authorisation, and every miss gets the same answer.
"""

from __future__ import annotations

import hmac

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access
from shuzheng.foundation.identity import selectors as identity
from shuzheng.foundation.identity.models import EnterpriseAgent
from shuzheng.foundation.identity.validators import mask_id_number
from shuzheng.foundation.workflow.calendar import calendar
from shuzheng.foundation.workflow.services import spec_of
from shuzheng.services.cases import numbering
from shuzheng.services.cases.models import ApplicantType, Case, CaseState
from shuzheng.services.catalogue.models import LimitUnit

_OWN_ACTIONS = ("submit", "resubmit", "withdraw", "withdraw_running")
# The applicant's steps, and the same steps taken by a window clerk for them (代办).
APPLICANT_ACTIONS = ("start", *_OWN_ACTIONS, *(f"{a}_at_window" for a in _OWN_ACTIONS))
# What the applicant reads in the timeline: reasons and decisions addressed to them; the
# internal opinions of 受理 and 审查 stay in the workbench.
VISIBLE_NOTES = {
    "request_correction": ("reason", gettext_lazy("补正事项")),
    "reject": ("reason", gettext_lazy("不予受理理由")),
    "deny": ("reason", gettext_lazy("不予准予理由")),
    "approve": ("opinion", gettext_lazy("决定意见")),
    "withdraw": ("reason", gettext_lazy("撤回理由")),
    "withdraw_running": ("reason", gettext_lazy("撤回理由")),
    "withdraw_at_window": ("reason", gettext_lazy("撤回理由")),
    "withdraw_running_at_window": ("reason", gettext_lazy("撤回理由")),
}
NEXT_STEPS = {
    CaseState.DRAFT: gettext_lazy("继续填写并提交申请"),
    CaseState.SUBMITTED: gettext_lazy("等待窗口受理"),
    CaseState.CORRECTION: gettext_lazy("请按补正告知补齐材料后重新提交"),
    CaseState.REJECTED: gettext_lazy("不予受理，可查看理由"),
    CaseState.ACCEPTED: gettext_lazy("已受理，等待审查"),
    CaseState.REVIEW: gettext_lazy("审查中"),
    CaseState.SPECIAL: gettext_lazy("特别程序中（不计入办理时限）"),
    CaseState.APPROVED: gettext_lazy("已作出准予决定，等待办结"),
    CaseState.DENIED: gettext_lazy("已作出不予准予决定，等待办结"),
    CaseState.CONCLUDED: gettext_lazy("已办结，等待送达或领取结果"),
    CaseState.DELIVERED: gettext_lazy("已完成"),
    CaseState.WITHDRAWN: gettext_lazy("已撤回"),
}
STATE_BADGES = {
    CaseState.DRAFT: "secondary",
    CaseState.SUBMITTED: "info",
    CaseState.CORRECTION: "warning",
    CaseState.REJECTED: "danger",
    CaseState.ACCEPTED: "primary",
    CaseState.REVIEW: "primary",
    CaseState.SPECIAL: "primary",
    CaseState.APPROVED: "success",
    CaseState.DENIED: "danger",
    CaseState.CONCLUDED: "success",
    CaseState.DELIVERED: "success",
    CaseState.WITHDRAWN: "secondary",
}
UNIT_TEXT = {
    LimitUnit.WORKING_DAYS: gettext_lazy("%(n)s 个工作日"),
    LimitUnit.NATURAL_DAYS: gettext_lazy("%(n)s 个自然日"),
    LimitUnit.HOURS: gettext_lazy("%(n)s 小时"),
    LimitUnit.WORKING_HOURS: gettext_lazy("%(n)s 个工作小时"),
}


def _mine(user):
    """Cases in ``user``'s 我的办件, within their ``cases.view`` scope."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    rows = access.scope(user, Case.objects.all(), "cases.view")
    agencies = EnterpriseAgent.objects.filter(person__user=user, revoked_at__isnull=True)
    return rows.filter(Q(owner=user) | Q(enterprise_id__in=agencies.values("enterprise_id")))


def _related(rows):
    return rows.select_related(
        "item", "item_version", "organisation", "enterprise", "workflow__definition"
    )


def my_cases(user, *, after: int | None = None, limit: int = 20) -> list[Case]:
    """我的办件: submitted cases (own and one's enterprises'), newest first; keyset on pk."""
    rows = _mine(user).exclude(state=CaseState.DRAFT)
    if after:
        rows = rows.filter(pk__lt=after)
    return list(_related(rows).order_by("-pk")[: max(1, min(int(limit), 200))])


def my_drafts(user):
    """Unsubmitted drafts the user may continue, most recently touched first."""
    return _related(_mine(user).filter(state=CaseState.DRAFT)).order_by("-updated_at", "-pk")


def my_case(user, number: str) -> Case:
    """One of my cases by 办件编号; anything else is a 404."""
    try:
        return _related(_mine(user)).get(number=numbering.normalise(number))
    except Case.DoesNotExist:
        raise Http404 from None


def my_application(user, pk) -> Case:
    """One of my applications (draft or submitted) by id; anything else is a 404."""
    try:
        return _related(_mine(user)).get(pk=int(pk))
    except (Case.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def resumable_draft(user, item, *, enterprise=None) -> Case | None:
    """The draft to continue when ``user`` opens 申请 for ``item`` again (same applicant)."""
    rows = my_drafts(user).filter(item=item, on_behalf=False)
    if enterprise is not None:
        return rows.filter(enterprise=enterprise).first()
    return rows.filter(enterprise__isnull=True, owner=user).first()


def apply_enterprises(user) -> list:
    """Enterprises ``user`` may apply for now (``cases.apply`` among their agency's scopes)."""
    return [
        agency.enterprise
        for agency in identity.my_agencies(user)
        if "cases.apply" in access.enterprise_scopes(user, agency.enterprise)
    ]


def window_cases(user):
    """代办 cases a window clerk may continue: those they took in, and those of the
    organisations their ``cases.apply_on_behalf`` grant covers."""
    if not access.holds(user, "cases.apply_on_behalf"):
        return Case.objects.none()
    granted = access.scope(user, Case.objects.filter(on_behalf=True), "cases.apply_on_behalf")
    return Case.objects.filter(
        Q(pk__in=granted.values("pk")) | Q(on_behalf=True, submitted_by=user)
    )


def window_case(user, pk) -> Case:
    try:
        return _related(window_cases(user)).get(pk=int(pk))
    except (Case.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


# --------------------------------------------------------------------------- presentation


def limit_text(version) -> str:
    """承诺办结时限 in words: "5 个工作日", or 即办."""
    if version.promised_limit == 0:
        return _("即办")
    return str(UNIT_TEXT.get(version.promised_limit_unit, "%(n)s")) % {"n": version.promised_limit}


def expected_completion(case: Case, *, now=None):
    """预计办结: the due date once accepted; before that, the promised limit counted on the
    work calendar from today (acceptance starts the clock)."""
    if case.due_at is not None:
        return timezone.localtime(case.due_at)
    version = case.item_version
    return calendar.deadline(
        now or timezone.now(), version.promised_limit, version.promised_limit_unit
    )


def next_step(case: Case) -> str:
    return str(NEXT_STEPS.get(case.state, ""))


def badge(case: Case) -> str:
    return STATE_BADGES.get(case.state, "secondary")


def masked_id(case: Case) -> str:
    if case.applicant_type == ApplicantType.ENTERPRISE:
        return case.applicant_id_number  # 统一社会信用代码 is public
    return mask_id_number(case.applicant_id_number or "")


def receipt(case: Case, *, now=None) -> dict:
    """申请回执: what the applicant prints or keeps after submitting."""
    version = case.item_version
    expected = expected_completion(case, now=now)
    hours = version.promised_limit_unit in (LimitUnit.HOURS, LimitUnit.WORKING_HOURS)
    shown = f"{expected:%Y-%m-%d %H:%M}" if hours else f"{expected:%Y-%m-%d}"
    limit = limit_text(version)
    if case.due_at is not None:
        expected_text = _("承诺办结时间：%(date)s") % {"date": shown}
    else:
        expected_text = _("受理后 %(limit)s内（预计 %(date)s）") % {"limit": limit, "date": shown}
    return {
        "number": case.number,
        "item_name": version.name,
        "implementation_code": case.item.implementation_code,
        "version": version.version,
        "organisation": case.organisation.name,
        "applicant_name": case.applicant_name,
        "applicant_type": case.get_applicant_type_display(),
        "applicant_id_masked": masked_id(case),
        "submitted_at": case.submitted_at,
        "channel": case.get_channel_display(),
        "on_behalf": case.on_behalf,
        "agent_note": case.agent_note,
        "promised_limit": limit,
        "expected": expected,
        "expected_date": expected.date(),
        "expected_text": expected_text,
        "state": case.state,
        "state_label": case.get_state_display(),
        "commitment": case.commitment_signed,
    }


def timeline(case: Case) -> list[dict]:
    """办理进度 for the applicant: each step's name and time, the reasons and decisions
    addressed to them; staff appear as their department, never by name."""
    if not case.workflow_id:
        return []
    spec = spec_of(case.workflow.definition)
    rows = []
    for record in case.workflow.history.order_by("seq"):
        if record.action == "start":
            label = _("创建申请")
        else:
            t = spec.transition(record.action)
            label = t.label if t else record.action
        if record.action in APPLICANT_ACTIONS:
            by_window = case.on_behalf and (
                record.actor_id is None or record.actor_id != case.owner_id
            )
            who = _("窗口代办") if by_window else _("申请人")
        else:
            who = case.organisation.name
        note_field, note_label = VISIBLE_NOTES.get(record.action, ("", ""))
        rows.append(
            {
                "action": record.action,
                "label": label,
                "at": record.at,
                "state": record.to_state,
                "state_label": spec.label(record.to_state),
                "by": who,
                "note": getattr(record, note_field, "") if note_field else "",
                "note_label": str(note_label) if note_label else "",
            }
        )
    return rows


def material_rows(case: Case) -> list[dict]:
    """The item's material checklist with what this case supplied: required / 容缺 /
    optional, removed by 五个一律取消 (shown, never asked), the file, 承诺 or 容缺后补."""
    from shuzheng.services.cases.services.apply import editable

    supplied = {m.material_id: m for m in case.materials.select_related("file")}
    try:
        scope = editable(case)
    except ValidationError:
        scope = None
    rows = []
    for material in case.item_version.materials.all():
        row = supplied.get(material.pk)
        has_file = bool(row and row.file_id)
        covered = has_file or bool(row and row.by_commitment)
        may_edit = scope is not None and not material.removed_rule
        if may_edit and scope.materials is not None:
            may_edit = material.code in scope.materials
        rows.append(
            {
                "material": material,
                "code": material.code,
                "name": material.name,
                "necessity": material.necessity,
                "necessity_label": material.get_necessity_display(),
                "source": material.source,
                "removed": bool(material.removed_rule),
                "removed_label": material.get_removed_rule_display()
                if material.removed_rule
                else "",
                "notes": material.notes,
                "acceptance_standard": material.acceptance_standard,
                "file": row.file if has_file else None,
                "by_commitment": bool(row and row.by_commitment),
                "deferred": bool(row and row.deferred and not has_file),
                "missing": material.necessity == "required"
                and not material.removed_rule
                and not covered,
                "editable": may_edit,
            }
        )
    return rows


def editable_fields(case: Case):
    """The form fields that may change now (None: all; empty: none)."""
    from shuzheng.services.cases.services.apply import editable

    try:
        return editable(case).fields
    except ValidationError:
        return frozenset()


def _tail(text: str) -> str:
    return "".join(str(text or "").split()).upper()


def progress(number: str, id_tail: str) -> dict | None:
    """公开进度查询: a minimal, non-identifying status when the 办件编号 exists and the last
    four characters of the applicant's document number match (X in any case); None —
    the same answer — for an unknown number, a draft, or a wrong tail. The caller limits
    the rate (there is no account to lock)."""
    number, tail = numbering.normalise(number), _tail(id_tail)
    if not numbering.is_valid_number(number) or len(tail) != 4:
        return None
    case = (
        Case.objects.filter(number=number)
        .select_related("item_version", "organisation", "workflow")
        .first()
    )
    expected = (case.applicant_id_number or "")[-4:].upper() if case else "----"
    if case is None or not hmac.compare_digest(expected.encode(), tail.encode()):
        return None
    return {
        "number": case.number,
        "item_name": case.item_version.name,
        "organisation": case.organisation.name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "due_at": case.due_at,
        "promised_limit": limit_text(case.item_version),
        "concluded_at": case.concluded_at,
    }
