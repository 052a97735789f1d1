"""The 12345 benchmarks at a tiny size, so the scripts cannot rot: the order generator makes
the mix it promises (rows the application reads back), and each benchmark's core function
runs end to end on the test database."""

import sys
from pathlib import Path

import pytest
from django.db.models import Count

from shuzheng.governance.hotline.models import FINAL_STATES, OPEN_STATES, WorkOrder
from tests.conftest import made_once

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import hotline_data  # noqa: E402  (bench/ is not a package)

N = 2000


@pytest.fixture(scope="class")
def generated(django_db_setup, django_db_blocker, tmp_path_factory):
    """Generated once for the class below (rolled back after its last test; each test runs
    in a savepoint of it)."""
    yield from made_once(
        django_db_blocker,
        tmp_path_factory.mktemp("orders"),
        lambda: hotline_data.generate(N, citizens=50, grid=False),
    )


@pytest.mark.django_db
class TestGenerated:
    def test_generator_makes_the_requested_number_of_orders_in_a_realistic_mix(self, generated):
        assert generated["orders"] == WorkOrder.objects.count() == N
        states = dict(WorkOrder.objects.values_list("state").annotate(n=Count("pk")))
        assert states == generated["states"]
        assert sum(n for s, n in states.items() if s in FINAL_STATES) > 0.7 * N  # most are done
        assert sum(n for s, n in states.items() if s in OPEN_STATES) > 0
        assert states.get("closed", 0) > states.get("merged", 0) > 0
        # orders sit at the centre, at districts, streets and departments
        assert {"centre", "street", "department"} <= set(generated["units"])
        assert WorkOrder.objects.filter(unit_id=generated["centre"], state="registered").exists()

    def test_generated_orders_have_numbers_deadlines_and_overdue_ones(self, generated):
        numbers = list(WorkOrder.objects.values_list("number", flat=True)[:50])
        assert all(n.startswith("GD") and len(n) == 16 for n in numbers)
        running = WorkOrder.objects.filter(state__in=hotline_data.TIMED_STATES)
        assert running.filter(due_at__isnull=True).count() == 0
        assert running.filter(sla_state="running").count() == running.count()
        closed = WorkOrder.objects.filter(state="closed")
        assert closed.filter(closed_at__isnull=True).count() == 0
        assert generated["overdue"] == running.filter(due_at__lt=generated["now"]).count()
        assert WorkOrder.objects.filter(state="registered", due_at__isnull=False).count() == 0
        assert WorkOrder.objects.filter(workflow__isnull=False).count() == 0

    def test_generated_rows_read_back_with_decryptable_callers_and_blind_index(self, generated):
        from shuzheng.foundation.trust import pii

        order = WorkOrder.objects.exclude(caller_phone_index="").order_by("pk").first()
        assert order.caller_phone.startswith("+861")
        assert order.caller_name
        same = WorkOrder.objects.filter(pii.lookup(WorkOrder, "caller_phone", order.caller_phone))
        assert order in same
        assert order.category.children.count() == 0  # a leaf
        assert order.unit_id and order.district_id

    def test_list_benchmark_measures_every_user_tab_and_page_against_the_unscoped_query(
        self, generated
    ):
        import hotline_list

        staff = hotline_list.users(generated)
        assert set(staff) == {"operator", "district", "street", "dept"}
        result = hotline_list.measure(staff, repeat=2)
        combos = result["combinations"]
        assert {c["user"] for c in combos} == set(staff)
        assert {c["tab"] for c in combos} >= {
            "registered",
            "dispatched",
            "handling",
            "overdue",
            "all",
        }
        operator_all = next(c for c in combos if c["user"] == "operator" and c["tab"] == "all")
        # the operator sees every order: the scoped first page is the unscoped one
        assert operator_all["rows"] == operator_all["baseline_rows"] == 50
        for combo in combos:
            assert combo["rows"] <= combo["baseline_rows"] or combo["page"] != "first"
            assert combo["p50"] > 0 and combo["baseline_p50"] > 0
        assert sum("plan" in c for c in combos) >= 1

    def test_list_benchmark_lean_rows_and_tab_counts_read_the_same_orders(self, generated):
        import hotline_list

        from shuzheng.governance.hotline.selectors import orders

        staff = hotline_list.users(generated)
        user = staff["district"][0]
        plain = [o.pk for o in orders.queue(user, state="handling")]
        with hotline_list.lean_rows():
            lean = orders.queue(user, state="handling")
        assert [o.pk for o in lean] == plain
        assert all(o.unit.name for o in lean)
        counts = hotline_list.measure_tab_counts({"district": staff["district"]}, repeat=2)
        assert len(counts["district"]["counts"]) == len(hotline_list.PAGE_TABS)
        assert counts["district"]["counts"][-1] > 0  # the 全部 tab


def test_classify_benchmark_times_the_three_sides_and_reports_accuracy(db):
    import hotline_classify

    prepared = hotline_classify.prepare(texts=60, seed=5, history=400, grid=False)
    assert prepared["labelled"] > 300
    assert prepared["model"].metrics["n_test"] > 0
    result = hotline_classify.measure(prepared["timed"], rounds=1)
    for side in ("rjieba_cut", "model_predict", "suggest"):
        assert result[side]["n"] == 60
        assert 0 < result[side]["p50"] <= result[side]["p95"]
    accuracy = result["fresh_set_accuracy"]
    assert accuracy["n"] == 60
    assert 0 <= accuracy["category_top1"] <= accuracy["category_top3"] <= 1


def test_intake_benchmark_payloads_register_through_the_orders_api(db, make_staff, api_for):
    import uuid

    import hotline_data
    import hotline_intake

    from shuzheng.governance.hotline import synthetic

    orgs = hotline_data.organisations()
    hotline_data.categories(orgs)
    operator = make_staff(orgs["centre"], "hotline-operator", on=orgs["root"])
    bodies = hotline_intake.payloads(synthetic.orders(n=30, seed=3))
    client = api_for(operator)
    for body in bodies:
        response = client.post(
            hotline_intake.ORDERS_PATH, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )
        assert response.status_code == 201, response.content[:300]
    assert WorkOrder.objects.filter(state="registered", channel="phone").count() == 30
    for path in hotline_intake.BASELINES:
        assert client.get(path).status_code == 200
