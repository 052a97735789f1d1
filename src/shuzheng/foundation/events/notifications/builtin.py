"""The foundation's own notification templates: the workflow SLA clock's warnings.

There is no event for role grants yet (``access`` publishes none), so no template for it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.events.notifications.registry import register_template


def _sla_context(payload: dict) -> dict:
    """The SLA payload (instance, subject_id, due_at, state) with the deadline as local
    time, minutes precision."""
    context = {"subject_id": "", "state": "", **payload}
    due = payload.get("due_at")
    try:
        moment = dt.datetime.fromisoformat(due) if isinstance(due, str) else due
    except ValueError:
        moment = None
    if isinstance(moment, dt.datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        context["due"] = moment.strftime("%Y-%m-%d %H:%M")
    else:
        context["due"] = str(due or "")
    return context


def register_all() -> None:
    register_template(
        "workflow.*.approaching",
        title=_("办理时限即将到期"),
        body=_("业务 %(subject_id)s 的办理时限为 %(due)s，当前状态：%(state)s。请及时处理。"),
        prepare=_sla_context,
        label=_("办理时限即将到期提醒"),
    )
    register_template(
        "workflow.*.overdue",
        title=_("办理已超期"),
        body=_("业务 %(subject_id)s 已超过办理时限 %(due)s，当前状态：%(state)s。请尽快处理。"),
        prepare=_sla_context,
        label=_("办理超期提醒"),
    )
