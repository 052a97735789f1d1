"""经办人授权 through the API: the legal representative names the agent by document and
name; an unknown number and a wrong name answer alike; nothing half-written."""

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.models import EnterpriseAgent, EnterpriseRegistry
from shuzheng.foundation.identity.validators import IdType
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
AGENT_ID = "440402199002020011"


@pytest.fixture
def firm(django_user_model):
    legal_user = django_user_model.objects.create_user("legal", password="x")
    legal = services.register_person(
        access.SYSTEM,
        name="王丽华",
        id_type=IdType.RESIDENT_ID,
        id_number="11010519491231002X",
        user=legal_user,
    )
    enterprise = services.register_enterprise(
        access.SYSTEM,
        name="珠海海岸线科技有限公司",
        registry=EnterpriseRegistry.MAINLAND,
        registration_number="91440400MA4UJ1KK07",
        legal_representative="王丽华",
        address="珠海市香洲区",
        legal_person=legal,
    )
    services.register_person(
        access.SYSTEM, name="赵子轩", id_type=IdType.RESIDENT_ID, id_number=AGENT_ID
    )
    return legal_user, enterprise


def url(enterprise):
    return f"/api/v1/enterprises/{enterprise.pk}/agents/"


def body(**over):
    return {
        "id_type": "111",
        "id_number": AGENT_ID,
        "name": "赵子轩",
        "scopes": ["identity.view_enterprise"],
        **over,
    }


def test_legal_representative_authorises_by_document_and_name(firm):
    legal_user, enterprise = firm
    response = api_as(legal_user).post(url(enterprise), body(), format="json")
    assert response.status_code == 201
    assert response.json()["person_name"] == "赵子轩"
    assert AGENT_ID not in response.content.decode()
    assert EnterpriseAgent.objects.filter(enterprise=enterprise, kind="agent").count() == 1


@pytest.mark.parametrize("over", [{"name": "赵子涵"}, {"id_number": "440402197503030016"}])
def test_wrong_name_and_unknown_number_answer_alike_and_write_nothing(firm, over):
    legal_user, enterprise = firm
    response = api_as(legal_user).post(url(enterprise), body(**over), format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("id_number", "no_match")
    assert not EnterpriseAgent.objects.filter(enterprise=enterprise, kind="agent").exists()


def test_an_invalid_number_is_a_field_error(firm):
    legal_user, enterprise = firm
    response = api_as(legal_user).post(url(enterprise), body(id_number="123"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "id_number"


def test_someone_else_cannot_authorise_for_the_firm(firm, django_user_model):
    _legal_user, enterprise = firm
    stranger = django_user_model.objects.create_user("stranger", password="x")
    response = api_as(stranger).post(url(enterprise), body(), format="json")
    assert response.status_code == 404  # the enterprise is out of their sight
    assert not EnterpriseAgent.objects.filter(enterprise=enterprise, kind="agent").exists()
