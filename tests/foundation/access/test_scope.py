"""The one policy: org-subtree scoping, ownership, enterprise agency — through every path."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import selectors, services
from shuzheng.foundation.identity.models import StaffProfile
from shuzheng.foundation.identity.validators import IdType
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
VALID_ID = "11010519491231002X"


@pytest.fixture
def districts(tree, make_staff):
    """An officer of 香洲区, staff below it and in 斗门区."""
    officer = make_staff(tree.xiangzhou, "department-head")
    street_clerk = make_staff(tree.gongbei, name="拱北张三")
    doumen_clerk = make_staff(tree.jingan, name="井岸李四")
    return officer, street_clerk.staff, doumen_clerk.staff


def test_district_officer_sees_own_subtree_in_the_list(districts):
    officer, inside, outside = districts
    seen = set(selectors.staff(officer).values_list("pk", flat=True))
    assert inside.pk in seen
    assert outside.pk not in seen


def test_district_officer_cannot_open_another_districts_record(districts):
    officer, inside, outside = districts
    assert selectors.staff_member(officer, inside.pk) == inside
    with pytest.raises(StaffProfile.DoesNotExist):
        selectors.staff_member(officer, outside.pk)
    with pytest.raises(PermissionDenied):
        access.check(officer, outside, "identity.view_staff")


def test_district_officer_search_does_not_reveal_another_district(districts):
    officer, _inside, _outside = districts
    assert not selectors.staff(officer, q="井岸李四").exists()
    assert selectors.staff(officer, q="拱北张三").count() == 1


def test_district_officer_through_the_api(districts):
    officer, inside, outside = districts
    client = api_as(officer)
    listed = {row["id"] for row in client.get("/api/v1/staff/").json()["results"]}
    assert inside.pk in listed and outside.pk not in listed
    assert client.get(f"/api/v1/staff/{inside.pk}/").status_code == 200
    assert client.get(f"/api/v1/staff/{outside.pk}/").status_code == 404
    assert client.get("/api/v1/staff/", {"q": "井岸李四"}).json()["results"] == []


def test_district_officer_through_the_workbench_pages(client, districts):
    officer, inside, outside = districts
    client.force_login(officer)
    page = client.get(reverse("web:staff-list"), {"q": "李四"}).content.decode()
    assert "井岸李四" not in page
    assert "拱北张三" in client.get(reverse("web:staff-list")).content.decode()
    assert client.get(reverse("web:staff-detail", args=[outside.pk])).status_code == 404
    assert client.get(reverse("web:staff-detail", args=[inside.pk])).status_code == 200


def test_city_wide_grant_reaches_every_district(tree, make_staff, districts):
    _officer, inside, outside = districts
    operator = make_staff(tree.zwfw, "ops-operator", on=tree.city)
    seen = set(selectors.staff(operator).values_list("pk", flat=True))
    assert {inside.pk, outside.pk} <= seen


def test_staff_without_a_role_sees_only_their_own_record(tree, make_staff, districts):
    _officer, inside, _outside = districts
    assert list(selectors.staff(inside.user)) == [inside]


def test_revoked_grant_no_longer_reaches(tree, make_staff, districts):
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import RoleGrant

    officer, inside, _outside = districts
    grant = RoleGrant.objects.get(user=officer)
    access_services.revoke_role(access.SYSTEM, grant)
    officer.refresh_from_db()
    access.forget(officer)
    assert inside.pk not in set(selectors.staff(officer).values_list("pk", flat=True))


def test_anonymous_sees_public_organisations_but_no_staff(tree, districts):
    from django.contrib.auth.models import AnonymousUser

    anon = AnonymousUser()
    assert selectors.organisations(anon).count() == 7
    assert not selectors.staff(anon).exists()


def _person(name, user=None, number=VALID_ID):
    return services.register_person(
        access.SYSTEM, name=name, id_type=IdType.RESIDENT_ID, id_number=number, user=user
    )


def test_citizen_sees_only_their_own_person_record(django_user_model):
    me = django_user_model.objects.create_user("me", password="x")
    other = django_user_model.objects.create_user("other", password="x")
    mine = _person("陈志明", me)
    theirs = _person("林嘉怡", other, "44040219800101001X")
    assert list(selectors.persons(me)) == [mine]
    client = api_as(me)
    assert [r["id"] for r in client.get("/api/v1/persons/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/persons/{theirs.pk}/").status_code == 404


@pytest.fixture
def company(django_user_model):
    from shuzheng.foundation.identity.models import EnterpriseRegistry

    legal_user = django_user_model.objects.create_user("legal", password="x")
    legal = _person("王丽华", legal_user)
    enterprise = services.register_enterprise(
        access.SYSTEM,
        name="珠海海岸线科技有限公司",
        registry=EnterpriseRegistry.MAINLAND,
        registration_number="91440400MA4UJ1KK07",
        legal_representative="王丽华",
        address="珠海市香洲区",
        legal_person=legal,
    )
    other = services.register_enterprise(
        access.SYSTEM,
        name="澳珠贸易有限公司",
        registry=EnterpriseRegistry.MACAU,
        registration_number="81234",
        legal_representative="李嘉欣",
        address="澳门",
    )
    return legal_user, enterprise, other


def test_agent_sees_only_enterprises_within_scope(company, django_user_model):
    legal_user, enterprise, other = company
    agent_user = django_user_model.objects.create_user("agent", password="x")
    agent = _person("赵子轩", agent_user, "44040219800101001X")
    services.authorise_agent(
        legal_user, enterprise, person=agent, scopes=["identity.view_enterprise"]
    )
    assert list(selectors.enterprises(agent_user)) == [enterprise]
    assert other not in selectors.enterprises(legal_user)
    assert api_as(agent_user).get(f"/api/v1/enterprises/{other.pk}/").status_code == 404


def test_agent_cannot_grant_beyond_their_own_scopes(company, django_user_model):
    from django.core.exceptions import ValidationError

    legal_user, enterprise, _other = company
    agent_user = django_user_model.objects.create_user("agent", password="x")
    agent = _person("赵子轩", agent_user, "44040219800101001X")
    services.authorise_agent(
        legal_user,
        enterprise,
        person=agent,
        scopes=["identity.view_enterprise", "identity.authorise_agent"],
    )
    access.forget(agent_user)
    third = _person("孙丽", None, "440402199002020011")
    # Holding authorise_agent, the agent may pass on what they hold...
    services.authorise_agent(
        agent_user, enterprise, person=third, scopes=["identity.view_enterprise"]
    )
    # ...but an agent limited to viewing cannot authorise anyone.
    viewer_user = django_user_model.objects.create_user("viewer", password="x")
    viewer = _person("钱多", viewer_user, "440402197503030016")
    services.authorise_agent(
        legal_user, enterprise, person=viewer, scopes=["identity.view_enterprise"]
    )
    with pytest.raises(PermissionDenied):
        services.authorise_agent(
            viewer_user,
            enterprise,
            person=_person("周一", None, "440402196504040019"),
            scopes=["identity.view_enterprise"],
        )
    with pytest.raises(ValidationError):
        services.authorise_agent(legal_user, enterprise, person=third, scopes=["access.grant_role"])


def test_expired_or_revoked_agency_gives_nothing(company, django_user_model):
    from shuzheng.foundation.identity.models import EnterpriseAgent

    legal_user, enterprise, _other = company
    agent_user = django_user_model.objects.create_user("agent", password="x")
    agent = _person("赵子轩", agent_user, "44040219800101001X")
    agency = services.authorise_agent(
        legal_user, enterprise, person=agent, scopes=["identity.view_enterprise"]
    )
    EnterpriseAgent.objects.filter(pk=agency.pk).update(
        valid_from=datetime.date(2020, 1, 1), valid_until=datetime.date(2021, 1, 1)
    )
    assert not selectors.enterprises(agent_user).exists()
    EnterpriseAgent.objects.filter(pk=agency.pk).update(valid_until=None)
    access.forget(agent_user)
    assert selectors.enterprises(agent_user).exists()
    services.revoke_agent(legal_user, EnterpriseAgent.objects.get(pk=agency.pk))
    access.forget(agent_user)
    assert not selectors.enterprises(agent_user).exists()


def test_unregistered_capability_is_a_programming_error(tree, make_staff):
    user = make_staff(tree.city, "ops-operator")
    with pytest.raises(LookupError):
        selectors.access.scope(user, StaffProfile.objects.all(), "no.such_capability")


def test_user_rows_are_scoped_by_ownership_and_org(tree, make_staff):
    from shuzheng.foundation.identity.models import User

    officer = make_staff(tree.xiangzhou, "department-head")
    inside = make_staff(tree.gongbei)
    outside = make_staff(tree.jingan)
    seen = set(access.scope(officer, User.objects.all(), "identity.view_staff"))
    assert officer in seen and inside in seen and outside not in seen
    assert list(access.scope(outside, User.objects.all(), "identity.view_staff")) == [outside]
