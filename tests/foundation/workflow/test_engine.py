"""The workflow engine: definitions as versioned data, transitions with their rules,
history and audit, optimistic locking, SLA clocks, export/import."""

import datetime as dt
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from shuzheng.foundation import access, workflow
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.foundation.workflow import diagram, services
from shuzheng.foundation.workflow.models import TransitionRecord, WorkflowInstance
from shuzheng.foundation.workflow.spec import dump_text, load_text
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))

SPEC = {
    "code": "demo.review",
    "name": "机构信息审核",
    "initial": "submitted",
    "view_permission": "identity.view_organisation",
    "states": {
        "submitted": {"label": "已提交"},
        "accepted": {"label": "已受理"},
        "suspended": {"label": "已中止"},
        "done": {"label": "已办结", "final": True},
        "rejected": {"label": "不予受理", "final": True},
    },
    "transitions": [
        {
            "name": "accept",
            "label": "受理",
            "from": ["submitted"],
            "to": "accepted",
            "permission": "identity.manage_organisation",
            "require": ["opinion"],
            "guards": ["has_note"],
            "sla": "start",
            "limit": "5 working_days",
        },
        {
            "name": "reject",
            "label": "不予受理",
            "from": ["submitted"],
            "to": "rejected",
            "permission": "identity.manage_organisation",
            "require": ["reason"],
        },
        {
            "name": "suspend",
            "label": "中止",
            "from": ["accepted"],
            "to": "suspended",
            "permission": "identity.manage_organisation",
            "sla": "pause",
        },
        {
            "name": "resume",
            "label": "恢复",
            "from": ["suspended"],
            "to": "accepted",
            "permission": "identity.manage_organisation",
            "sla": "resume",
        },
        {
            "name": "finish",
            "label": "办结",
            "from": ["accepted"],
            "to": "done",
            "permission": "identity.manage_organisation",
            "sla": "stop",
        },
    ],
}


@workflow.guard("has_note", label="已填写备注")
def has_note(ctx):
    if not ctx.subject.note:
        raise workflow.GuardFailed("机构备注为空")


@pytest.fixture
def definition():
    return services.save_definition(access.SYSTEM, SPEC)


@pytest.fixture
def admin(tree, make_staff):
    return make_staff(tree.zwfw, "system-admin", on=tree.city)


@pytest.fixture
def case(tree, definition):
    tree.gongbei.note = "材料齐全"
    tree.gongbei.save()
    return workflow.start(
        access.SYSTEM, tree.gongbei, "demo.review", at=dt.datetime(2026, 9, 25, 10, tzinfo=TZ)
    )


def test_a_transition_moves_the_state_and_writes_history_and_audit(case, admin):
    before = AuditRecord.objects.count()
    workflow.transition(
        admin,
        case,
        "accept",
        opinion="材料齐全，予以受理",
        at=dt.datetime(2026, 9, 25, 11, tzinfo=TZ),
    )
    case.refresh_from_db()
    assert (case.state, case.revision) == ("accepted", 1)
    record = TransitionRecord.objects.filter(instance=case).order_by("-seq").first()
    assert (record.action, record.from_state, record.to_state) == (
        "accept",
        "submitted",
        "accepted",
    )
    assert record.actor == admin and record.opinion == "材料齐全，予以受理"
    entry = AuditRecord.objects.order_by("-seq").first()
    assert AuditRecord.objects.count() > before
    assert entry.action == "workflow.demo.review.accept"


def test_a_transition_not_allowed_from_the_state_names_the_rule(case, admin):
    with pytest.raises(workflow.TransitionNotAllowed, match="已提交") as refused:
        workflow.transition(admin, case, "finish")
    assert refused.value.code == "not_allowed_from_state"
    assert not TransitionRecord.objects.filter(instance=case, action="finish").exists()


def test_check_transition_refuses_like_a_transition_and_writes_nothing(
    case, admin, tree, make_staff
):
    assert workflow.check_transition(admin, case, "accept").target == "accepted"
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.check_transition(admin, case, "finish")
    with pytest.raises(workflow.Conflict):
        workflow.check_transition(admin, case, "accept", revision=case.revision + 1)
    with pytest.raises(PermissionDenied):
        workflow.check_transition(make_staff(tree.doumen), case, "accept")
    case.refresh_from_db()
    assert case.state == "submitted" and case.history.count() == 1


def test_unknown_action_is_refused(case, admin):
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.transition(admin, case, "teleport")


def test_missing_required_opinion_is_a_field_error_and_nothing_changes(case, admin):
    with pytest.raises(ValidationError) as refused:
        workflow.transition(admin, case, "accept", opinion="  ")
    assert "opinion" in refused.value.message_dict
    case.refresh_from_db()
    assert (case.state, case.revision, case.history.count()) == ("submitted", 0, 1)


def test_a_failing_guard_names_the_rule_and_writes_nothing(tree, case, admin):
    tree.gongbei.note = ""
    tree.gongbei.save()
    with pytest.raises(ValidationError, match="已填写备注"):
        workflow.transition(admin, case, "accept", opinion="受理")
    case.refresh_from_db()
    assert case.state == "submitted" and case.history.count() == 1


def test_without_the_permission_on_the_subject_nothing_happens(tree, case, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    with pytest.raises(PermissionDenied):
        workflow.transition(clerk, case, "accept", opinion="受理")
    case.refresh_from_db()
    assert case.state == "submitted"


def test_a_stale_revision_is_a_conflict(case, admin):
    stale = WorkflowInstance.objects.get(pk=case.pk)
    workflow.transition(admin, case, "accept", opinion="受理")
    with pytest.raises(workflow.Conflict):
        workflow.transition(admin, stale, "reject", reason="重复")
    case.refresh_from_db()
    assert case.state == "accepted" and case.history.count() == 2


def test_conflict_through_the_api_is_409_problem(case, admin):
    client = api_as(admin)
    url = f"/api/v1/workflow/instances/{case.pk}/transitions/"
    first = client.post(url, {"action": "accept", "opinion": "受理", "revision": 0}, format="json")
    assert first.status_code == 200 and first.json()["state"] == "accepted"
    second = client.post(url, {"action": "reject", "reason": "x", "revision": 0}, format="json")
    assert second.status_code == 409
    assert second["Content-Type"] == "application/problem+json"


def test_instance_api_shows_history_and_the_actions_this_user_may_take(
    case, admin, tree, make_staff
):
    body = api_as(admin).get(f"/api/v1/workflow/instances/{case.pk}/").json()
    assert {a["name"] for a in body["actions"]} == {"accept", "reject"}
    assert body["history"][0]["action"] == "start"
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    assert api_as(clerk).get(f"/api/v1/workflow/instances/{case.pk}/").json()["actions"] == []


def test_the_api_reports_a_missing_opinion_per_field(case, admin):
    response = api_as(admin).post(
        f"/api/v1/workflow/instances/{case.pk}/transitions/",
        {"action": "accept", "revision": 0},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "opinion"


def test_running_instances_keep_their_version(case, admin):
    changed = {**SPEC, "name": "机构信息审核（新版）"}
    v2 = services.save_definition(access.SYSTEM, changed)
    assert v2.version == 2
    workflow.transition(admin, case, "accept", opinion="受理")
    case.refresh_from_db()
    assert case.definition.version == 1


def test_saving_an_identical_definition_makes_no_new_version(definition):
    assert services.save_definition(access.SYSTEM, SPEC).pk == definition.pk


@pytest.mark.parametrize(
    "broken,message",
    [
        ({"initial": "nowhere"}, "initial"),
        ({"transitions": [{**SPEC["transitions"][0], "to": "limbo"}]}, "limbo"),
        (
            {"transitions": [{**SPEC["transitions"][0], "guards": ["no_such_guard"]}]},
            "no_such_guard",
        ),
        ({"transitions": [{**SPEC["transitions"][0], "permission": "x.y"}]}, "x.y"),
        ({"transitions": [{**SPEC["transitions"][0], "sla": "start", "limit": "soon"}]}, "limit"),
        ({"transitions": SPEC["transitions"] + [SPEC["transitions"][0]]}, "重复"),
    ],
)
def test_broken_definitions_are_refused_with_the_rule(broken, message):
    with pytest.raises(ValidationError, match=message):
        services.save_definition(access.SYSTEM, {**SPEC, **broken})


def test_only_configuration_holders_save_definitions(tree, make_staff):
    with pytest.raises(PermissionDenied):
        services.save_definition(make_staff(tree.city, "security-admin"), SPEC)


def test_export_then_import_is_identical(definition, tmp_path):
    out = io.StringIO()
    import sys

    old, sys.stdout = sys.stdout, out
    try:
        call_command("workflow", "export", "demo.review")
    finally:
        sys.stdout = old
    assert load_text(out.getvalue()) == SPEC
    path = tmp_path / "review.yaml"
    path.write_text(out.getvalue(), encoding="utf-8")
    call_command("workflow", "import", str(path), stdout=io.StringIO())
    assert services.latest_definition("demo.review").version == 1  # identical: no new version
    assert load_text(dump_text(SPEC, "json")) == SPEC


def test_import_of_a_broken_file_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("code: demo.bad\nstates: [1, 2\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("workflow", "import", str(path), stdout=io.StringIO())


def test_state_diagram_draws_every_state_and_transition(definition):
    drawing = diagram.svg(services.spec_of(definition))
    assert drawing.startswith("<svg") and drawing.count("<rect") == len(SPEC["states"])
    assert all(t["label"] in drawing for t in SPEC["transitions"])


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_transitions_exactly_one_wins(tree, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency of row updates is exercised on PostgreSQL")
    services.save_definition(access.SYSTEM, SPEC)
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    tree.gongbei.note = "x"
    tree.gongbei.save()
    instance = workflow.start(access.SYSTEM, tree.gongbei, "demo.review")
    barrier = threading.Barrier(20)
    outcomes = []

    def attempt(i):
        from django.db import connections

        mine = WorkflowInstance.objects.get(pk=instance.pk)
        barrier.wait()
        try:
            workflow.transition(
                admin, mine, "accept" if i % 2 else "reject", opinion="o", reason="r"
            )
            outcomes.append("won")
        except workflow.Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 19
    instance.refresh_from_db()
    assert instance.revision == 1 and instance.history.count() == 2


def test_attachments_must_be_files_the_actor_may_read(case, admin, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shuzheng.foundation.files import services as files

    pdf = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"
    mine = files.store(admin, "services.material", SimpleUploadedFile("意见.pdf", pdf))
    other = django_user_model.objects.create_user("someone", password="x")
    theirs = files.store(other, "services.material", SimpleUploadedFile("x.pdf", pdf))
    with pytest.raises(ValidationError) as refused:
        workflow.transition(admin, case, "accept", opinion="受理", attachments=[str(theirs.pk)])
    assert refused.value.message_dict["attachments"]
    case.refresh_from_db()
    assert case.state == "submitted"
    workflow.transition(admin, case, "accept", opinion="受理", attachments=[str(mine.pk)])
    assert case.history.order_by("-seq").first().attachments == [str(mine.pk)]
