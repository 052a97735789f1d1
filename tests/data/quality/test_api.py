"""The API under /api/v1/data/quality/: rules CRUD with field errors (400 problem+json) and
the optimistic lock (409), running a check, runs, issues and resolving, scorecards; out of
scope is 404, visible but not allowed 403."""

import pytest

from shuzheng.data.quality import services
from shuzheng.data.quality.models import QualityIssue, QualityRule, QualityRun
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
BASE = "/api/v1/data/quality"


def rules_url(entry) -> str:
    return f"{BASE}/entries/{entry.pk}/rules/"


def test_rules_crud_with_revision(dm):
    client = api_as(dm.ga_admin)
    made = client.post(
        rules_url(dm.population),
        {"kind": "pattern", "item_code": "phone", "params": {"pattern": r"1\d{10}"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["revision"] == 1 and made["ETag"] == '"1"'
    replay = client.post(
        rules_url(dm.population),
        {"kind": "pattern", "item_code": "phone", "params": {"pattern": r"1\d{10}"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert replay.status_code == 201 and QualityRule.objects.count() == 1
    url = f"{BASE}/rules/{body['id']}/"
    listed = client.get(rules_url(dm.population)).json()
    assert [r["id"] for r in listed] == [body["id"]]
    changed = client.patch(url, {"severity": "warning"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["revision"] == 2
    stale = client.patch(url, {"description": "迟到"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    off = client.patch(url, {"enabled": False, "revision": 2}, format="json")
    assert off.status_code == 200 and off.json()["enabled"] is False
    gone = client.delete(url, HTTP_IF_MATCH='"3"')
    assert gone.status_code == 204 and not QualityRule.objects.exists()


def test_bad_params_answer_400_with_field_errors(dm):
    client = api_as(dm.ga_admin)
    response = client.post(
        rules_url(dm.population),
        {"kind": "range", "item_code": "birth_date", "params": {"min": "2020-01-01", "max": "x"}},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"params.max"}
    response = client.post(
        rules_url(dm.population),
        {"kind": "pattern", "item_code": "nope", "params": {"pattern": "(["}},
        format="json",
    )
    assert {e["field"] for e in response.json()["errors"]} == {"item_code", "params.pattern"}
    response = client.post(rules_url(dm.population), {"kind": "magic"}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"kind"}
    assert not QualityRule.objects.exists()


def test_run_a_check_list_runs_and_resolve_issues(bad_rows, rule):
    dm = bad_rows
    rule("required", "name")
    client = api_as(dm.ga_admin)
    made = client.post(f"{BASE}/entries/{dm.population.pk}/runs/")
    assert made.status_code == 201, made.json()
    run = made.json()
    assert run["records_checked"] == 4 and run["by_rule"][0]["failures"] == 1
    assert run["scheduled"] is False
    runs = client.get(f"{BASE}/runs/", {"entry": dm.population.pk}).json()
    assert [r["id"] for r in runs["results"]] == [run["id"]]
    assert client.get(f"{BASE}/runs/{run['id']}/").status_code == 200
    issues = client.get(f"{BASE}/issues/", {"entry": dm.population.pk}).json()["results"]
    assert len(issues) == 1 and "存储编号" in issues[0]["message"]
    url = f"{BASE}/issues/{issues[0]['id']}/resolve/"
    refused = client.post(url, {"status": "dismissed"}, format="json")
    assert refused.status_code == 400
    assert {e["field"] for e in refused.json()["errors"]} == {"resolution"}
    done = client.post(url, {"status": "fixed", "resolution": "已补录姓名"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "fixed"
    again = client.post(url, {"status": "fixed"}, format="json")
    assert again.status_code == 409
    assert client.get(f"{BASE}/issues/").json()["results"] == []
    assert len(client.get(f"{BASE}/issues/", {"status": "all"}).json()["results"]) == 1
    assert client.get(f"{BASE}/issues/", {"status": "nope"}).status_code == 400


def test_scorecards(bad_rows, rule):
    dm = bad_rows
    rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    services.run_check(dm.ga_admin, dm.population)
    client = api_as(dm.authority)
    card = client.get(f"{BASE}/entries/{dm.population.pk}/").json()
    assert card["score"] == "75.00" and len(card["trend"]) == 2
    assert card["open_issues"] == 1 and card["by_rule"][0]["rate"] == "25.00"
    datasets = client.get(f"{BASE}/entries/", {"checked": "true"}).json()
    assert [d["id"] for d in datasets] == [dm.population.pk]
    assert datasets[0]["latest_score"] == "75.00"
    ranking = client.get(f"{BASE}/departments/").json()
    assert ranking[0]["organisation"]["id"] == dm.gongan.pk and ranking[0]["average"] == "75.00"
    assert ranking[0]["rank"] == 1
    one = client.get(f"{BASE}/departments/{dm.gongan.pk}/").json()
    assert one["open_issues"] == 1 and [r["id"] for r in one["rows"]] == [dm.population.pk]


def test_out_of_scope_is_404_and_no_right_is_403(bad_rows, rule, make_staff):
    dm = bad_rows
    rule("required", "name")
    run = services.run_check(dm.ga_admin, dm.population)
    issue = QualityIssue.objects.get()
    other = api_as(dm.wj_admin)
    assert other.get(f"{BASE}/entries/{dm.population.pk}/").status_code == 404
    assert other.post(f"{BASE}/entries/{dm.population.pk}/runs/").status_code == 404
    assert other.get(f"{BASE}/runs/{run.pk}/").status_code == 404
    assert (
        other.post(
            f"{BASE}/issues/{issue.pk}/resolve/", {"status": "fixed"}, format="json"
        ).status_code
        == 404
    )
    assert other.get(f"{BASE}/departments/{dm.gongan.pk}/").status_code == 404
    assert api_as(dm.outsider).get(f"{BASE}/issues/").json()["results"] == []
    head = make_staff(dm.gongan, "department-head", name="公安局长")  # view, not manage
    viewer = api_as(head)
    assert viewer.get(f"{BASE}/entries/{dm.population.pk}/").status_code == 200
    assert viewer.post(f"{BASE}/entries/{dm.population.pk}/runs/").status_code == 403
    assert QualityRun.objects.count() == 1
    assert api_as(dm.authority).post(f"{BASE}/entries/{dm.population.pk}/runs/").status_code == 201


def test_the_endpoints_are_in_the_openapi_document_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    mine = [w for w in GENERATOR_STATS._warn_cache if "data/quality" in w]
    assert not mine, mine
    for url in (
        "/api/v1/data/quality/entries/{entry}/rules/",
        "/api/v1/data/quality/rules/{id}/",
        "/api/v1/data/quality/entries/{entry}/runs/",
        "/api/v1/data/quality/issues/{id}/resolve/",
        "/api/v1/data/quality/departments/",
    ):
        assert url in paths, sorted(p for p in paths if "quality" in p)
