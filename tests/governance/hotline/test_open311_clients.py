"""Open311 应用: keys are issued by hotline administrators only, shown once and stored only as
an SM3 digest; a revoked key stops working; the workbench page and the command line do
the same, with an audit record for every issue and revocation."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from shuzheng.foundation.trust import gm
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.hotline.models import Open311Client, WorkOrder
from shuzheng.governance.hotline.services import open311_clients as services
from tests.governance.conftest import IN_GONGBEI

pytestmark = pytest.mark.django_db

PAGE = "hotline:open311-clients"


def audits(action):
    return AuditRecord.objects.filter(action=action)


# --------------------------------------------------------------------------- services


def test_issued_key_is_stored_only_as_its_sm3_digest(hl):
    client, key = services.issue_key(hl.admin, name="  随手拍  ", contact="dev@example.com")
    assert len(key) >= 43  # 32 random bytes
    client.refresh_from_db()
    assert client.name == "随手拍"
    assert client.key_prefix == key[:8]
    assert client.key_digest == gm.sm3(key.encode()).hex()
    stored = [str(getattr(client, f.attname)) for f in Open311Client._meta.concrete_fields]
    assert not any(key in value for value in stored)
    assert services.client_for_key(key) == client
    record = audits("hotline.open311.key_issued").get()
    assert record.object_id == str(client.pk)
    assert key not in str(record.details)


def test_two_keys_differ(hl):
    _a, first = services.issue_key(hl.admin, name="甲")
    _b, second = services.issue_key(hl.admin, name="乙")
    assert first != second
    assert services.client_for_key(first) != services.client_for_key(second)


@pytest.mark.parametrize("key", [None, "", "nope", "x" * 1000, 42])
def test_no_client_for_a_missing_or_unknown_key(hl, key):
    services.issue_key(hl.admin, name="随手拍")
    assert services.client_for_key(key) is None


def test_only_hotline_administrators_issue_keys(hl):
    for user in (hl.operator, hl.gb_handler):
        with pytest.raises(PermissionDenied):
            services.issue_key(user, name="随手拍")
    assert not Open311Client.objects.exists()
    assert not audits("hotline.open311.key_issued").exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": "  "}, "name"),
        ({"name": "长" * 101}, "name"),
        ({"name": "a", "contact": "c" * 121}, "contact"),
    ],
)
def test_bad_name_or_contact_issues_nothing(hl, fields, field):
    with pytest.raises(ValidationError) as caught:
        services.issue_key(hl.admin, **fields)
    assert field in caught.value.message_dict
    assert not Open311Client.objects.exists()


def test_revoked_key_stops_working_and_revoking_twice_records_once(hl):
    client, key = services.issue_key(hl.admin, name="随手拍")
    services.revoke(hl.admin, client)
    assert client.active is False
    assert services.client_for_key(key) is None
    services.revoke(hl.admin, client)
    assert audits("hotline.open311.key_revoked").count() == 1


def test_only_hotline_administrators_revoke(hl):
    client, key = services.issue_key(hl.admin, name="随手拍")
    with pytest.raises(PermissionDenied):
        services.revoke(hl.operator, client)
    assert services.client_for_key(key) == client


def test_a_key_revoked_after_lookup_files_nothing(hl):
    client, key = services.issue_key(hl.admin, name="随手拍")
    looked_up = services.client_for_key(key)
    services.revoke(hl.admin, client)
    with pytest.raises(ValidationError) as caught:
        services.submit_request(
            looked_up,
            request_type="complaint",
            content="垃圾没人清运",
            category=hl.garbage,
            latitude=IN_GONGBEI[0],
            longitude=IN_GONGBEI[1],
        )
    assert "api_key" in caught.value.message_dict
    assert not WorkOrder.objects.exists()


def test_an_intake_refusal_counts_no_use(hl):
    client, _key = services.issue_key(hl.admin, name="随手拍")
    with pytest.raises(ValidationError):
        services.submit_request(client, request_type="complaint", content="", category=hl.garbage)
    client.refresh_from_db()
    assert client.requests == 0 and client.last_used_at is None
    assert not audits("hotline.open311.request").exists()


# --------------------------------------------------------------------------- page


def signed_in(client, user):
    client.force_login(user)
    return client


def test_page_issues_a_key_shown_once(client, hl):
    signed_in(client, hl.admin)
    response = client.post(reverse(PAGE), {"name": "随手拍", "contact": "dev@example.com"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    created = Open311Client.objects.get()
    html = response.content.decode()
    key = html.split('id="issued-key-value" readonly value="', 1)[1].split('"', 1)[0]
    assert services.client_for_key(key) == created
    again = client.get(reverse(PAGE)).content.decode()
    assert "随手拍" in again and created.key_prefix in again
    assert key not in again


def test_page_shows_field_errors_and_issues_nothing(client, hl):
    signed_in(client, hl.admin)
    response = client.post(reverse(PAGE), {"name": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Open311Client.objects.exists()


def test_page_revokes_a_key(client, hl):
    created, key = services.issue_key(hl.admin, name="随手拍")
    signed_in(client, hl.admin)
    response = client.post(reverse("hotline:open311-client-revoke", args=[created.pk]))
    assert response.status_code == 302
    assert services.client_for_key(key) is None
    missing = client.post(reverse("hotline:open311-client-revoke", args=[created.pk + 99]))
    assert missing.status_code == 404


def test_page_is_for_hotline_administrators_only(client, hl):
    created, key = services.issue_key(hl.admin, name="随手拍")
    anonymous = client.get(reverse(PAGE))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    signed_in(client, hl.operator)
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.post(reverse(PAGE), {"name": "冒名"}).status_code == 403
    revoke = client.post(reverse("hotline:open311-client-revoke", args=[created.pk]))
    assert revoke.status_code == 403
    assert Open311Client.objects.count() == 1
    assert services.client_for_key(key) == created


# --------------------------------------------------------------------------- command


def test_command_issues_lists_and_revokes(hl):
    out = io.StringIO()
    call_command("open311_key", name="数据开放平台", contact="ops@example.com", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    created = services.client_for_key(key)
    assert created is not None and created.name == "数据开放平台"
    assert audits("hotline.open311.key_issued").get().actor_username == "system"
    listing = io.StringIO()
    call_command("open311_key", list=True, stdout=listing)
    assert created.key_prefix in listing.getvalue() and key not in listing.getvalue()
    call_command("open311_key", revoke=created.key_prefix, stdout=io.StringIO())
    assert services.client_for_key(key) is None


def test_command_refuses_an_unknown_prefix(hl):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("open311_key", revoke="zzzzzzzz", stdout=io.StringIO())


def test_a_key_never_starts_with_a_dash(hl, monkeypatch):
    """A prefix "-…" would read as an option on ``open311_key --revoke PREFIX``."""
    drawn = iter(["-dash-first-key", "plain-second-key"])
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda n: next(drawn))
    client, key = services.issue_key(hl.admin, name="甲")
    assert key == "plain-second-key" and not client.key_prefix.startswith("-")
