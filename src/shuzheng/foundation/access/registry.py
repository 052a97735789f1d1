"""Code-side registries: the capabilities each package declares, and how each model's rows
relate to organisations, owners and enterprises (the object rules ``scope`` applies)."""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Capability:
    code: str
    label: str
    self_service: bool = False
    delegable: bool = False
    public: bool = False


@dataclass(frozen=True)
class ObjectRule:
    """How a model's rows are reached.

    ``org``: lookup path to the owning Organisation ("self" for Organisation itself, None
    when rows belong to no organisation — shared city-wide records that a grant of the
    capability on any organisation reaches).
    ``owner``: lookup path to the User who owns a row (self-service capabilities).
    ``enterprise``: lookup path to the Enterprise ("self" for Enterprise itself).
    ``by_perm``: capability → org path(s) where a capability reaches rows through another
    organisation than ``org`` (a sharing request is decided by the provider but filed by the
    requester). A tuple of paths reaches a row through any of them.
    """

    org: str | tuple[str, ...] | None = None
    owner: str | None = None
    enterprise: str | None = None
    by_perm: tuple[tuple[str, str | tuple[str, ...] | None], ...] = ()

    def org_for(self, perm: str) -> str | tuple[str, ...] | None:
        for code, path in self.by_perm:
            if code == perm:
                return path
        return self.org


CAPABILITIES: dict[str, Capability] = {}
RULES: dict[type[models.Model], ObjectRule] = {}


def capability(code: str, label: str, **flags: bool) -> Capability:
    cap = Capability(code, label, **flags)
    CAPABILITIES[code] = cap
    return cap


def rule(model: type[models.Model], *, by_perm: dict | None = None, **paths) -> None:
    RULES[model] = ObjectRule(**paths, by_perm=tuple((by_perm or {}).items()))


def sync_permissions(**_kwargs) -> None:
    """Mirror the code registry into the Permission table after every migrate."""
    from shuzheng.foundation.access.models import Permission

    for cap in CAPABILITIES.values():
        Permission.objects.update_or_create(
            code=cap.code,
            defaults={
                "label": str(cap.label),
                "self_service": cap.self_service,
                "delegable": cap.delegable,
                "public": cap.public,
            },
        )
