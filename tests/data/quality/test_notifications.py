"""A run with new problems tells the provider's data administrators (in-app inbox) and
nobody else; a run with nothing new tells nobody; every run publishes data.quality.checked."""

import pytest

from shuzheng.data.quality import services
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.events.notifications.models import Message

pytestmark = pytest.mark.django_db

TITLE = "数据质量问题待整改"


def told() -> set:
    return set(Message.objects.filter(title=TITLE).values_list("recipient__username", flat=True))


def test_new_problems_are_sent_back_to_the_owner(
    bad_rows, rule, django_capture_on_commit_callbacks
):
    dm = bad_rows
    rule("required", "name")
    rule("unique", "id_number")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_check(dm.authority, dm.population)
    assert told() == {dm.ga_admin.username}
    message = Message.objects.get(title=TITLE)
    assert dm.population.name in message.body and "2 个新问题" in message.body
    assert f"entry={dm.population.pk}" in message.link
    for row in ("王小明",):
        assert row not in message.body
    types = set(OutboxEvent.objects.values_list("type", flat=True))
    assert {"data.quality.checked", "data.quality.issues_found"} <= types
    assert run.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.run_check(dm.ga_admin, dm.population)  # the same problems: nothing new
    assert Message.objects.filter(title=TITLE).count() == 1


def test_a_clean_run_tells_nobody(dm, rule, django_capture_on_commit_callbacks):
    rule("required", "name")
    with django_capture_on_commit_callbacks(execute=True):
        services.run_check(dm.ga_admin, dm.population)
    assert told() == set()
