"""What every page's shell needs: the navigation the user may use, care mode, languages."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.web import nav as web_nav

CARE_COOKIE = "care_mode"

WORKBENCH_NAV = [
    ("web:workbench", _("工作台首页"), "web.use_workbench"),
    ("web:staff-list", _("通讯录"), "identity.view_staff"),
    ("web:org-tree", _("组织机构"), "web.use_workbench"),
    ("web:grant-list", _("角色授权"), "access.grant_role"),
    ("trust:audit", _("审计记录"), "audit.view"),
    ("notifications:workbench-inbox", _("消息"), "web.use_workbench"),
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
        nav[1:1] = web_nav.visible(web_nav.workbench_entries(), user, access.holds)
    inbox_url, unread = _inbox(user)
    return {
        "inbox_url": inbox_url,
        "unread_messages": unread,
        "care_mode": request.COOKIES.get(CARE_COOKIE) == "1",
        "workbench_nav": nav,
        "portal_nav": web_nav.visible(web_nav.portal_entries(), user, access.holds),
        "can_workbench": bool(user and access.holds(user, "web.use_workbench")),
        "can_ops": bool(user and access.holds(user, "web.view_ops")),
        "shell_languages": settings.LANGUAGES,
    }


def _inbox(user) -> tuple[str, int]:
    """The badge beside the user's name: the inbox (the workbench one for staff) and how many
    messages are unread; no badge while the notification pages are not mounted."""
    if user is None or not user.is_authenticated:
        return "", 0
    from shuzheng.foundation.events.notifications.selectors import unread_count

    name = "notifications:workbench-inbox" if access.holds(user, "web.use_workbench") else None
    try:
        url = reverse(name or "notifications:inbox")
    except NoReverseMatch:
        return "", 0
    return url, unread_count(user)
