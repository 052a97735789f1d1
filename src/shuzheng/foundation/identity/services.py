"""Write use-cases for identity. The only place persons, enterprises, agents, staff and
organisations change: each one owns its transaction and its authorisation check."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.access.registry import CAPABILITIES
from shuzheng.foundation.identity import validators
from shuzheng.foundation.identity.models import (
    AgentKind,
    Enterprise,
    EnterpriseAgent,
    EnterpriseRegistry,
    NaturalPerson,
    Organisation,
    OrgKind,
    StaffProfile,
    User,
)
from shuzheng.foundation.trust import audit, pii


def field_error(field: str, message, code: str) -> ValidationError:
    """A one-field error that keeps its code (a dict of plain strings would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _collect(checks: dict) -> dict:
    """Run field normalisers, returning clean values or raising all field errors at once."""
    clean, errors = {}, {}
    for field, fn in checks.items():
        try:
            clean[field] = fn()
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return clean


def _required(value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("请填写%(label)s") % {"label": label}, code="required")
    return value


def _division_code(code: str) -> str:
    code = (code or "").strip()
    if code and not (code.isdigit() and len(code) in (6, 12)):
        raise ValidationError(_("行政区划代码应为 6 位或 12 位数字"), code="format")
    return code


@transaction.atomic
def create_organisation(
    actor,
    *,
    parent: Organisation | None,
    name: str,
    kind: str,
    short_name: str = "",
    division_code: str = "",
    uscc: str = "",
    category: str = "",
    note: str = "",
    sources=(),
    alt_names=(),
    uncertain: bool = False,
    sort_order: int = 0,
) -> Organisation:
    """设立机构: a node below ``parent``; only the installation itself creates a root."""
    if parent is None:
        if actor is not access.SYSTEM:
            raise PermissionDenied(_("只有系统初始化可以创建根机构"))
    else:
        access.check(actor, parent, "identity.manage_organisation")
    if kind not in OrgKind.values:
        raise ValidationError({"kind": _("未知的机构类型：%(kind)s") % {"kind": kind}})
    clean = _collect(
        {
            "name": lambda: _required(name, _("机构名称")),
            "uscc": lambda: validators.normalize_uscc(uscc) if uscc else "",
            "division_code": lambda: _division_code(division_code),
        }
    )
    org = Organisation(
        parent=parent,
        kind=kind,
        short_name=short_name,
        category=category,
        note=note,
        sources=list(sources),
        alt_names=list(alt_names),
        uncertain=uncertain,
        sort_order=sort_order,
        depth=parent.depth + 1 if parent else 0,
        path=f"new-{timezone.now().timestamp()}",
        **clean,
    )
    org.save()
    org.path = f"{parent.path if parent else ''}{org.pk}/"
    org.save(update_fields=["path"])
    audit.record(
        actor,
        "identity.organisation.create",
        org,
        details={"parent": parent.pk if parent else None, "kind": kind},
    )
    return org


@transaction.atomic
def register_person(
    actor, *, name: str, id_type: str, id_number: str, mobile: str = "", user: User | None = None
) -> NaturalPerson:
    """登记自然人: window staff record a person by a valid identity document."""
    access.require(actor, "identity.register_person")
    clean = _collect(
        {
            "name": lambda: _required(name, _("姓名")),
            "id_number": lambda: validators.normalize_id_number(id_type, id_number),
            "mobile": lambda: validators.normalize_mobile(mobile) if mobile else "",
        }
    )
    same = pii.lookup(NaturalPerson, "id_number", clean["id_number"])
    if NaturalPerson.objects.filter(same, id_type=id_type).exists():
        raise field_error("id_number", _("该证件号码已登记"), "duplicate")
    person = NaturalPerson.objects.create(id_type=id_type, user=user, **clean)
    audit.record(
        actor,
        "identity.person.register",
        person,
        details={
            "id_type": id_type,
            "has_login": user is not None,
            "has_mobile": bool(clean["mobile"]),
        },
    )
    return person


@transaction.atomic
def register_enterprise(
    actor,
    *,
    name: str,
    registry: str,
    registration_number: str,
    legal_representative: str,
    address: str,
    legal_person: NaturalPerson | None = None,
) -> Enterprise:
    """登记企业; the legal representative, when known as a person, may act for it at once."""
    access.require(actor, "identity.register_enterprise")
    if registry == EnterpriseRegistry.MAINLAND:
        number_field, normalise = "uscc", validators.normalize_uscc
    elif registry == EnterpriseRegistry.MACAU:
        number_field, normalise = "macau_registration_no", validators.normalize_macau_registration
    else:
        raise ValidationError({"registry": _("登记地只能是内地或澳门")})
    clean = _collect(
        {
            "name": lambda: _required(name, _("名称")),
            "registration_number": lambda: normalise(registration_number),
            "legal_representative": lambda: _required(legal_representative, _("法定代表人")),
            "address": lambda: _required(address, _("住所")),
        }
    )
    number = clean.pop("registration_number")
    if Enterprise.objects.filter(**{number_field: number}).exists():
        raise field_error("registration_number", _("该企业已登记"), "duplicate")
    enterprise = Enterprise.objects.create(registry=registry, **{number_field: number}, **clean)
    if legal_person is not None:
        EnterpriseAgent.objects.create(
            enterprise=enterprise,
            person=legal_person,
            kind=AgentKind.LEGAL_REPRESENTATIVE,
            scopes=delegable_scopes(),
            granted_by=None if actor is access.SYSTEM else actor,
        )
    audit.record(
        actor,
        "identity.enterprise.register",
        enterprise,
        details={
            "registry": registry,
            "registration_number": number,
            "legal_person": legal_person.pk if legal_person else None,
        },
    )
    return enterprise


def delegable_scopes() -> list[str]:
    return sorted(code for code, cap in CAPABILITIES.items() if cap.delegable)


@transaction.atomic
def authorise_agent(
    actor,
    enterprise: Enterprise,
    *,
    person: NaturalPerson,
    scopes: list[str],
    valid_until: date | None = None,
) -> EnterpriseAgent:
    """授权经办人: within the granting person's own scopes for this enterprise, never beyond."""
    access.check(actor, enterprise, "identity.authorise_agent")
    unknown = sorted(set(scopes) - set(delegable_scopes()))
    if unknown or not scopes:
        raise ValidationError(
            {
                "scopes": _("授权范围无效：%(codes)s")
                % {"codes": ", ".join(unknown) or _("至少选择一项")}
            }
        )
    if not access.holds(actor, "identity.register_enterprise"):
        beyond = sorted(set(scopes) - access.enterprise_scopes(actor, enterprise))
        if beyond:
            raise ValidationError(
                {
                    "scopes": _("不能授予超出本人授权范围的权限：%(codes)s")
                    % {"codes": ", ".join(beyond)}
                }
            )
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("授权截止日不能早于今天")})
    try:
        with transaction.atomic():
            agency = EnterpriseAgent.objects.create(
                enterprise=enterprise,
                person=person,
                scopes=sorted(set(scopes)),
                valid_until=valid_until,
                granted_by=None if actor is access.SYSTEM else actor,
            )
    except IntegrityError:
        raise field_error(
            "person", _("此人已是该企业的经办人，请先撤销原授权"), "duplicate"
        ) from None
    audit.record(
        actor,
        "identity.agent.authorise",
        agency,
        details={
            "enterprise": enterprise.pk,
            "person": person.pk,
            "scopes": agency.scopes,
            "valid_until": valid_until,
        },
    )
    return agency


@transaction.atomic
def authorise_agent_by_document(
    actor,
    enterprise: Enterprise,
    *,
    id_type: str,
    id_number: str,
    name: str,
    scopes: list[str],
    valid_until: date | None = None,
) -> EnterpriseAgent:
    """授权经办人 as a legal representative does it: naming the agent by document and name
    (they cannot browse other people's records). A number that is unknown and a name that
    does not match get the same answer, so the form cannot be used to probe who is
    registered; the lookup happens only after the right to authorise was checked."""
    access.check(actor, enterprise, "identity.authorise_agent")
    try:
        number = validators.normalize_id_number(id_type, id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from None
    person = NaturalPerson.objects.filter(
        pii.lookup(NaturalPerson, "id_number", number), id_type=id_type
    ).first()
    if person is None or person.name != (name or "").strip():
        raise field_error("id_number", _("未找到证件号码与姓名相符的登记人员"), "no_match")
    return authorise_agent(actor, enterprise, person=person, scopes=scopes, valid_until=valid_until)


@transaction.atomic
def revoke_agent(actor, agency: EnterpriseAgent) -> EnterpriseAgent:
    """撤销经办人授权; the legal representative's own standing is not revocable here."""
    access.check(actor, agency.enterprise, "identity.authorise_agent")
    if agency.kind == AgentKind.LEGAL_REPRESENTATIVE:
        raise ValidationError(_("法定代表人的身份随企业登记变更，不能在此撤销"))
    if agency.revoked_at is None:
        agency.revoked_at = timezone.now()
        agency.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            "identity.agent.revoke",
            agency,
            details={"enterprise": agency.enterprise_id, "person": agency.person_id},
        )
    return agency


def _new_account(username: str, display_name: str, password: str | None) -> User:
    """A login account; the password must pass the policy (or the account has none yet)."""
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", _("登录名已被使用"), "duplicate")
    user = User(username=username, display_name=display_name)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def register_account(actor, *, username: str, display_name: str, password: str) -> User:
    """开通账号 for a citizen or an enterprise's agent (no staff profile, no roles): by the
    installation or by window staff who may register persons."""
    access.require(actor, "identity.register_person")
    clean = _collect(
        {
            "username": lambda: _required(username, _("登录名")),
            "display_name": lambda: _required(display_name, _("姓名")),
            "password": lambda: _required(password, _("密码")),
        }
    )
    user = _new_account(clean["username"], clean["display_name"], clean["password"])
    audit.record(actor, "identity.account.register", user, details={"username": user.username})
    return user


@transaction.atomic
def create_staff(
    actor,
    *,
    organisation: Organisation,
    username: str,
    display_name: str,
    password: str | None = None,
    position: str = "",
    employee_no: str | None = None,
    office_phone: str = "",
) -> StaffProfile:
    """新增工作人员 in an organisation the actor manages."""
    access.check(actor, organisation, "identity.manage_staff")
    clean = _collect(
        {
            "username": lambda: _required(username, _("登录名")),
            "display_name": lambda: _required(display_name, _("姓名")),
        }
    )
    if employee_no and StaffProfile.objects.filter(employee_no=employee_no).exists():
        raise field_error("employee_no", _("工号已被使用"), "duplicate")
    user = _new_account(clean["username"], clean["display_name"], password)
    profile = StaffProfile.objects.create(
        user=user,
        organisation=organisation,
        position=position,
        employee_no=employee_no or None,
        office_phone=office_phone,
    )
    audit.record(
        actor,
        "identity.staff.create",
        profile,
        details={"username": user.username, "organisation": organisation.pk},
    )
    return profile


@transaction.atomic
def open_admin_site(actor, user: User) -> User:
    """开通系统配置后台 (the Django admin) for the system administrator. Only the installation
    itself does it (``createstaff --admin-site``, the demo): the account must already hold the
    system-administrator capability, and under 三员分立 it then sees every model of the
    admin except the audit tables, which answer to ``audit.view`` alone."""
    if actor is not access.SYSTEM:
        raise PermissionDenied(_("只有系统初始化可以开通系统配置后台"))
    access.forget(user)
    if not access.holds(user, "system.configure"):
        raise field_error(
            "user", _("该账号不是系统管理员，不能开通系统配置后台"), "not_system_admin"
        )
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    audit.record(actor, "identity.admin_site.open", user, details={"username": user.username})
    return user


def audited_reveal(actor, obj, *, action: str, fields: list[str], reason: str, request=None):
    """The gate of every 查看完整信息: a stated purpose, ``identity.reveal_pii`` on ``obj``, and
    an audit record either way — a refusal recorded outside the caller's (rolled-back)
    transaction, a reveal inside one. Raises ValidationError (no reason) or PermissionDenied."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("请说明查看完整信息的事由"), "required")
    try:
        access.check(actor, obj, "identity.reveal_pii")
    except PermissionDenied as refused:
        refused.audited = True  # the generic refusal record would say less
        audit.record_outside(
            actor,
            action,
            obj,
            result="denied",
            details={"reason_digest": audit.digest(reason)},
            request=request,
        )
        raise
    with transaction.atomic():
        audit.record(
            actor, action, obj, details={"fields": fields, "reason": reason[:200]}, request=request
        )


def reveal_person(actor, person: NaturalPerson, *, reason: str, request=None) -> dict:
    """查看完整证件号码: only for a role that holds the reveal capability (or the person
    themselves), with a stated purpose; every reveal — and every refused one — is audited."""
    audited_reveal(
        actor,
        person,
        action="identity.person.reveal",
        fields=["id_number", "mobile"],
        reason=reason,
        request=request,
    )
    return {"id_number": person.id_number, "mobile": person.mobile}
