"""Built-in roles every installation starts with. Administrators may edit them afterwards;
this module only creates the ones that are missing, so edits are never overwritten."""

from django.utils.translation import gettext_lazy as _

WORKBENCH = ["web.use_workbench", "identity.view_staff"]

BUILTIN_ROLES = [
    (
        "system-admin",
        _("系统管理员"),
        "system",
        [*WORKBENCH, "system.configure", "identity.manage_organisation", "identity.manage_staff"],
        _("系统配置、机构与人员维护；不能授权，不能查看审计记录"),
    ),
    (
        "security-admin",
        _("安全管理员"),
        "security",
        [*WORKBENCH, "access.grant_role", "access.view_grants"],
        _("授予与撤销角色、安全策略；不能做系统配置"),
    ),
    (
        "audit-admin",
        _("审计管理员"),
        "audit",
        [*WORKBENCH, "audit.view", "access.view_grants"],
        _("只读查看审计记录与授权情况"),
    ),
    (
        "window-clerk",
        _("窗口受理人员"),
        "",
        [
            *WORKBENCH,
            "identity.register_person",
            "identity.register_enterprise",
            "identity.view_person",
            "identity.view_enterprise",
            "identity.reveal_pii",
        ],
        _("政务服务大厅窗口：登记申请人、受理申请"),
    ),
    (
        "case-handler",
        _("业务办理人员"),
        "",
        [*WORKBENCH, "identity.view_person", "identity.view_enterprise"],
        _("审查与办理申请"),
    ),
    (
        "department-head",
        _("部门负责人"),
        "",
        [*WORKBENCH, "identity.manage_staff", "identity.view_person", "identity.view_enterprise"],
        _("本部门（含下级）的人员与业务管理"),
    ),
    (
        "ops-operator",
        _("运行中心值班员"),
        "",
        [*WORKBENCH, "web.view_ops"],
        _("城市运行中心大屏与值班"),
    ),
    ("grid-officer", _("网格员"), "", list(WORKBENCH), _("社区网格巡查与上报")),
]


EXTRA_PERMISSIONS: dict[str, set[str]] = {}


def builtin_role(code, name, description, perms=(), *, triad: str = "") -> None:
    """Let a domain package add a built-in role of its own (e.g. 事项编制人员)."""
    if not any(r[0] == code for r in BUILTIN_ROLES):
        BUILTIN_ROLES.append((code, name, triad, list(perms), description))


def extend_builtin_role(code: str, perms) -> None:
    """Let a domain package give a built-in role its capabilities (the window clerk accepts
    cases). Applied when the role is first created; administrators' later edits stand."""
    EXTRA_PERMISSIONS.setdefault(code, set()).update(perms)


def ensure_builtin_roles(**_kwargs) -> None:
    from shuzheng.foundation.access.models import Permission, Role

    for code, name, triad, perms, description in BUILTIN_ROLES:
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": str(name), "triad": triad, "description": str(description)}
        )
        if created:
            wanted = set(perms) | EXTRA_PERMISSIONS.get(code, set())
            role.permissions.set(Permission.objects.filter(code__in=wanted))
