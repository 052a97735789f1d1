"""Revealing a clear ID number: a capability, a reason, and an audit record either way."""

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.validators import IdType
from shuzheng.foundation.trust.models import AuditRecord
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


@pytest.fixture
def person(django_user_model):
    owner = django_user_model.objects.create_user("owner", password="x")
    return services.register_person(
        access.SYSTEM,
        name="陈志明",
        id_type=IdType.RESIDENT_ID,
        id_number=ID,
        mobile="13812345678",
        user=owner,
    )


def reveals():
    return AuditRecord.objects.filter(action="identity.person.reveal")


def test_window_clerk_reveals_with_a_reason_and_it_is_audited(tree, make_staff, person):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    response = api_as(clerk).post(
        f"/api/v1/persons/{person.pk}/reveal/", {"reason": "窗口核验身份"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"id_number": ID, "mobile": "+8613812345678"}
    entry = reveals().get()
    assert entry.result == "success" and entry.actor_username == clerk.username
    assert entry.object_id == str(person.pk)
    assert ID not in str(entry.details)


def test_reveal_without_the_capability_is_403_and_audited(tree, make_staff, person):
    handler = make_staff(tree.doumen, "case-handler")  # may view persons, not reveal them
    response = api_as(handler).post(
        f"/api/v1/persons/{person.pk}/reveal/", {"reason": "好奇"}, format="json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert ID not in response.content.decode()
    entry = reveals().get()
    assert entry.result == "denied" and entry.actor_username == handler.username


def test_reveal_needs_a_reason(tree, make_staff, person):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    response = api_as(clerk).post(
        f"/api/v1/persons/{person.pk}/reveal/", {"reason": " "}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    assert not reveals().exists()


def test_a_person_may_reveal_their_own_numbers(person):
    response = api_as(person.user).post(
        f"/api/v1/persons/{person.pk}/reveal/", {"reason": "本人查看"}, format="json"
    )
    assert response.status_code == 200
    assert reveals().get().result == "success"
