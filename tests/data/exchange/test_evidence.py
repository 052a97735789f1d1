"""Evidence bundles: either side exports the seals of a period with its own rows in full and
others' as digests; anyone checks a bundle with the public key alone, and a changed byte is
found and named."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from shuzheng.data.exchange import evidence, services
from shuzheng.data.exchange.models import ExchangeLog
from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind
from shuzheng.foundation.trust import keys
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.exchange.conftest import BASE, gateway_call, make_grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_lag(settings):
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 0


@pytest.fixture
def traffic(xw, make_staff):
    """Two calls of 卫健局 and one of 教育局 (a third department) on 公安局's service."""
    dm = xw.dm
    edu = identity.create_organisation(
        access.SYSTEM, parent=dm.city, name="珠海市教育局", kind=OrgKind.DEPARTMENT
    )
    edu_admin = make_staff(edu, "data-admin")
    client, secret = services.create_client(
        edu_admin, organisation=edu, name="学籍系统", system_code="xueji"
    )
    make_grant(dm, consumer=edu, fields=["name"])
    gateway_call(BASE + "/records", token=xw.token, headers={"X-Message-Id": "wj-1"})
    gateway_call(
        BASE + "/records", token=f"{client.key_id}.{secret}", headers={"X-Message-Id": "edu-1"}
    )
    gateway_call(
        BASE + "/records/440402199001011236", token=xw.token, headers={"X-Message-Id": "wj-2"}
    )
    return dm, edu, edu_admin


def period():
    now = timezone.now()
    return now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)


def bundle_of(actor, organisation=None):
    start, end = period()
    return evidence.export(actor, start=start, end=end, organisation=organisation)


def test_the_consumer_exports_its_rows_in_full_and_others_as_digests(traffic):
    dm, edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    document = json.loads(data)
    assert document["organisation"] == {"id": dm.weijian.pk, "name": dm.weijian.name}
    rows = [r for seal in document["seals"] for r in seal["rows"]]
    assert len(rows) == 3
    full = {r["row"][2] for r in rows if "row" in r}
    assert full == {"wj-1", "wj-2"}
    other = [r for r in rows if "row" not in r]
    assert len(other) == 1 and set(other[0]) == {"seq", "digest"}
    assert "edu-1" not in data.decode()
    assert AuditRecord.objects.filter(action="data.exchange.evidence.export").count() == 1


def test_the_provider_sees_every_call_to_its_services(traffic):
    dm, _edu, _edu_admin = traffic
    document = json.loads(bundle_of(dm.ga_admin, dm.gongan))
    rows = [r for seal in document["seals"] for r in seal["rows"]]
    assert all("row" in r for r in rows) and len(rows) == 3


def test_a_bundle_checks_with_the_public_key_alone(traffic, django_assert_num_queries):
    dm, _edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    public = keys.signing_key().public_key()
    with django_assert_num_queries(0):
        report = evidence.check(data, public)
    assert report.ok, report.problems
    assert report.key_pinned and (report.seals, report.rows, report.full_rows) == (1, 3, 2)
    unpinned = evidence.check(data)
    assert unpinned.ok and not unpinned.key_pinned
    assert "VALID" in str(report)


def _flip(data: bytes, marker: bytes, offset: int = 0, *, hex_digit=False) -> bytes:
    at = data.index(marker) + offset
    changed = bytearray(data)
    a, b = (b"0", b"1") if hex_digit else (b"x", b"y")
    changed[at] = a[0] if changed[at] != a[0] else b[0]
    return bytes(changed)


def test_a_changed_byte_in_a_row_is_found_and_named(traffic):
    dm, _edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    seq = ExchangeLog.objects.get(message_id="wj-2").seq
    report = evidence.check(_flip(data, b'"wj-2"', 2), keys.signing_key().public_key())
    assert not report.ok
    assert any(f"row {seq}: its content does not match its digest" in p for p in report.problems)
    assert any("signature does not verify" in p for p in report.problems)


def test_a_changed_digest_breaks_the_seal(traffic):
    dm, _edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    document = json.loads(data)
    other = next(r for r in document["seals"][0]["rows"] if "row" not in r)
    report = evidence.check(_flip(data, other["digest"].encode(), 5, hex_digit=True))
    assert any("do not give the sealed digest" in p for p in report.problems)
    report = evidence.check(_flip(data, other["digest"].encode(), 5))
    assert any(
        f"row {other['seq']}: its digest is not lower-case hex" in p for p in report.problems
    )


def test_a_changed_seal_signature_is_named(traffic):
    dm, _edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    signature = json.loads(data)["seals"][0]["signature"].encode()
    report = evidence.check(_flip(data, signature, 10, hex_digit=True))
    assert any("the seal's SM2 signature does not verify" in p for p in report.problems)


def test_broken_json_says_where(traffic):
    dm, _edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    report = evidence.check(data[:-3])
    assert not report.ok and "char" in report.problems[0]
    report = evidence.check(data.replace(b'"format"', b'"format" ', 1))
    assert any("near byte" in p for p in report.problems)


def test_a_bundle_signed_by_another_key_is_refused_when_pinned(traffic):
    from shuzheng.foundation.trust import gm

    dm, _edu, _edu_admin = traffic
    data = bundle_of(dm.wj_admin, dm.weijian)
    report = evidence.check(data, gm.SM2PrivateKey.generate().public_key())
    assert not report.ok and "not by the given key" in report.problems[0]


def test_who_may_export(traffic):
    dm, edu, edu_admin = traffic
    for user, org in (
        (dm.outsider, dm.weijian),
        (dm.wj_user, dm.weijian),  # data-user: reads logs, exports nothing
        (dm.wj_admin, dm.gongan),
        (edu_admin, dm.weijian),
        (dm.wj_admin, None),  # the whole log: only the city's data authority
    ):
        with pytest.raises(PermissionDenied):
            bundle_of(user, org)
    document = json.loads(bundle_of(dm.authority))
    assert document["organisation"] is None
    rows = [r for seal in document["seals"] for r in seal["rows"]]
    assert all("row" in r for r in rows) and len(rows) == 3
    assert json.loads(bundle_of(dm.authority, edu))["organisation"]["id"] == edu.pk


def test_the_period_must_be_ordered(traffic):
    dm, _edu, _edu_admin = traffic
    now = timezone.now()
    with pytest.raises(ValidationError):
        evidence.export(dm.wj_admin, start=now, end=now, organisation=dm.weijian)


def test_unsealed_rows_are_counted_not_included(traffic, settings):
    dm, _edu, _edu_admin = traffic
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 3600
    document = json.loads(bundle_of(dm.wj_admin, dm.weijian))
    assert document["seals"] == [] and document["unsealed_rows"] == 2
    assert evidence.check(bundle_of(dm.wj_admin, dm.weijian)).ok


def test_the_commands_export_and_check(traffic, tmp_path, capsys):
    dm, _edu, _edu_admin = traffic
    start, end = period()
    out = tmp_path / "ev.json"
    call_command(
        "exchange_evidence",
        "export",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--org",
        str(dm.weijian.pk),
        "--out",
        str(out),
    )
    pem = tmp_path / "pub.pem"
    pem.write_bytes(keys.signing_key().public_key().to_pem())
    call_command("exchange_evidence", "check", str(out), "--public-key", str(pem))
    assert "exchange evidence: VALID" in capsys.readouterr().out
    out.write_bytes(_flip(out.read_bytes(), b'"wj-1"', 2))
    with pytest.raises(SystemExit):
        call_command("exchange_evidence", "check", str(out))
    assert "INVALID" in capsys.readouterr().out
