"""12345 in the admin: the system administrator inspects orders read-only and never sees
the caller's name or phone; the reference data lists open."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(hl, make_staff):
    user = make_staff(hl.tree.zwfw, "system-admin", on=hl.tree.city)
    user.is_staff = True
    user.save()
    return user


def test_orders_are_read_only_and_without_the_callers_data(client, sysadmin, order_factory):
    order = order_factory("handling")
    client.force_login(sysadmin)
    listing = client.get("/admin/hotline/workorder/")
    assert listing.status_code == 200 and order.number in listing.content.decode()
    page = client.get(f"/admin/hotline/workorder/{order.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200 and order.number in text
    assert "李小明" not in text and "13800138000" not in text
    assert client.get("/admin/hotline/workorder/add/").status_code == 403
    refused = client.post(f"/admin/hotline/workorder/{order.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 403
    for path in ("urge", "classifiermodel", "open311client"):
        assert client.get(f"/admin/hotline/{path}/").status_code == 200


def test_a_handler_does_not_reach_the_admin(client, hl, order_factory):
    order = order_factory("handling")
    hl.gb_handler.is_staff = True
    hl.gb_handler.save()
    client.force_login(hl.gb_handler)
    answer = client.get(f"/admin/hotline/workorder/{order.pk}/change/")
    assert answer.status_code in (302, 403)
