"""The tamper-evident audit trail: recording in the business transaction, the hash chain,
SM2 anchors, locating every kind of tampering, evidence bundles and retention."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity_services
from shuzheng.foundation.identity.models import Organisation, OrgKind
from shuzheng.foundation.trust import audit, gm, keys
from shuzheng.foundation.trust.models import (
    AppendOnlyViolation,
    AuditAnchor,
    AuditPurge,
    AuditRecord,
)

TRIGGERS = importlib.import_module("shuzheng.foundation.trust.migrations.0002_append_only_triggers")
pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL trigger (SQLite has no equivalent)"
)


# --------------------------------------------------------------------------- helpers


def append(n=1, actor=access.SYSTEM, action="test.case.accept", **kwargs) -> list[AuditRecord]:
    made = []
    for i in range(n):
        with transaction.atomic():
            made.append(audit.record(actor, action, ("services.case", str(i)), **kwargs))
    return made


@contextlib.contextmanager
def tampering():
    """Lift the database guard for a raw-SQL attack inside this test (put back afterwards;
    the test's own transaction would undo it anyway): what an attacker with database
    rights could do, and what verify() must then find."""
    with connection.cursor() as cursor:
        for table in TRIGGERS.TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            else:
                cursor.execute(f"DROP TRIGGER {table}_no_update")
        try:
            yield cursor
        finally:
            for table in TRIGGERS.TABLES:
                if connection.vendor == "postgresql":
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
            if connection.vendor == "sqlite":
                for sql in TRIGGERS.SQLITE_FORWARD:
                    cursor.execute(sql)


@contextlib.contextmanager
def clock(moment: dt.datetime):
    """Make the audit trail's clock read ``moment`` (records and anchors made meanwhile)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def fields(seq) -> tuple:
    return AuditRecord.objects.filter(seq=seq).values_list(*audit.HASHED_FIELDS, "hash").get()


def rehash(cursor, seq):
    """An attacker's repair: recompute a record's hash after changing it."""
    row = fields(seq)
    cursor.execute(
        "UPDATE trust_auditrecord SET hash = %s WHERE seq = %s", [audit.record_hash(*row[:15]), seq]
    )


def problem(**kwargs):
    report = audit.verify(**kwargs)
    assert not report.ok
    return report.problem


# --------------------------------------------------------------------------- recording


def test_record_is_part_of_the_business_transaction_and_rolls_back_with_it(tree):
    before = AuditRecord.objects.count()  # the tree's own creation is on record
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        org = identity_services.create_organisation(
            access.SYSTEM, parent=tree.city, name="临时机构", kind=OrgKind.DEPARTMENT
        )
        audit.record(access.SYSTEM, "identity.organisation.create", org)
        1 / 0  # noqa: B018 - the business transaction fails after recording
    assert not Organisation.objects.filter(name="临时机构").exists()
    assert AuditRecord.objects.count() == before
    with transaction.atomic():
        org = identity_services.create_organisation(
            access.SYSTEM, parent=tree.city, name="临时机构", kind=OrgKind.DEPARTMENT
        )
        entry = audit.record(access.SYSTEM, "identity.organisation.create", org)
    # the service's own record, then the explicit one
    assert AuditRecord.objects.count() == before + 2
    assert AuditRecord.objects.order_by("seq").last().seq == entry.seq == before + 2


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the business transaction"):
        audit.record(access.SYSTEM, "test.case.accept")
    assert not AuditRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_record_outside_keeps_a_refusal_whose_transaction_rolled_back():
    with pytest.raises(PermissionDenied), transaction.atomic():
        audit.record(access.SYSTEM, "identity.person.register")
        raise PermissionDenied
    assert not AuditRecord.objects.exists()
    entry = audit.record_outside(None, "identity.person.register", result="denied")
    assert AuditRecord.objects.get().result == "denied" == entry.result
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record_outside(None, "identity.person.register", result="denied")
    assert AuditRecord.objects.count() == 1


def test_the_actor_is_snapshotted_with_organisation_and_roles(tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    with transaction.atomic():
        entry = audit.record(clerk, "identity.person.register", tree.gongbei)
    stored = AuditRecord.objects.get(seq=entry.seq)
    assert stored.actor_id == clerk.pk
    assert stored.actor_username == clerk.username
    assert stored.actor_org_id == tree.xiangzhou.pk
    assert stored.roles == ["window-clerk"]
    assert (stored.object_type, stored.object_id) == ("identity.organisation", str(tree.gongbei.pk))


def test_system_anonymous_and_string_targets(db):
    with transaction.atomic():
        system = audit.record(access.SYSTEM, "trust.keys.rotate", "trust.key:k1")
        anonymous = audit.record(AnonymousUser(), "identity.login.fail", result="denied")
        nobody = audit.record(None, "identity.login.fail", ("identity.user", 7), result="error")
    assert (system.actor_username, system.channel, system.target) == (
        "system",
        "system",
        "trust.key:k1",
    )
    assert (anonymous.actor_id, anonymous.actor_username) == (None, "")
    assert (nobody.object_type, nobody.object_id, nobody.result) == ("identity.user", "7", "error")


def test_the_request_gives_address_client_and_channel(db):
    factory = RequestFactory()
    web = factory.post("/workbench/x/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox")
    api = factory.post("/api/v1/x/", REMOTE_ADDR="2001:db8::1")
    with transaction.atomic():
        a = audit.record(access.SYSTEM, "test.web.post", request=web)
        b = audit.record(access.SYSTEM, "test.api.post", request=api)
        c = audit.record(access.SYSTEM, "test.cli.run", channel="cli")
    assert (a.client_ip, a.user_agent, a.channel) == ("10.1.2.3", "Firefox", "web")
    assert (b.client_ip, b.channel) == ("2001:db8::1", "api")
    assert c.channel == "cli"


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"action": "NotDotted"}, ValueError),
        ({"action": "has space.x"}, ValueError),
        ({"result": "maybe"}, ValueError),
        ({"channel": "fax"}, ValueError),
        ({"details": {"blob": "x" * 9000}}, ValueError),
        ({"details": {"obj": object()}}, TypeError),
        ({"target": Organisation(name="unsaved")}, ValueError),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(db, kwargs, error):
    call = {"action": "test.case.accept", **kwargs}
    action = call.pop("action")
    target = call.pop("target", None)
    with pytest.raises(error), transaction.atomic():
        audit.record(access.SYSTEM, action, target, **call)
    assert not AuditRecord.objects.exists()


def test_details_are_stored_in_a_form_that_rehashes_identically(db):
    (entry,) = append(details={"amount": 1.5, "when": dt.date(2026, 1, 2), "n": 10**20})
    assert AuditRecord.objects.get().details == {"amount": "1.5", "when": "2026-01-02", "n": 10**20}
    assert audit.verify().ok and entry.details["amount"] == "1.5"


def test_digest_is_sm3(db):
    assert audit.digest("abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert audit.digest(b"abc") == audit.digest("abc")
    assert audit.digest({"b": 1, "a": 2}) == audit.digest('{"a":2,"b":1}')


# --------------------------------------------------------------------------- the chain


def test_records_form_one_chain(db):
    records = append(5)
    stored = list(AuditRecord.objects.order_by("seq"))
    assert [r.seq for r in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == audit.GENESIS_HASH
    for before, after in zip(stored, stored[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.time >= before.time
    for entry in stored:
        assert entry.hash == audit.record_hash(*fields(entry.seq)[:15])
    assert [r.hash for r in records] == [r.hash for r in stored]
    report = audit.verify()
    assert (report.ok, report.checked, report.first_seq, report.last_seq) == (True, 5, 1, 5)


def test_an_empty_chain_verifies(db):
    report = audit.verify()
    assert report.ok and report.checked == 0


def test_nobody_changes_or_deletes_a_record_through_the_models(db):
    (entry,) = append()
    with pytest.raises(AppendOnlyViolation):
        entry.save()
    stored = AuditRecord.objects.get()
    stored.action = "test.case.reject"
    with pytest.raises(AppendOnlyViolation):
        stored.save()
    with pytest.raises(AppendOnlyViolation):
        stored.delete()
    with pytest.raises(AppendOnlyViolation):
        AuditRecord.objects.filter(seq=1).update(action="test.case.reject")
    with pytest.raises(AppendOnlyViolation):
        AuditRecord.objects.all().delete()
    anchor = audit.seal_anchor()
    with pytest.raises(AppendOnlyViolation):
        AuditAnchor.objects.filter(pk=anchor.pk).update(head_seq=99)
    with pytest.raises(AppendOnlyViolation):
        anchor.delete()
    assert AuditRecord.objects.get().action == "test.case.accept"
    assert audit.verify().ok


def test_an_update_is_refused_by_the_database_too(db):
    append()
    with (
        pytest.raises((DatabaseError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE trust_auditrecord SET action = 'x.y' WHERE seq = 1")
    assert AuditRecord.objects.get().action == "test.case.accept"


@on_postgres
def test_postgres_refuses_update_and_delete_on_every_audit_table(db):
    append(2)
    audit.seal_anchor()
    for sql in (
        "UPDATE trust_auditrecord SET action = 'x.y'",
        "DELETE FROM trust_auditrecord WHERE seq = 1",
        "DELETE FROM trust_auditrecord",
        "UPDATE trust_auditanchor SET head_seq = 1",
        "DELETE FROM trust_auditanchor",
        "DELETE FROM trust_auditpurge",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditRecord.objects.count() == 2 and AuditAnchor.objects.count() == 1


@on_postgres
def test_postgres_purge_switch_opens_only_record_deletes(db):
    append(2)
    audit.seal_anchor()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("UPDATE trust_auditrecord SET action = 'x.y'")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditanchor")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditrecord WHERE seq = 1")
        cursor.execute("SET LOCAL shuzheng.audit_purge = 'off'")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM trust_auditrecord WHERE seq = 2")
    assert list(AuditRecord.objects.values_list("seq", flat=True)) == [2]


# --------------------------------------------------------------------------- tampering


def test_an_edited_record_is_located(db):
    append(6)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE trust_auditrecord SET result = 'success', action = 'x.hidden' WHERE seq = 3"
        )
    found = problem()
    assert (found.kind, found.seq) == ("edited", 3)


def test_an_edited_and_rehashed_record_breaks_the_next_link(db):
    append(6)
    with tampering() as cursor:
        cursor.execute("UPDATE trust_auditrecord SET actor_username = 'someone' WHERE seq = 3")
        rehash(cursor, 3)
    found = problem()
    assert (found.kind, found.seq, found.other_seq) == ("relinked", 4, 3)


def test_rewriting_to_the_end_is_caught_by_the_anchor(db):
    append(5)
    anchor = audit.seal_anchor()
    with tampering() as cursor:
        cursor.execute("UPDATE trust_auditrecord SET object_id = '999' WHERE seq = 2")
        for seq in range(2, 6):
            if seq > 2:
                cursor.execute(
                    "UPDATE trust_auditrecord SET prev_hash = %s WHERE seq = %s",
                    [fields(seq - 1)[15], seq],
                )
            rehash(cursor, seq)
    found = problem()
    assert (found.kind, found.seq, found.anchor_id) == ("anchor_mismatch", 5, anchor.pk)


def test_a_deleted_record_is_located(db):
    append(6)
    with connection.cursor() as cursor:  # DELETE: only the PostgreSQL trigger stops it
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditrecord WHERE seq = 4")
    found = problem()
    assert (found.kind, found.seq) == ("deleted", 4)


def test_swapped_records_are_located(db):
    append(6)
    row3, row4 = fields(3), fields(4)
    columns = [*audit.HASHED_FIELDS[1:], "hash"]
    assignments = ", ".join(f"{c} = %s" for c in columns)
    with tampering() as cursor:
        for seq, row in ((3, row4), (4, row3)):
            values = list(row[1:])
            values[12] = json.dumps(values[12])
            cursor.execute(
                f"UPDATE trust_auditrecord SET {assignments} WHERE seq = %s", [*values, seq]
            )
    found = problem()
    assert (found.kind, found.seq, found.other_seq) == ("reordered", 3, 4)


def test_cutting_the_tail_after_an_anchor_is_detected(db):
    append(6)
    anchor = audit.seal_anchor()
    append(2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditrecord WHERE seq >= 5")
    found = problem()
    assert (found.kind, found.seq, found.anchor_id) == ("tail_cut", 5, anchor.pk)


def test_a_cut_tail_that_was_appended_again_fails_the_anchor(db):
    append(4)
    audit.seal_anchor()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditrecord WHERE seq >= 3")
    append(3, action="test.case.forged")
    found = problem()
    assert (found.kind, found.seq) == ("anchor_mismatch", 4)


def test_a_forged_anchor_signature_is_detected(db):
    append(3)
    anchor = audit.seal_anchor()
    forger = gm.SM2PrivateKey.generate()
    forged = forger.sign(b"anything").hex()
    with tampering() as cursor:
        cursor.execute(
            "UPDATE trust_auditanchor SET signature = %s WHERE id = %s", [forged, anchor.pk]
        )
    found = problem()
    assert (found.kind, found.seq, found.anchor_id) == ("anchor_signature", 3, anchor.pk)


def test_an_anchor_by_an_unknown_key_is_detected(db):
    append(3)
    forger = gm.SM2PrivateKey.generate()
    head = fields(3)[15]
    now = timezone.now()
    AuditAnchor.objects.create(
        first_seq=1,
        head_seq=3,
        head_hash=head,
        signed_at=now,
        key_id=forger.key_id,
        signature=forger.sign(audit.anchor_message(1, 3, head, now, forger.key_id)).hex(),
    )
    assert (problem().kind) == "anchor_unknown_key"


def test_a_removed_anchor_leaves_a_gap(db):
    append(2)
    first = audit.seal_anchor()
    append(2)
    audit.seal_anchor()
    append(2)
    audit.seal_anchor()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE trust_auditanchor DISABLE TRIGGER trust_auditanchor_append_only"
            )
        cursor.execute("DELETE FROM trust_auditanchor WHERE head_seq = 4")
    found = problem()
    assert (found.kind, found.seq) == ("anchor_gap", 3)
    assert first.head_seq == 2


def test_verify_a_range_checks_the_link_into_it(db):
    append(8)
    assert audit.verify(start=4, end=6).checked == 3
    with tampering() as cursor:
        cursor.execute("UPDATE trust_auditrecord SET action = 'x.y' WHERE seq = 7")
    assert audit.verify(start=4, end=6).ok
    assert problem(start=5).seq == 7


# --------------------------------------------------------------------------- anchors


def test_seal_signs_the_head_and_is_a_no_op_when_nothing_is_new(db):
    assert audit.seal_anchor() is None
    append(3)
    anchor = audit.seal_anchor()
    assert (anchor.first_seq, anchor.head_seq, anchor.head_hash) == (1, 3, fields(3)[15])
    key = keys.verify_keys()[anchor.key_id]
    key.verify(
        bytes.fromhex(anchor.signature),
        audit.anchor_message(1, 3, anchor.head_hash, anchor.signed_at, anchor.key_id),
    )
    assert audit.seal_anchor() is None
    append(2)
    second = audit.seal_anchor()
    assert (second.first_seq, second.head_seq) == (4, 5)
    report = audit.verify()
    assert report.ok and report.anchors_checked == 2 and report.sealed_to == 5


def test_seal_refuses_to_bless_a_tampered_tail(db):
    append(3)
    audit.seal_anchor()
    append(3)
    with tampering() as cursor:
        cursor.execute("UPDATE trust_auditrecord SET action = 'x.y' WHERE seq = 5")
    with pytest.raises(audit.AuditChainBroken) as refused:
        audit.seal_anchor()
    assert refused.value.report.problem.seq == 5
    assert AuditAnchor.objects.count() == 1


# --------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_leave_one_unbroken_chain():
    threads, per_thread = 10, 20
    errors = []
    barrier = threading.Barrier(threads)

    def work(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(access.SYSTEM, "test.race.append", f"thread:{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    seqs = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, threads * per_thread + 1))
    report = audit.verify()
    assert report.ok and report.checked == threads * per_thread


def test_a_rolled_back_append_leaves_no_trace_in_the_chain(db):
    append(2)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit.record(access.SYSTEM, "test.case.accept")
        1 / 0  # noqa: B018
    (entry,) = append()
    assert entry.seq == 3 and entry.prev_hash == fields(2)[15]
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_an_append_by_another_connection_in_between_is_followed():
    append(2)  # this connection now knows the head it wrote

    def other():
        try:
            append(3, action="test.other.append")
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    (entry,) = append()
    assert entry.seq == 6 and entry.prev_hash == fields(5)[15]
    assert audit.verify().ok


# --------------------------------------------------------------------------- evidence


@pytest.fixture
def bundle(db):
    append(3, details={"before": audit.digest("a"), "after": audit.digest("b")})
    audit.seal_anchor()
    append(2)
    now = timezone.now()
    return audit.export(now - dt.timedelta(hours=1), now + dt.timedelta(seconds=1))


def test_export_checks_with_nothing_but_the_public_key(bundle, django_assert_num_queries):
    public = keys.signing_key().public_key()
    with django_assert_num_queries(0):
        report = audit.check_bundle(bundle, gm.SM2PublicKey.from_pem(public.to_pem()))
    assert report.ok, report.problems
    assert (report.records, report.key_pinned) == (5, True)
    document = json.loads(bundle)
    assert [row[0] for row in document["records"]] == [1, 2, 3, 4, 5]
    assert AuditRecord.objects.filter(action="trust.audit.export").count() == 1
    assert audit.check_bundle(bundle).ok  # unpinned: the embedded key, said so in the report


def test_any_changed_byte_fails_the_bundle(bundle):
    public = keys.signing_key().public_key()
    positions = sorted({0, 1, len(bundle) - 1, *range(0, len(bundle), max(1, len(bundle) // 400))})
    for position in positions:
        for flip in (0x01, 0x20):
            changed = bytearray(bundle)
            changed[position] ^= flip
            report = audit.check_bundle(bytes(changed), public)
            assert not report.ok, f"byte {position} ^ {flip:#x} went unnoticed"
    assert not audit.check_bundle(bundle + b" ", public).ok
    assert not audit.check_bundle(bundle[:-1], public).ok


def test_a_bundle_signed_by_another_key_fails_when_the_key_is_pinned(bundle):
    other = gm.SM2PrivateKey.generate().public_key()
    report = audit.check_bundle(bundle, other)
    assert not report.ok and "not by the given key" in report.problems[0]


def test_a_resigned_forgery_fails_against_the_pinned_key(bundle):
    document = json.loads(bundle)
    document["records"][1][9] = "test.case.forged"
    forger = gm.SM2PrivateKey.generate()
    manifest = document["manifest"]
    manifest["signer_key_id"] = forger.key_id
    document["public_keys"] = {forger.key_id: forger.public_key().to_pem().decode()}
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
    for name in ("records", "anchors", "public_keys"):
        manifest[name]["sm3"] = gm.sm3(encode(document[name]).encode()).hex()
    document["signature"] = forger.sign(audit.MANIFEST_DOMAIN + encode(manifest).encode()).hex()
    forged = encode(document).encode()
    assert not audit.check_bundle(forged, keys.signing_key().public_key()).ok
    unpinned = audit.check_bundle(forged)
    assert not unpinned.ok  # the records no longer match their hashes / anchors


def test_export_refuses_an_empty_period(db):
    now = timezone.now()
    with pytest.raises(ValidationError):
        audit.export(now, now)


def test_only_audit_viewers_export(tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        audit.export(now - dt.timedelta(days=1), now, actor=clerk)
    assert not AuditRecord.objects.filter(action="trust.audit.export").exists()


# --------------------------------------------------------------------------- retention


@pytest.fixture
def aged_chain(db):
    """Records from 400 and 300 days ago (each period sealed), and 3 recent ones."""
    now = timezone.now()
    with clock(now - dt.timedelta(days=400)):
        append(3)
        audit.seal_anchor()
    with clock(now - dt.timedelta(days=300)):
        append(2)
        audit.seal_anchor()
        append(1)  # old, but not under any anchor yet
    append(3)
    audit.seal_anchor()
    return now


def test_purging_within_the_retention_period_is_refused(aged_chain):
    with pytest.raises(ValidationError) as refused:
        audit.purge(aged_chain - dt.timedelta(days=179))
    assert "180" in str(refused.value)
    assert AuditRecord.objects.count() == 9


def test_only_the_installation_purges(aged_chain, tree, make_staff):
    auditor = make_staff(tree.zwfw, "audit-admin", on=tree.city)
    before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        audit.purge(aged_chain - dt.timedelta(days=200), actor=auditor)
    assert AuditRecord.objects.count() == before


def test_purge_stops_at_an_anchor_is_audited_and_the_chain_still_verifies(aged_chain):
    point = audit.purge(aged_chain - dt.timedelta(days=200))
    # records 1..5 are sealed and old; record 6 is old but its anchor also covers newer ones
    assert (point.last_seq, point.record_count) == (5, 5)
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True)) == [
        6,
        7,
        8,
        9,
        10,
    ]
    purge_record = AuditRecord.objects.get(action="trust.audit.purge")
    assert purge_record.seq == point.record_seq == 10
    assert purge_record.details["last_seq"] == 5
    report = audit.verify()
    assert report.ok and report.first_seq == 6
    assert audit.purge(aged_chain - dt.timedelta(days=200)) is None
    assert AuditPurge.objects.count() == 1


def test_purging_to_the_first_anchor_only_when_the_cutoff_is_earlier(aged_chain):
    point = audit.purge(aged_chain - dt.timedelta(days=350))
    assert point.last_seq == 3
    assert audit.verify().ok


def test_a_forged_purge_point_is_detected(aged_chain):
    anchor = AuditAnchor.objects.get(head_seq=3)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditrecord WHERE seq <= 3")
    AuditPurge.objects.create(
        before=aged_chain,
        anchor=anchor,
        last_seq=3,
        last_hash=anchor.head_hash,
        record_count=3,
        record_seq=9,
    )
    found = problem()
    assert (found.kind, found.seq) == ("purge_point", 3)


def test_purge_refuses_when_the_part_to_remove_is_broken(aged_chain):
    with tampering() as cursor:
        cursor.execute("UPDATE trust_auditrecord SET action = 'x.y' WHERE seq = 2")
    with pytest.raises(audit.AuditChainBroken):
        audit.purge(aged_chain - dt.timedelta(days=200))
    assert AuditRecord.objects.filter(seq=2).exists()
