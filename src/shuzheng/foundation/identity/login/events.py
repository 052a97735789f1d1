"""The one place the login controls write audit records.

``shuzheng.foundation.trust.audit`` is imported lazily so this app works (and logs) on an
installation whose audit app is not there yet. Inside a transaction the record joins it (it
commits with the change it describes); outside one — the refusals, which must stay on record
although nothing else is written — it gets a transaction of its own.

Callers never pass a password, a TOTP secret, a code or a recovery code in ``details``;
:func:`audit_event` drops such keys as a last guard.
"""

import importlib
import importlib.util
import logging

from django.db import connection

log = logging.getLogger("shuzheng.login")
AUDIT_MODULE = "shuzheng.foundation.trust.audit"
_SECRET_KEYS = frozenset({"password", "otp", "code", "token", "secret", "key", "recovery_code"})

SUCCESS, DENIED = "success", "denied"


def _audit_module():
    try:
        if importlib.util.find_spec(AUDIT_MODULE) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(AUDIT_MODULE)


def audit_event(actor, action: str, target=None, *, result=SUCCESS, details=None, request=None):
    """Record one login event (``identity.login``, ``identity.mfa.verify`` …)."""
    details = {k: v for k, v in (details or {}).items() if k not in _SECRET_KEYS}
    log.info("%s %s actor=%s target=%s %s", action, result, actor, target, details)
    audit = _audit_module()
    if audit is None:
        return None
    write = audit.record if connection.in_atomic_block else audit.record_outside
    return write(actor, action, target, result=result, details=details, request=request)
