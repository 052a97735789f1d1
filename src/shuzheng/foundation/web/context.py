"""What every page's shell needs: the navigation the user may use, care mode, languages."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access

CARE_COOKIE = "care_mode"

WORKBENCH_NAV = [
    ("web:workbench", _("工作台首页"), "web.use_workbench"),
    ("web:staff-list", _("通讯录"), "identity.view_staff"),
    ("web:org-tree", _("组织机构"), "web.use_workbench"),
    ("web:grant-list", _("角色授权"), "access.grant_role"),
    ("trust:audit", _("审计记录"), "audit.view"),
]


def shell(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        nav = [
            (reverse(name), label)
            for name, label, perm in WORKBENCH_NAV
            if access.holds(user, perm)
        ]
    return {
        "care_mode": request.COOKIES.get(CARE_COOKIE) == "1",
        "workbench_nav": nav,
        "can_workbench": bool(user and access.holds(user, "web.use_workbench")),
        "can_ops": bool(user and access.holds(user, "web.view_ops")),
        "shell_languages": settings.LANGUAGES,
    }
