"""The workbench: queues hold exactly their states, page by key without gaps or repeats, and
show another department's cases to nobody; the case page offers only the acts the user may
take, refuses bad input and a stale page without changing anything."""

import datetime as dt

import pytest
from django.http import Http404

from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.services.cases.models import Case
from shuzheng.services.cases.selectors import workbench
from shuzheng.services.cases.services import handle
from tests.services.cases.test_handle import FrozenClock, Staff, at, fresh, history, reach

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, make_staff):
    return Staff(tree, make_staff)


@pytest.fixture
def item(tree, item_factory):
    return item_factory(tree.zwfw, promised_limit=5, legal_limit=15)


@pytest.fixture
def clock(monkeypatch):
    return FrozenClock(monkeypatch)


def numbers(cases):
    return [c.number for c in cases]


def signed_in(client, user):
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- selectors


def test_each_queue_holds_exactly_its_states_newest_first(
    staff, item, citizen, case_factory, clock
):
    submitted = [case_factory(item, citizen, state="submitted") for _ in range(2)]
    accepted = reach(case_factory(item, citizen, state="submitted"), staff, clock, "accepted")
    review = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    approved = reach(case_factory(item, citizen, state="submitted"), staff, clock, "approved")
    concluded = reach(case_factory(item, citizen, state="submitted"), staff, clock, "concluded")
    case_factory(item, citizen, state="draft")  # the applicant's own, never on the workbench
    user = staff.head
    assert numbers(workbench.queue(user, "to_accept")) == numbers(reversed(submitted))
    assert numbers(workbench.queue(user, "to_review")) == [review.number, accepted.number]
    assert numbers(workbench.queue(user, "to_conclude")) == [approved.number]
    assert numbers(workbench.queue(user, "to_deliver")) == [concluded.number]
    assert len(workbench.queue(user, "all")) == 6
    counts = workbench.queue_counts(user)
    assert counts["to_accept"] == 2 and counts["to_review"] == 2 and counts["to_conclude"] == 1


def test_deadline_queues_follow_the_running_clock(staff, item, citizen, case_factory, clock):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    due = fresh(case).due_at  # 2026-10-12 18:00
    user = staff.handler
    assert workbench.queue(user, "approaching", now=due - dt.timedelta(days=3)) == []
    assert numbers(workbench.queue(user, "approaching", now=due - dt.timedelta(hours=2))) == [
        case.number
    ]
    assert numbers(workbench.queue(user, "overdue", now=due + dt.timedelta(minutes=1))) == [
        case.number
    ]
    clock.set(at(9, 30))
    handle.start_special(staff.handler, case, kind="hearing", reason="听证")
    # a paused clock is neither approaching nor overdue
    assert workbench.queue(user, "overdue", now=due + dt.timedelta(days=1)) == []


def test_keyset_pages_walk_the_queue_without_gaps_or_repeats(staff, item, citizen, case_factory):
    made = [case_factory(item, citizen, state="submitted") for _ in range(5)]
    seen, after = [], None
    while True:
        page = workbench.queue(staff.clerk, "to_accept", after=after, limit=2)
        if not page:
            break
        seen += numbers(page)
        after = page[-1].pk
    assert seen == numbers(sorted(made, key=lambda c: -c.pk))


def test_filters_narrow_to_an_item_and_an_organisation_subtree(
    tree, staff, make_staff, item_factory, citizen, case_factory
):
    city_head = make_staff(tree.city, "department-head", on=tree.city)
    mine = case_factory(item_factory(tree.zwfw), citizen, state="submitted")
    other = case_factory(item_factory(tree.jingan), citizen, state="submitted")
    assert numbers(workbench.queue(city_head, "all", item=other.item)) == [other.number]
    assert numbers(workbench.queue(city_head, "all", organisation=tree.doumen)) == [other.number]
    assert numbers(workbench.queue(city_head, "all", organisation=tree.zwfw.pk)) == [mine.number]


def test_another_departments_clerk_sees_nothing_through_queue_or_detail(
    staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    assert workbench.queue(staff.elsewhere, "all") == []
    assert workbench.queue_counts(staff.elsewhere)["to_accept"] == 0
    with pytest.raises(Http404):
        workbench.case_for_staff(staff.elsewhere, case.number)
    assert workbench.case_for_staff(staff.clerk, case.number) == case


def test_the_queue_is_a_fixed_number_of_queries_however_many_rows(
    staff, item, citizen, case_factory, django_assert_max_num_queries
):
    for _ in range(6):
        case_factory(item, citizen, state="submitted")
    # the user's grants and agencies, their organisations, the page's keys, the page
    with django_assert_max_num_queries(5):
        page = workbench.queue(staff.head, "to_accept")
        [(c.item_version.name, c.organisation.name) for c in page]


# --------------------------------------------------------------------------- pages


def test_the_queue_page_shows_tabs_masked_applicants_and_a_next_page(
    client, staff, item, citizen, case_factory, monkeypatch
):
    from shuzheng.services.cases.views import workbench as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [case_factory(item, citizen, state="submitted") for _ in range(3)]
    page = signed_in(client, staff.clerk).get("/workbench/cases/?queue=to_accept")
    assert page.status_code == 200
    html = page.content.decode()
    assert made[2].number in html and made[1].number in html and made[0].number not in html
    assert "张*" in html and "张三" not in html
    assert 'id="tab-to_accept"' in html and f"?queue=to_accept&amp;after={made[1].pk}" in html
    second = client.get(f"/workbench/cases/?queue=to_accept&after={made[1].pk}")
    assert made[0].number in second.content.decode()


def test_pages_refuse_citizens_and_hide_other_departments_cases(
    client, staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    assert signed_in(client, citizen).get("/workbench/cases/").status_code == 403
    client.logout()
    signed_in(client, staff.elsewhere)
    assert client.get(f"/workbench/cases/{case.number}/").status_code == 404
    assert client.post(f"/workbench/cases/{case.number}/actions/accept/", {}).status_code == 404
    assert fresh(case).state == "submitted"


def test_the_case_page_offers_only_the_acts_the_user_may_take(
    client, staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    html = signed_in(client, staff.clerk).get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'id="action-accept"' in html and 'id="action-reject"' in html
    assert 'id="action-request_correction"' in html and 'id="action-approve"' not in html
    assert "440402********1236" in html and "440402199001011236" not in html
    assert "经营者名称" in html and "张三便利店" in html  # the form with its schema titles
    client.logout()
    html = signed_in(client, staff.handler).get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'id="action-accept"' not in html and "没有可执行的办理操作" in html


def test_accepting_on_the_page_moves_the_case_and_shows_the_history(
    client, staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    signed_in(client, staff.clerk)
    response = client.post(
        f"/workbench/cases/{case.number}/actions/accept/",
        {"opinion": "材料齐全，予以受理", "revision": case.workflow.revision},
    )
    assert response.status_code == 302
    assert fresh(case).state == "accepted"
    html = client.get(response["Location"]).content.decode()
    assert "已办理：受理" in html and "材料齐全，予以受理" in html
    assert fresh(case).acceptance_doc_no in html


def test_a_page_posted_after_someone_else_acted_changes_nothing(
    client, staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    seen = case.workflow.revision
    handle.request_correction(staff.clerk, Case.objects.get(pk=case.pk), reasons=["补照片"])
    before = history(case)
    signed_in(client, staff.clerk)
    response = client.post(
        f"/workbench/cases/{case.number}/actions/reject/",
        {"reason": "不符合条件", "revision": seen},
        follow=True,
    )
    assert "该办件已被他人处理，请刷新后重试" in response.content.decode()
    assert fresh(case).state == "correction" and history(case) == before


def test_a_rejection_without_reason_is_shown_at_the_field_and_writes_nothing(
    client, staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    signed_in(client, staff.clerk)
    response = client.post(
        f"/workbench/cases/{case.number}/actions/reject/",
        {"reason": " ", "revision": case.workflow.revision},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "不予受理须写明理由" in html and "is-invalid" in html
    assert fresh(case).state == "submitted" and history(case) == ["start", "submit"]


def test_bulk_sign_for_review_on_the_page(client, staff, item, citizen, case_factory, clock):
    ready = [
        reach(case_factory(item, citizen, state="submitted"), staff, clock, "accepted")
        for _ in range(2)
    ]
    waiting = case_factory(item, citizen, state="submitted")
    signed_in(client, staff.handler)
    response = client.post(
        "/workbench/cases/bulk/",
        {
            "action": "start_review",
            "numbers": [*numbers(ready), waiting.number, "NOPE"],
            "next": "/workbench/cases/?queue=to_review",
        },
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/workbench/cases/?queue=to_review"
    assert "已办理 2 件" in html and "NOPE：找不到该办件" in html
    assert [fresh(c).state for c in ready] == ["review", "review"]
    assert fresh(waiting).state == "submitted"
    bad = client.post(
        "/workbench/cases/bulk/", {"action": "approve", "numbers": numbers(ready)}, follow=True
    )
    assert "不能批量办理" in bad.content.decode()


def test_materials_download_for_the_department_only(client, staff, item, citizen, case_factory):
    case = case_factory(item, citizen, state="submitted")
    supplied = case.materials.first()
    url = f"/workbench/cases/{case.number}/materials/{supplied.pk}/"
    response = signed_in(client, staff.handler).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert signed_in(client, staff.elsewhere).get(url).status_code == 404


def test_the_full_id_number_is_revealed_only_with_a_reason_and_on_the_record(
    client, staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    page = signed_in(client, staff.clerk).get(f"/workbench/cases/{case.number}/")
    assert 'id="reveal-form"' in page.content.decode()
    response = client.post(f"/workbench/cases/{case.number}/reveal/", {"reason": "核对身份"})
    assert "440402199001011236" in response.content.decode()
    assert AuditRecord.objects.filter(action="cases.case.reveal", result="success").exists()
    client.logout()
    page = signed_in(client, staff.handler).get(f"/workbench/cases/{case.number}/")
    assert 'id="reveal-form"' not in page.content.decode()  # a handler may not reveal


def test_the_admin_shows_cases_read_only_and_without_personal_data(
    client, tree, make_staff, item, citizen, case_factory
):
    case = case_factory(item, citizen, state="submitted")
    sysadmin = make_staff(tree.city, "system-admin")
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    listing = client.get("/admin/cases/case/?state__exact=submitted")
    assert listing.status_code == 200 and case.number in listing.content.decode()
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert case.number in page and "440402199001011236" not in page
    assert client.get("/admin/cases/case/add/").status_code == 403


def test_the_head_decides_on_the_page_and_a_missing_legal_basis_is_shown_at_the_field(
    client, staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "last_step")
    signed_in(client, staff.head)
    html = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'id="action-approve"' in html and 'id="action-deny"' in html
    assert "《促进个体工商户发展条例》第八条" in html  # the version's basis, offered to edit
    url = f"/workbench/cases/{case.number}/actions/approve/"
    revision = fresh(case).workflow.revision
    refused = client.post(url, {"opinion": "同意", "legal_basis": "", "revision": revision})
    assert refused.status_code == 400
    assert "作出决定须写明法律依据" in refused.content.decode()
    assert fresh(case).state == "review"
    client.post(url, {"opinion": "同意", "legal_basis": "第八条", "revision": revision})
    assert fresh(case).state == "approved" and fresh(case).decision_basis == "第八条"


def test_a_special_procedure_is_shown_with_the_paused_clock(
    client, staff, item, citizen, case_factory, clock
):
    case = reach(case_factory(item, citizen, state="submitted"), staff, clock, "review")
    handle.start_special(staff.handler, case, kind="hearing", reason="涉及重大公共利益")
    html = signed_in(client, staff.handler).get(f"/workbench/cases/{case.number}/")
    text = html.content.decode()
    assert "听证" in text and "涉及重大公共利益" in text and "计时暂停" in text
    assert 'id="action-end_special"' in text
