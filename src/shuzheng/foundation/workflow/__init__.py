"""foundation.workflow — one engine for 办件, 工单, 公文, sharing requests, contracts and tasks.

``from shuzheng.foundation import workflow`` then ``workflow.start(...)``,
``workflow.transition(...)``, ``@workflow.guard(...)``. Attributes load lazily so that
importing the package during app loading does not import models.
"""

_EXPORTS = {
    "start": "services",
    "transition": "services",
    "available_actions": "services",
    "instance_of": "services",
    "save_definition": "services",
    "export_definition": "services",
    "latest_definition": "services",
    "check_deadlines": "services",
    "Conflict": "services",
    "TransitionNotAllowed": "services",
    "guard": "guards",
    "GuardFailed": "guards",
}


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(name)
