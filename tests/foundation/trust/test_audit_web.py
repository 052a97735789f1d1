"""The audit administrator's workbench page, the read-only admin and the `audit` command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from shuzheng.foundation.trust import audit, keys, views
from shuzheng.foundation.trust.models import AuditAnchor, AuditRecord

pytestmark = pytest.mark.django_db
PAGE = "/workbench/audit/"


@pytest.fixture
def auditor(tree, make_staff):
    return make_staff(tree.zwfw, "audit-admin", on=tree.city)


@pytest.fixture
def trail(tree, make_staff):
    """A few records by different people, results and objects."""
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    head = make_staff(tree.doumen, "department-head")
    with transaction.atomic():
        made = [
            audit.record(clerk, "demo.person.register", ("identity.naturalperson", 11)),
            audit.record(clerk, "demo.enterprise.register", ("identity.enterprise", 5)),
            audit.record(head, "demo.staff.update", ("identity.staffprofile", 3), result="denied"),
            audit.record(None, "demo.login.fail", result="error"),
        ]
    return {"clerk": clerk, "head": head, "seq": [r.seq for r in made]}


def seqs(response) -> list[int]:
    """The trail's records on the page (signing in writes records of its own)."""
    return [row.seq for row in response.context["rows"] if row.action.startswith("demo.")]


def numbered(trail, *which) -> list[int]:
    """Seqs of the trail's records 1..4, newest first, as the page lists them."""
    return sorted((trail["seq"][n - 1] for n in which), reverse=True)


# --------------------------------------------------------------------------- who may look


def test_only_the_audit_administrator_sees_the_audit_page(client, tree, make_staff, auditor):
    assert client.get(PAGE).status_code == 302  # sign in first
    for role, org in (("window-clerk", tree.xiangzhou), ("security-admin", tree.city)):
        client.force_login(make_staff(tree.zwfw, role, on=org))
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE + "verify/").status_code == 403
        assert (
            client.post(
                PAGE + "export/", {"since": "2026-01-01", "until": "2026-01-02"}
            ).status_code
            == 403
        )
    client.force_login(make_staff(tree.zwfw, "system-admin", on=tree.city))
    assert client.get(PAGE).status_code == 403
    client.force_login(auditor)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "审计记录" in response.content.decode()
    assert not AuditRecord.objects.filter(action="trust.audit.verify").exists()


def test_the_audit_rule_gives_nothing_to_others(tree, make_staff, trail, auditor):
    clerk = trail["clerk"]
    assert audit.search(clerk) == []
    assert len(audit.search(auditor, action="demo.")) == 4


# --------------------------------------------------------------------------- filters


def test_filters_narrow_the_list(client, auditor, trail):
    client.force_login(auditor)
    clerk = trail["clerk"]
    every = numbered(trail, 1, 2, 3, 4)
    assert seqs(client.get(PAGE)) == every
    assert seqs(client.get(PAGE, {"actor": clerk.username})) == numbered(trail, 1, 2)
    assert seqs(client.get(PAGE, {"action": "demo.person"})) == numbered(trail, 1)
    assert seqs(client.get(PAGE, {"action": "demo."})) == every
    assert seqs(client.get(PAGE, {"action": "demo.person.register.x"})) == []
    assert seqs(client.get(PAGE, {"object_type": "identity.enterprise"})) == numbered(trail, 2)
    person = {"object_type": "identity.naturalperson"}
    assert seqs(client.get(PAGE, {**person, "object_id": "11"})) == numbered(trail, 1)
    assert seqs(client.get(PAGE, {**person, "object_id": "12"})) == []
    assert seqs(client.get(PAGE, {"result": "denied"})) == numbered(trail, 3)
    assert seqs(client.get(PAGE, {"result": "error"})) == numbered(trail, 4)
    today = timezone.localdate()
    assert seqs(client.get(PAGE, {"since": str(today), "until": str(today)})) == every
    yesterday = today - dt.timedelta(days=1)
    assert seqs(client.get(PAGE, {"until": str(yesterday)})) == []
    later = timezone.localtime() + dt.timedelta(minutes=5)
    assert seqs(client.get(PAGE, {"since": later.strftime("%Y-%m-%dT%H:%M")})) == []


def test_a_bad_time_is_reported_not_crashed(client, auditor, trail):
    client.force_login(auditor)
    response = client.get(PAGE, {"since": "yesterday-ish"})
    assert response.status_code == 200
    assert "时间格式无效" in response.content.decode()
    assert seqs(response) == numbered(trail, 1, 2, 3, 4)


def test_pages_follow_the_sequence_keyset(client, auditor, trail, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.force_login(auditor)
    first = client.get(PAGE, {"action": "demo."})
    assert seqs(first) == numbered(trail, 2, 3, 4)
    assert f"before={trail['seq'][1]}" in first.context["next_query"]
    second = client.get(PAGE + "?" + first.context["next_query"])
    assert seqs(second) == numbered(trail, 1)
    assert second.context["next_query"] is None
    assert "action=demo." in second.context["first_query"]


# --------------------------------------------------------------------------- verify & export


def test_the_page_shows_the_verification_status(client, auditor, trail):
    client.force_login(auditor)
    assert "尚未校验" in client.get(PAGE).content.decode()
    response = client.post(PAGE + "verify/", follow=True)
    page = response.content.decode()
    assert "审计链完整" in page and "完整" in page
    run = AuditRecord.objects.get(action="trust.audit.verify")
    assert run.details["ok"] is True and run.details["checked"] >= 4
    assert run.actor_id == auditor.pk


def test_a_broken_chain_shows_where(client, auditor, trail):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE trust_auditrecord DISABLE TRIGGER trust_auditrecord_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER trust_auditrecord_no_update")
        cursor.execute(
            "UPDATE trust_auditrecord SET result = 'success' WHERE seq = %s", [trail["seq"][2]]
        )
    client.force_login(auditor)
    page = client.post(PAGE + "verify/", follow=True).content.decode()
    assert f"审计链在序号 {trail['seq'][2]} 处断裂" in page
    run = AuditRecord.objects.get(action="trust.audit.verify")
    assert run.result == "error" and run.details["break"]["seq"] == trail["seq"][2]


def test_export_downloads_a_bundle_that_checks(client, auditor, trail):
    client.force_login(auditor)
    today = timezone.localdate()
    response = client.post(PAGE + "export/", {"since": str(today), "until": str(today)})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    report = audit.check_bundle(response.content, keys.signing_key().public_key())
    assert report.ok and report.records >= 4
    assert AuditRecord.objects.filter(action="trust.audit.export", actor_id=auditor.pk).exists()


def test_export_without_a_period_is_refused(client, auditor):
    client.force_login(auditor)
    response = client.post(PAGE + "export/", {"since": "", "until": ""}, follow=True)
    assert "请填写导出时段" in response.content.decode()
    assert not AuditRecord.objects.filter(action="trust.audit.export").exists()


# --------------------------------------------------------------------------- admin


@pytest.fixture
def admin_auditor(tree, auditor):
    """A superuser account holding the audit-admin role: the only kind the admin shows to."""
    auditor.is_staff = auditor.is_superuser = True
    auditor.save()
    return auditor


def test_nobody_edits_a_record_through_the_admin(client, admin_auditor, trail):
    client.force_login(admin_auditor)
    base = "/admin/trust/auditrecord/"
    first = trail["seq"][0]
    assert client.get(base).status_code == 200
    assert client.get(f"{base}{first}/change/").status_code == 200  # read-only view
    assert (
        client.post(f"{base}{first}/change/", {"action": "x.y", "result": "success"}).status_code
        == 403
    )
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{first}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(base, {"action": "delete_selected", "_selected_action": [str(first)]})
    assert AuditRecord.objects.filter(seq=first).exists()
    assert response.status_code in (200, 302)
    assert AuditRecord.objects.get(seq=first).action == "demo.person.register"
    assert client.post("/admin/trust/auditanchor/add/", {}).status_code == 403
    assert audit.verify().ok


def test_the_admin_verifies_for_the_auditor(client, admin_auditor, trail):
    client.force_login(admin_auditor)
    response = client.post(
        "/admin/trust/auditrecord/",
        {"action": "verify_chain", "_selected_action": [str(trail["seq"][0])]},
        follow=True,
    )
    assert "审计链完整" in response.content.decode()
    assert AuditRecord.objects.filter(action="trust.audit.verify").exists()


def test_the_system_administrator_cannot_read_audit_records_in_the_admin(
    client, tree, make_staff, trail
):
    sysadmin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    sysadmin.is_staff = True
    sysadmin.save()
    client.force_login(sysadmin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/trust/auditrecord/").status_code == 403
    assert client.get(f"/admin/trust/auditrecord/{trail['seq'][0]}/change/").status_code == 403


# --------------------------------------------------------------------------- commands


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def test_seal_and_verify_commands(trail):
    assert "anchor" in run("seal")
    assert "nothing new" in run("seal")
    output = run("verify")
    assert "OK" in output and f"records checked: {trail['seq'][-1]}" in output


def test_verify_command_exits_1_and_names_the_break(trail):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
        cursor.execute("DELETE FROM trust_auditrecord WHERE seq = %s", [trail["seq"][1]])
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify", stdout=out)
    assert exited.value.code == 1
    assert "BROKEN" in out.getvalue() and f"seq {trail['seq'][1]} [deleted]" in out.getvalue()


def test_export_and_check_bundle_commands(trail, tmp_path):
    bundle = tmp_path / "evidence.json"
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    assert "wrote" in run(
        "export", "--from", str(today), "--to", str(tomorrow), "--out", str(bundle)
    )
    export_record = AuditRecord.objects.get(action="trust.audit.export")
    assert export_record.channel == "cli" and export_record.actor_username == "system"
    pem = tmp_path / "audit.pub.pem"
    pem.write_bytes(keys.signing_key().public_key().to_pem())
    assert "VALID" in run("check-bundle", str(bundle), "--public-key", str(pem))
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "check-bundle", str(bundle), "--public-key", str(pem), stdout=out)
    assert exited.value.code == 1 and "INVALID" in out.getvalue()


STANDALONE = """
import runpy, sys
for name in [m for m in sys.modules if m == "django" or m.startswith("django.")]:
    del sys.modules[name]
sys.modules["django"] = None  # any import of Django now fails: the checker must not need it
sys.argv = ["evidence", *sys.argv[1:]]
runpy.run_module("shuzheng.foundation.trust.evidence", run_name="__main__")
"""


def test_a_third_party_checks_a_bundle_without_django_or_the_platform(trail, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import shuzheng

    bundle = tmp_path / "evidence.json"
    today = timezone.localdate()
    run(
        "export",
        "--from",
        str(today),
        "--to",
        str(today + dt.timedelta(days=1)),
        "--out",
        str(bundle),
    )
    pem = tmp_path / "audit.pub.pem"
    pem.write_bytes(keys.signing_key().public_key().to_pem())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(shuzheng.__file__).parents[1]),
    }

    def check(*args):
        return subprocess.run(  # noqa: S603 - our interpreter, our module
            [sys.executable, "-c", STANDALONE, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )

    done = check(str(bundle), "--public-key", str(pem))
    assert done.returncode == 0, done.stderr
    assert "evidence bundle: VALID" in done.stdout and "pinned by --public-key" in done.stdout
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    done = check(str(bundle), "--public-key", str(pem))
    assert done.returncode == 1 and "INVALID" in done.stdout
    assert check(str(tmp_path / "missing.json")).returncode == 2


def test_purge_command_refuses_young_records(trail):
    before = AuditRecord.objects.count()
    with pytest.raises(CommandError, match="180"):
        run("purge", "--before", str(timezone.localdate() - dt.timedelta(days=10)))
    assert AuditRecord.objects.count() == before
    assert "nothing to purge" in run("purge", "--before", "2020-01-01")
    assert not AuditAnchor.objects.exists()
