"""Who may do what with a sharing request or a grant: the outsider and a data user of a third
department neither see nor act; the provider cannot take the authority's compliance check;
the requester cannot approve its own request nor the provider dispute; only the provider or
the authority revokes. The boxes show what waits for each."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shuzheng.data.sharing import selectors, services
from shuzheng.data.sharing.models import Grant
from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind
from tests.data.sharing.conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def third(dm, make_staff):
    """A data user of 教育局 (neither side of the request)."""
    edu = identity.create_organisation(
        access.SYSTEM, parent=dm.city, name="珠海市教育局", kind=OrgKind.DEPARTMENT
    )
    return make_staff(edu, "data-user", name="教育科员")


def granted(dm, request):
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    return Grant.objects.get(request=request)


def test_outsiders_neither_see_nor_act(dm, new_request, third):
    request = new_request()
    for user in (dm.outsider, third):
        with pytest.raises(Http404):
            selectors.get_request(user, request.number)
        assert not selectors.requests_for(user, box="all").exists()
        for action in ("to_provider", "withdraw"):
            with pytest.raises(PermissionDenied):
                services.act(user, request, action, revision=fresh(request).revision)
    assert fresh(request).state == "checking"


def test_the_provider_cannot_take_the_authoritys_check(dm, new_request):
    request = new_request()
    for action in ("to_provider", "return", "grant_unconditional"):
        with pytest.raises(PermissionDenied):
            services.act(dm.ga_admin, request, action, revision=fresh(request).revision, reason="x")
    assert fresh(request).state == "checking"


def test_the_requester_cannot_approve_its_own_request(dm, new_request):
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    for user in (dm.wj_admin, dm.wj_user, dm.authority):
        with pytest.raises(PermissionDenied):
            services.act(user, request, "approve", revision=fresh(request).revision)
    assert fresh(request).state == "provider_review" and not Grant.objects.exists()


def test_only_the_requester_disputes_and_only_the_authority_coordinates(dm, new_request):
    request = new_request()
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "reject", revision=fresh(request).revision, reason="不宜")
    with pytest.raises(PermissionDenied):
        services.act(dm.ga_admin, request, "dispute", revision=fresh(request).revision, reason="x")
    services.act(dm.wj_user, request, "dispute", revision=fresh(request).revision, reason="需要")
    for user in (dm.ga_admin, dm.wj_admin):
        with pytest.raises(PermissionDenied):
            services.act(
                user, request, "coordinate_grant", revision=fresh(request).revision, opinion="x"
            )
    assert fresh(request).state == "coordinating"


def test_only_the_provider_or_the_authority_revokes(dm, new_request, third):
    grant = granted(dm, new_request())
    for user in (dm.wj_admin, dm.wj_user, dm.outsider, third):
        with pytest.raises(PermissionDenied):
            services.revoke(user, grant, reason="x")
    assert services.revoke(dm.ga_admin, grant, reason="停止提供").status == "revoked"
    other = granted(dm, new_request(fields=["address"]))
    assert services.revoke(dm.authority, other, reason="违规使用").status == "revoked"


def test_the_boxes(dm, new_request, third):
    request = new_request()
    numbers = lambda user, box: [r.number for r in selectors.requests_for(user, box=box)]  # noqa: E731
    assert numbers(dm.wj_admin, "mine") == [request.number]
    assert numbers(dm.wj_user, "mine") == [request.number]
    assert numbers(dm.ga_admin, "mine") == []
    assert numbers(dm.authority, "to_check") == [request.number]
    assert numbers(dm.ga_admin, "to_decide") == []
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    assert numbers(dm.authority, "to_check") == []
    assert numbers(dm.ga_admin, "to_decide") == [request.number]
    assert numbers(dm.wj_admin, "to_decide") == []  # 卫健局 decides nothing of its own request
    assert numbers(dm.ga_admin, "all") == [request.number]
    assert numbers(third, "all") == []
    assert numbers(dm.authority, "to_coordinate") == []
    assert selectors.get_request(dm.ga_admin, request.number) == request


def test_grants_by_side(dm, new_request, third):
    grant = granted(dm, new_request())
    assert list(selectors.grants_for(dm.wj_admin, side="consumer")) == [grant]
    assert list(selectors.grants_for(dm.wj_admin, side="provider")) == []
    assert list(selectors.grants_for(dm.ga_admin, side="provider")) == [grant]
    assert list(selectors.grants_for(dm.ga_admin, side="consumer")) == []
    assert list(selectors.grants_for(dm.authority, side="all")) == [grant]
    assert list(selectors.grants_for(third, side="all")) == []
    with pytest.raises(Http404):
        selectors.get_grant(third, grant.number)
    assert selectors.get_grant(dm.ga_admin, grant.number) == grant
