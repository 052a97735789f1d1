"""交换存证 page: a department exports its period as the signed bundle and anyone holding
the capability checks one — a good bundle reads "核验通过", a tampered one "核验未通过" with
where it breaks in plain words; a wrong public key is refused or named; the seal status shows
what waits to be sealed. Without the capability: 403."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from shuzheng.data.exchange import evidence, sealing
from shuzheng.data.exchange.views.evidence import plain
from shuzheng.foundation.trust import gm, keys
from shuzheng.foundation.trust.models import AuditRecord

pytestmark = pytest.mark.django_db

PAGE = "/workbench/data/exchange/evidence/"
EXPORT = "/workbench/data/exchange/evidence/export/"
CHECK = "/workbench/data/exchange/evidence/check/"
VERIFY = "/workbench/data/exchange/evidence/verify/"


@pytest.fixture(autouse=True)
def _no_lag(settings):
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 0


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def calls(call, xw):
    call("/records", "limit=1", headers={"X-Message-Id": "msg-1"})
    call("/records", "fields=religion", headers={"X-Message-Id": "msg-2"})
    return xw


def period(org):
    today = timezone.localdate()
    return {
        "org": org.pk,
        "start": (today - dt.timedelta(days=1)).isoformat(),
        "end": today.isoformat(),
    }


def exported(client, user, org) -> bytes:
    answer = signed_in(client, user).post(EXPORT, period(org))
    assert answer.status_code == 200, answer.content[:500]
    assert answer["Content-Type"] == "application/json"
    assert "attachment" in answer["Content-Disposition"]
    return answer.content


def upload(data: bytes, name="evidence.json"):
    return SimpleUploadedFile(name, data, content_type="application/json")


def test_url_names_are_the_contracts():
    assert reverse("exchange:evidence") == PAGE
    assert reverse("exchange:evidence-export") == EXPORT
    assert reverse("exchange:evidence-check") == CHECK
    assert reverse("exchange:evidence-verify") == VERIFY


@pytest.mark.parametrize("who", ["outsider", "wj_user"])
def test_staff_without_the_capability_get_403(client, dm, who):
    signed_in(client, getattr(dm, who))
    assert client.get(PAGE).status_code == 403
    assert client.post(EXPORT, period(dm.weijian)).status_code == 403
    assert client.post(CHECK, {"bundle": upload(b"{}")}).status_code == 403


def test_export_is_a_signed_bundle_of_the_departments_calls(client, calls):
    dm = calls.dm
    data = exported(client, dm.wj_admin, dm.weijian)
    report = evidence.check(data)
    assert report.ok, report.problems
    assert report.full_rows == 2
    assert json.loads(data)["organisation"]["id"] == dm.weijian.pk
    assert AuditRecord.objects.filter(action="data.exchange.evidence.export").exists()


def test_a_department_cannot_export_for_another(client, calls):
    dm = calls.dm
    answer = signed_in(client, dm.ga_admin).post(EXPORT, period(dm.weijian))
    assert answer.status_code == 400
    assert answer.context["export_form"].errors["org"]
    assert not AuditRecord.objects.filter(action="data.exchange.evidence.export").exists()


def test_a_period_ending_before_it_starts_is_refused_on_the_field(client, calls):
    dm = calls.dm
    data = period(dm.weijian)
    data["start"], data["end"] = data["end"], data["start"]
    answer = signed_in(client, dm.wj_admin).post(EXPORT, data)
    assert answer.status_code == 400
    assert answer.context["export_form"].errors["end"]


def test_a_good_bundle_checks_ok(client, calls):
    dm = calls.dm
    data = exported(client, dm.ga_admin, dm.gongan)
    answer = client.post(CHECK, {"bundle": upload(data)})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="report-ok"' in html and "核验通过" in html
    assert 'id="report-failed"' not in html
    # the period is shown as the local days exported (the end day included), not UTC instants
    asked = period(dm.gongan)
    assert f"{asked['start']} — {asked['end']}" in html


def test_a_good_bundle_checks_ok_with_the_pinned_platform_key(client, calls):
    dm = calls.dm
    data = exported(client, dm.wj_admin, dm.weijian)
    signer = keys.signing_key().key_id
    pem = keys.verify_keys()[signer].to_pem().decode()
    answer = client.post(CHECK, {"bundle": upload(data), "public_key": pem})
    assert answer.context["report"]["ok"] and answer.context["report"]["key_pinned"]
    assert "已用您提供的公钥核验" in answer.content.decode()


def test_a_tampered_bundle_fails_and_says_where(client, calls):
    dm = calls.dm
    data = exported(client, dm.wj_admin, dm.weijian)
    tampered = data.replace("出生医学证明核验".encode(), "出生医学证明核查".encode(), 1)
    assert tampered != data
    answer = client.post(CHECK, {"bundle": upload(tampered)})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="report-failed"' in html and "核验未通过" in html
    problems = answer.context["report"]["plain_problems"]
    assert any("内容与其摘要不符" in p["plain"] for p in problems), problems
    assert any("文件在导出后被改动过" in p["plain"] for p in problems), problems


def test_a_file_that_is_no_bundle_fails_plainly(client, dm):
    signed_in(client, dm.wj_admin)
    answer = client.post(CHECK, {"bundle": upload(b"not json at all")})
    assert answer.status_code == 200
    assert "文件不是 JSON 文档" in answer.content.decode()


def test_a_key_that_is_not_pem_is_a_field_error(client, calls):
    dm = calls.dm
    data = exported(client, dm.wj_admin, dm.weijian)
    answer = client.post(CHECK, {"bundle": upload(data), "public_key": "hello"})
    assert answer.status_code == 400
    assert answer.context["check_form"].errors["public_key"]
    broken = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    answer = client.post(CHECK, {"bundle": upload(data), "public_key": broken})
    assert answer.status_code == 400
    assert answer.context["check_form"].errors["public_key"]


def test_another_key_than_the_signers_fails(client, calls):
    dm = calls.dm
    data = exported(client, dm.wj_admin, dm.weijian)
    other = gm.SM2PrivateKey.generate().public_key().to_pem().decode()
    answer = client.post(CHECK, {"bundle": upload(data), "public_key": other})
    assert answer.status_code == 200
    assert answer.context["report"]["ok"] is False
    assert "不是您提供的公钥" in answer.content.decode()


def test_the_bundle_field_is_required(client, dm):
    answer = signed_in(client, dm.wj_admin).post(CHECK, {})
    assert answer.status_code == 400
    assert answer.context["check_form"].errors["bundle"]


def test_seal_status_shows_what_waits_and_the_chain_check(client, calls, settings):
    dm = calls.dm
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 3600  # nothing old enough to seal
    html = signed_in(client, dm.wj_admin).get(PAGE).content.decode()
    assert "尚未封存" in html
    assert "2 条" in html[html.index('id="seal-unsealed"') :][:200]
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 0
    sealing.seal_all()
    html = client.get(PAGE).content.decode()
    assert "0 条" in html[html.index('id="seal-unsealed"') :][:200]
    assert 'id="verify-form"' not in html  # the whole log: the data authority's check
    assert client.post(VERIFY).status_code == 403


def test_the_authority_checks_the_whole_seal_chain(client, calls):
    sealing.seal_all()
    signed_in(client, calls.dm.authority)
    assert 'id="verify-form"' in client.get(PAGE).content.decode()
    checked = client.post(VERIFY)
    assert checked.status_code == 200
    assert 'id="chain-ok"' in checked.content.decode()


def test_the_export_form_starts_with_the_last_seven_days(client, dm):
    html = signed_in(client, dm.wj_admin).get(PAGE).content.decode()
    today = timezone.localdate()
    assert f'value="{today.isoformat()}"' in html
    assert f'value="{(today - dt.timedelta(days=6)).isoformat()}"' in html


def test_every_checker_finding_reads_in_chinese():
    where = "seal 3 (seq 10..20)"
    findings = [
        "not UTF-8 at byte 4: bytes were altered",
        "not a JSON document: Expecting value",
        "not a shuzheng-exchange-evidence/1 document",
        "malformed bundle: KeyError: 'seals'",
        "the file is not in canonical form: bytes were altered near byte 120",
        "row_fields differ from this checker's (unknown format version)",
        "public key listed as abc has key id def",
        "signed by key abc, not by the given key def",
        "the signer's public key is missing",
        "the bundle's signature does not verify: the bundle was altered",
        f"{where}: does not link to the seal before it",
        f"{where}: overlaps the seal before it",
        f"{where}: signed by key abc, which the bundle lacks",
        f"{where}: the seal's SM2 signature does not verify",
        f"{where}: row 12 is out of order or outside the seal",
        f"{where}: row 12 carries the content of row 13",
        f"{where}: row 12: its content does not match its digest",
        f"{where}: 10 rows in the bundle, 11 were sealed",
        f"{where}: the rows do not give the sealed digest",
    ]
    for finding in findings:
        text = plain(finding)
        assert text != finding, finding
        assert not any(word in text for word in ("seal ", "row ", "bundle")), text
