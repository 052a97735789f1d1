"""The API shell: problem+json, authentication, cursor pagination, Idempotency-Key, OpenAPI."""

import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from shuzheng.foundation.identity.models import NaturalPerson, StaffProfile
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
