"""foundation.access — the one authorisation policy (roles × org subtree × object rules).

Every selector reads through :func:`scope`; every service guards with :func:`check`.
"""

from shuzheng.foundation.access.policy import (
    SYSTEM,
    check,
    enterprise_scopes,
    forget,
    holds,
    org_paths,
    require,
    scope,
)
from shuzheng.foundation.access.registry import capability, rule

__all__ = [
    "SYSTEM",
    "capability",
    "check",
    "enterprise_scopes",
    "forget",
    "holds",
    "org_paths",
    "require",
    "rule",
    "scope",
]
