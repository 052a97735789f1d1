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
    """

    org: str | None = None
    owner: str | None = None
    enterprise: str | None = None


CAPABILITIES: dict[str, Capability] = {}
RULES: dict[type[models.Model], ObjectRule] = {}


def capability(code: str, label: str, **flags: bool) -> Capability:
    cap = Capability(code, label, **flags)
    CAPABILITIES[code] = cap
    return cap


def rule(model: type[models.Model], **paths: str | None) -> None:
    RULES[model] = ObjectRule(**paths)


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
