"""The checker: every rule kind catches its bad rows and passes the good ones; the score
arithmetic; messages that never quote a value; the cap on stored issues."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shuzheng.data.catalog import store
from shuzheng.data.quality import services
from shuzheng.data.quality.models import QualityIssue
from shuzheng.foundation import access
from tests.data.quality.conftest import BAD_ROWS, GOOD_ROWS, failing_rows, result_for

pytestmark = pytest.mark.django_db


def test_each_rule_kind_catches_its_bad_rows_and_passes_the_good_ones(bad_rows, sex_codes, rule):
    dm = bad_rows
    rules = {
        "required": rule("required", "name"),
        "pattern": rule("pattern", "phone", {"pattern": r"1[3-9]\d{9}"}),
        "value_set": rule("value_set", "sex", {"values": ["1", "2"]}),
        "range": rule("range", "birth_date", {"min": "1900-01-01", "max": "2025-12-31"}),
        "unique": rule("unique", "id_number"),
        "reference": rule("reference", "sex", {"entry": sex_codes.code, "item": "code"}),
        "id_number": rule("id_number", "id_number"),
    }
    run = services.run_check(dm.ga_admin, dm.population)
    assert run.records_checked == 4
    expected = {
        "required": [3],
        "pattern": [3],
        "value_set": [3],
        "range": [3, 4],  # above the upper bound; not a date
        "unique": [4],  # the second record with row 1's number, not row 1 itself
        "reference": [3],
        "id_number": [3],  # check digit; row 4 is a valid number (only a duplicate)
    }
    for kind, made in rules.items():
        assert failing_rows(run, made) == expected[kind], kind
        assert result_for(run, made)["failures"] == len(expected[kind]), kind
    # every per-record rule checked the four records (all values are filled)
    assert {result_for(run, r)["checks"] for r in rules.values()} == {4}


def test_empty_values_are_only_the_required_rules_business(dm, rule):
    store.put_records(access.SYSTEM, dm.population, [{"id_number": "440402199001011236"}])
    pattern = rule("pattern", "phone", {"pattern": r"1\d{10}"})
    required = rule("required", "phone")
    run = services.run_check(dm.ga_admin, dm.population)
    assert (result_for(run, pattern)["checks"], result_for(run, pattern)["failures"]) == (2, 0)
    assert (result_for(run, required)["checks"], result_for(run, required)["failures"]) == (3, 1)


def test_range_on_numbers_and_timeliness_on_a_date_item(dm, make_entry, rule):
    entry = make_entry(
        dm.gongan,
        dm.ga_admin,
        name="证照发放",
        items=[
            ("licence", "证照编号", "C", 20, "general_1", "none", False, False, True),
            ("fee", "工本费", "Y", 10, "general_1", "none", False, False, False),
            ("issued_on", "发证日期", "D", 10, "general_1", "none", False, False, False),
        ],
    )
    today = timezone.localdate()
    store.put_records(
        access.SYSTEM,
        entry,
        [
            {"licence": "A1", "fee": "10", "issued_on": today.isoformat()},
            {
                "licence": "A2",
                "fee": "-1",
                "issued_on": (today - dt.timedelta(days=40)).isoformat(),
            },
            {"licence": "A3", "fee": "abc", "issued_on": "yesterday"},
        ],
    )
    fee = rule("range", "fee", {"min": 0, "max": "100.5"}, entry=entry)
    fresh = rule("timeliness", "issued_on", {"max_age_days": 30}, entry=entry)
    run = services.run_check(dm.ga_admin, entry)
    assert failing_rows(run, fee) == [2, 3]
    assert failing_rows(run, fresh) == [2, 3]
    messages = list(QualityIssue.objects.filter(rule=fee).values_list("message", flat=True))
    assert any("小于下限 0" in m for m in messages)
    assert any("不是有效的数值" in m for m in messages)


def test_entry_level_timeliness_follows_the_update_cycle(dm, rule):
    stale = rule("timeliness")  # no item: the entry's data_updated_at against 每日
    run = services.run_check(dm.ga_admin, dm.population)
    assert (result_for(run, stale)["checks"], result_for(run, stale)["failures"]) == (1, 0)
    later = timezone.now() + dt.timedelta(days=3)
    run = services.run_check(dm.ga_admin, dm.population, now=later)
    assert result_for(run, stale)["failures"] == 1
    issue = QualityIssue.objects.get(rule=stale, status="open")
    assert issue.record_id is None
    assert "已超过 1 天未更新" in issue.message


def test_the_score_weighs_errors_1_and_warnings_half(dm, rule):
    rule("required", "name")  # 2 checks, 0 failures
    rule("value_set", "sex", {"values": ["1"]}, severity="warning")  # row 2 fails: 0.5
    run = services.run_check(dm.ga_admin, dm.population)
    assert (run.checks, run.failures) == (4, 1)
    assert run.score == Decimal("87.50")  # 100 × (1 − 0.5 / 4)
    rule("pattern", "phone", {"pattern": r"138\d{8}"})  # row 2 fails: 1
    run = services.run_check(dm.ga_admin, dm.population)
    assert (run.checks, run.failures) == (6, 2)
    assert run.score == Decimal("75.00")  # 100 × (1 − 1.5 / 6)


def test_an_entry_without_rows_has_no_score(dm, make_entry, rule):
    empty = make_entry(dm.gongan, dm.ga_admin, name="空目录")
    rule("required", "name", entry=empty)
    run = services.run_check(dm.ga_admin, empty)
    assert (run.records_checked, run.checks, run.score) == (0, 0, None)


def test_issue_messages_name_the_record_never_the_value(bad_rows, sex_codes, rule):
    dm = bad_rows
    for kind, item, params in (
        ("id_number", "id_number", None),
        ("unique", "id_number", None),
        ("pattern", "name", {"pattern": r"[a-z]+"}),
        ("value_set", "phone", {"values": ["0"]}),
        ("reference", "name", {"entry": sex_codes.code, "item": "code"}),
    ):
        rule(kind, item, params)
    run = services.run_check(dm.ga_admin, dm.population)
    messages = list(QualityIssue.objects.filter(run=run).values_list("message", flat=True))
    assert len(messages) >= 10
    secrets = set()
    for row in GOOD_ROWS + BAD_ROWS:
        secrets |= {row["id_number"], row["phone"], row["id_number"][6:14]}
        if row["name"]:
            secrets.add(row["name"])
    for message in messages:
        assert message.startswith("第 ")
        assert "存储编号" in message
        for secret in secrets:
            assert secret not in message, message
    checksum = QualityIssue.objects.get(run=run, rule__kind="id_number")
    record_id = checksum.record_id
    assert checksum.message == f"第 3 条记录（存储编号 {record_id}）公民身份号码 校验位错误"


def test_issues_are_capped_per_rule_and_the_run_says_so(dm, rule, settings):
    settings.DATA_QUALITY_MAX_ISSUES_PER_RULE = 3
    rows = [{"id_number": f"44040219900101{n:04d}", "name": ""} for n in range(5)]
    store.put_records(access.SYSTEM, dm.population, rows)
    required = rule("required", "name")
    run = services.run_check(dm.ga_admin, dm.population)
    outcome = result_for(run, required)
    assert (outcome["failures"], outcome["new"], outcome["open"]) == (5, 3, 3)
    assert outcome["capped"] is True and outcome["not_stored"] == 2
    assert QualityIssue.objects.filter(rule=required).count() == 3
    again = services.run_check(dm.ga_admin, dm.population)
    outcome = result_for(again, required)
    assert (outcome["new"], outcome["open"], outcome["capped"]) == (0, 3, True)
    assert QualityIssue.objects.filter(rule=required).count() == 3


def test_a_disabled_rule_is_not_checked_and_no_rules_is_refused(dm, rule):
    from django.core.exceptions import ValidationError

    made = rule("required", "name", enabled=False)
    with pytest.raises(ValidationError) as caught:
        services.run_check(dm.ga_admin, dm.population)
    assert "rules" in caught.value.message_dict
    services.set_rule_enabled(dm.ga_admin, made, enabled=True, revision=made.revision)
    run = services.run_check(dm.ga_admin, dm.population)
    assert [r["rule"] for r in run.by_rule] == [made.pk]


def test_the_id_number_rule_checks_uscc_check_characters_when_asked(dm, make_entry, rule):
    entry = make_entry(
        dm.gongan,
        dm.ga_admin,
        name="法人基础信息",
        items=[("uscc", "统一社会信用代码", "C", 18, "general_1", "none", False, False, True)],
    )
    store.put_records(
        access.SYSTEM,
        entry,
        [{"uscc": "91440400MA4UJ0KX5R"}, {"uscc": "91440400MA4UJ0KX5A"}],
    )
    checked = rule("id_number", "uscc", {"type": "uscc"}, entry=entry)
    assert checked.params == {"type": "uscc"}
    run = services.run_check(dm.ga_admin, entry)
    assert failing_rows(run, checked) == [2]


def test_the_id_number_rule_refuses_an_unknown_document_type(dm, rule):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        rule("id_number", "id_number", {"type": "passport"})
    assert "params.type" in caught.value.message_dict
