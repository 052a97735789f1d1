"""The organisation tree: materialised paths, 行政区划代码 and 统一社会信用代码 checked on entry,
only the installation creates a root, a system administrator only inside their subtree."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.foundation import access
from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.models import Organisation, OrgKind

pytestmark = pytest.mark.django_db
# A made-up 统一社会信用代码 of a government body (1 机构编制, 1 机关) with a correct MOD 31 check.
BODY_USCC = "11440400MB2C93481R"


def test_the_tree_is_a_materialised_path(tree):
    assert (
        tree.xiawan.path
        == f"{tree.city.pk}/{tree.xiangzhou.pk}/{tree.gongbei.pk}/{tree.xiawan.pk}/"
    )
    assert tree.xiawan.depth == 3
    assert tree.xiawan.is_within(tree.xiangzhou) and not tree.xiawan.is_within(tree.doumen)
    assert list(tree.xiawan.ancestors()) == [tree.city, tree.xiangzhou, tree.gongbei]


def test_a_zone_with_its_uscc_and_a_street_with_its_division_code(tree):
    zone = services.create_organisation(
        access.SYSTEM,
        parent=tree.city,
        name="横琴粤澳深度合作区",
        kind=OrgKind.ZONE,
        uscc=BODY_USCC.lower(),
    )
    town = services.create_organisation(
        access.SYSTEM, parent=zone, name="横琴镇", kind=OrgKind.TOWN, division_code="440402104000"
    )
    assert zone.uscc == BODY_USCC
    assert town.parent == zone and town.division_code == "440402104000"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"uscc": BODY_USCC[:-1] + "8"}, "uscc", "checksum"),
        ({"uscc": "11440400MB2C9348"}, "uscc", "length"),
        ({"division_code": "44040"}, "division_code", "format"),
        ({"division_code": "4404021040"}, "division_code", "format"),
        ({"name": "  "}, "name", "required"),
    ],
)
def test_bad_codes_are_field_errors_and_nothing_is_created(tree, fields, field, code):
    before = Organisation.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.create_organisation(
            access.SYSTEM,
            parent=tree.city,
            **{"name": "珠海市某局", "kind": OrgKind.DEPARTMENT, **fields},
        )
    assert [e.code for e in refused.value.error_dict[field]] == [code]
    assert Organisation.objects.count() == before


def test_only_the_installation_creates_a_root(tree, make_staff):
    sysadmin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    with pytest.raises(PermissionDenied):
        services.create_organisation(sysadmin, parent=None, name="另一个市", kind=OrgKind.CITY)


def test_a_system_administrator_adds_units_only_inside_their_subtree(tree, make_staff):
    district_admin = make_staff(tree.xiangzhou, "system-admin")
    unit = services.create_organisation(
        district_admin, parent=tree.gongbei, name="南屏社区", kind=OrgKind.COMMUNITY
    )
    assert unit.is_within(tree.xiangzhou)
    with pytest.raises(PermissionDenied):
        services.create_organisation(
            district_admin, parent=tree.jingan, name="某村", kind=OrgKind.VILLAGE
        )
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    with pytest.raises(PermissionDenied):
        services.create_organisation(
            clerk, parent=tree.gongbei, name="某社区", kind=OrgKind.COMMUNITY
        )
    assert not Organisation.objects.filter(name__in=["某村", "某社区"]).exists()


def test_the_public_list_answers_what_the_serializer_says_page_by_page(tree, api):
    from shuzheng.foundation.identity.api import OrganisationSerializer

    Organisation.objects.filter(pk=tree.xiawan.pk).update(uncertain=True, note="待核实：名称")
    Organisation.objects.filter(pk=tree.doumen.pk).update(is_active=False)
    seen, url = [], "/api/v1/organisations/?page_size=2"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen += response.json()["results"]
        url = response.json()["next"]
    expected = OrganisationSerializer(
        Organisation.objects.filter(is_active=True).order_by("-pk"), many=True
    ).data
    assert seen == [dict(row) for row in expected] and len(seen) > 2
    assert [row["uncertain"] for row in seen if row["id"] == tree.xiawan.pk] == [True]
    assert all(type(row["uncertain"]) is bool and type(row["depth"]) is int for row in seen)
    assert tree.doumen.pk not in {row["id"] for row in seen}
    children = api.get(f"/api/v1/organisations/?parent={tree.xiangzhou.pk}").json()["results"]
    expected = Organisation.objects.filter(parent=tree.xiangzhou, is_active=True)
    assert {row["id"] for row in children} == {org.pk for org in expected} and children
    assert all(row["parent"] == tree.xiangzhou.pk for row in children)
