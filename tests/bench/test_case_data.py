"""The benchmark's case generator makes the mix it promises, rows the application can read."""

import sys
from pathlib import Path

import pytest
from django.db.models import Count

from shuzheng.services.cases.models import FINAL_STATES, Case
from tests.conftest import made_once

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import case_data  # noqa: E402  (bench/ is not a package)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker, tmp_path_factory):
    """Generated once for the module (rolled back after it; each test runs in a savepoint)."""
    yield from made_once(
        django_db_blocker,
        tmp_path_factory.mktemp("cases"),
        lambda: case_data.generate(2000, owners=50),
    )


def test_generator_makes_the_requested_number_of_cases_in_a_realistic_mix(generated):
    assert generated["cases"] == Case.objects.count() == 2000
    assert generated["items"] == len(case_data.ITEMS)
    states = dict(Case.objects.values_list("state").annotate(n=Count("pk")))
    assert states == generated["states"]
    final = sum(n for s, n in states.items() if s in FINAL_STATES)
    assert final > 0.7 * 2000  # most cases are done
    assert states.get("submitted", 0) > 0 and states.get("review", 0) > 0
    assert 0 < states.get("draft", 0) < 0.05 * 2000


def test_generated_cases_have_deadlines_overdue_ones_and_numbers(generated):
    running = Case.objects.filter(sla_state="running")
    assert running.filter(due_at__isnull=True).count() == 0
    assert Case.objects.filter(state="draft", number__isnull=False).count() == 0
    assert Case.objects.exclude(state="draft").filter(number__isnull=True).count() == 0
    concluded = Case.objects.filter(state__in=["concluded", "delivered"])
    assert concluded.filter(concluded_at__isnull=True).count() == 0
    assert concluded.filter(overdue=True).exists()
    assert Case.objects.filter(corrections__gt=0).exists()


def test_generated_rows_read_back_through_the_model_with_decryptable_fields(generated):
    case = Case.objects.get(pk=3)  # every third case has a contact phone
    assert case.applicant_id_number.startswith("440402")
    assert case.contact_phone.startswith("138")
    assert case.form_data["applicant_note"].startswith("申请说明")
    assert case.item_version.item_id == case.item_id
    assert case.organisation_id == case.item.organisation_id
