"""The engine's view of an SLA clock: plain dicts stored on the instance (JSON), computed by
the work calendar's ``Clock`` so every deadline honours holidays, 调休 and closures."""


def _clock():
    from shuzheng.foundation.workflow.calendar.calendar import Clock

    return Clock


def start(at, amount: int, unit: str) -> dict:
    return _clock().start(at, amount, unit).to_dict()


def pause(clock: dict, at) -> dict:
    return _apply(clock, "pause", at)


def resume(clock: dict, at) -> dict:
    return _apply(clock, "resume", at)


def stop(clock: dict, at) -> dict:
    return _apply(clock, "stop", at)


def _apply(clock: dict, effect: str, at) -> dict:
    current = _clock().from_dict(clock)
    getattr(current, effect)(at)
    return current.to_dict()


def due_at(clock: dict):
    return _clock().from_dict(clock).due_at


def state(clock: dict) -> str:
    return _clock().from_dict(clock).state
