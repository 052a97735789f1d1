"""foundation.events.notifications — 站内消息, email and SMS.

    from shuzheng.foundation.events import notifications

    notifications.register_template(
        "services.case.accepted",
        title=_("您的申请已受理"),
        body=_("申请 %(case)s 已受理，承诺办结时间 %(due)s。"),
        link="/me/cases/%(case)s/",
    )
    notifications.register_recipients(
        "workflow.case.*", case_handlers, name="services.case_handlers"
    )
    notifications.notify(actor, [applicant], "services.case.accepted", {"case": ..., "due": ...})

Messages are rendered once, in each recipient's ``preferred_language``; email and SMS follow
the recipient's preferences and leave after commit as background jobs with retries.
"""

from shuzheng.foundation.events.notifications.registry import (
    recipients_for,
    register_recipients,
    register_template,
    template_for,
)
from shuzheng.foundation.lazy import lazy_exports

__all__ = [
    "mark_all_read",
    "mark_read",
    "notify",
    "recipients_for",
    "register_recipients",
    "register_template",
    "template_for",
    "unread_count",
]

_LAZY = {
    "notify": "shuzheng.foundation.events.notifications.services",
    "mark_read": "shuzheng.foundation.events.notifications.services",
    "mark_all_read": "shuzheng.foundation.events.notifications.services",
    "unread_count": "shuzheng.foundation.events.notifications.selectors",
}


__getattr__ = lazy_exports(__name__, _LAZY)
