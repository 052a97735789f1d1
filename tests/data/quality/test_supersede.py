"""A new run supersedes the last one's issues per (rule, record): still failing → the same
open issue, relinked; passing now (or gone) → 已整改 by the run; 不属问题 → not raised again;
marked 已整改 by hand but still failing → raised again."""

import pytest

from shuzheng.data.catalog import store
from shuzheng.data.quality import services
from shuzheng.data.quality.models import IssueStatus, QualityIssue
from shuzheng.foundation import access, workflow
from tests.data.quality.conftest import GOOD_ROWS, result_for

pytestmark = pytest.mark.django_db


def open_issues(rule):
    return list(QualityIssue.objects.filter(rule=rule, status=IssueStatus.OPEN).order_by("pk"))


def test_a_record_still_failing_keeps_its_issue_linked_to_the_new_run(bad_rows, rule):
    dm = bad_rows
    required = rule("required", "name")
    first = services.run_check(dm.ga_admin, dm.population)
    [issue] = open_issues(required)
    assert issue.run_id == first.pk
    second = services.run_check(dm.ga_admin, dm.population)
    [again] = open_issues(required)
    assert again.pk == issue.pk and again.run_id == second.pk
    assert again.created_at == issue.created_at  # first found, not re-found
    outcome = result_for(second, required)
    assert (outcome["new"], outcome["open"], outcome["fixed"]) == (0, 1, 0)


def test_records_that_pass_now_or_are_gone_close_their_issues(bad_rows, rule):
    dm = bad_rows
    required = rule("required", "name")
    values = rule("value_set", "sex", {"values": ["1", "2"]})
    services.run_check(dm.ga_admin, dm.population)
    assert len(open_issues(required)) == len(open_issues(values)) == 1
    # the owner reloads corrected data: the failing records are replaced by clean ones
    store.put_records(access.SYSTEM, dm.population, GOOD_ROWS, replace=True)
    run = services.run_check(dm.ga_admin, dm.population)
    assert open_issues(required) == open_issues(values) == []
    fixed = QualityIssue.objects.get(rule=required)
    assert fixed.status == IssueStatus.FIXED and "复查通过" in fixed.resolution
    assert result_for(run, required)["fixed"] == 1
    assert run.score == 100


def test_a_dismissed_problem_is_not_raised_again(bad_rows, rule):
    dm = bad_rows
    values = rule("value_set", "sex", {"values": ["1", "2"]})
    services.run_check(dm.ga_admin, dm.population)
    [issue] = open_issues(values)
    services.resolve_issue(dm.ga_admin, issue, status="dismissed", resolution="9 表示未说明的性别")
    run = services.run_check(dm.ga_admin, dm.population)
    assert open_issues(values) == []
    assert result_for(run, values)["failures"] == 1  # still counted in the score
    assert result_for(run, values)["new"] == 0


def test_a_problem_marked_fixed_by_hand_but_still_failing_comes_back(bad_rows, rule):
    dm = bad_rows
    required = rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    [issue] = open_issues(required)
    services.resolve_issue(dm.ga_admin, issue, status="fixed", resolution="已补录")
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_by) == (IssueStatus.FIXED, dm.ga_admin)
    services.run_check(dm.ga_admin, dm.population)
    [back] = open_issues(required)
    assert back.pk != issue.pk and back.record_id == issue.record_id


def test_resolving_needs_a_reason_to_dismiss_and_an_open_issue(bad_rows, rule):
    from django.core.exceptions import ValidationError

    dm = bad_rows
    required = rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    [issue] = open_issues(required)
    with pytest.raises(ValidationError) as caught:
        services.resolve_issue(dm.ga_admin, issue, status="dismissed", resolution=" ")
    assert "resolution" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.resolve_issue(dm.ga_admin, issue, status="open", resolution="x")
    assert "status" in caught.value.message_dict
    services.resolve_issue(dm.ga_admin, issue, status="fixed", resolution="")
    with pytest.raises(workflow.Conflict):
        services.resolve_issue(dm.ga_admin, issue, status="dismissed", resolution="重复处理")
