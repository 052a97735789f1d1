"""The catalogue in the admin: the classification tree is editable reference data; entries,
publications and gradings are read-only; the platform store's rows are not shown."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(dm, make_staff):
    user = make_staff(dm.zwfw, "system-admin", on=dm.city)
    user.is_staff = True
    user.save()
    return user


def test_entries_are_read_only_and_the_store_is_not_shown(client, sysadmin, published):
    client.force_login(sysadmin)
    listing = client.get("/admin/datacatalog/catalogueentry/")
    assert listing.status_code == 200 and published.code in listing.content.decode()
    page = client.get(f"/admin/datacatalog/catalogueentry/{published.pk}/change/")
    assert page.status_code == 200 and "公民身份号码" in page.content.decode()
    assert client.get("/admin/datacatalog/catalogueentry/add/").status_code == 403
    refused = client.post(
        f"/admin/datacatalog/catalogueentry/{published.pk}/delete/", {"post": "yes"}
    )
    assert refused.status_code == 403
    for model in ("entryversion", "gradingrecord"):
        assert client.get(f"/admin/datacatalog/{model}/").status_code == 200
    assert client.get("/admin/datacatalog/datasetrecord/").status_code == 404


def test_a_classification_in_use_cannot_be_deleted(client, sysadmin, published):
    sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    used = published.classification
    assert client.get("/admin/datacatalog/classification/").status_code == 200
    refused = client.post(f"/admin/datacatalog/classification/{used.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 403


def test_a_data_admin_does_not_reach_the_admin(client, dm, published):
    dm.ga_admin.is_staff = True
    dm.ga_admin.save()
    client.force_login(dm.ga_admin)
    answer = client.get(f"/admin/datacatalog/catalogueentry/{published.pk}/change/")
    assert answer.status_code in (302, 403)
