"""数据质量 pages (workbench): the scorecards (the department ranking for the data authority,
the user's own datasets for a provider), a dataset's page (score trend, failures by rule,
its rules with add / edit / enable, the run button, last runs and open problems), one run,
and a department's scorecard. Thin: selectors and services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shuzheng.data.quality import selectors, services
from shuzheng.data.quality.models import IssueStatus, RuleKind
from shuzheng.data.quality.views.common import MANAGE, VIEW, params_text
from shuzheng.foundation.web.views import require

KIND_LABELS = dict(RuleKind.choices)
RUNS_SHOWN = 10
ISSUES_SHOWN = 20


def _trend_chart(card: dict) -> dict:
    return {
        "labels": {"score": _("质量得分")},
        "at": [timezone.localtime(p["at"]).strftime("%m-%d %H:%M") for p in card["trend"]],
        "scores": [float(p["score"]) if p["score"] is not None else None for p in card["trend"]],
    }


@require_GET
@require(VIEW)
def home(request):
    """数据质量: the ranking of departments (when the user sees several) and the datasets
    in scope, lowest scores first."""
    user = request.user
    q = (request.GET.get("q") or "").strip()[:100]
    many = selectors.sees_many_departments(user)
    return render(
        request,
        "dataquality/home.html",
        {
            "ranking": selectors.department_ranking(user) if many else [],
            "many": many,
            "rows": selectors.datasets(user, q=q),
            "q": q,
            "open_issues": selectors.open_issue_count(user),
            "may_manage": selectors.entries(user, MANAGE).exists(),
        },
    )


@require_GET
@require(VIEW)
def entry_page(request, pk: int):
    """One dataset: scorecard, rules, runs, open problems."""
    user = request.user
    entry = selectors.entry(user, pk)
    card = selectors.dataset_scorecard(user, entry)
    rules = [{"rule": r, "params": params_text(r)} for r in selectors.rules(user, entry)]
    return render(
        request,
        "dataquality/entry.html",
        {
            "entry": entry,
            "card": card,
            "chart": _trend_chart(card),
            "rules": rules,
            "runs": selectors.runs(user, entry=entry, limit=RUNS_SHOWN),
            "issues": selectors.issues(user, entry=entry, limit=ISSUES_SHOWN),
            "may_manage": selectors.may(user, entry, MANAGE),
        },
    )


@require_POST
@require(MANAGE)
def run_now(request, pk: int):
    """发起质量检查 now."""
    entry = selectors.entry(request.user, pk)
    try:
        run = services.run_check(request.user, entry)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("dataquality:entry", pk=entry.pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("dataquality:entry", pk=entry.pk)
    new = sum(r.get("new", 0) for r in run.by_rule)
    score = "—" if run.score is None else run.score
    messages.success(
        request,
        _("质量检查完成：检查 %(records)s 条记录，得分 %(score)s，新发现问题 %(new)s 个")
        % {"records": run.records_checked, "score": score, "new": new},
    )
    return redirect("dataquality:run", pk=run.pk)


@require_GET
@require(VIEW)
def run_page(request, pk: int):
    """One run: per-rule checks and failures, and its open problems."""
    user = request.user
    run = selectors.run(user, pk)
    return render(
        request,
        "dataquality/run.html",
        {
            "run": run,
            "entry": run.entry,
            "by_rule": [
                {**row, "kind_label": KIND_LABELS.get(row.get("kind"), row.get("kind"))}
                for row in run.by_rule or []
            ],
            "capped": any(r.get("capped") for r in run.by_rule or []),
            "issues": selectors.issues(user, run=run, status=IssueStatus.OPEN, limit=200),
        },
    )


@require_GET
@require(VIEW)
def department_page(request, pk: int):
    user = request.user
    org = selectors.organisation(user, pk)
    return render(
        request,
        "dataquality/department.html",
        {"card": selectors.department_scorecard(user, org), "organisation": org},
    )


urlpatterns = [
    path("workbench/data/quality/", home, name="home"),
    path("workbench/data/quality/entries/<int:pk>/", entry_page, name="entry"),
    path("workbench/data/quality/entries/<int:pk>/run/", run_now, name="run-now"),
    path("workbench/data/quality/runs/<int:pk>/", run_page, name="run"),
    path("workbench/data/quality/departments/<int:pk>/", department_page, name="department"),
]
