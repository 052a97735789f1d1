"""A bad 好差评 rating becomes a complaint order at the centre — exactly one, however often
the event ``services.evaluation.bad`` is delivered."""

import pytest
from django.db import transaction

from shuzheng.foundation import events
from shuzheng.governance.hotline.models import WorkOrder
from shuzheng.governance.hotline.services import intake

pytestmark = pytest.mark.django_db


def payload(hl, **kw):
    data = {
        "evaluation": 4711,
        "case": "44040020261130000012345",
        "score": 1,
        "comment": "窗口让我跑了三趟",
        "item": "个体工商户设立登记",
        "organisation": hl.tree.zwfw.pk,
        "phone": "+8613800138000",
    }
    data.update(kw)
    return data


def test_a_bad_rating_becomes_one_complaint_order(hl):
    order = intake.from_rating(payload(hl))
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.channel == "rating" and order.request_type == "complaint"
    assert order.unit == hl.centre and order.state == "registered"
    assert order.source_ref == "evaluation:4711"
    assert order.related_case == "44040020261130000012345"
    assert order.caller_phone == "+8613800138000"
    assert "个体工商户设立登记" in order.title and "跑了三趟" in order.content
    assert order.suggestion["unit"] == {
        "id": hl.tree.zwfw.pk,
        "name": hl.tree.zwfw.name,
        "source": "rating",
    }
    assert order.registered_by is None and order.reporter is None
    assert intake.from_rating(payload(hl)) is None
    assert intake.from_rating(payload(hl, comment="换个说法")) is None
    assert WorkOrder.objects.count() == 1


def test_a_rating_without_an_evaluation_or_with_a_bad_phone(hl):
    assert intake.from_rating(payload(hl, evaluation=None)) is None
    order = intake.from_rating(payload(hl, evaluation=9, phone="12345", organisation="x"))
    assert order.caller_phone == ""
    assert (order.suggestion.get("unit") or {}).get("source") != "rating"
    assert WorkOrder.objects.count() == 1


def test_the_event_delivered_twice_creates_exactly_one_order(
    hl, django_capture_on_commit_callbacks
):
    for _ in range(2):  # the rating module's outbox may hand the same fact over twice
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            events.publish("services.evaluation.bad", payload(hl, evaluation=77))
    orders = WorkOrder.objects.filter(source_ref="evaluation:77")
    assert orders.count() == 1 and orders.get().channel == "rating"


def test_a_second_delivery_of_the_same_event_is_harmless(hl):
    from shuzheng.foundation.events.models import OutboxEvent
    from shuzheng.governance.hotline.events import on_bad_rating

    with transaction.atomic():
        events.publish("services.evaluation.bad", payload(hl, evaluation=78))
    event = OutboxEvent.objects.get(type="services.evaluation.bad")
    on_bad_rating(event)
    on_bad_rating(event)
    assert WorkOrder.objects.filter(source_ref="evaluation:78").count() == 1
