"""Who hears about a quality check, and what they read (from ``data.quality.issues_found``,
published by ``services.run_check`` when a run raised new issues).

* The OWNER: the active holders of ``dataquality.manage`` granted on the entry's providing
  department itself (its data administrators) — not the data authority, whose grant on the
  city reaches every department, and not other departments.

Payloads carry identifiers and counts only; the entry's name and code are read when the
message is rendered, in each recipient's language. The message never quotes a record.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import events
from shuzheng.foundation.events.notifications import register_recipients, register_template

OWNER_PERM = "dataquality.manage"
ISSUES_LINK = "/workbench/data/quality/issues/?entry=%s"

TEMPLATES = {
    "data.quality.issues_found": (
        _("数据质量问题待整改"),
        _(
            "目录“%(entry_name)s”（%(entry_code)s）的质量检查发现 %(new_issues)s 个新问题，"
            "目前共有 %(open_issues)s 个问题待整改，本次质量得分 %(score)s。请核实并整改。"
        ),
        _("数据质量问题通知"),
    ),
}


def _entry(payload: dict):
    from shuzheng.data.catalog.models import CatalogueEntry

    pk = payload.get("entry")
    if not pk:
        return None
    return CatalogueEntry.objects.filter(pk=pk).only("pk", "code", "name", "provider").first()


def _context(payload: dict) -> dict:
    context = dict.fromkeys(("entry_name", "entry_code", "new_issues", "open_issues", "score"), "—")
    context.update({k: v for k, v in payload.items() if v is not None})
    entry = _entry(payload)
    if entry is not None:
        context.update(entry_name=entry.name, entry_code=entry.code)
    return context


def owners(event_type: str, payload: dict) -> list:
    """The data administrators of the entry's providing department (grants on that
    department itself), active ones only."""
    from shuzheng.foundation.access.models import RoleGrant

    entry = _entry(payload)
    if entry is None:
        return []
    grants = (
        RoleGrant.objects.filter(
            revoked_at__isnull=True,
            role__permissions__code=OWNER_PERM,
            organisation_id=entry.provider_id,
            organisation__is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    )
    seen: dict = {}
    for grant in grants:
        seen.setdefault(grant.user_id, grant.user)
    return list(seen.values())


def issues_link(payload: dict) -> str:
    entry = payload.get("entry")
    if not entry:
        return ""
    try:
        return f"{reverse('dataquality:issues')}?entry={entry}"
    except NoReverseMatch:
        return ISSUES_LINK % entry


def on_quality_event(event) -> None:
    from shuzheng.foundation.events.notifications.events import notify_for_event

    notify_for_event(event)


def register() -> None:
    """Templates, recipients and the subscription (QualityConfig.ready; idempotent)."""
    for event_type, (title, body, label) in TEMPLATES.items():
        register_template(event_type, title=title, body=body, prepare=_context, label=label)
        register_recipients(
            event_type, owners, name=f"dataquality.owner.{event_type}", link=issues_link
        )
        events.subscribe(event_type, on_quality_event, name=f"dataquality.notify.{event_type}")
