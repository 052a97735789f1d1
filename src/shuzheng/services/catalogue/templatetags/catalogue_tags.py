"""Template tags of the service catalogue, usable from any page (the portal's home loads them
without the foundation importing this package): an item's badges, its name in the reader's
language, and short lists of published items and themes."""

from django import template
from django.db.models import Count
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shuzheng.services.catalogue import localise, selectors
from shuzheng.services.catalogue.models import (
    CaseKind,
    HandlingScope,
    OnlineDepth,
    Theme,
    ThemeAudience,
)

register = template.Library()


def _depth_label(depth: int) -> str:
    labels = {
        OnlineDepth.FULL: _("全程网办"),
        OnlineDepth.ONLINE: _("网上申报"),
        OnlineDepth.DOWNLOAD: _("表格下载"),
        OnlineDepth.INFO: _("信息公开"),
    }
    return labels.get(depth, "")


def badges(version) -> list[dict]:
    """What an applicant wants to know at a glance: trips to a hall (零跑动 / 最多跑一次),
    how far it can be done online, where it can be handled, and 告知承诺制."""
    if version is None:
        return []
    shown = []
    trips = version.trips or 0
    if trips == 0:
        shown.append({"label": _("零跑动"), "kind": "trips-0", "title": _("无需到办事现场")})
    elif trips == 1:
        shown.append({"label": _("最多跑一次"), "kind": "trips-1", "title": _("到办事现场次数")})
    else:
        shown.append(
            {
                "label": _("需到现场 %(n)d 次") % {"n": trips},
                "kind": "trips-n",
                "title": _("到办事现场次数"),
            }
        )
    if version.online_depth:
        shown.append(
            {
                "label": _depth_label(version.online_depth),
                "kind": f"depth-{version.online_depth}",
                "title": str(OnlineDepth(version.online_depth).label),
            }
        )
    if version.scope:
        shown.append(
            {
                "label": str(HandlingScope(version.scope).label),
                "kind": "scope",
                "title": _("通办范围"),
            }
        )
    if version.case_kind == CaseKind.IMMEDIATE:
        shown.append({"label": _("即办件"), "kind": "immediate", "title": _("办件类型")})
    if version.commitment:
        shown.append(
            {
                "label": _("告知承诺制"),
                "kind": "commitment",
                "title": _("申请人书面承诺后可免交部分证明材料"),
            }
        )
    return shown


def _language() -> str:
    return localise.language_of(get_language())


@register.inclusion_tag("catalogue/_badges.html")
def item_badges(version):
    """``{% item_badges version %}`` — the badges of one item version."""
    return {"badges": badges(version)}


@register.filter
def localised(version, field: str):
    """``{{ item.current|localised:"name" }}`` — a version's field in the reader's language."""
    if version is None:
        return ""
    return localise.localised(version, field, _language())


@register.filter
def in_language(text):
    """``{{ org.name|in_language }}`` — a name with no stored translation, in 繁體 if read so."""
    return localise.in_language(str(text or ""), _language())


@register.inclusion_tag("catalogue/_item_cards.html")
def popular_items(limit: int = 8):
    """``{% popular_items 8 %}`` — 全程网办事项: published items fully online, by name (an honest
    list, not a popularity ranking the platform does not measure)."""
    items = (
        selectors.published_items()
        .filter(current__online_depth=OnlineDepth.FULL)
        .order_by("current__name", "pk")[: int(limit)]
    )
    return {"items": list(items), "compact": True}


@register.inclusion_tag("catalogue/_theme_links.html")
def theme_links():
    """``{% theme_links %}`` — 个人办事 (life events) and 法人办事 (enterprise stages) with
    published items, for entry pages."""
    return {"groups": theme_groups()}


def theme_groups() -> list[dict]:
    """Themes by audience, each with its number of published items (empty themes left out)."""
    counts = dict(
        selectors.published_items()
        .order_by()
        .values("current__themes")
        .annotate(n=Count("pk", distinct=True))
        .values_list("current__themes", "n")
    )
    language = _language()
    groups = []
    for audience, label in ThemeAudience.choices:
        themes = [
            {
                "theme": theme,
                "name": localise.in_language(theme.name, language),
                "count": counts.get(theme.pk, 0),
            }
            for theme in Theme.objects.filter(audience=audience)
            if counts.get(theme.pk)
        ]
        groups.append({"audience": audience, "label": label, "themes": themes})
    return groups
