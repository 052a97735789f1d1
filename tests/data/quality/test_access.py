"""Who may: the provider's data administrator keeps rules and runs checks; the data
authority (on the city) sees and runs any; another department's data administrator and
an outsider neither see nor run."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shuzheng.data.quality import selectors, services
from shuzheng.data.quality.models import QualityIssue, QualityRule, QualityRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(bad_rows, rule):
    dm = bad_rows
    rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    return dm


@pytest.mark.parametrize("who", ["wj_admin", "outsider", "wj_user"])
def test_others_cannot_write_rules_or_run_checks(checked, who):
    dm = checked
    user = getattr(dm, who)
    with pytest.raises(PermissionDenied):
        services.create_rule(user, entry=dm.population, kind="unique", item_code="id_number")
    with pytest.raises(PermissionDenied):
        services.run_check(user, dm.population)
    rule = QualityRule.objects.get()
    with pytest.raises(PermissionDenied):
        services.update_rule(user, rule, revision=rule.revision, severity="warning")
    issue = QualityIssue.objects.get()
    with pytest.raises(PermissionDenied):
        services.resolve_issue(user, issue, status="fixed")
    assert QualityRun.objects.count() == 1 and QualityRule.objects.count() == 1


@pytest.mark.parametrize("who", ["wj_admin", "outsider", "wj_user"])
def test_others_see_nothing(checked, who):
    dm = checked
    user = getattr(dm, who)
    with pytest.raises(Http404):
        selectors.entry(user, dm.population.pk)
    assert selectors.runs(user) == []
    assert selectors.issues(user) == []
    assert not selectors.rules(user).exists()
    assert dm.population.pk not in {e.pk for e in selectors.datasets(user)}
    assert selectors.department_ranking(user) == []


def test_the_authority_sees_and_runs_city_wide(checked):
    dm = checked
    assert selectors.entry(dm.authority, dm.population.pk) == dm.population
    run = services.run_check(dm.authority, dm.population)
    assert run.triggered_by == dm.authority
    assert len(selectors.issues(dm.authority)) == 1
    ranking = selectors.department_ranking(dm.authority)
    assert [c["organisation"] for c in ranking] == [dm.gongan]


def test_the_provider_sees_its_own(checked):
    dm = checked
    card = selectors.dataset_scorecard(dm.ga_admin, dm.population)
    assert card["open_issues"] == 1 and card["rules"] == 1
    assert [r["failures"] for r in card["by_rule"]] == [1]
