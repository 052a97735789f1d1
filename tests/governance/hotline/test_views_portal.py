"""我要反映 and 我的诉求: a signed-in citizen reports with photos and a place and gets the
number; a photo that is not an image is refused with nothing kept; a citizen sees the public
progress of their own orders only — never another's, never the handlers' notes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.identity import services as identity
from shuzheng.governance.hotline.models import WorkOrder
from tests.governance.conftest import IN_GONGBEI

pytestmark = pytest.mark.django_db

REPORT = "/hotline/report/"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
PDF_BYTES = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"


def make_citizen(username):
    return identity.register_account(
        access.SYSTEM, username=username, display_name="王市民", password="Zhuhai@2026x"
    )


@pytest.fixture
def citizen(db):
    return make_citizen("citizen-a")


@pytest.fixture
def other_citizen(db):
    return make_citizen("citizen-b")


def signed_in(client, user):
    client.force_login(user)
    return client


def report_data(**overrides):
    data = {
        "request_type": "complaint",
        "title": "",
        "content": "夏湾路人行道地砖松动，老人容易绊倒，希望尽快修复。",
        "address": "拱北夏湾路 12 号",
        "latitude": IN_GONGBEI[0],
        "longitude": IN_GONGBEI[1],
    }
    data.update(overrides)
    return data


def report_as(client, user, **overrides):
    response = signed_in(client, user).post(REPORT, report_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return WorkOrder.objects.order_by("-pk").first()


def test_url_names_are_the_contracts():
    assert reverse("hotline:report") == REPORT
    assert reverse("hotline:my-orders") == "/hotline/mine/"
    assert reverse("hotline:my-order", kwargs={"number": "GD1"}) == "/hotline/mine/GD1/"


def test_report_needs_a_login(client, citizen):
    response = client.get(REPORT)
    assert response.status_code == 302 and "login" in response["Location"]
    page = signed_in(client, citizen).get(REPORT)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="file"' in html and "multiple" in html and 'name="anonymous"' in html


def test_a_report_gets_a_number_and_lands_at_the_centre(client, hl, citizen):
    response = signed_in(client, citizen).post(
        REPORT,
        {**report_data(), "photos": [SimpleUploadedFile("road.png", PNG_BYTES, "image/png")]},
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:report-done", kwargs={"number": order.number})
    done = client.get(response["Location"]).content.decode()
    assert order.number in done
    assert order.reporter == citizen and order.channel == "web"
    assert order.state == "registered" and order.unit == hl.centre
    assert order.photos.count() == 1 and order.grid is not None


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_kept(client, hl, citizen):
    response = signed_in(client, citizen).post(
        REPORT,
        {
            **report_data(),
            "photos": [SimpleUploadedFile("photo.png", PDF_BYTES, "image/png")],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 1 张照片" in html and 'id="id_photos_error"' in html
    assert WorkOrder.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_a_report_without_content_shows_the_field_error(client, hl, citizen):
    response = signed_in(client, citizen).post(REPORT, report_data(content=""))
    assert response.status_code == 400
    assert "请填写反映内容" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_anonymous_report_hides_the_caller_from_handlers(client, hl, citizen):
    order = report_as(client, citizen, anonymous="on")
    assert order.anonymous
    html = (
        signed_in(client, hl.operator)
        .get(reverse("hotline:order", kwargs={"number": order.number}))
        .content.decode()
    )
    assert "匿名" in html and "王市民" not in html


def test_my_orders_lists_only_mine(client, hl, citizen, other_citizen):
    mine = report_as(client, citizen)
    theirs = report_as(client, other_citizen)
    html = signed_in(client, citizen).get(reverse("hotline:my-orders")).content.decode()
    assert mine.number in html and theirs.number not in html


def test_another_citizens_order_is_not_there(client, hl, citizen, other_citizen):
    theirs = report_as(client, other_citizen)
    url = reverse("hotline:my-order", kwargs={"number": theirs.number})
    assert signed_in(client, citizen).get(url).status_code == 404
    # a handler who may handle the order did not report it: not in 我的诉求 either
    assert signed_in(client, hl.operator).get(url).status_code == 404


def test_progress_shows_state_dates_and_reply_but_no_internal_notes(client, hl, citizen):
    from shuzheng.governance.hotline.services import loop

    order = report_as(client, citizen)
    loop.dispatch(
        hl.operator, order, unit=hl.tree.xiangzhou, category=hl.garbage, opinion="内部派单意见甲"
    )
    loop.forward(hl.xz_handler, order, unit=hl.tree.gongbei, opinion="内部下派意见乙")
    loop.sign(hl.gb_handler, order)
    url = reverse("hotline:my-order", kwargs={"number": order.number})
    during = signed_in(client, citizen).get(url).content.decode()
    assert "办理中" in during and "承办单位签收" in during
    loop.reply(hl.gb_handler, order, reply="已修复松动地砖。")
    replied = client.get(url).content.decode()
    assert "已修复松动地砖" not in replied  # not yet accepted by the platform
    loop.review(hl.operator, order, approve=True)
    html = client.get(url).content.decode()
    assert "已修复松动地砖" in html
    for internal in ("内部派单意见甲", "内部下派意见乙", hl.gb_handler.username, "话务员"):
        assert internal not in html
