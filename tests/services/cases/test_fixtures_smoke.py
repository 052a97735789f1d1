"""The shared fixtures reach each state through the real engine (a broken fixture would make
every 一网通办 test meaningless)."""

import pytest

from shuzheng.services.cases.models import Case


@pytest.mark.parametrize("state", ["draft", "submitted", "accepted", "review"])
def test_case_factory_reaches_state_with_the_clock_as_the_table_says(
    tree, item_factory, citizen, case_factory, state
):
    case = case_factory(item_factory(tree.zwfw), citizen, state=state)
    assert Case.objects.get(pk=case.pk).state == state
    assert case.workflow.state == state
    assert (case.due_at is not None) == (state in ("accepted", "review"))
