"""Embedded mode: the outbox, after-commit delivery, retries, dead letters, idempotency."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuzheng.foundation import events
from shuzheng.foundation.events import outbox, services
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent
from shuzheng.foundation.trust.models import AuditRecord

pytestmark = pytest.mark.django_db


def publish_committed(capture, type_, payload, **kw):
    with capture(execute=True), transaction.atomic():
        return events.publish(type_, payload, **kw)


def test_an_event_of_a_rolled_back_transaction_is_never_delivered(
    subscribed, django_capture_on_commit_callbacks
):
    seen = subscribed("test.case.*", "tests.seen")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(LookupError),
        transaction.atomic(),
    ):
        events.publish("test.case.accepted", {"case": "ZH-1"})
        raise LookupError("the business change failed")
    assert callbacks == []
    assert OutboxEvent.objects.count() == 0
    assert outbox.deliver_due() == 0
    assert seen == []


def test_a_committed_event_is_delivered_once_after_the_commit(
    subscribed, django_capture_on_commit_callbacks
):
    seen = subscribed("test.case.accepted", "tests.seen")
    other = subscribed("test.other.*", "tests.other")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_id = events.publish(
            "test.case.accepted", {"case": "ZH-1", "at": timezone.now()}, key="ZH-1"
        )
        assert seen == []  # not before the commit
    assert seen == [event_id]
    assert other == []
    row = OutboxEvent.objects.get()
    assert row.id == event_id and row.key == "ZH-1" and row.delivered_at is not None
    assert isinstance(row.payload["at"], str)  # plain JSON, as through the broker
    assert list(row.deliveries.values_list("handler", "status", "attempts")) == [
        ("tests.seen", "done", 1)
    ]
    assert outbox.deliver_due() == 0
    outbox.deliver([event_id])
    assert seen == [event_id]


def test_publish_refuses_a_bad_type_and_non_dict_payload():
    with transaction.atomic():
        with pytest.raises(ValueError):
            events.publish("Case Accepted", {})
        with pytest.raises(TypeError):
            events.publish("test.case.accepted", ["ZH-1"])
    assert OutboxEvent.objects.count() == 0


def test_a_failing_handler_is_retried_with_backoff_then_dead_lettered_alone(
    subscribed, settings, django_capture_on_commit_callbacks
):
    settings.EVENTS_MAX_ATTEMPTS = 3
    settings.EVENTS_RETRY_BASE_SECONDS = 10
    good = subscribed("test.case.*", "tests.good")
    bad = subscribed("test.case.accepted", "tests.bad", fail=-1)
    first = publish_committed(django_capture_on_commit_callbacks, "test.case.accepted", {"n": 1})
    assert good == [first] and bad == []
    failing = Delivery.objects.get(handler="tests.bad")
    t1 = failing.next_attempt_at
    assert failing.status == DeliveryStatus.PENDING and failing.attempts == 1
    assert "tests.bad failed on call 1" in failing.last_error
    # other events are not held up by the failing handler
    second = publish_committed(django_capture_on_commit_callbacks, "test.case.closed", {"n": 2})
    assert good == [first, second]

    assert outbox.deliver_due(now=t1 - dt.timedelta(seconds=1)) == 0  # backoff not over
    assert outbox.deliver_due(now=t1) == 1
    failing.refresh_from_db()
    assert failing.attempts == 2
    assert failing.next_attempt_at - t1 == dt.timedelta(seconds=20)  # 10 s, then 20 s
    assert outbox.deliver_due(now=failing.next_attempt_at) == 1
    failing.refresh_from_db()
    assert failing.status == DeliveryStatus.DEAD and failing.attempts == 3
    assert bad.calls == 3
    assert good == [first, second]  # never repeated by the retries
    event = OutboxEvent.objects.get(pk=first)
    assert event.delivered_at is not None and "tests.bad" in event.last_error
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(days=1)) == 0


def test_a_dead_letter_is_resent_by_the_system_administrator_on_the_record(
    subscribed, settings, tree, make_staff, django_capture_on_commit_callbacks
):
    settings.EVENTS_MAX_ATTEMPTS = 1
    flaky = subscribed("test.case.accepted", "tests.flaky", fail=1)
    event_id = publish_committed(django_capture_on_commit_callbacks, "test.case.accepted", {})
    dead = Delivery.objects.get(handler="tests.flaky")
    assert dead.status == DeliveryStatus.DEAD and flaky == []

    clerk = make_staff(tree.xiangzhou, "window-clerk")
    with pytest.raises(PermissionDenied):
        services.resend_delivery(clerk, dead)
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DEAD

    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_delivery(admin, dead)
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DONE and dead.attempts == 1
    assert flaky == [event_id]
    record = AuditRecord.objects.get(action="events.delivery.resend")
    assert record.actor_id == admin.pk and record.details["handler"] == "tests.flaky"


def test_the_admin_lists_dead_letters_and_resends_them(
    client, subscribed, settings, tree, make_staff, django_capture_on_commit_callbacks
):
    settings.EVENTS_MAX_ATTEMPTS = 1
    flaky = subscribed("test.case.accepted", "tests.flaky", fail=1)
    event_id = publish_committed(django_capture_on_commit_callbacks, "test.case.accepted", {})
    dead = Delivery.objects.get()
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    url = reverse("admin:events_delivery_changelist")
    page = client.get(url + "?status__exact=dead")
    assert page.status_code == 200 and "tests.flaky" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"action": "resend", "_selected_action": [dead.pk]})
    assert done.status_code == 302
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DONE and flaky == [event_id]


def test_delivering_twice_runs_each_handler_once(subscribed, django_capture_on_commit_callbacks):
    seen = subscribed("test.case.accepted", "tests.seen")
    with transaction.atomic():
        event_id = events.publish("test.case.accepted", {})
    row = OutboxEvent.objects.get()
    outbox.dispatch([row, row])
    outbox.deliver([event_id])
    outbox.deliver([event_id])
    row.delivered_at = None  # as if a crash lost the "delivered" mark
    row.save()
    outbox.deliver_due()
    assert seen == [event_id]
    assert Delivery.objects.get().attempts == 1


def test_a_failed_handler_leaves_no_partial_writes(
    subscribed, settings, django_capture_on_commit_callbacks
):
    """The handler's own writes commit with its 'processed' mark, or not at all."""

    def follow_up_then_fail(event):
        events.publish("test.case.followed", {"of": str(event.id)})
        raise RuntimeError("after writing")

    events.subscribe("test.case.accepted", follow_up_then_fail, name="tests.partial")
    try:
        publish_committed(django_capture_on_commit_callbacks, "test.case.accepted", {})
    finally:
        events.unsubscribe("tests.partial")
    assert list(OutboxEvent.objects.values_list("type", flat=True)) == ["test.case.accepted"]


def test_prefix_and_wildcard_subscriptions(subscribed, django_capture_on_commit_callbacks):
    case = subscribed("test.case.*", "tests.case")
    every = subscribed("*", "tests.every")
    a = publish_committed(django_capture_on_commit_callbacks, "test.case.accepted", {})
    b = publish_committed(django_capture_on_commit_callbacks, "test.casefile.opened", {})
    assert case == [a] and every == [a, b]
    with pytest.raises(ValueError):
        events.subscribe("test.case.*", lambda e: None, name="tests.case")  # name taken


def test_event_ids_are_time_ordered():
    with transaction.atomic():
        ids = [events.publish("test.case.accepted", {"n": n}) for n in range(50)]
    assert ids == sorted(ids)
    assert list(OutboxEvent.objects.values_list("id", flat=True)) == ids


def test_the_deliver_command_sweeps_what_is_due(subscribed, settings):
    from django.core.management import call_command

    settings.EVENTS_DELIVER_ON_COMMIT = False
    seen = subscribed("test.case.accepted", "tests.seen")
    with transaction.atomic():
        event_id = events.publish("test.case.accepted", {})
    assert seen == []
    call_command("events", "deliver")
    assert seen == [event_id]


@pytest.mark.parametrize(
    "pattern,event_type,expected",
    [
        ("workflow.*.overdue", "workflow.case.overdue", True),
        ("workflow.*.overdue", "workflow.case.accept", False),
        ("workflow.*.overdue", "workflow.services.case.overdue", True),  # codes contain dots
        ("workflow.*.overdue", "workflow.overdue", False),
        ("workflow.*", "workflow.case.accept", True),
        ("workflow.*", "workflowx.case", False),
        ("services.case.accepted", "services.case.accepted", True),
        ("*", "anything.at.all", True),
    ],
)
def test_subscription_patterns(pattern, event_type, expected):
    from shuzheng.foundation.events.registry import Subscription

    assert Subscription(pattern, print, "t.x").matches(event_type) is expected


def test_a_transition_event_without_a_subscriber_creates_no_delivery():
    from shuzheng.foundation.events.registry import handlers_for

    assert not [
        s
        for s in handlers_for("workflow.demo.review.accept")
        if s.name.startswith("notifications.")
    ]
    assert [
        s.name
        for s in handlers_for("workflow.demo.review.overdue")
        if s.name.startswith("notifications.")
    ] == ["notifications.workflow_sla_overdue"]


@pytest.mark.django_db
def test_an_event_nobody_listens_to_is_recorded_delivered_without_dispatch(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    from shuzheng.foundation import events
    from shuzheng.foundation.events.models import Delivery, OutboxEvent

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        event_id = events.publish("tests.nobody.listens", {"n": 1})
    row = OutboxEvent.objects.get(pk=event_id)
    assert row.delivered_at is not None
    assert not callbacks and not Delivery.objects.filter(event_id=event_id).exists()


@pytest.mark.django_db
def test_old_finished_events_are_purged_but_dead_letters_and_recent_ones_stay(subscribed):
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from shuzheng.foundation import events
    from shuzheng.foundation.events import services
    from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent

    subscribed("tests.retention.*", "tests.retention_handler")
    with transaction.atomic():
        done = events.publish("tests.retention.done", {})
        dead = events.publish("tests.retention.dead", {})
        recent = events.publish("tests.retention.recent", {})
    events.deliver([done, dead, recent])
    Delivery.objects.filter(event_id=dead).update(status=DeliveryStatus.DEAD)
    long_ago = timezone.now() - dt.timedelta(days=40)
    OutboxEvent.objects.filter(pk__in=[done, dead]).update(created_at=long_ago)

    assert services.purge_delivered() == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {dead, recent}
    assert not Delivery.objects.filter(event_id=done).exists()


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_of_the_same_events_run_each_handler_once(subscribed, settings):
    """PostgreSQL: delivery rows are locked with SKIP LOCKED, done rows skipped."""
    import threading

    from django.db import connection, connections, transaction

    from shuzheng.foundation import events
    from shuzheng.foundation.events.models import Delivery, DeliveryStatus

    if connection.vendor != "postgresql":
        pytest.skip("concurrent dispatchers are exercised on PostgreSQL")
    settings.EVENTS_DELIVER_ON_COMMIT = False  # the two dispatchers below do it
    seen = subscribed("tests.race.*", "tests.race_handler")
    with transaction.atomic():
        ids = [events.publish("tests.race.tick", {"n": n}) for n in range(200)]
    barrier = threading.Barrier(2)

    def dispatch():
        try:
            barrier.wait()
            events.deliver(ids)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events.deliver(ids)  # whatever one dispatcher skipped as locked, a later run completes
    assert sorted(seen) == sorted(ids)  # every event once: no repeats, none missing
    assert Delivery.objects.filter(event_id__in=ids, status=DeliveryStatus.DONE).count() == 200
