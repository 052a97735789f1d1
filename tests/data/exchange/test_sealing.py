"""Sealing the exchange log (SM3 chain, SM2 signature, audit record) and detecting every kind
of tampering: an edited, deleted or inserted row, a forged or removed seal."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from shuzheng.data.exchange import canonical, sealing
from shuzheng.data.exchange.models import ExchangeLog, ExchangeSeal
from shuzheng.foundation.trust import audit, keys
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.exchange.conftest import BASE, gateway_call

pytestmark = pytest.mark.django_db

LOG = ExchangeLog._meta.db_table
SEAL = ExchangeSeal._meta.db_table


@pytest.fixture(autouse=True)
def no_lag(settings):
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 0


def calls(xw, n=3):
    for i in range(n):
        gateway_call(BASE + "/records", f"limit={i + 1}", token=xw.token)


def seqs(lo=0, hi=None):
    """The log's sequence numbers (on PostgreSQL they continue across tests)."""
    rows = ExchangeLog.objects.filter(seq__gte=lo).order_by("seq")
    if hi is not None:
        rows = rows.filter(seq__lte=hi)
    return list(rows.values_list("seq", flat=True))


def raw(sql, params=()):
    """SQL past the append-only triggers (inside the test's transaction, so undone after):
    what someone with the database in hand could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in (LOG, SEAL):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        else:
            for table in (LOG, SEAL):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, params)


def test_nothing_to_seal_gives_none(db):
    assert sealing.seal() is None


def test_a_seal_chains_the_rows_signs_them_and_is_in_the_audit_chain(xw):
    calls(xw, 3)
    seal = sealing.seal()
    rows = list(ExchangeLog.objects.order_by("seq").values_list("seq", flat=True))
    assert (seal.first_seq, seal.last_seq, seal.row_count) == (1, rows[-1], 3)
    assert seal.prev_digest == canonical.GENESIS
    digests = [canonical.row_digest(v) for v in sealing.rows(1, seal.last_seq)]
    assert seal.digest == canonical.chain(canonical.GENESIS, digests)
    message = canonical.seal_message(
        seal.first_seq, seal.last_seq, 3, seal.prev_digest, seal.digest, seal.sealed_at, seal.key_id
    )
    keys.signing_key().public_key().verify(bytes.fromhex(seal.signature), message)
    record = AuditRecord.objects.get(seq=seal.audit_seq)
    assert record.action == "data.exchange.seal"
    assert record.details["digest"] == seal.digest and record.details["last_seq"] == seal.last_seq
    assert audit.verify().ok
    assert sealing.seal() is None  # nothing new
    calls(xw, 2)
    second = sealing.seal()
    assert (second.first_seq, second.prev_digest) == (seal.last_seq + 1, seal.digest)
    report = sealing.verify()
    assert report.ok, report
    assert (report.seals_checked, report.rows_checked, report.unsealed) == (2, 5, 0)


def test_rows_younger_than_the_lag_wait(xw, settings):
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 60
    calls(xw, 2)
    assert sealing.seal() is None
    assert sealing.verify().unsealed == 2


def test_the_seal_size_is_capped(xw, settings):
    settings.DATA_EXCHANGE_SEAL_MAX_ROWS = 2
    calls(xw, 5)
    made = sealing.seal_all()
    assert [s.row_count for s in made] == [2, 2, 1]
    assert sealing.verify().ok


def test_an_edited_row_is_detected(xw):
    calls(xw, 3)
    seal = sealing.seal()
    raw(f"UPDATE {LOG} SET record_count = 99 WHERE seq = %s", [seqs()[1]])
    report = sealing.verify()
    assert not report.ok
    assert (report.problem.kind, report.problem.seal) == ("row_edited", seal.seq)
    assert "被修改" in report.problem.message


def test_a_deleted_row_is_detected(xw):
    calls(xw, 3)
    sealing.seal()
    raw(f"DELETE FROM {LOG} WHERE seq = (SELECT MIN(seq) FROM {LOG})")
    assert sealing.verify().problem.kind == "rows_deleted"


def _log_row(seq, **extra):
    values = dict(
        seq=seq,
        time=timezone.now(),
        message_id=f"m-{seq}",
        service_code="population/v1",
        outcome="ok",
        status_code=200,
        request_hash="1" * 64,
        response_hash="2" * 64,
        latency_ms=1.0,
    )
    values.update(extra)
    return ExchangeLog.objects.create(**values)


def test_a_row_inserted_into_a_sealed_range_is_detected(db):
    for seq in (1, 2, 5):
        _log_row(seq)
    seal = sealing.seal()
    assert (seal.first_seq, seal.last_seq, seal.row_count) == (1, 5, 3)
    _log_row(3, message_id="forged")
    report = sealing.verify()
    assert report.problem.kind == "rows_inserted"
    assert report.problem.first_seq == 1 and report.problem.last_seq == 5


def test_a_forged_seal_is_detected(xw):
    calls(xw, 2)
    seal = sealing.seal()
    raw(f"UPDATE {SEAL} SET digest = %s WHERE seq = %s", ["a" * 64, seal.seq])
    assert sealing.verify().problem.kind == "seal_signature"


def test_a_removed_seal_is_detected(xw):
    calls(xw, 2)
    first = sealing.seal()
    calls(xw, 2)
    sealing.seal()
    raw(f"DELETE FROM {SEAL} WHERE seq = %s", [first.seq])
    problem = sealing.verify().problem
    assert problem.kind in ("seal_gap", "seal_link")


def test_a_signed_seal_that_does_not_link_is_detected(xw):
    calls(xw, 2)
    first = sealing.seal()
    calls(xw, 1)
    last = ExchangeLog.objects.order_by("-seq").values_list("seq", flat=True).first()
    digests = [canonical.row_digest(v) for v in sealing.rows(first.last_seq + 1, last)]
    wrong_prev = "b" * 64
    digest = canonical.chain(wrong_prev, digests)
    key = keys.signing_key()
    now = timezone.now()
    message = canonical.seal_message(
        first.last_seq + 1, last, len(digests), wrong_prev, digest, now, key.key_id
    )
    ExchangeSeal.objects.create(
        seq=first.seq + 1,
        first_seq=first.last_seq + 1,
        last_seq=last,
        row_count=len(digests),
        prev_digest=wrong_prev,
        digest=digest,
        sealed_at=now,
        key_id=key.key_id,
        signature=key.sign(message).hex(),
        audit_seq=None,
    )
    assert sealing.verify().problem.kind == "seal_link"


def test_a_seal_without_its_audit_record_is_detected(xw):
    calls(xw, 2)
    seal = sealing.seal()
    raw(f"UPDATE {SEAL} SET audit_seq = NULL WHERE seq = %s", [seal.seq])
    assert sealing.verify().problem.kind == "seal_audit"


def test_two_sealers_make_one_seal(xw, monkeypatch):
    calls(xw, 2)
    real_lock = sealing._lock
    state = {"inside": False}

    def lock_after_a_rival_sealed(using):
        if not state["inside"]:
            state["inside"] = True
            assert sealing.seal() is not None  # the rival, between read and lock
        real_lock(using)

    monkeypatch.setattr(sealing, "_lock", lock_after_a_rival_sealed)
    assert sealing.seal() is None
    assert ExchangeSeal.objects.count() == 1
    assert sealing.verify().ok


def test_a_row_committed_late_into_the_range_waits_for_the_next_seal(db, monkeypatch):
    for seq in (1, 3):
        _log_row(seq)
    real_lock = sealing._lock

    def late_row_then_lock(using):
        _log_row(2)
        real_lock(using)

    monkeypatch.setattr(sealing, "_lock", late_row_then_lock)
    assert sealing.seal() is None
    monkeypatch.setattr(sealing, "_lock", real_lock)
    assert sealing.seal().row_count == 3
    assert sealing.verify().ok


def test_verify_can_be_bounded_to_a_range(xw):
    calls(xw, 2)
    first = sealing.seal()
    calls(xw, 2)
    sealing.seal()
    raw(f"UPDATE {LOG} SET record_count = 99 WHERE seq = %s", [seqs()[0]])
    assert sealing.verify(first=first.last_seq + 1).ok
    assert not sealing.verify(first=1, last=first.last_seq).ok


def test_the_commands_seal_and_verify(xw, capsys):
    calls(xw, 2)
    call_command("exchange_log", "seal")
    assert "seal 1:" in capsys.readouterr().out
    call_command("exchange_log", "verify")
    assert "exchange log: OK" in capsys.readouterr().out
    raw(f"UPDATE {LOG} SET purpose = 'x' WHERE seq = %s", [seqs()[0]])
    with pytest.raises(SystemExit) as exit_:
        call_command("exchange_log", "verify")
    assert exit_.value.code == 1
    assert "row_edited" in capsys.readouterr().out


def test_the_periodic_job_seals(xw):
    from shuzheng.data.exchange.tasks import seal_exchange_log

    calls(xw, 2)
    assert seal_exchange_log.call_local() == 1
    assert ExchangeSeal.objects.count() == 1


def test_old_quota_counters_are_pruned(xw, monkeypatch):
    import datetime as dt

    from shuzheng.data.exchange.models import QuotaCounter
    from shuzheng.data.exchange.tasks import prune_quota_counters

    calls(xw, 1)
    later = timezone.now() + dt.timedelta(hours=2)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    calls(xw, 1)
    assert QuotaCounter.objects.filter(window="minute").count() == 2
    assert prune_quota_counters.call_local() == 1
    assert QuotaCounter.objects.filter(window="minute").count() == 1
    assert QuotaCounter.objects.filter(window="day").exists()
