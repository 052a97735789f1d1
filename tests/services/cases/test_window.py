"""窗口代办 pages: find (or register) the person by document, choose the item, fill in and
submit in the workbench — recorded as 代办 by the clerk; refused to staff without the
capability."""

import re

import pytest
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import NaturalPerson
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.services.cases import numbering
from shuzheng.services.cases.models import Case
from tests.services.conftest import GOOD_FORM, pdf_upload

WALK_IN_ID = "44040219920315004X"


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw)


@pytest.fixture
def clerk(tree, make_staff):
    return make_staff(tree.zwfw, "window-clerk", on=tree.city, name="窗口小王")


def start(client, item, **extra):
    return client.post(
        reverse("cases:window-apply"),
        {
            "id_type": "111",
            "id_number": WALK_IN_ID,
            "name": "王五",
            "item": item.implementation_code,
            "agent_note": "申请人持身份证原件到窗口办理",
            "_action": "start",
            **extra,
        },
    )


def test_a_clerk_registers_a_walk_in_and_submits_on_their_behalf(client, clerk, item):
    client.force_login(clerk)
    response = start(client, item)
    case = Case.objects.get()
    assert response.url == reverse("cases:window-draft", kwargs={"pk": case.pk})
    person = NaturalPerson.objects.get(name="王五")
    assert case.person == person and case.on_behalf and case.channel == "window"
    assert case.submitted_by == clerk and case.owner is None
    page = client.get(response.url)
    html = page.content.decode()
    assert "代办" in html and "申请人持身份证原件到窗口办理" in html and 'value="王五"' in html
    token = re.search(r'name="_token" value="([^"]+)"', html).group(1)
    done = client.post(
        response.url,
        {
            **GOOD_FORM,
            "_token": token,
            "_action": "submit",
            "_file-id_proof": pdf_upload(),
            "_file-premises": pdf_upload(),
        },
    )
    case.refresh_from_db()
    assert case.state == "submitted" and numbering.is_valid_number(case.number)
    assert done.url == reverse("cases:window-receipt", kwargs={"pk": case.pk})
    receipt = client.get(done.url).content.decode()
    assert case.number in receipt and "窗口代办" in receipt
    audit = AuditRecord.objects.get(action="services.case.create", object_id=str(case.pk))
    assert audit.actor_id == clerk.pk and audit.details["on_behalf"] is True


def test_a_known_person_is_found_by_document_not_registered_again(client, clerk, item):
    person = identity.register_person(
        access.SYSTEM, name="王五", id_type="111", id_number=WALK_IN_ID
    )
    client.force_login(clerk)
    start(client, item, id_number=WALK_IN_ID.lower(), name="")
    assert Case.objects.get().person == person
    assert NaturalPerson.objects.count() == 1


def test_a_name_that_does_not_match_the_record_is_refused(client, clerk, item):
    identity.register_person(access.SYSTEM, name="王五", id_type="111", id_number=WALK_IN_ID)
    client.force_login(clerk)
    response = start(client, item, name="王六")
    assert response.status_code == 400 and "姓名与登记信息不符" in response.content.decode()
    assert not Case.objects.exists()


def test_a_bad_document_number_is_a_field_error(client, clerk, item):
    client.force_login(clerk)
    response = start(client, item, id_number="440402199203150041")
    assert response.status_code == 400 and 'id="id-number-error"' in response.content.decode()
    assert not Case.objects.exists() and not NaturalPerson.objects.exists()


def test_the_item_is_found_by_name(client, clerk, item):
    client.force_login(clerk)
    html = client.post(
        reverse("cases:window-apply"), {"q": "个体工商户", "_action": "search"}
    ).content.decode()
    assert item.implementation_code in html


def test_staff_without_the_capability_are_refused(client, tree, make_staff, item):
    handler = make_staff(tree.zwfw, "case-handler", on=tree.city)
    client.force_login(handler)
    assert client.get(reverse("cases:window-apply")).status_code == 403
    assert start(client, item).status_code == 403
    assert not Case.objects.exists()


def test_a_citizen_cannot_open_the_window_pages(client, citizen, clerk, item):
    client.force_login(clerk)
    start(client, item)
    case = Case.objects.get()
    client.force_login(citizen)
    assert client.get(reverse("cases:window-draft", kwargs={"pk": case.pk})).status_code == 403


def test_a_clerk_of_another_district_cannot_continue_the_draft(
    client, tree, make_staff, clerk, item
):
    client.force_login(clerk)
    start(client, item)
    case = Case.objects.get()
    other = make_staff(tree.doumen, "window-clerk")
    client.force_login(other)
    assert client.get(reverse("cases:window-draft", kwargs={"pk": case.pk})).status_code == 404


def test_the_person_reads_the_clerks_uploads_through_their_case(clerk, item, tree):
    from shuzheng.foundation.files import selectors as files
    from shuzheng.services.cases.services import apply
    from tests.services.conftest import make_citizen

    person_user = make_citizen(name="王五", id_number=WALK_IN_ID)
    stranger = make_citizen(name="李四", id_number="440402198512120018")
    case = apply.create_draft(clerk, item, on_behalf_of=person_user.person)
    row = apply.attach_material(clerk, case, material_code="id_proof", upload=pdf_upload())
    assert files.file_for(person_user, row.file_id) == row.file
    with pytest.raises(Exception) as caught:
        files.file_for(stranger, row.file_id)
    assert caught.typename == "Http404"


def test_a_window_submission_is_in_the_clerks_name_and_the_person_is_told(
    clerk, item, django_capture_on_commit_callbacks
):
    from shuzheng.foundation.events.notifications.models import Message
    from shuzheng.services.cases.selectors import applicant
    from shuzheng.services.cases.services import apply
    from tests.services.conftest import GOOD_FORM, make_citizen

    person_user = make_citizen(name="王五", id_number=WALK_IN_ID)
    case = apply.create_draft(clerk, item, on_behalf_of=person_user.person)
    for code in ("id_proof", "premises"):
        apply.attach_material(clerk, case, material_code=code, upload=pdf_upload())
    with django_capture_on_commit_callbacks(execute=True):
        apply.submit(clerk, case, form=dict(GOOD_FORM))
    record = case.workflow.history.get(action="submit_at_window")
    assert record.actor == clerk
    submitted = [row for row in applicant.timeline(case) if row["action"] == "submit_at_window"]
    assert submitted and submitted[0]["by"] == "窗口代办"
    assert Message.objects.filter(recipient=person_user, title="申请已提交").exists()


def test_a_clerk_whose_grant_does_not_cover_the_item_cannot_start_a_window_draft(
    tree, make_staff, item
):
    from django.core.exceptions import PermissionDenied

    from shuzheng.services.cases.models import Case
    from shuzheng.services.cases.services import apply
    from tests.services.conftest import make_citizen

    district_clerk = make_staff(tree.doumen, "window-clerk")  # item belongs to a city body
    person_user = make_citizen(name="王五", id_number=WALK_IN_ID)
    with pytest.raises(PermissionDenied):
        apply.create_draft(district_clerk, item, on_behalf_of=person_user.person)
    assert not Case.objects.exists()
