"""登录失败处理: consecutive failures lock an account — or, for usernames that do not exist, the
client address — for a while. A locked attempt is refused exactly like a wrong password.

Counters live in the database so every web process sees the same lock. Each change commits on
its own: a refusal must never roll its own failure count back.
"""

from django.db import transaction
from django.utils import timezone

from shuzheng.foundation.identity.login import policy
from shuzheng.foundation.identity.login.events import DENIED, audit_event
from shuzheng.foundation.identity.login.models import LoginLock


def _user_key(user) -> str:
    return f"user:{user.pk}"


def _ip_key(ip: str) -> str:
    return f"ip:{ip}"


def is_locked(user=None, ip: str | None = None) -> bool:
    """Whether this account, or this address after failures on unknown usernames, is locked."""
    keys = []
    if user is not None:
        keys.append(_user_key(user))
    if ip:
        keys.append(_ip_key(ip))
    if not keys:
        return False
    return LoginLock.objects.filter(key__in=keys, locked_until__gt=timezone.now()).exists()


def register_failure(user=None, ip: str | None = None, *, request=None) -> bool:
    """Count one failure against the account (or the address, when there is no account);
    returns True when this failure locked it. Failures while locked are not counted."""
    if user is None and not ip:
        return False
    key = _user_key(user) if user is not None else _ip_key(ip)
    now = timezone.now()
    period = policy.lockout_period()
    with transaction.atomic():
        row, _created = LoginLock.objects.select_for_update().get_or_create(
            key=key, defaults={"user": user}
        )
        if row.locked_until and row.locked_until > now:
            return False
        stale = row.last_failure_at is None or now - row.last_failure_at > period
        if stale or row.locked_until:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        locked = row.failures >= policy.max_failures()
        if locked:
            row.locked_until = now + period
        row.save()
        if locked:
            audit_event(
                None,
                "identity.login.lockout",
                user if user is not None else ("client", ip),
                result=DENIED,
                details={
                    "scope": "account" if user is not None else "address",
                    "failures": row.failures,
                    "minutes": int(period.total_seconds() // 60),
                },
                request=request,
            )
    return locked


def clear(user) -> None:
    """A completed login (every factor) ends the run of failures."""
    LoginLock.objects.filter(key=_user_key(user)).delete()
