"""受理: what an order is given at intake (number, centre, grid and district, title, the
caller's phone as E.164 with its blind index, photos) and every refusal — content missing,
location missing where the category needs it, a bad coordinate, a branch category, a bad
phone, a photo that is not an image, someone without the capability — with nothing
written."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzheng.foundation import access
from shuzheng.foundation.events.models import OutboxEvent
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.trust import pii
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.foundation.workflow.models import WorkflowInstance
from shuzheng.governance.hotline.models import OrderPhoto, WorkOrder
from shuzheng.governance.hotline.services import intake, numbering
from tests.governance.conftest import GOOD_PHONE, IN_GONGBEI, IN_JINGAN, NOWHERE
from tests.governance.hotline.test_loop import FrozenClock, at

pytestmark = pytest.mark.django_db

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
PDF_BYTES = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG_BYTES, "image/png")


def pdf_named_as_jpeg():
    return SimpleUploadedFile("photo.jpg", PDF_BYTES, "image/jpeg")


def call(hl, **kw):
    data = {
        "channel": "phone",
        "request_type": "complaint",
        "content": "拱北夏湾路小区门口垃圾三天没人清运，气味很大。",
        "category": hl.garbage,
        "address": "拱北夏湾路 88 号",
        "latitude": IN_GONGBEI[0],
        "longitude": IN_GONGBEI[1],
        "caller_name": "李小明",
        "caller_phone": "138 0013 8000",
    }
    data.update(kw)
    return data


def nothing_written():
    return (
        not WorkOrder.objects.exists()
        and not WorkflowInstance.objects.exists()
        and not OrderPhoto.objects.exists()
        and not OutboxEvent.objects.filter(type__startswith="governance.order.").exists()
    )


# --------------------------------------------------------------------------- 登记


def test_an_operator_registers_a_call_at_the_centre_with_grid_district_and_number(hl, monkeypatch):
    clock = FrozenClock(monkeypatch)
    clock.set(at(11, 30, 9, 15))
    order = intake.register(hl.operator, **call(hl, title=""))
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.number == "GD20261130000001"
    assert order.unit == hl.centre and order.state == "registered"
    assert order.grid == hl.cells[0] and order.district == hl.tree.xiangzhou
    assert order.title == "拱北夏湾路小区门口垃圾三天没人清运，气味很大。"[:30]
    assert order.caller_phone == GOOD_PHONE  # E.164
    assert (
        WorkOrder.objects.filter(pii.lookup(WorkOrder, "caller_phone", GOOD_PHONE)).get() == order
    )
    assert order.registered_by == hl.operator and order.reporter is None
    assert order.created_at == at(11, 30, 9, 15)
    assert order.workflow.state == "registered"
    assert isinstance(order.suggestion, dict)
    assert OutboxEvent.objects.get(type="governance.order.registered").payload["order"] == (
        order.number
    )
    assert AuditRecord.objects.filter(action="hotline.order.register").count() == 1
    second = intake.register(hl.operator, **call(hl))
    assert second.number == "GD20261130000002"
    clock.set(at(12, 1, 0, 5))
    assert intake.register(hl.operator, **call(hl)).number == "GD20261201000001"


def test_the_number_follows_the_local_date_not_utc(hl):
    # 2026-12-01 07:30 Beijing time is still 11-30 in UTC
    assert numbering.next_number(at=at(12, 1, 7, 30)).startswith("GD20261201")
    assert numbering.is_number("GD20261201000001") and not numbering.is_number("GD2026")


def test_an_order_outside_every_grid_cell_is_accepted_without_a_grid(hl):
    order = intake.register(hl.operator, **call(hl, latitude=NOWHERE[0], longitude=NOWHERE[1]))
    assert order.grid is None and order.district is None
    jingan = intake.register(hl.operator, **call(hl, latitude=IN_JINGAN[0], longitude=IN_JINGAN[1]))
    assert jingan.grid == hl.cells[2] and jingan.district == hl.tree.doumen


def test_content_is_required(hl):
    for blank in ("", "   ", None):
        with pytest.raises(ValidationError) as refused:
            intake.register(hl.operator, **call(hl, content=blank))
        assert set(refused.value.message_dict) == {"content"}
    assert nothing_written()


def test_a_location_is_required_where_the_category_needs_one(hl):
    with pytest.raises(ValidationError) as refused:
        intake.register(hl.operator, **call(hl, address="", latitude=None, longitude=None))
    assert set(refused.value.message_dict) == {"address"}
    assert "垃圾清运" in refused.value.message_dict["address"][0]
    assert nothing_written()
    # an address alone, or coordinates alone, will do; a category without the need: nothing
    intake.register(hl.operator, **call(hl, latitude=None, longitude=None))
    intake.register(hl.operator, **call(hl, address=""))
    intake.register(
        hl.operator, **call(hl, category=hl.social, address="", latitude=None, longitude=None)
    )
    assert WorkOrder.objects.count() == 3


@pytest.mark.parametrize(
    ("latitude", "longitude", "fields"),
    [
        (91, 113.5, {"latitude"}),
        (22.2, -181, {"longitude"}),
        ("north", 113.5, {"latitude"}),
        (22.2, None, {"longitude"}),
        (float("nan"), 113.5, {"latitude"}),
    ],
)
def test_bad_coordinates_are_field_errors(hl, latitude, longitude, fields):
    with pytest.raises(ValidationError) as refused:
        intake.register(hl.operator, **call(hl, latitude=latitude, longitude=longitude))
    assert set(refused.value.message_dict) == fields
    assert nothing_written()


def test_a_category_must_be_an_active_leaf(hl):
    with pytest.raises(ValidationError) as branch:
        intake.register(hl.operator, **call(hl, category=hl.sanitation))
    assert set(branch.value.message_dict) == {"category"}
    hl.vending.is_active = False
    hl.vending.save()
    with pytest.raises(ValidationError) as inactive:
        intake.register(hl.operator, **call(hl, category=hl.vending))
    assert set(inactive.value.message_dict) == {"category"}
    with pytest.raises(ValidationError) as unknown:
        intake.register(hl.operator, **call(hl, category="999999"))
    assert set(unknown.value.message_dict) == {"category"}
    assert nothing_written()
    assert intake.register(hl.operator, **call(hl, category="010101")).category == hl.garbage


def test_every_bad_field_is_reported_at_once(hl):
    with pytest.raises(ValidationError) as refused:
        intake.register(
            hl.operator,
            **call(
                hl,
                channel="pigeon",
                request_type="rant",
                urgency="now",
                content="",
                caller_phone="12345",
            ),
        )
    assert set(refused.value.message_dict) == {
        "channel",
        "request_type",
        "urgency",
        "content",
        "caller_phone",
    }
    assert nothing_written()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("+853 6612 3456", "+85366123456"),
        ("+852 5123 4567", "+85251234567"),
        ("+86 756 2123456", "+867562123456"),  # a 珠海 landline: callers ring from home
    ],
)
def test_phones_are_kept_as_e164(hl, typed, stored):
    order = intake.register(hl.operator, **call(hl, caller_phone=typed))
    assert WorkOrder.objects.get(pk=order.pk).caller_phone == stored


@pytest.mark.parametrize("typed", ["66123456", "1380013800", "+1 202 555 0100", "电话"])
def test_bad_or_ambiguous_phones_are_refused(hl, typed):
    with pytest.raises(ValidationError) as refused:
        intake.register(hl.operator, **call(hl, caller_phone=typed))
    assert set(refused.value.message_dict) == {"caller_phone"}
    assert nothing_written()


# --------------------------------------------------------------------------- photos


def test_photos_are_stored_and_linked(hl):
    order = intake.register(hl.operator, **call(hl, photos=[png("a.png"), png("b.png")]))
    photos = list(order.photos.select_related("file"))
    assert len(photos) == 2
    assert {p.file.purpose for p in photos} == {"hotline.photo"}
    assert {p.file.content_type for p in photos} == {"image/png"}


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(hl):
    with pytest.raises(ValidationError) as refused:
        intake.register(hl.operator, **call(hl, photos=[png(), pdf_named_as_jpeg()]))
    assert set(refused.value.message_dict) == {"photos"}
    assert "第 2 张照片" in refused.value.message_dict["photos"][0]
    assert nothing_written()
    assert not StoredFile.objects.exists()  # the first photo's row went with the transaction


def test_too_many_photos_are_refused(hl):
    with pytest.raises(ValidationError) as refused:
        intake.register(hl.operator, **call(hl, photos=[png() for _ in range(10)]))
    assert set(refused.value.message_dict) == {"photos"}
    assert nothing_written()


# --------------------------------------------------------------------------- who may


def test_only_holders_of_the_register_capability_register(hl, make_staff):
    for actor in (hl.gb_handler, hl.admin):
        with pytest.raises(PermissionDenied):
            intake.register(actor, **call(hl))
    assert nothing_written()


def test_the_installation_registers_for_open311_and_events_without_photos(hl):
    order = intake.register(access.SYSTEM, **call(hl, channel="open311"))
    assert order.channel == "open311" and order.registered_by is None
    assert AuditRecord.objects.filter(
        action="hotline.order.register", actor_username="system"
    ).exists()
    with pytest.raises(ValidationError) as refused:
        intake.register(access.SYSTEM, **call(hl, channel="open311", photos=[png()]))
    assert set(refused.value.message_dict) == {"photos"}


def test_a_citizen_reports_for_themselves_with_their_own_name_and_phone(hl):
    from tests.services.conftest import make_citizen

    citizen = make_citizen(name="王小芳")
    order = intake.report(
        citizen,
        channel="web",
        request_type="complaint",
        content="夏湾路有人占道摆摊，影响通行。",
        category=hl.vending,
        latitude=IN_GONGBEI[0],
        longitude=IN_GONGBEI[1],
        photos=[png()],
    )
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.reporter == citizen and order.channel == "web"
    assert order.caller_name == "王小芳" and order.caller_phone == "+8613800138000"
    assert order.unit == hl.centre and order.photos.count() == 1
    with pytest.raises(ValidationError) as phone_channel:
        intake.report(citizen, channel="phone", request_type="complaint", content="x")
    assert set(phone_channel.value.message_dict) == {"channel"}


def test_a_grid_officer_reports_on_the_grid_channel_others_may_not(hl, make_staff):
    from django.contrib.auth.models import AnonymousUser

    from tests.services.conftest import make_citizen

    officer = make_staff(hl.tree.gongbei, "grid-officer", name="陈网格")
    order = intake.report(
        officer,
        channel="grid",
        request_type="report",
        content="井盖缺失，存在安全隐患。",
        category=hl.garbage,
        latitude=IN_GONGBEI[0],
        longitude=IN_GONGBEI[1],
    )
    assert order.reporter == officer and order.caller_name == "陈网格"
    with pytest.raises(PermissionDenied):
        intake.report(make_citizen(), channel="grid", request_type="report", content="x")
    with pytest.raises(PermissionDenied):
        intake.report(AnonymousUser(), channel="web", request_type="report", content="x")
    with pytest.raises(PermissionDenied):
        intake.report(access.SYSTEM, channel="web", request_type="report", content="x")
    assert WorkOrder.objects.count() == 1


def test_a_suggestion_never_fails_intake(hl, monkeypatch):
    import sys
    import types

    from shuzheng.governance.hotline import services

    given = {"category": {"id": hl.garbage.pk, "code": "010101", "name": "垃圾清运"}}
    assert intake.register(hl.operator, **call(hl, suggestion=given)).suggestion == given

    def untrained(*args, **kwargs):
        raise LookupError("no model trained")

    fake = types.ModuleType("shuzheng.governance.hotline.services.routing")
    fake.suggest = untrained
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setattr(services, "routing", fake, raising=False)
    order = intake.register(hl.operator, **call(hl))
    assert order.suggestion == {} and order.state == "registered"


@pytest.mark.django_db(transaction=True)
def test_registrations_at_once_get_distinct_numbers(hl):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent registrations are exercised on PostgreSQL")
    barrier = threading.Barrier(4)
    numbers, failures = [], []

    def attempt():
        from django.db import connections

        try:
            barrier.wait()
            numbers.append(intake.register(hl.operator, **call(hl)).number)
        except Exception as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and len(set(numbers)) == 4
    assert sorted(int(n[-6:]) for n in numbers) == [1, 2, 3, 4]


def test_a_bulk_import_gets_consecutive_numbers_per_day(hl, monkeypatch):
    FrozenClock(monkeypatch).set(at(11, 30, 10))
    intake.register(hl.operator, **call(hl))  # GD20261130000001
    moments = [at(11, 28, 9), at(11, 30, 8), at(11, 28, 23, 59), at(11, 30, 12)]
    assert numbering.allocate(moments) == [
        "GD20261128000001",
        "GD20261130000002",
        "GD20261128000002",
        "GD20261130000003",
    ]
