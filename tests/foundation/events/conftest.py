import pytest

from shuzheng.foundation import events


class Seen(list):
    """The event ids a test handler saw; ``calls`` counts its calls, failures included."""

    calls = 0


@pytest.fixture
def subscribed():
    """subscribed(pattern, name, fail=0) → the list of event ids the handler saw (in order);
    the handler raises its first ``fail`` times (``fail=-1``: always). Unsubscribed after."""
    names = []

    def make(pattern, name, *, fail=0, effect=None):
        seen = Seen()

        def handler(event):
            seen.calls += 1
            if fail == -1 or seen.calls <= fail:
                raise RuntimeError(f"{name} failed on call {seen.calls}")
            if effect is not None:
                effect(event)
            seen.append(event.id)

        events.subscribe(pattern, handler, name=name)
        names.append(name)
        return seen

    yield make
    for name in names:
        events.unsubscribe(name)
