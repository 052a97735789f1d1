"""会话超时: an idle session ends — after 30 minutes for staff, 120 for citizens."""

import pytest

from tests.foundation.identity.test_login_support import (
    audit_rows,
    later,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree, make_staff):
    return make_staff(tree.xiangzhou, "window-clerk")


@pytest.fixture
def citizen(django_user_model):
    return django_user_model.objects.create_user("citizen", password="Zhuhai@2026")


def test_staff_are_signed_out_after_thirty_idle_minutes(client, clerk):
    client.force_login(clerk)
    with later(minutes=29):
        assert client.get("/workbench/").status_code == 200
    with later(minutes=29 + 31):
        response = client.get("/workbench/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/workbench/staff/"
    assert signed_in_user_id(client) is None
    page = client.get(response["Location"]).content.decode()
    assert "您已长时间未操作" in page
    logouts = audit_rows("identity.logout")
    if logouts:
        assert logouts[-1][3] == {"reason": "idle-timeout"}


def test_activity_keeps_the_session_alive(client, clerk):
    client.force_login(clerk)
    for minutes in (20, 40, 60, 80):
        with later(minutes=minutes):
            assert client.get("/workbench/").status_code == 200


def test_citizens_have_two_hours(client, citizen):
    client.force_login(citizen)
    with later(minutes=119):
        assert client.get("/me/").status_code == 200
    with later(minutes=119 + 121):
        assert client.get("/me/").status_code == 302
    assert signed_in_user_id(client) is None


def test_timeouts_come_from_settings(client, clerk, citizen, settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    settings.IDLE_TIMEOUT_MINUTES = 10
    client.force_login(clerk)
    with later(minutes=6):
        assert client.get("/workbench/").status_code == 302
    client.force_login(citizen)
    with later(minutes=9):
        assert client.get("/me/").status_code == 200
    with later(minutes=20):
        assert client.get("/me/").status_code == 302


def test_an_idle_api_session_is_anonymous(client, clerk):
    client.force_login(clerk)
    assert client.get("/api/v1/me/").status_code == 200
    with later(minutes=31):
        response = client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/problem+json"


def test_htmx_requests_are_sent_to_the_login_page(client, clerk):
    client.force_login(clerk)
    with later(minutes=31):
        response = client.get("/workbench/staff/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_a_pending_second_factor_times_out_too(client, clerk):
    from tests.foundation.identity.test_login_support import password_login

    password_login(client, clerk.username)
    with later(minutes=31):
        client.get("/accounts/second-factor/")
    assert signed_in_user_id(client) is None
