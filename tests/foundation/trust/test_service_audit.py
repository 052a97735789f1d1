"""Every state change through a service leaves its audit record, with the client of the
request that caused it; a refused attempt to change something is on record too."""

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role
from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.models import EnterpriseRegistry
from shuzheng.foundation.identity.validators import IdType
from shuzheng.foundation.trust import audit
from shuzheng.foundation.trust.models import AuditRecord
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


def last(action):
    return AuditRecord.objects.filter(action=action).order_by("-seq").first()


def test_each_identity_and_access_service_writes_its_record(tree, make_staff):
    secadmin = make_staff(tree.zwfw, "security-admin", on=tree.city)
    clerk = make_staff(tree.xiangzhou)
    grant = access_services.grant_role(
        secadmin,
        user=clerk,
        role=Role.objects.get(code="window-clerk"),
        organisation=tree.xiangzhou,
    )
    person = services.register_person(
        clerk, name="陈志明", id_type=IdType.RESIDENT_ID, id_number=ID, mobile="13812345678"
    )
    firm = services.register_enterprise(
        clerk,
        name="珠海海岸线科技有限公司",
        registry=EnterpriseRegistry.MAINLAND,
        registration_number="91440400MA4UJ1KK07",
        legal_representative="王丽华",
        address="珠海",
    )
    agency = services.authorise_agent(
        access.SYSTEM, firm, person=person, scopes=["identity.view_enterprise"]
    )
    services.revoke_agent(access.SYSTEM, agency)
    access_services.revoke_role(secadmin, grant)

    expected = {
        "identity.organisation.create": (None, tree.jingan),
        "identity.staff.create": (access.SYSTEM, clerk.staff),
        "access.role.grant": (secadmin, grant),
        "identity.person.register": (clerk, person),
        "identity.enterprise.register": (clerk, firm),
        "identity.agent.authorise": (access.SYSTEM, agency),
        "identity.agent.revoke": (access.SYSTEM, agency),
        "access.role.revoke": (secadmin, grant),
    }
    for action, (actor, target) in expected.items():
        entry = last(action)
        assert entry is not None, action
        assert entry.result == "success"
        if actor not in (None, access.SYSTEM):
            assert entry.actor_username == actor.username, action
        if action not in ("identity.organisation.create", "identity.staff.create"):
            assert entry.object_id == str(target.pk), action
    assert ID not in str(last("identity.person.register").details)
    assert audit.verify().ok


def test_a_service_that_fails_leaves_no_record(tree, make_staff):
    from django.core.exceptions import ValidationError

    clerk = make_staff(tree.xiangzhou, "window-clerk")
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError):
        services.register_person(clerk, name="某", id_type=IdType.RESIDENT_ID, id_number="1")
    assert AuditRecord.objects.count() == before


def test_records_from_an_api_call_carry_its_client(tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    response = api_as(clerk).post(
        "/api/v1/persons/",
        {"name": "陈志明", "id_type": "111", "id_number": ID},
        format="json",
        REMOTE_ADDR="10.8.0.7",
        HTTP_USER_AGENT="window-terminal/1.0",
    )
    assert response.status_code == 201
    entry = last("identity.person.register")
    assert (entry.client_ip, entry.channel) == ("10.8.0.7", "api")
    assert entry.user_agent == "window-terminal/1.0"


def test_a_refused_write_through_the_api_is_on_record(tree, make_staff):
    grid = make_staff(tree.gongbei, "grid-officer")
    response = api_as(grid).post(
        "/api/v1/persons/", {"name": "陈志明", "id_type": "111", "id_number": ID}, format="json"
    )
    assert response.status_code == 403
    entry = last("access.denied")
    assert entry.result == "denied" and entry.actor_username == grid.username
    assert entry.details["path"] == "/api/v1/persons/"


def test_reading_is_not_a_refusal_record(tree, make_staff):
    grid = make_staff(tree.gongbei, "grid-officer")
    api_as(grid).get("/api/v1/role-grants/999/")
    assert last("access.denied") is None
