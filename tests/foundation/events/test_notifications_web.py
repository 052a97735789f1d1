"""The inbox pages, the preferences page, the shell's unread badge and the messages API:
everyone sees and marks only their own messages."""

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.events.notifications import registry, selectors, services
from shuzheng.foundation.events.notifications.models import Message, Preference
from shuzheng.foundation.identity.models import User
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

OVERDUE = "workflow.case.overdue"
PAYLOAD = {"instance": 1, "subject_id": "ZH2026-0001", "due_at": "2026-03-02T09:30:00+08:00"}


def citizen(name):
    return User.objects.create_user(username=name, password="Zhuhai@2026x")


def send(user, subject_id, *, link=""):
    context = registry.template_for(OVERDUE).context({**PAYLOAD, "subject_id": subject_id})
    (message,) = services.notify(access.SYSTEM, [user], OVERDUE, context, link=link)
    return message


@pytest.fixture
def alice():
    return citizen("alice")


@pytest.fixture
def bob():
    return citizen("bob")


def test_the_inbox_shows_only_ones_own_messages_unread_first(client, alice, bob):
    old = send(alice, "ZH-OLD")
    send(alice, "ZH-NEW")
    send(bob, "ZH-BOB")
    services.mark_read(alice, old)
    unread_new = send(alice, "ZH-NEWEST")
    services.mark_read(alice, unread_new)
    fresh = send(alice, "ZH-FRESH")
    client.force_login(alice)
    page = client.get("/me/messages/").content.decode()
    assert "ZH-BOB" not in page
    order = [page.index(s) for s in ("ZH-FRESH", "ZH-NEW", "ZH-NEWEST", "ZH-OLD")]
    assert order == sorted(order)  # unread (newest first), then read (newest first)
    assert f'id="message-{fresh.pk}"' in page


def test_the_inbox_needs_a_sign_in(client):
    response = client.get("/me/messages/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_marking_read_works_on_ones_own_message_only(client, alice, bob):
    mine, theirs = send(alice, "ZH-A"), send(bob, "ZH-B")
    client.force_login(alice)
    assert client.get(f"/me/messages/{mine.pk}/read/").status_code == 405
    response = client.post(f"/me/messages/{mine.pk}/read/", {"next": "/me/messages/"})
    assert response.status_code == 302 and response["Location"] == "/me/messages/"
    assert client.post(f"/me/messages/{theirs.pk}/read/").status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_opening_a_message_marks_it_read_and_follows_its_link(client, alice):
    message = send(alice, "ZH-A", link="/me/")
    client.force_login(alice)
    response = client.post(f"/me/messages/{message.pk}/read/", {"open": "1"})
    assert response["Location"] == "/me/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_an_outside_next_address_is_not_followed(client, alice):
    message = send(alice, "ZH-A")
    client.force_login(alice)
    response = client.post(f"/me/messages/{message.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/me/messages/"


def test_mark_all_read_touches_only_ones_own(client, alice, bob):
    send(alice, "ZH-A1")
    send(alice, "ZH-A2")
    send(bob, "ZH-B")
    client.force_login(alice)
    client.post("/me/messages/read-all/")
    assert selectors.unread_count(alice) == 0
    assert selectors.unread_count(bob) == 1


def test_mark_read_refuses_anyone_but_the_recipient(alice, bob):
    message = send(alice, "ZH-A")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.mark_read(bob, message)
    message.refresh_from_db()
    assert message.read_at is None


def test_the_shell_shows_the_unread_count_beside_the_name(client, alice):
    send(alice, "ZH-A1")
    send(alice, "ZH-A2")
    client.force_login(alice)
    page = client.get("/me/").content.decode()
    assert 'id="inbox-link"' in page and 'href="/me/messages/"' in page
    assert 'id="unread-badge">2<' in page
    client.post("/me/messages/read-all/")
    assert 'id="unread-badge"' not in client.get("/me/").content.decode()
    assert selectors.unread_count(None) == 0


def test_staff_read_the_same_inbox_in_the_workbench(client, tree, make_staff, alice):
    clerk = make_staff(tree.zwfw, "case-handler")
    send(clerk, "ZH-STAFF")
    client.force_login(clerk)
    page = client.get("/workbench/messages/").content.decode()
    assert "ZH-STAFF" in page and "workbench-nav" in page
    assert 'href="/workbench/messages/"' in page  # the badge leads staff to the workbench
    client.force_login(alice)
    assert client.get("/workbench/messages/").status_code == 403


def test_preferences_page_saves_ones_own_channels(client, alice):
    client.force_login(alice)
    page = client.get("/me/notifications/").content.decode()
    assert "办理超期提醒" in page
    patterns = ["*", *(t.pattern for t in registry.templates())]
    overdue = patterns.index("workflow.*.overdue")
    response = client.post("/me/notifications/", {f"sms-{overdue}": "on", "email-0": "on"})
    assert response.status_code == 302
    prefs = {p.event_type: (p.email, p.sms) for p in Preference.objects.filter(user=alice)}
    assert prefs["*"] == (True, False)
    assert prefs["workflow.*.overdue"] == (False, True)
    assert selectors.channels_for(selectors.preferences(alice), OVERDUE) == (False, True)


def test_nobody_sets_anothers_preferences(alice, bob):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_preference(bob, alice, "*", email=False, sms=True)
    assert not Preference.objects.exists()


# --- API --------------------------------------------------------------------------------------


def test_the_api_lists_only_ones_own_messages_with_a_cursor(alice, bob):
    for n in range(3):
        send(alice, f"ZH-A{n}")
    send(bob, "ZH-B")
    api = api_as(alice)
    first = api.get("/api/v1/messages/?page_size=2").json()
    assert [m["body"].split()[1] for m in first["results"]] == ["ZH-A2", "ZH-A1"]
    assert first["next"] and "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    assert [m["body"].split()[1] for m in second["results"]] == ["ZH-A0"]
    assert all("ZH-B" not in m["body"] for m in first["results"] + second["results"])


def test_the_api_marks_ones_own_message_read_and_filters_unread(alice, bob):
    mine, theirs = send(alice, "ZH-A"), send(bob, "ZH-B")
    send(alice, "ZH-A2")
    api = api_as(alice)
    response = api.post(f"/api/v1/messages/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"]
    assert api.post(f"/api/v1/messages/{theirs.pk}/read/").status_code == 404
    assert api.get(f"/api/v1/messages/{theirs.pk}/").status_code == 404
    unread = api.get("/api/v1/messages/?unread=1").json()["results"]
    assert [m["id"] for m in unread] == [Message.objects.get(body__contains="ZH-A2").pk]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_needs_a_sign_in(api):
    assert api.get("/api/v1/messages/").status_code in (401, 403)
