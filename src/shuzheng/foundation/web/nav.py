"""Menu entries that domain packages add to the shells from their ``AppConfig.ready()`` —
the foundation lists only its own pages and never imports a domain package.

    nav.workbench("cases:queue", _("办件受理审批"), "cases.view", order=20)
    nav.portal("catalogue:services", _("办事服务"), order=10)   # everyone
    nav.portal("cases:my-cases", _("我的办件"), login=True, order=20)
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: object
    perm: str | None = None
    login: bool = False
    order: int = 100


_workbench: dict[str, Entry] = {}
_portal: dict[str, Entry] = {}


def workbench(url_name: str, label, perm: str, *, order: int = 100) -> None:
    _workbench[url_name] = Entry(url_name, label, perm, order=order)


def portal(url_name: str, label, *, login: bool = False, perm: str | None = None, order=100):
    _portal[url_name] = Entry(url_name, label, perm, login, order)


def _url(entry: Entry) -> str | None:
    try:
        return reverse(entry.url_name)
    except NoReverseMatch:  # a package whose pages are not mounted in this installation
        return None


def workbench_entries() -> list[Entry]:
    return sorted(_workbench.values(), key=lambda e: e.order)


def visible(entries, user, holds) -> list[tuple[str, object]]:
    """(url, label) of the entries ``user`` may open; ``holds(user, perm)`` is the policy."""
    signed_in = bool(user is not None and user.is_authenticated)
    shown = []
    for entry in entries:
        if entry.login and not signed_in:
            continue
        if entry.perm and not (signed_in and holds(user, entry.perm)):
            continue
        url = _url(entry)
        if url:
            shown.append((url, entry.label))
    return shown


def portal_entries() -> list[Entry]:
    return sorted(_portal.values(), key=lambda e: e.order)
