"""三员分立 and the rules of granting roles."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from shuzheng.foundation import access
from shuzheng.foundation.access import services
from shuzheng.foundation.access.models import Role, RoleGrant
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def secadmin(tree, make_staff):
    return make_staff(tree.zwfw, "security-admin", on=tree.city)


def role(code):
    return Role.objects.get(code=code)


def test_security_admin_grants_a_business_role(tree, make_staff, secadmin):
    clerk = make_staff(tree.xiangzhou)
    grant = services.grant_role(
        secadmin, user=clerk, role=role("window-clerk"), organisation=tree.xiangzhou
    )
    assert grant.granted_by == secadmin
    assert access.holds(clerk, "identity.register_person")


@pytest.mark.parametrize(
    "first,second",
    [
        ("system-admin", "audit-admin"),
        ("audit-admin", "security-admin"),
        ("security-admin", "system-admin"),
    ],
)
def test_one_account_never_holds_two_triad_roles(tree, make_staff, secadmin, first, second):
    from shuzheng.foundation.trust.models import AuditRecord

    staff = make_staff(tree.zwfw)
    services.grant_role(secadmin, user=staff, role=role(first), organisation=tree.city)
    audited = AuditRecord.objects.filter(action="access.role.grant").count()
    with pytest.raises(ValidationError) as refused:
        services.grant_role(secadmin, user=staff, role=role(second), organisation=tree.city)
    assert "三员分立" in str(refused.value)
    assert refused.value.message_dict["role"]  # a clear message on the field that was wrong
    assert list(RoleGrant.objects.filter(user=staff).values_list("role__code", flat=True)) == [
        first
    ]
    assert AuditRecord.objects.filter(action="access.role.grant").count() == audited


def test_same_triad_role_on_another_subtree_is_allowed(tree, make_staff, secadmin):
    staff = make_staff(tree.zwfw)
    services.grant_role(secadmin, user=staff, role=role("audit-admin"), organisation=tree.xiangzhou)
    services.grant_role(secadmin, user=staff, role=role("audit-admin"), organisation=tree.doumen)
    assert RoleGrant.objects.filter(user=staff).count() == 2


def test_revoked_triad_role_frees_the_account(tree, make_staff, secadmin):
    staff = make_staff(tree.zwfw)
    grant = services.grant_role(
        secadmin, user=staff, role=role("system-admin"), organisation=tree.city
    )
    services.revoke_role(secadmin, grant)
    services.grant_role(secadmin, user=staff, role=role("audit-admin"), organisation=tree.city)
    assert (
        RoleGrant.objects.filter(user=staff, revoked_at__isnull=True).get().role.code
        == "audit-admin"
    )


def test_nobody_grants_a_role_to_themselves(tree, secadmin):
    with pytest.raises(PermissionDenied):
        services.grant_role(
            secadmin, user=secadmin, role=role("window-clerk"), organisation=tree.city
        )
    assert RoleGrant.objects.filter(user=secadmin).count() == 1


def test_only_holders_of_grant_role_may_grant(tree, make_staff):
    head = make_staff(tree.xiangzhou, "department-head")
    clerk = make_staff(tree.xiangzhou)
    with pytest.raises(PermissionDenied):
        services.grant_role(
            head, user=clerk, role=role("window-clerk"), organisation=tree.xiangzhou
        )
    assert not RoleGrant.objects.filter(user=clerk).exists()


def test_grant_is_limited_to_the_grantors_subtree(tree, make_staff):
    district_sec = make_staff(tree.xiangzhou, "security-admin")
    clerk = make_staff(tree.doumen)
    with pytest.raises(PermissionDenied):
        services.grant_role(
            district_sec, user=clerk, role=role("window-clerk"), organisation=tree.doumen
        )


def test_roles_go_to_staff_accounts_only(tree, secadmin, django_user_model):
    citizen = django_user_model.objects.create_user("citizen", password="x")
    with pytest.raises(ValidationError):
        services.grant_role(
            secadmin, user=citizen, role=role("window-clerk"), organisation=tree.city
        )


def test_second_triad_role_through_the_api_is_a_problem(tree, make_staff, secadmin):
    staff = make_staff(tree.zwfw, "system-admin", on=tree.city)
    response = api_as(secadmin).post(
        "/api/v1/role-grants/",
        {"user": staff.username, "role": "audit-admin", "organisation": tree.city.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["field"] == "role"
    assert body["errors"][0]["code"] == "triad"
    assert RoleGrant.objects.filter(user=staff).count() == 1


def test_security_admin_uses_the_workbench_grant_page(client, tree, make_staff, secadmin):
    staff = make_staff(tree.zwfw, "system-admin", on=tree.city)
    client.force_login(secadmin)
    page = client.post(
        "/workbench/grants/",
        {"username": staff.username, "role": "audit-admin", "organisation": tree.city.pk},
        follow=True,
    )
    assert "三员分立" in page.content.decode()
    assert RoleGrant.objects.filter(user=staff).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_of_two_triad_roles_cannot_both_succeed(tree, make_staff, secadmin):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL; SQLite serialises writers anyway")
    staff = make_staff(tree.zwfw)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(code):
        from django.db import connections

        barrier.wait()
        try:
            services.grant_role(secadmin, user=staff, role=role(code), organisation=tree.city)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in ("system-admin", "audit-admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert RoleGrant.objects.filter(user=staff).count() == 1


def test_a_grant_names_only_staff_and_organisations_in_sight(tree, make_staff):
    district_sec = make_staff(tree.xiangzhou, "security-admin")
    outside = make_staff(tree.jingan)
    inside = make_staff(tree.gongbei)
    client = api_as(district_sec)
    far = client.post(
        "/api/v1/role-grants/",
        {"user": outside.username, "role": "window-clerk", "organisation": tree.xiangzhou.pk},
        format="json",
    )
    assert far.status_code == 400 and far.json()["errors"][0]["field"] == "user"
    elsewhere = client.post(
        "/api/v1/role-grants/",
        {"user": inside.username, "role": "window-clerk", "organisation": tree.doumen.pk},
        format="json",
    )
    assert elsewhere.status_code == 400
    assert elsewhere.json()["errors"][0]["field"] == "organisation"
    ok = client.post(
        "/api/v1/role-grants/",
        {"user": inside.username, "role": "window-clerk", "organisation": tree.gongbei.pk},
        format="json",
    )
    assert ok.status_code == 201
    assert not RoleGrant.objects.filter(user=outside).exists()
