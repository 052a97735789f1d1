"""foundation.workflow — one engine for 办件, 工单, 公文, sharing requests, contracts and tasks.

``from shuzheng.foundation import workflow`` then ``workflow.start(...)``,
``workflow.transition(...)``, ``@workflow.guard(...)``. Attributes load lazily so that
importing the package during app loading does not import models.
"""

from shuzheng.foundation.lazy import lazy_exports

_SERVICES = (
    "start",
    "transition",
    "check_transition",
    "available_actions",
    "save_definition",
    "export_definition",
    "latest_definition",
    "check_deadlines",
    "extend_clock",
    "Conflict",
    "TransitionNotAllowed",
)
__getattr__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(_SERVICES, ".services"),
        **dict.fromkeys(("guard", "GuardFailed"), ".guards"),
    },
)
