"""The 数据质量 workbench pages: scorecards (ranking for the authority, own datasets for a
provider), the dataset page with its rule editor and run button, the problem list with
resolve; others get 404 / 403."""

import pytest
from django.test import Client
from django.urls import reverse

from shuzheng.data.quality import services
from shuzheng.data.quality.models import IssueStatus, QualityIssue, QualityRule

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_authority_sees_the_ranking_and_a_provider_its_datasets(bad_rows, rule):
    dm = bad_rows
    rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    page = client_for(dm.authority).get(reverse("dataquality:home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dataset-table"' in html and dm.population.name in html
    own = client_for(dm.ga_admin).get(reverse("dataquality:home")).content.decode()
    assert "本部门数据集" in own and dm.population.name in own
    assert 'id="ranking-table"' not in own
    dept = client_for(dm.authority).get(reverse("dataquality:department", args=[dm.gongan.pk]))
    assert dept.status_code == 200 and "75.00" in dept.content.decode()


def test_the_authority_ranking_lists_departments(bad_rows, rule, make_entry):
    dm = bad_rows
    rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    other = make_entry(dm.weijian, dm.wj_admin, name="出生医学证明")
    rule("required", "name", entry=other, actor=dm.wj_admin)
    html = client_for(dm.authority).get(reverse("dataquality:home")).content.decode()
    assert 'id="ranking-table"' in html
    assert dm.gongan.name in html and dm.weijian.name in html
    assert "(75.00)" in html and "75.0000" not in html  # the worst datasets, two places


def test_dataset_page_add_rule_with_errors_then_run(bad_rows):
    dm = bad_rows
    client = client_for(dm.ga_admin)
    page = client.get(reverse("dataquality:entry", args=[dm.population.pk]))
    assert page.status_code == 200 and 'id="run-now"' in page.content.decode()
    new = reverse("dataquality:rule-new", args=[dm.population.pk])
    assert client.get(new).status_code == 200
    bad = client.post(
        new, {"kind": "pattern", "item_code": "phone", "pattern": "1[3-9", "enabled": "on"}
    )
    assert bad.status_code == 400
    assert 'id="f-pattern-error"' in bad.content.decode()
    assert not QualityRule.objects.exists()
    ok = client.post(
        new, {"kind": "value_set", "item_code": "sex", "values": "1\n2", "enabled": "on"}
    )
    assert ok.status_code == 302
    made = QualityRule.objects.get()
    assert made.params == {"values": ["1", "2"]}
    ran = client.post(reverse("dataquality:run-now", args=[dm.population.pk]))
    assert ran.status_code == 302
    run_page = client.get(ran["Location"])
    assert run_page.status_code == 200 and "存储编号" in run_page.content.decode()
    client.post(reverse("dataquality:run-now", args=[dm.population.pk]))
    page = client.get(reverse("dataquality:entry", args=[dm.population.pk])).content.decode()
    assert 'id="chart-trend"' in page and 'id="dataquality-trend-data"' in page


def test_edit_toggle_and_a_stale_form(dm, rule):
    made = rule("required", "name")
    client = client_for(dm.ga_admin)
    edit = reverse("dataquality:rule-edit", args=[made.pk])
    assert client.get(edit).status_code == 200
    saved = client.post(
        edit,
        {
            "kind": "required",
            "item_code": "name",
            "severity": "warning",
            "revision": "1",
            "enabled": "on",
        },
    )
    assert saved.status_code == 302
    stale = client.post(
        edit,
        {
            "kind": "required",
            "item_code": "name",
            "severity": "error",
            "revision": "1",
            "enabled": "on",
        },
    )
    assert stale.status_code == 409
    toggled = client.post(reverse("dataquality:rule-toggle", args=[made.pk]), {"revision": "2"})
    assert toggled.status_code == 302
    made.refresh_from_db()
    assert (made.severity, made.enabled) == ("warning", False)


def test_the_issue_list_and_resolving(bad_rows, rule):
    dm = bad_rows
    rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    issue = QualityIssue.objects.get()
    client = client_for(dm.ga_admin)
    page = client.get(reverse("dataquality:issues"), {"entry": dm.population.pk})
    assert page.status_code == 200 and issue.message in page.content.decode()
    done = client.post(
        reverse("dataquality:issue-resolve", args=[issue.pk]),
        {"status": "fixed", "resolution": "已补录", "next": "https://evil.example/"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("dataquality:issues")
    issue.refresh_from_db()
    assert issue.status == IssueStatus.FIXED


def test_others_are_kept_out(bad_rows, rule):
    dm = bad_rows
    made = rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    issue = QualityIssue.objects.get()
    other = client_for(dm.wj_admin)
    assert other.get(reverse("dataquality:entry", args=[dm.population.pk])).status_code == 404
    assert other.post(reverse("dataquality:run-now", args=[dm.population.pk])).status_code == 404
    assert other.get(reverse("dataquality:rule-edit", args=[made.pk])).status_code == 404
    assert (
        other.post(
            reverse("dataquality:issue-resolve", args=[issue.pk]), {"status": "fixed"}
        ).status_code
        == 404
    )
    assert client_for(dm.outsider).get(reverse("dataquality:home")).status_code == 403
    issue.refresh_from_db()
    assert issue.status == IssueStatus.OPEN


def test_the_menu_shows_quality_to_data_admins(dm):
    html = client_for(dm.ga_admin).get(reverse("dataquality:home")).content.decode()
    assert reverse("dataquality:issues") in html


def test_the_rule_form_sets_the_document_type_of_an_id_number_rule(dm):
    client = client_for(dm.ga_admin)
    new = reverse("dataquality:rule-new", args=[dm.population.pk])
    assert 'name="id_type"' in client.get(new).content.decode()
    bad = client.post(new, {"kind": "id_number", "item_code": "id_number", "id_type": "passport"})
    assert bad.status_code == 400 and 'id="f-id-type-error"' in bad.content.decode()
    ok = client.post(new, {"kind": "id_number", "item_code": "id_number", "id_type": "uscc"})
    assert ok.status_code == 302
    assert QualityRule.objects.get().params == {"type": "uscc"}
