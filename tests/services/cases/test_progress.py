"""公开进度查询: the right number and ID tail give a minimal status; a wrong tail, an unknown
number or a draft give the very same answer (no oracle); too many tries are throttled."""

import re

import pytest
from django.urls import reverse

from shuzheng.services.cases.selectors import applicant
from shuzheng.services.cases.services import apply
from tests.services.conftest import GOOD_FORM, make_citizen, pdf_upload


def main(html: str) -> str:
    """The page's main content without the per-render CSRF token."""
    body = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


@pytest.fixture
def case(tree, item_factory, citizen):
    item = item_factory(tree.zwfw)
    draft = apply.create_draft(citizen, item)
    apply.save_draft(citizen, draft, form=dict(GOOD_FORM))
    for code in ("id_proof", "premises"):
        apply.attach_material(citizen, draft, material_code=code, upload=pdf_upload())
    return apply.submit(citizen, draft)


def test_the_right_tail_shows_a_minimal_status(case):
    result = applicant.progress(case.number, "1236")
    assert result["state_label"] == "已申报" and result["item_name"] == "个体工商户设立登记"
    assert result["promised_limit"] == "5 个工作日"
    assert "applicant_name" not in result and "张三" not in str(result)


def test_an_x_tail_matches_in_either_case(tree, item_factory):
    user = make_citizen(name="王五", id_number="44040219920315004X")
    item = item_factory(tree.zwfw)
    draft = apply.create_draft(user, item)
    apply.save_draft(user, draft, form=dict(GOOD_FORM))
    for code in ("id_proof", "premises"):
        apply.attach_material(user, draft, material_code=code, upload=pdf_upload())
    case = apply.submit(user, draft)
    assert applicant.progress(case.number, "004x") is not None
    assert applicant.progress(f" {case.number.lower()} ", "004X") is not None


@pytest.mark.parametrize("tail", ["1235", "123", "", "12366"])
def test_a_wrong_tail_is_the_same_as_an_unknown_number(case, tail):
    assert applicant.progress(case.number, tail) is None


def test_an_unknown_or_malformed_number_is_not_found(case):
    assert applicant.progress("44040020260101000000012", "1236") is None
    wrong_check = "1" if case.number[-1] == "0" else "0"  # any other check character
    assert applicant.progress(case.number[:-1] + wrong_check, "1236") is None


def test_the_page_answers_the_same_for_a_wrong_tail_and_an_unknown_number(client, case):
    url = reverse("cases:progress")
    wrong = client.post(url, {"number": case.number, "id_tail": "0000"}).content.decode()
    unknown = client.post(
        url, {"number": "44040020260101000000012", "id_tail": "1236"}
    ).content.decode()
    right = client.post(url, {"number": case.number, "id_tail": "1236"}).content.decode()
    assert 'id="progress-not-found"' in wrong and 'id="progress-not-found"' in unknown
    assert main(wrong).replace(case.number, "N") == main(unknown).replace(
        "44040020260101000000012", "N"
    )
    assert 'id="progress-result"' in right and "已申报" in right and "张三" not in right


def test_the_page_is_throttled_per_address(client, case, settings):
    settings.PROGRESS_QUERY_RATE_PER_MINUTE = 3
    url = reverse("cases:progress")
    codes = [
        client.post(url, {"number": case.number, "id_tail": "0000"}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_the_api_answers_404_for_any_miss_and_429_when_throttled(client, case, settings):
    settings.PROGRESS_QUERY_RATE_PER_MINUTE = 3
    url = reverse("cases-progress")
    ok = client.get(url, {"number": case.number, "id_tail": "1236"})
    assert ok.status_code == 200 and ok.json()["state"] == "submitted"
    miss = client.get(url, {"number": case.number, "id_tail": "9999"})
    unknown = client.get(url, {"number": "nope", "id_tail": "1236"})
    assert miss.status_code == unknown.status_code == 404
    assert miss.json()["detail"] == unknown.json()["detail"]
    throttled = client.get(url, {"number": case.number, "id_tail": "1236"})
    assert throttled.status_code == 429 and "Retry-After" in throttled
