"""Data quality's event wiring (QualityConfig.ready → ``register()``, idempotent): the
notification of new problems to the owning department (``notifications``).

Events data quality publishes (payloads: identifiers, codes and counts only):

* ``data.quality.checked`` {"entry", "run", "owner", "score", "checks", "failures",
  "new_issues", "open_issues", "fixed_issues", "scheduled"} — after every run;
* ``data.quality.issues_found`` (same payload) — when the run raised new issues;
* ``data.quality.rule_created`` / ``rule_updated`` / ``rule_deleted`` {"rule", "entry", …};
* ``data.quality.issue_resolved`` {"issue", "entry", "status"}.
"""

from __future__ import annotations


def register() -> None:
    from shuzheng.data.quality import notifications

    notifications.register()
