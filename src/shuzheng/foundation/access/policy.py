"""The one authorisation policy. ``scope`` filters a queryset, ``check`` guards one object;
``check`` is ``scope`` on a single row, so a list and a detail can never disagree."""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation.access.registry import CAPABILITIES, RULES, ObjectRule

_CACHE_ATTR = "_shuzheng_access"


class SystemActor:
    """The installation itself (migrations, demo loading, command-line bootstrap).

    Only code run by an operator on the server acts as SYSTEM; no request ever does."""

    is_authenticated = True
    is_active = True
    pk = None
    username = "system"

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def _capability(perm: str):
    try:
        return CAPABILITIES[perm]
    except KeyError:
        raise LookupError(
            f"unknown capability {perm!r}: declare it with access.capability()"
        ) from None


def _rule(model) -> ObjectRule:
    for klass in model.__mro__:
        if klass in RULES:
            return RULES[klass]
    raise LookupError(f"{model.__name__} has no access rule: declare it with access.rule()")


def _facts(user) -> dict:
    """Everything the policy needs about a user, loaded once per user object (request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from shuzheng.foundation.access.models import RoleGrant
    from shuzheng.foundation.identity.models import EnterpriseAgent

    paths: dict[str, set[str]] = {}
    rows = RoleGrant.objects.filter(
        user=user, revoked_at__isnull=True, organisation__is_active=True
    ).values_list("role__permissions__code", "organisation__path")
    for code, path in rows:
        if code:
            paths.setdefault(code, set()).add(path)
    today = timezone.localdate()
    agencies = (
        EnterpriseAgent.objects.filter(
            person__user=user, revoked_at__isnull=True, valid_from__lte=today
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .values_list("enterprise_id", "scopes")
    )
    enterprises: dict[str, set[int]] = {}
    for enterprise_id, scopes in agencies:
        for code in scopes:
            enterprises.setdefault(code, set()).add(enterprise_id)
    facts = {"paths": {k: _minimal(v) for k, v in paths.items()}, "enterprises": enterprises}
    setattr(user, _CACHE_ATTR, facts)
    return facts


def _minimal(paths: set[str]) -> list[str]:
    """Drop paths already covered by an ancestor path, so filters stay short."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def forget(user) -> None:
    """Drop cached facts after the user's grants changed within this request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def org_paths(user, perm: str) -> list[str]:
    """Roots of the organisation subtrees on which ``user`` holds ``perm``."""
    _capability(perm)
    if not _active(user):
        return []
    return _facts(user)["paths"].get(perm, [])


def holds(user, perm: str) -> bool:
    """Whether the user holds ``perm`` anywhere (for menus; never a substitute for scope)."""
    cap = _capability(perm)
    if cap.public or user is SYSTEM:
        return True
    if not _active(user):
        return False
    facts = _facts(user)
    return bool(facts["paths"].get(perm) or facts["enterprises"].get(perm))


def scope(user, queryset: QuerySet, perm: str) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may use with ``perm``."""
    cap = _capability(perm)
    if cap.public or user is SYSTEM:
        return queryset
    if not _active(user):
        return queryset.none()
    rule = _rule(queryset.model)
    facts = _facts(user)
    allowed = Q(pk__in=[])
    paths = facts["paths"].get(perm, [])
    if paths:
        allowed |= _org_condition(rule.org_for(perm), paths)
    if cap.self_service and rule.owner:
        allowed |= Q(**{rule.owner: user.pk})  # pk works for FK paths and for "pk"
    enterprises = facts["enterprises"].get(perm) if cap.delegable else None
    if enterprises and rule.enterprise:
        field = "pk" if rule.enterprise == "self" else rule.enterprise
        allowed |= Q(**{f"{field}__in": sorted(enterprises)})
    return queryset.filter(allowed)


def _org_condition(org: str | tuple[str, ...] | None, paths: list[str]) -> Q:
    from shuzheng.foundation.identity.models import Organisation

    within = Q()
    for path in paths:
        within |= Q(path__startswith=path)
    if org == "self":
        return within
    if org is None:
        # Rows tied to no organisation (persons, enterprises) are shared city-wide records:
        # a grant of the capability on any organisation reaches them.
        return Q(pk__isnull=False)
    orgs = Organisation.objects.filter(within).values("pk")
    if isinstance(org, tuple):
        reached = Q(pk__in=[])
        for one in org:
            reached |= Q(**{f"{one}__in": orgs})
        return reached
    return Q(**{f"{org}__in": orgs})


def check(user, obj: Model, perm: str) -> None:
    """Raise PermissionDenied unless ``user`` may use ``perm`` on ``obj``."""
    if user is SYSTEM:
        return
    allowed = scope(user, type(obj)._default_manager.filter(pk=obj.pk), perm).exists()
    if not allowed:
        label = CAPABILITIES[perm].label
        raise PermissionDenied(_("无权执行此操作：%(label)s") % {"label": label})


def require(user, perm: str) -> None:
    """Raise PermissionDenied unless ``user`` holds ``perm`` somewhere (for acts on no object)."""
    if not holds(user, perm):
        label = CAPABILITIES[perm].label
        raise PermissionDenied(_("无权执行此操作：%(label)s") % {"label": label})


def enterprise_scopes(user, enterprise) -> set[str]:
    """The delegable capabilities ``user`` holds for ``enterprise`` as its agent today."""
    if not _active(user) or user is SYSTEM:
        return set()
    return {code for code, ids in _facts(user)["enterprises"].items() if enterprise.pk in ids}
