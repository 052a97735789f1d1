"""The files API: multipart upload, metadata and download through access, problem+json
field errors on refusal, Idempotency-Key on create."""

import pytest

from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.trust import gm
from tests.conftest import api_as

from .conftest import ELF_BYTES, PDF_BYTES, blobs, upload, zip_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/files/"


def post(client, data, name="材料.pdf", use="services.material", **extra):
    return client.post(URL, {"use": use, "file": upload(data, name)}, format="multipart", **extra)


def test_upload_metadata_and_content(citizen):
    client = api_as(citizen)
    response = post(client, PDF_BYTES, name="营业执照.pdf")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "营业执照.pdf"
    assert body["type"] == "application/pdf"
    assert body["size"] == len(PDF_BYTES)
    assert body["sm3"] == gm.sm3(PDF_BYTES).hex()
    assert response["Location"].endswith(f"/{body['id']}/")

    meta = client.get(f"{URL}{body['id']}/")
    assert meta.status_code == 200 and meta.json()["sm3"] == body["sm3"]

    content = client.get(f"{URL}{body['id']}/content", HTTP_ACCEPT="application/pdf")
    assert content.status_code == 200
    assert b"".join(content.streaming_content) == PDF_BYTES
    assert content["Content-Type"] == "application/pdf"
    assert content["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E8%90%A5" in content["Content-Disposition"]
    assert content["X-Content-Type-Options"] == "nosniff"


def test_another_user_gets_404_for_metadata_and_content(citizen, stranger):
    stored = post(api_as(citizen), PDF_BYTES).json()
    client = api_as(stranger)
    assert client.get(f"{URL}{stored['id']}/").status_code == 404
    response = client.get(f"{URL}{stored['id']}/content")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_cannot_upload(api, nothing_stored):
    response = post(api, PDF_BYTES)
    assert response.status_code in (401, 403)
    nothing_stored()


@pytest.mark.parametrize(
    ("data", "name", "use", "field", "code"),
    [
        (ELF_BYTES, "a.pdf", "services.material", "file", "executable"),
        (PDF_BYTES, "a.pdf", "governance.evidence", "file", "type_not_allowed"),
        (
            zip_bytes({"z": bytes(10 * 2**20)}),
            "a.zip",
            "collaboration.attachment",
            "file",
            "archive_bomb",
        ),
        (PDF_BYTES, "a.pdf", "no.such-use", "use", "unknown_use"),
    ],
    ids=["executable", "type", "bomb", "use"],
)
def test_refusals_are_problem_json_field_errors(
    citizen, nothing_stored, data, name, use, field, code
):
    response = post(api_as(citizen), data, name=name, use=use)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:shuzheng:problem:validation-error"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert body["errors"][0]["message"]  # a sentence for the person, in Chinese
    nothing_stored()


def test_bad_name_through_the_api(citizen, nothing_stored):
    client = api_as(citizen)
    response = client.post(
        URL,
        {"use": "services.material", "file": upload(PDF_BYTES), "name": "../../etc/passwd"},
        format="multipart",
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", "bad_name")]
    nothing_stored()


def test_oversized_upload_stops_at_the_request_limit(citizen, nothing_stored, monkeypatch):
    from shuzheng.foundation.files import uploads

    monkeypatch.setattr(uploads, "request_limit", lambda: 1000)
    response = post(api_as(citizen), PDF_BYTES + b"0" * 2000)
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", "too_large")]
    nothing_stored()


def test_missing_file_is_a_field_error(citizen):
    response = api_as(citizen).post(URL, {"use": "services.material"}, format="multipart")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["file"]


def test_json_body_is_refused(citizen):
    response = api_as(citizen).post(URL, {"use": "services.material"}, format="json")
    assert response.status_code == 415


def test_idempotency_key_replays_the_first_answer(citizen, files_storage):
    client = api_as(citizen)
    first = post(client, PDF_BYTES, HTTP_IDEMPOTENCY_KEY="upload-1")
    second = post(client, PDF_BYTES, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert StoredFile.objects.count() == 1
    assert len(blobs(files_storage)) == 1


def test_idempotency_key_reused_with_other_bytes_of_the_same_name_is_refused(
    citizen, files_storage
):
    client = api_as(citizen)
    post(client, PDF_BYTES, HTTP_IDEMPOTENCY_KEY="upload-2")
    other = post(client, PDF_BYTES.replace(b"Catalog", b"Catalox"), HTTP_IDEMPOTENCY_KEY="upload-2")
    assert other.status_code == 422
    assert StoredFile.objects.count() == 1
