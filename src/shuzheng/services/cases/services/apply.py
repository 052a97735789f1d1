"""网上申报: the applicant's side of a 办件 — draft, form, materials, submission (办件编号 and
receipt), 补正后重新提交 and 撤件 — and the window clerk's 代办 of the same steps.

Who may act on a case: its owner (the person applying, self-service ``cases.apply``), an
agent of the enterprise applied for whose authorisation includes ``cases.apply`` (the legal
representative holds every delegable scope from registration), or — for a 代办 case — a
window clerk whose ``cases.apply_on_behalf`` grant covers the accepting organisation, acting
in their own name through the ``*_at_window`` transitions. Everyone else gets PermissionDenied; pages and the API
reach cases through ``selectors.applicant`` first, so to them a stranger's case is a 404.

Rules chosen here (see docs/services.md):
* A draft pins the version published when it was started; a later version changes neither
  the draft nor the case ("running cases keep theirs" — drafts too). Only an item no longer
  offered at all (no published version) refuses the submission.
* 告知承诺: on an item with ``commitment``, ``submit(commitment=True)`` lets the written
  commitment stand in for the required proofs issued by government departments (material
  source ``government``) that were not uploaded; what the applicant prepares themself must
  still be uploaded. 容缺 materials not supplied are recorded as 容缺后补.
* Editing: the form and materials change only in 草稿, and in 补齐补正 only for what the
  correction notice names (a material or field whose name appears in a reason; a notice
  naming none of them reopens everything).
* Submission is idempotent for its actor: submitting an already submitted case again (a
  double click, a retried request, two racing requests — the row lock makes the second
  wait) returns the case unchanged, with one number and one history row.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access, events, files
from shuzheng.foundation.files import services as file_services
from shuzheng.foundation.identity.models import EnterpriseRegistry, NaturalPerson
from shuzheng.foundation.trust import audit
from shuzheng.services.cases import forms, numbering
from shuzheng.services.cases.guards import missing_materials
from shuzheng.services.cases.models import (
    ApplicantType,
    Case,
    CaseMaterial,
    CaseState,
    Channel,
)
from shuzheng.services.cases.services import common
from shuzheng.services.catalogue.models import Audience, MaterialSource, VersionStatus

MATERIAL_USE = "services.material"
ONLINE_CHANNELS = (Channel.WEB, Channel.MOBILE, Channel.KIOSK, Channel.API)
ONLINE_DEPTH_MIN = 3  # 三级：网上申报、网上受理
# 持证主体代码类型 (GB/T 36903): 统一社会信用代码; Macau commercial registrations as 其他.
ENTERPRISE_ID_TYPES = {EnterpriseRegistry.MAINLAND: "001", EnterpriseRegistry.MACAU: "099"}
AGENT_NOTE_MAX = 200

# Case materials (and the stored files in them) are readable by whoever may view the case.
files.readable_through(CaseMaterial, "file", "cases.view")


def _field(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _person_of(user) -> NaturalPerson | None:
    if not getattr(user, "pk", None):
        return None
    return NaturalPerson.objects.filter(user=user).first()


def _fresh(case: Case) -> Case:
    """Lock the case row for this transaction and reload it: a concurrent act on the same
    case waits here and then sees what the first one did."""
    list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True))
    case.refresh_from_db()
    return case


def _is_window_clerk(actor, case: Case) -> bool:
    """A 代办 case may be continued by a window clerk whose ``cases.apply_on_behalf`` grant
    covers the accepting organisation (the clerk who took it in had to hold one)."""
    if not case.on_behalf:
        return False
    try:
        access.check(actor, case, "cases.apply_on_behalf")
    except PermissionDenied:
        return False
    return True


def _authorise(actor, case: Case) -> bool:
    """Raise PermissionDenied unless ``actor`` may act for the applicant; True when the
    actor is a window clerk acting for them (the ``*_at_window`` transitions, which the
    engine checks against the clerk's own ``cases.apply_on_behalf``)."""
    try:
        access.check(actor, case, "cases.apply")
        return False
    except PermissionDenied:
        if _is_window_clerk(actor, case):
            return True
        raise


def _move(at_window: bool, actor, case: Case, action: str, **kwargs) -> Case:
    return common.move(actor, case, f"{action}_at_window" if at_window else action, **kwargs)


def _longest(pair) -> int:
    return -len(pair[0])


@dataclass(frozen=True)
class Editable:
    """What may change now: ``None`` for a set means everything."""

    fields: frozenset[str] | None
    materials: frozenset[str] | None


def editable(case: Case) -> Editable:
    """草稿: everything. 补齐补正: what the correction notice names. Otherwise nothing."""
    if case.state == CaseState.DRAFT:
        return Editable(None, None)
    if case.state != CaseState.CORRECTION:
        raise ValidationError(
            _("申请已提交（当前状态：%(state)s），不能再修改")
            % {"state": case.get_state_display()},
            code="not_editable",
        )
    text = "\n".join(str(r) for r in (case.correction_reasons or []))
    version = case.item_version

    def named(candidates: dict[str, set[str]]) -> frozenset[str]:
        """Keys whose words appear in the notice, longest words first and each occurrence
        used once ("经营场所使用证明" names the material, not also the field 经营场所)."""
        nonlocal text
        found = set()
        words = sorted(((w, k) for k, ws in candidates.items() for w in ws if w), key=_longest)
        for word, key in words:
            if word in text:
                found.add(key)
                text = text.replace(word, "\n")
        return frozenset(found)

    materials = named({m.code: {m.name, m.code} for m in version.materials.all()})
    fields = named(
        {
            name: {name, str(spec.get("title") or "")}
            for name, spec in forms.properties(version.form_schema).items()
        }
    )
    if not fields and not materials:
        return Editable(None, None)
    return Editable(fields, materials)


def _enterprise_allowed(actor, enterprise) -> bool:
    return "cases.apply" in access.enterprise_scopes(actor, enterprise)


def _check_audience(version, applicant_type: str) -> None:
    if applicant_type == ApplicantType.PERSON and version.audience == Audience.LEGAL:
        raise _field("item", _("本事项仅面向法人办理，请以企业身份申请"), "audience")
    if applicant_type == ApplicantType.ENTERPRISE and version.audience == Audience.PERSON:
        raise _field("item", _("本事项仅面向自然人办理，不能以企业身份申请"), "audience")


def _published_version(item):
    version = item.current
    if version is None or version.status != VersionStatus.PUBLISHED:
        raise _field("item", _("该事项暂未发布或已停止办理，不能申请"), "not_published")
    return version


@transaction.atomic
def create_draft(
    actor,
    item,
    *,
    enterprise=None,
    on_behalf_of: NaturalPerson | None = None,
    channel: str = "web",
    agent_note: str = "",
) -> Case:
    """开始申请: a draft of ``item``'s current published version (pinned), its form filled
    in from the applicant's own record — for oneself, for an enterprise one is authorised
    to apply for, or (window 代办) for a person standing at the counter."""
    version = _published_version(item)
    agent_note = (agent_note or "").strip()
    if on_behalf_of is not None:
        access.check(actor, item.organisation, "cases.apply_on_behalf")
        if enterprise is not None:
            raise _field("enterprise", _("窗口代办只受理自然人的申请"), "not_supported")
        if len(agent_note) > AGENT_NOTE_MAX:
            raise _field(
                "agent_note", _("代办说明不能超过 %(n)s 个字") % {"n": AGENT_NOTE_MAX}, "max_length"
            )
        person, filler, owner, channel = on_behalf_of, on_behalf_of, on_behalf_of.user, "window"
    else:
        filler = _person_of(actor)
        if filler is None:
            raise PermissionDenied(_("此账号未关联自然人身份，不能申请办事"))
        if channel not in ONLINE_CHANNELS:
            raise _field("channel", _("网上申请的渠道无效"), "invalid")
        if version.online_depth < ONLINE_DEPTH_MIN:
            raise _field("item", _("本事项暂不支持网上申报，请到办事窗口办理"), "not_online")
        person = None if enterprise is not None else filler
        owner = actor if enterprise is None else None
        agent_note = ""
        if enterprise is not None and not _enterprise_allowed(actor, enterprise):
            raise PermissionDenied(_("您未获该企业授权申报办件"))
    applicant_type = ApplicantType.ENTERPRISE if enterprise is not None else ApplicantType.PERSON
    _check_audience(version, applicant_type)
    if enterprise is not None:
        name = enterprise.name
        id_type = ENTERPRISE_ID_TYPES.get(enterprise.registry, "099")
        id_number = enterprise.registration_number
    else:
        name, id_type, id_number = person.name, person.id_type, person.id_number
    now = timezone.now()
    case = Case.objects.create(
        item=item,
        item_version=version,
        organisation=item.organisation,
        applicant_type=applicant_type,
        person=person,
        enterprise=enterprise,
        applicant_name=name,
        applicant_id_type=id_type,
        applicant_id_number=id_number,
        legal_representative=enterprise.legal_representative if enterprise else "",
        contact_name=filler.name,
        contact_phone=filler.mobile or "",
        owner=owner,
        submitted_by=actor,
        on_behalf=on_behalf_of is not None,
        agent_note=agent_note,
        channel=channel,
        form_data=forms.prefill(
            version.form_ui, person=filler, enterprise=enterprise, schema=version.form_schema
        ),
        created_at=now,
        updated_at=now,
    )
    common.start(actor, case)
    audit.record(
        actor,
        "services.case.create",
        case,
        details={
            "item": item.implementation_code,
            "version": version.version,
            "applicant_type": applicant_type,
            "enterprise": enterprise.pk if enterprise else None,
            "person": person.pk if person else None,
            "on_behalf": case.on_behalf,
            "channel": channel,
        },
    )
    return case


def _merge(case: Case, form: dict, scope: Editable) -> dict:
    """The draft's form with ``form``'s keys replaced (blank = cleared), checked field by
    field (types and limits; required fields wait for the submission)."""
    version = case.item_version
    clean = forms.validate(version.form_schema, version.form_ui, form, partial=True)
    merged = {k: v for k, v in (case.form_data or {}).items() if k not in form}
    merged.update(clean)
    if scope.fields is not None:
        before = case.form_data or {}
        changed = {k for k in set(before) | set(merged) if before.get(k) != merged.get(k)}
        outside = sorted(changed - scope.fields)
        if outside:
            raise ValidationError(
                {
                    name: ValidationError(_("此项不在补正范围内，不能修改"), code="not_editable")
                    for name in outside
                }
            )
    return merged


def _digest(form: dict) -> str:
    return audit.digest(form or {})


@transaction.atomic
def save_draft(actor, case: Case, *, form: dict) -> Case:
    """保存草稿: keep what was filled in so far (checked field by field, nothing required
    yet); refused once the application is submitted, except what a 补正 notice reopens."""
    case = _fresh(case)
    _authorise(actor, case)
    scope = editable(case)
    case.form_data = _merge(case, form or {}, scope)
    case.updated_at = timezone.now()
    case.save(update_fields=["form_data", "updated_at"])
    audit.record(
        actor,
        "services.case.save",
        case,
        details={"fields": sorted(str(k) for k in (form or {})), "form": _digest(case.form_data)},
    )
    return case


@transaction.atomic
def attach_material(actor, case: Case, *, material_code: str, upload) -> CaseMaterial:
    """上传申请材料 for one material of the pinned version; a new upload replaces the
    material's file (one row per material)."""
    case = _fresh(case)
    _authorise(actor, case)
    scope = editable(case)
    material = case.item_version.materials.filter(code=str(material_code or "")).first()
    if material is None:
        raise _field("material_code", _("本事项没有这项申请材料"), "unknown_material")
    if material.removed_rule:
        raise _field(
            "material_code",
            _("“%(name)s”已按“%(rule)s”取消，无需提交")
            % {"name": material.name, "rule": material.get_removed_rule_display()},
            "removed",
        )
    if scope.materials is not None and material.code not in scope.materials:
        raise _field("material_code", _("此材料不在补正范围内"), "not_editable")
    if upload is None:
        raise _field("file", _("请选择要上传的文件"), "required")
    stored = file_services.store(actor, MATERIAL_USE, upload)  # wrong type: field "file"
    now = timezone.now()
    row = CaseMaterial.objects.filter(case=case, material=material).first()
    replaced = row.file if row is not None else None
    if row is None:
        row = CaseMaterial.objects.create(case=case, material=material, file=stored, added_at=now)
    else:
        row.file, row.by_commitment, row.deferred, row.added_at = stored, False, False, now
        row.save(update_fields=["file", "by_commitment", "deferred", "added_at"])
    if replaced is not None and case.state == CaseState.DRAFT:
        # A draft's replaced upload is nobody's record yet; a file the case was submitted
        # with stays (the handler saw it). Someone else's upload is not ours to discard.
        with contextlib.suppress(PermissionDenied):
            file_services.discard(actor, replaced)
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    audit.record(
        actor,
        "services.case.material.attach",
        case,
        details={"material": material.code, "file": str(stored.pk), "replaced": bool(replaced)},
    )
    return row


def _commitment_covers(case: Case) -> list:
    """Required proofs the written commitment stands in for: issued by government
    departments, not removed, not uploaded."""
    return [m for m in missing_materials(case) if m.source == MaterialSource.GOVERNMENT]


def _check_complete(case: Case, form: dict, *, commitment: bool) -> None:
    """Full validation: every error at once (form fields, 告知承诺, missing materials)."""
    version = case.item_version
    errors: dict = {}
    try:
        forms.validate(version.form_schema, version.form_ui, form)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if commitment and not version.commitment:
        errors["commitment"] = [
            ValidationError(_("本事项未实行告知承诺制，请上传全部必要材料"), code="no_commitment")
        ]
    covered = {m.pk for m in _commitment_covers(case)} if commitment else set()
    missing = [m for m in missing_materials(case) if m.pk not in covered]
    if missing:
        errors["materials"] = [
            ValidationError(
                _("缺少必要材料：%(names)s") % {"names": "、".join(m.name for m in missing)},
                code="missing_materials",
            )
        ]
    if errors:
        raise ValidationError(errors)


def _still_offered(case: Case) -> None:
    current = case.item.current
    if current is None or current.status != VersionStatus.PUBLISHED:
        raise _field("item", _("该事项已停止办理，不能提交申请"), "item_withdrawn")


def _event_payload(case: Case) -> dict:
    return {
        "case": case.pk,
        "number": case.number,
        "item": case.item.implementation_code,
        "organisation": case.organisation_id,
        "channel": case.channel,
        "on_behalf": case.on_behalf,
    }


@transaction.atomic
def submit(actor, case: Case, *, form: dict | None = None, commitment: bool = False) -> Case:
    """提交申请: the form complete and valid, the required materials there (or covered by
    the 告知承诺); the case gets its 办件编号 and moves to 已申报. Repeating it returns the
    submitted case unchanged."""
    case = _fresh(case)
    at_window = _authorise(actor, case)
    repeated = case.number and case.submitted_by_id == getattr(actor, "pk", None)
    if case.state != CaseState.DRAFT:
        if repeated and case.state != CaseState.CORRECTION:
            return case  # a repeated submission: the first one stands
        if case.state == CaseState.CORRECTION:
            raise ValidationError(
                _("请按补正要求修改后“补正后重新提交”"), code="correction_pending"
            )
        raise ValidationError(_("该申请已提交，不能重复提交"), code="already_submitted")
    _still_offered(case)
    data = case.form_data if form is None else _merge(case, form, Editable(None, None))
    _check_complete(case, data, commitment=commitment)
    now = timezone.now()
    if commitment:
        for material in _commitment_covers(case):
            CaseMaterial.objects.update_or_create(
                case=case, material=material, defaults={"by_commitment": True, "added_at": now}
            )
    supplied = set(case.materials.values_list("material_id", flat=True))
    for material in case.item_version.materials.filter(necessity="deferrable", removed_rule=""):
        if material.pk not in supplied:
            CaseMaterial.objects.create(case=case, material=material, deferred=True, added_at=now)
    case.form_data = data
    case.commitment_signed = bool(commitment)
    case.submitted_at = now
    case.submitted_by = actor if getattr(actor, "pk", None) else case.submitted_by
    case.number = numbering.make_number(case, at=now)
    case.save(
        update_fields=["form_data", "commitment_signed", "submitted_at", "submitted_by", "number"]
    )
    _move(at_window, actor, case, "submit")
    audit.record(
        actor,
        "services.case.submit",
        case,
        details={
            "number": case.number,
            "item": case.item.implementation_code,
            "version": case.item_version.version,
            "on_behalf": case.on_behalf,
            "channel": case.channel,
            "commitment": case.commitment_signed,
            "form": _digest(case.form_data),
        },
    )
    events.publish("services.case.submitted", _event_payload(case), key=case.number)
    return case


def _last_history(case: Case):
    return case.workflow.history.order_by("-seq").first() if case.workflow_id else None


@transaction.atomic
def resubmit(actor, case: Case, *, form: dict | None = None) -> Case:
    """补正后重新提交: after 补齐补正 the corrected application goes back to the window
    (same 办件编号); repeating it returns the case unchanged."""
    case = _fresh(case)
    at_window = _authorise(actor, case)
    if case.state != CaseState.CORRECTION:
        last = _last_history(case)
        if (
            case.state == CaseState.SUBMITTED
            and last is not None
            and last.action == "resubmit"
            and case.submitted_by_id == getattr(actor, "pk", None)
        ):
            return case
        raise ValidationError(
            _("只有“补齐补正”状态的申请可以重新提交（当前状态：%(state)s）")
            % {"state": case.get_state_display()},
            code="not_in_correction",
        )
    data = case.form_data if form is None else _merge(case, form, editable(case))
    _check_complete(case, data, commitment=case.commitment_signed)
    case.form_data = data
    if getattr(actor, "pk", None):
        case.submitted_by = actor
    case.save(update_fields=["form_data", "submitted_by"])
    _move(at_window, actor, case, "resubmit")
    audit.record(
        actor,
        "services.case.resubmit",
        case,
        details={"number": case.number, "form": _digest(case.form_data)},
    )
    events.publish("services.case.resubmitted", _event_payload(case), key=case.number)
    return case


@transaction.atomic
def withdraw(actor, case: Case, *, reason: str) -> Case:
    """撤件: the applicant withdraws the application before 办结, giving a reason."""
    case = _fresh(case)
    at_window = _authorise(actor, case)
    reason = (reason or "").strip()
    if case.state == CaseState.WITHDRAWN and case.number:
        return case
    if not reason:
        raise _field("reason", _("请填写撤回申请的理由"), "required")
    if len(reason) > AGENT_NOTE_MAX:
        raise _field(
            "reason", _("撤回理由不能超过 %(n)s 个字") % {"n": AGENT_NOTE_MAX}, "max_length"
        )
    if case.state == CaseState.DRAFT:
        raise ValidationError(_("草稿尚未提交，无需撤回"), code="draft")
    action = (
        "withdraw"
        if case.state in (CaseState.SUBMITTED, CaseState.CORRECTION)
        else "withdraw_running"
    )
    _move(at_window, actor, case, action, reason=reason)
    audit.record(
        actor,
        "services.case.withdraw",
        case,
        details={"number": case.number, "reason": audit.digest(reason)},
    )
    events.publish("services.case.withdrawn", _event_payload(case), key=case.number)
    return case
