"""Package facades load their attributes on first use and name what they lack."""

import pytest

from shuzheng.foundation import events, workflow


def test_facade_attributes_resolve_to_the_defining_modules():
    from shuzheng.foundation.events import outbox
    from shuzheng.foundation.workflow import guards, services

    assert events.publish is outbox.publish
    assert workflow.transition is services.transition
    assert workflow.guard is guards.guard


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'teleport'"):
        workflow.teleport  # noqa: B018
