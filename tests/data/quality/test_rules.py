"""Rule validation with field-level errors, and the optimistic lock on rule edits."""

import pytest
from django.core.exceptions import ValidationError

from shuzheng.data.quality import services
from shuzheng.data.quality.models import QualityRule
from shuzheng.foundation import workflow

pytestmark = pytest.mark.django_db


def errors(dm, **kw) -> dict:
    kw.setdefault("entry", dm.population)
    with pytest.raises(ValidationError) as caught:
        services.create_rule(dm.ga_admin, **kw)
    assert QualityRule.objects.count() == 0  # nothing written
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("kind", "item", "params", "field"),
    [
        ("required", "nope", None, "item_code"),
        ("required", "", None, "item_code"),
        ("bogus", "name", None, "kind"),
        ("pattern", "phone", {"pattern": "1[3-9"}, "params.pattern"),
        ("pattern", "phone", {}, "params.pattern"),
        ("value_set", "sex", {"values": []}, "params.values"),
        ("value_set", "sex", {"values": "1,2"}, "params.values"),
        ("range", "birth_date", {"min": "2000-01-01", "max": "1990-01-01"}, "params.max"),
        ("range", "birth_date", {"min": "12"}, "params.min"),
        ("range", "birth_date", {}, "params.min"),
        ("range", "name", {"min": 1}, "item_code"),
        ("reference", "sex", {"entry": "9/999999", "item": "code"}, "params.entry"),
        ("reference", "sex", {"entry": "", "item": ""}, "params.entry"),
        ("timeliness", "birth_date", {"max_age_days": 0}, "params.max_age_days"),
        ("timeliness", "birth_date", {"max_age_days": "soon"}, "params.max_age_days"),
        ("timeliness", "name", {}, "item_code"),
        ("id_number", "birth_date", None, "item_code"),
        ("required", "name", {"pattern": "x"}, "params"),
    ],
)
def test_bad_rules_are_refused_field_by_field(dm, kind, item, params, field):
    found = errors(dm, kind=kind, item_code=item, params=params)
    assert field in found, found


def test_a_reference_must_name_an_item_of_the_referenced_entry(dm, sex_codes):
    found = errors(
        dm, kind="reference", item_code="sex", params={"entry": sex_codes.code, "item": "nope"}
    )
    assert "params.item" in found


def test_range_bounds_follow_the_item_type(dm, make_entry):
    entry = make_entry(
        dm.gongan,
        dm.ga_admin,
        name="金额",
        items=[
            ("no", "编号", "C", 8, "general_1", "none", False, False, True),
            ("amount", "金额", "N", 10, "general_1", "none", False, False, False),
        ],
    )
    assert "params.min" in errors(
        dm, entry=entry, kind="range", item_code="amount", params={"min": "2024-01-01"}
    )
    made = services.create_rule(
        dm.ga_admin, entry=entry, kind="range", item_code="amount", params={"min": 0, "max": 9.5}
    )
    assert made.params == {"min": 0, "max": 9.5}


def test_timeliness_without_days_needs_a_regular_update_cycle(dm, make_entry):
    irregular = make_entry(dm.gongan, dm.ga_admin, name="不定期", update_cycle="irregular")
    assert "params.max_age_days" in errors(dm, entry=irregular, kind="timeliness")
    made = services.create_rule(dm.ga_admin, entry=dm.population, kind="timeliness")
    assert (made.item_code, made.params) == ("", {})


def test_the_same_rule_twice_is_refused(dm):
    services.create_rule(dm.ga_admin, entry=dm.population, kind="unique", item_code="id_number")
    with pytest.raises(ValidationError) as caught:
        services.create_rule(dm.ga_admin, entry=dm.population, kind="unique", item_code="id_number")
    assert "kind" in caught.value.message_dict


def test_a_draft_entrys_rules_use_its_working_copy(dm, make_entry):
    draft = make_entry(dm.gongan, dm.ga_admin, name="草稿", publish=False)
    made = services.create_rule(dm.ga_admin, entry=draft, kind="required", item_code="name")
    assert made.entry == draft


def test_an_edit_with_a_stale_revision_is_refused(dm):
    made = services.create_rule(
        dm.ga_admin,
        entry=dm.population,
        kind="pattern",
        item_code="phone",
        params={"pattern": r"\d{11}"},
    )
    seen = made.revision
    services.update_rule(dm.ga_admin, made, revision=seen, severity="warning")
    assert made.revision == seen + 1 and made.severity == "warning"
    stale = QualityRule.objects.get(pk=made.pk)
    stale.revision = seen
    with pytest.raises(workflow.Conflict):
        services.update_rule(dm.ga_admin, stale, revision=seen, description="晚到的修改")
    assert QualityRule.objects.get(pk=made.pk).description == ""
    with pytest.raises(ValidationError) as caught:
        services.update_rule(dm.ga_admin, made, revision=made.revision, params={"pattern": "("})
    assert "params.pattern" in caught.value.message_dict
    assert QualityRule.objects.get(pk=made.pk).params == {"pattern": r"\d{11}"}


def test_deleting_a_rule_takes_its_issues(bad_rows, rule):
    from shuzheng.data.quality.models import QualityIssue

    dm = bad_rows
    made = rule("required", "name")
    services.run_check(dm.ga_admin, dm.population)
    assert QualityIssue.objects.filter(rule=made).exists()
    with pytest.raises(workflow.Conflict):
        services.delete_rule(dm.ga_admin, made, revision=made.revision + 5)
    services.delete_rule(dm.ga_admin, made, revision=made.revision)
    assert not QualityRule.objects.filter(pk=made.pk).exists()
    assert not QualityIssue.objects.exists()


@pytest.fixture
def birth_register(dm, make_entry):
    """卫健局's 出生登记 with the mothers' ID numbers: not 公安局's data."""
    from shuzheng.data.catalog import store
    from shuzheng.foundation import access
    from tests.data.conftest import POPULATION_ROWS

    entry = make_entry(
        dm.weijian,
        dm.wj_admin,
        name="出生登记",
        items=[
            ("cert", "出生医学证明编号", "C", 20, "general_3", "none", True, False, True),
            ("mother_id", "母亲身份号码", "C", 18, "general_4", "id_number", True, True, False),
        ],
    )
    store.put_records(
        access.SYSTEM, entry, [{"cert": "Q1", "mother_id": POPULATION_ROWS[1]["id_number"]}]
    )
    return entry


def grant(dm, entry, fields):
    import datetime as dt

    from django.utils import timezone

    from shuzheng.data.sharing.models import Grant

    now = timezone.now()
    return Grant.objects.create(
        number=f"SQ-TEST-{Grant.objects.count() + 1}",
        entry=entry,
        consumer=dm.gongan,
        provider=entry.provider,
        fields=fields,
        purpose="户籍核验",
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
        quota_per_minute=60,
        quota_per_day=1000,
        granted_by=dm.authority,
    )


def test_another_departments_data_is_referenced_only_under_a_grant(dm, birth_register):
    """Otherwise the issues would tell 公安局 which of its people are in 卫健局's data."""
    params = {"entry": birth_register.code, "item": "mother_id"}
    found = errors(dm, kind="reference", item_code="id_number", params=params)
    assert "params.entry" in found
    grant(dm, birth_register, ["cert"])  # a grant without that item is not enough
    assert "params.entry" in errors(dm, kind="reference", item_code="id_number", params=params)
    given = grant(dm, birth_register, ["cert", "mother_id"])
    made = services.create_rule(
        dm.ga_admin, entry=dm.population, kind="reference", item_code="id_number", params=params
    )
    run = services.run_check(dm.ga_admin, dm.population)
    [outcome] = run.by_rule
    assert (outcome["checks"], outcome["failures"], outcome["note"]) == (2, 1, "")
    # the grant is revoked: the rule is no longer checked, and the run says why
    given.status = "revoked"
    given.save(update_fields=["status"])
    run = services.run_check(dm.ga_admin, dm.population)
    [outcome] = run.by_rule
    assert (outcome["checks"], outcome["note"]) == (0, "reference_unavailable")
    assert made.issues.filter(status="open").count() == 1  # not checked: left as it was
