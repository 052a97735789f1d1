"""A 办件 moves only through the cases API: the generic workflow API reads it but refuses to
move it, since acceptance, decisions and 办结 record more than the engine does."""

from tests.conftest import api_as


def test_the_generic_workflow_api_reads_a_case_but_refuses_to_move_it(
    tree, item_factory, citizen, case_factory, make_staff
):
    case = case_factory(item_factory(tree.zwfw), citizen, state="submitted")
    clerk = make_staff(tree.zwfw, "window-clerk")
    url = f"/api/v1/workflow/instances/{case.workflow_id}/"
    assert api_as(clerk).get(url).json()["state"] == "submitted"
    refused = api_as(clerk).post(url + "transitions/", {"action": "accept"}, format="json")
    assert refused.status_code == 403
    assert "/api/v1/cases/" in refused.json()["detail"]
    case.refresh_from_db()
    assert case.state == "submitted" and case.accepted_at is None
    assert case.workflow.history.count() == 2  # start and submit only
