"""Files are read by their owner, and through objects a domain package linked; anybody else
finds nothing (404, not 403: a file one may not read does not exist for them)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shuzheng.foundation.files import registry, selectors, services
from shuzheng.foundation.identity.models import StaffProfile

from .conftest import JPEG_BYTES, PDF_BYTES, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def material(citizen):
    return services.store(citizen, "services.material", upload(PDF_BYTES, "身份证.pdf"))


def test_owner_reads_own_file(citizen, material):
    assert selectors.file_for(citizen, material.pk) == material
    assert list(selectors.readable(citizen)) == [material]


def test_another_user_finds_nothing(stranger, material):
    assert not selectors.readable(stranger).exists()
    with pytest.raises(Http404):
        selectors.file_for(stranger, material.pk)


def test_staff_without_a_link_find_nothing(tree, make_staff, material):
    officer = make_staff(tree.city, "department-head")
    with pytest.raises(Http404):
        selectors.file_for(officer, material.pk)


def test_a_discarded_file_is_gone_for_its_owner_too(citizen, stranger, material):
    with pytest.raises(PermissionDenied):
        services.discard(stranger, material)
    services.discard(citizen, material)
    with pytest.raises(Http404):
        selectors.file_for(citizen, material.pk)


def test_garbage_ids_are_not_found(citizen):
    with pytest.raises(Http404):
        selectors.file_for(citizen, "not-a-uuid")


@pytest.fixture
def staff_files_readable_by_their_managers():
    """The hook as a domain package uses it, on models that exist: whoever may view a staff
    account (identity.view_staff, scoped by organisation) reads the files it uploaded."""
    link = registry.ReadLink(StaffProfile, "user__stored_files", "identity.view_staff")
    registry.readable_through(StaffProfile, "user__stored_files", "identity.view_staff")
    yield
    registry.LINKS.remove(link)


def test_reading_through_a_linked_object_follows_that_objects_rule(
    staff_files_readable_by_their_managers, tree, make_staff, stranger
):
    uploader = make_staff(tree.gongbei)
    stored = services.store(uploader, "governance.evidence", upload(JPEG_BYTES, "现场.jpg"))
    manager = make_staff(tree.xiangzhou, "department-head")
    elsewhere = make_staff(tree.doumen, "department-head")
    assert selectors.file_for(manager, stored.pk) == stored
    assert stored in selectors.readable(manager)
    for outsider in (elsewhere, stranger):
        with pytest.raises(Http404):
            selectors.file_for(outsider, stored.pk)


def test_without_the_link_nobody_but_the_owner_reads(tree, make_staff):
    uploader = make_staff(tree.gongbei)
    stored = services.store(uploader, "governance.evidence", upload(JPEG_BYTES, "现场.jpg"))
    manager = make_staff(tree.xiangzhou, "department-head")
    with pytest.raises(Http404):
        selectors.file_for(manager, stored.pk)
