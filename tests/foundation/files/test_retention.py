"""Purge: bytes of files past retention, and of discarded files past the grace period, go;
rows stay, marked and audited; nothing younger is touched."""

import datetime as dt
import os
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.files import services
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.trust.models import AuditRecord

from .conftest import PDF_BYTES, blobs, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(citizen):
    make = lambda: services.store(citizen, "services.material", upload(PDF_BYTES))  # noqa: E731
    expired, discarded, kept = make(), make(), make()
    StoredFile.objects.filter(pk=expired.pk).update(
        retain_until=timezone.now() - dt.timedelta(seconds=1)
    )
    services.discard(citizen, discarded)
    StoredFile.objects.filter(pk=discarded.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=31)
    )
    return expired, discarded, kept


def test_purge_removes_expired_and_discarded_bytes_and_marks_rows(three, files_storage):
    expired, discarded, kept = three
    report = services.purge()
    assert (report.expired, report.deleted, report.failed) == (1, 1, [])
    assert blobs(files_storage) == [kept.storage_name]
    for stored in (expired, discarded):
        stored.refresh_from_db()
        assert stored.purged_at is not None and stored.deleted_at is not None
    kept.refresh_from_db()
    assert kept.purged_at is None and kept.deleted_at is None
    purged = AuditRecord.objects.filter(action="files.file.purge")
    assert {r.details["reason"] for r in purged} == {"retention", "deleted"}
    # a second run finds nothing more to do
    again = services.purge()
    assert (again.expired, again.deleted) == (0, 0)


def test_discarded_file_within_grace_keeps_its_bytes(citizen, files_storage):
    stored = services.store(citizen, "services.material", upload(PDF_BYTES))
    services.discard(citizen, stored)
    report = services.purge()
    assert (report.expired, report.deleted) == (0, 0)
    assert blobs(files_storage) == [stored.storage_name]


def test_dry_run_changes_nothing(three, files_storage):
    report = services.purge(dry_run=True)
    assert (report.expired, report.deleted) == (1, 1)
    assert len(blobs(files_storage)) == 3
    assert not StoredFile.objects.filter(purged_at__isnull=False).exists()


def test_the_command(three, files_storage, capsys):
    call_command("files", "purge")
    assert "1 past retention, 1 discarded" in capsys.readouterr().out
    assert len(blobs(files_storage)) == 1


def test_purge_of_a_missing_blob_still_marks_the_row(three, files_storage):
    expired, _discarded, _kept = three
    services.storage().delete(expired.storage_name)  # a crash after the blob went
    assert services.purge().failed == []
    expired.refresh_from_db()
    assert expired.purged_at is not None


def test_keep_until_only_extends(citizen):
    stored = services.store(citizen, "services.material", upload(PDF_BYTES))
    original = stored.retain_until
    services.keep_until(citizen, stored, original - dt.timedelta(days=1))
    stored.refresh_from_db()
    assert stored.retain_until == original
    later = original + dt.timedelta(days=365)
    services.keep_until(access.SYSTEM, stored, later)
    stored.refresh_from_db()
    assert stored.retain_until == later
    assert AuditRecord.objects.filter(action="files.file.retain").count() == 1


def test_orphan_blobs_are_swept_after_a_day_only(citizen, files_storage):
    stored = services.store(citizen, "services.material", upload(PDF_BYTES))
    blob = services.storage()
    old = blob.save("2020/01/orphan", upload(b"left behind"))
    fresh = blob.save("2020/01/in-flight", upload(b"being stored"))
    day_old = time.time() - 2 * 86400
    os.utime(blob.path(old), (day_old, day_old))
    report = services.purge(orphans=True)
    assert report.orphans == 1
    assert blobs(files_storage) == sorted([stored.storage_name, fresh])


def test_retention_runs_as_periodic_jobs():
    import datetime as dt

    from shuzheng.foundation.events import jobs

    def runs(name, days):
        start = dt.datetime(2026, 3, 1, 0, 0)  # a Sunday (UTC)
        return [
            start + dt.timedelta(minutes=m)
            for m in range(days * 24 * 60)
            if any(j.name == name for j in jobs.huey.read_periodic(start + dt.timedelta(minutes=m)))
        ]

    assert len(runs("files.purge", 2)) == 2
    assert len(runs("files.purge_orphans", 7)) == 1
