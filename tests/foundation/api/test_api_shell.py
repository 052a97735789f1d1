"""The API shell: problem+json, authentication, cursor pagination, Idempotency-Key, OpenAPI."""

import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shuzheng.foundation.identity.models import Enterprise, NaturalPerson, StaffProfile
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def clerk(tree, make_staff):
    return make_staff(tree.xiangzhou, "window-clerk")


def person_body(**over):
    body = {
        "name": "陈志明",
        "id_type": "111",
        "id_number": "11010519491231002X",
        "mobile": "13812345678",
    }
    body.update(over)
    return body


def test_invalid_id_number_is_a_field_level_problem(clerk):
    response = api_as(clerk).post(
        "/api/v1/persons/", person_body(id_number="110105194912310021"), format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 400 and body["title"] and body["type"].endswith("validation-error")
    assert body["errors"] == [
        {"field": "id_number", "code": "checksum", "message": body["errors"][0]["message"]}
    ]
    assert "校验位" in body["errors"][0]["message"]
    assert not NaturalPerson.objects.exists()


def test_several_bad_fields_are_reported_together(clerk):
    response = api_as(clerk).post(
        "/api/v1/persons/",
        person_body(id_number="110105194902300021", mobile="12345", name=" "),
        format="json",
    )
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"id_number", "mobile", "name"}


def test_field_messages_follow_the_users_language(clerk):
    response = api_as(clerk).post(
        "/api/v1/persons/", person_body(id_number="123"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    message = response.json()["errors"][0]["message"]
    assert "18" in message and not any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_impossible_birth_date_says_so(clerk):
    response = api_as(clerk).post(
        "/api/v1/persons/", person_body(id_number="440402199802301230"), format="json"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("id_number", "birth_date")
    assert "出生日期无效" in error["message"] and "19980230" in error["message"]


@pytest.mark.parametrize(
    ("mobile", "code", "fragment"),
    [
        ("1381234567", "length", "应为11位，当前为10位"),
        ("66123456", "ambiguous", "+853"),
        ("+853 2882 3456", "not_mobile", "固定电话"),
        ("+1 650 253 0000", "region", "仅支持"),
    ],
)
def test_invalid_mobile_is_a_field_error_saying_what_is_wrong(clerk, mobile, code, fragment):
    response = api_as(clerk).post("/api/v1/persons/", person_body(mobile=mobile), format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("mobile", code)
    assert fragment in error["message"]
    assert not NaturalPerson.objects.exists()


def enterprise_body(**over):
    return {
        "name": "珠海海岸线科技有限公司",
        "registry": "mainland",
        "registration_number": "91440400MA4UJ1KK07",
        "legal_representative": "王丽华",
        "address": "珠海市香洲区",
        **over,
    }


@pytest.mark.parametrize(
    ("over", "code", "fragment"),
    [
        ({"registration_number": "91440400MA4UJ1KK08"}, "checksum", "校验位错误"),
        ({"registration_number": "91440400MA4UJ1KKO7"}, "format", "“O”"),
        ({"registration_number": "91440400MA4UJ1KK0"}, "length", "应为18位，当前为17位"),
        ({"registry": "macau", "registration_number": "12A"}, "format", "非法字符"),
    ],
)
def test_invalid_enterprise_number_is_a_field_error(clerk, over, code, fragment):
    response = api_as(clerk).post("/api/v1/enterprises/", enterprise_body(**over), format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("registration_number", code)
    assert fragment in error["message"]
    assert not Enterprise.objects.exists()


def test_valid_mainland_and_macau_enterprises_are_registered(clerk):
    client = api_as(clerk)
    mainland = client.post("/api/v1/enterprises/", enterprise_body(), format="json")
    macau = client.post(
        "/api/v1/enterprises/",
        enterprise_body(name="澳珠贸易有限公司", registry="macau", registration_number="081234"),
        format="json",
    )
    assert mainland.status_code == macau.status_code == 201
    assert macau.json()["registration_number"] == "081234"
    assert Enterprise.objects.get(registry="macau").macau_registration_no == "081234"


ANY_TEXT = st.one_of(st.text(max_size=40), st.text("0123456789Xx+()-HMAZ ", max_size=24))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(id_type=st.sampled_from(["111", "516", "554", "511", "414", "991", "992"]), data=st.data())
def test_any_identity_input_is_answered_never_a_500(clerk, id_type, data):
    from django.core.cache import cache

    cache.clear()  # the per-address rate limit counts every example's two POSTs
    number, mobile, code = data.draw(ANY_TEXT), data.draw(ANY_TEXT), data.draw(ANY_TEXT)
    client = api_as(clerk)
    person = client.post(
        "/api/v1/persons/", person_body(id_type=id_type, id_number=number, mobile=mobile), "json"
    )
    firm = client.post("/api/v1/enterprises/", enterprise_body(registration_number=code), "json")
    for response in (person, firm):
        assert response.status_code in (201, 400), response.content
        if response.status_code == 400:
            assert response["Content-Type"] == PROBLEM
            assert all(e["field"] and e["message"] for e in response.json()["errors"])


def test_session_authentication_with_csrf(client, clerk):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(clerk)
    assert session.get("/api/v1/me/").json()["username"] == clerk.username
    refused = session.post("/api/v1/persons/", person_body(), format="json")
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert not NaturalPerson.objects.exists()
    session.get("/")  # the portal sets the CSRF cookie
    token = session.cookies["csrftoken"].value
    accepted = session.post(
        "/api/v1/persons/", person_body(), format="json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
    assert NaturalPerson.objects.count() == 1


def test_problem_shape(clerk):
    """RFC 9457: type, title, status, detail, instance; field errors as {field, message, code}."""
    response = api_as(clerk).post("/api/v1/persons/?x=1", person_body(id_number="1"), format="json")
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "errors"}
    assert body["status"] == response.status_code == 400
    assert body["type"] == "urn:shuzheng:problem:validation-error"
    assert body["instance"] == "/api/v1/persons/?x=1"
    assert all(set(e) == {"field", "message", "code"} for e in body["errors"])
    not_found = api_as(clerk).get("/api/v1/persons/999999/")
    assert not_found["Content-Type"] == PROBLEM
    assert {"type", "title", "status"} <= set(not_found.json())
    assert "errors" not in not_found.json()


def test_malformed_json_is_a_400_problem(clerk):
    response = api_as(clerk).post(
        "/api/v1/persons/", '{"name": "陈', content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("parse-error")


def test_unauthenticated_is_a_401_problem(api):
    response = api.get("/api/v1/staff/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == PROBLEM


def test_forbidden_create_is_a_403_problem(tree, make_staff):
    grid = make_staff(tree.gongbei, "grid-officer")
    response = api_as(grid).post("/api/v1/persons/", person_body(), format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert not NaturalPerson.objects.exists()


def test_unknown_api_url_is_a_404_problem(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404


def test_token_authentication(clerk):
    from rest_framework.test import APIClient

    token = Token.objects.create(user=clerk)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/me/").json()["username"] == clerk.username


def test_cursor_pagination_walks_every_row_once(tree, make_staff):
    viewer = make_staff(tree.city, "ops-operator")
    for _ in range(7):
        make_staff(tree.doumen)
    client = api_as(viewer)
    seen, url = [], "/api/v1/staff/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == StaffProfile.objects.count()


def test_idempotent_retry_returns_the_first_answer(clerk):
    client = api_as(clerk)
    first = client.post(
        "/api/v1/persons/", person_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-123"
    )
    again = client.post(
        "/api/v1/persons/", person_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-123"
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert NaturalPerson.objects.count() == 1


def test_without_a_key_a_second_post_is_a_second_attempt(clerk):
    client = api_as(clerk)
    client.post("/api/v1/persons/", person_body(), format="json")
    duplicate = client.post("/api/v1/persons/", person_body(), format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["code"] == "duplicate"


def test_key_reused_with_another_body_is_refused(clerk):
    client = api_as(clerk)
    client.post("/api/v1/persons/", person_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(
        "/api/v1/persons/",
        person_body(name="林嘉怡", id_number="440402199002020011"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other["Content-Type"] == PROBLEM
    assert NaturalPerson.objects.count() == 1


def test_failed_request_does_not_burn_the_key(clerk):
    client = api_as(clerk)
    bad = client.post(
        "/api/v1/persons/", person_body(id_number="1"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert bad.status_code == 400
    good = client.post(
        "/api/v1/persons/", person_body(id_number="1"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert good.status_code == 400  # same (bad) request evaluated again, not replayed as success
    fixed = client.post(
        "/api/v1/persons/", person_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert fixed.status_code == 201


def test_keys_are_per_user(tree, make_staff, clerk):
    other = make_staff(tree.doumen, "window-clerk")
    api_as(clerk).post(
        "/api/v1/persons/", person_body(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    response = api_as(other).post(
        "/api/v1/persons/",
        person_body(id_number="440402199002020011"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert response.status_code == 201
    assert NaturalPerson.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_object(tree, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL")
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    barrier = threading.Barrier(4)
    statuses = []

    def post():
        from django.db import connections

        barrier.wait()
        try:
            response = api_as(clerk).post(
                "/api/v1/persons/", person_body(), format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 4
    assert NaturalPerson.objects.count() == 1


def test_openapi_schema_builds_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    assert "/api/v1/persons/" in schema["paths"]


def test_schema_and_offline_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()
