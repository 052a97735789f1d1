"""Named guards: conditions a transition checks before it may happen (e.g. 材料齐全).

Domain packages register them in their apps' ready()::

    @workflow.guard("materials_complete", label="申请材料齐全")
    def materials_complete(ctx):
        if ctx.subject.missing_materials():
            raise workflow.GuardFailed("申请材料不齐全：缺少身份证明")
"""

from dataclasses import dataclass
from typing import Any


class GuardFailed(Exception):
    """A guard refused; its message names the unmet condition and is shown to the user."""


@dataclass(frozen=True)
class GuardContext:
    instance: Any
    subject: Any
    actor: Any
    action: str
    data: dict


GUARDS: dict[str, tuple[str, Any]] = {}


def guard(name: str, *, label: str = ""):
    def register(fn):
        GUARDS[name] = (label or name, fn)
        return fn

    return register
