"""网格员上报: a grid officer's phone page creates an order on channel 网格员 with a photo
and a place; only on-site categories are offered; citizens and plain staff are refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.governance.hotline.models import WorkOrder
from tests.governance.conftest import IN_GONGBEI

pytestmark = pytest.mark.django_db

URL = "/m/grid/"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def officer(hl, make_staff):
    return make_staff(hl.tree.gongbei, "grid-officer", name="网格员小陈")


@pytest.fixture
def citizen(db):
    return identity.register_account(
        access.SYSTEM, username="citizen-m", display_name="市民", password="Zhuhai@2026x"
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def data(hl, **overrides):
    values = {
        "category": hl.vending.pk,
        "urgency": "normal",
        "content": "夏湾市场东门有流动摊贩占道经营，影响行人通行。",
        "address": "夏湾市场东门",
        "latitude": IN_GONGBEI[0],
        "longitude": IN_GONGBEI[1],
    }
    values.update(overrides)
    return values


def test_url_name_is_the_contracts():
    assert reverse("hotline:grid-report") == URL


def test_the_phone_page_for_grid_officers_only(client, hl, officer, citizen):
    page = signed_in(client, officer).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert "010102 占道经营" in html
    assert "020101 社保缴费" not in html  # not an on-site category
    assert signed_in(client, citizen).get(URL).status_code == 403
    assert signed_in(client, hl.operator).get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_a_grid_report_is_an_order_on_the_grid_channel(client, hl, officer):
    response = signed_in(client, officer).post(
        URL, {**data(hl), "photos": [SimpleUploadedFile("stall.png", PNG_BYTES, "image/png")]}
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == "grid" and order.reporter == officer
    assert order.category == hl.vending and order.photos.count() == 1
    assert order.grid is not None and order.grid.street == hl.tree.gongbei
    page = client.get(URL).content.decode()
    assert order.number in page  # the officer's recent reports


def test_a_category_that_is_not_on_site_is_refused(client, hl, officer):
    response = signed_in(client, officer).post(URL, data(hl, category=hl.social.pk))
    assert response.status_code == 400
    assert "请选择有效的末级分类" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_grid_report_without_a_place_is_refused(client, hl, officer):
    response = signed_in(client, officer).post(URL, data(hl, address="", latitude="", longitude=""))
    assert response.status_code == 400
    assert "须填写地点" in response.content.decode()
    assert WorkOrder.objects.count() == 0
