"""The registry's use cases: who may register services and clients, bad input field by
field, optimistic locking, credentials that are never stored in the clear."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.data.catalog.models import EntryStatus
from shuzheng.data.exchange import services
from shuzheng.data.exchange.gateway import core
from shuzheng.data.exchange.models import ClientApp, DataService
from shuzheng.foundation import workflow
from shuzheng.foundation.trust.models import AuditRecord
from tests.data.exchange.conftest import BASE, gateway_call

pytestmark = pytest.mark.django_db


def register(dm, user=None, **changes):
    values = dict(entry=dm.population, code="population", name="人口查询", kind="store")
    values.update(changes)
    return services.register_service(user or dm.ga_admin, **values)


def field_errors(exc) -> set:
    return set(exc.value.message_dict)


def test_the_provider_registers_a_service_for_its_own_published_entry(dm):
    service = register(dm)
    assert (service.provider, service.entry, service.status) == (dm.gongan, dm.population, "active")
    record = AuditRecord.objects.filter(action="data.exchange.service.register").get()
    assert record.object_id == str(service.pk)


@pytest.mark.parametrize("who", ["wj_admin", "wj_user", "authority", "outsider"])
def test_no_one_else_registers_a_service_for_it(dm, who):
    with pytest.raises(PermissionDenied):
        register(dm, getattr(dm, who))
    assert not DataService.objects.exists()


def test_an_unpublished_entry_cannot_be_offered(dm, make_entry):
    draft = make_entry(dm.gongan, dm.ga_admin, name="草稿", publish=False)
    with pytest.raises(ValidationError) as exc:
        register(dm, entry=draft)
    assert "entry" in field_errors(exc)
    dm.population.status = EntryStatus.WITHDRAWN
    dm.population.save()
    with pytest.raises(ValidationError):
        register(dm)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"code": "Bad Code"}, "code"),
        ({"version": "1"}, "version"),
        ({"name": ""}, "name"),
        ({"kind": "ftp"}, "kind"),
        ({"kind": "remote", "remote_url": "ftp://x"}, "remote_url"),
        ({"kind": "remote", "remote_url": ""}, "remote_url"),
        (
            {"kind": "remote", "remote_url": "https://a.example/api", "remote_timeout": 0},
            "remote_timeout",
        ),
        ({"remote_url": "https://a.example/api"}, "remote_url"),
        ({"remote_token": "t"}, "remote_token"),
    ],
)
def test_bad_input_is_refused_field_by_field(dm, changes, field):
    with pytest.raises(ValidationError) as exc:
        register(dm, **changes)
    assert field in field_errors(exc)
    assert not DataService.objects.exists()


def test_code_and_version_are_unique(dm):
    register(dm)
    with pytest.raises(ValidationError) as exc:
        register(dm, name="again")
    assert field_errors(exc) == {"code"}
    assert register(dm, version="v2").version == "v2"


def test_a_remote_service_keeps_its_token_encrypted(dm):
    service = register(
        dm, kind="remote", remote_url="https://gaj.example.gov.cn/api", remote_token="tok-1"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT remote_token FROM exchange_dataservice WHERE id = %s", [service.pk])
        stored = cursor.fetchone()[0]
    assert "tok-1" not in stored


def test_update_changes_fields_and_a_stale_revision_is_a_conflict(dm):
    service = register(dm)
    services.update_service(dm.ga_admin, service, revision=0, name="人口核验")
    assert service.name == "人口核验" and service.revision == 1
    with pytest.raises(workflow.Conflict):
        services.update_service(dm.ga_admin, service, revision=0, name="again")
    assert DataService.objects.get().name == "人口核验"
    with pytest.raises(PermissionDenied):
        services.update_service(dm.wj_admin, service, revision=1, name="x")


def test_status_suspends_and_resumes(dm):
    service = register(dm)
    services.set_service_status(dm.ga_admin, service, "suspended", revision=0)
    assert DataService.objects.get().status == "suspended"
    services.set_service_status(dm.ga_admin, service, "active", revision=1)
    with pytest.raises(ValidationError):
        services.set_service_status(dm.ga_admin, service, "gone", revision=2)
    with pytest.raises(workflow.Conflict):
        services.set_service_status(dm.ga_admin, service, "suspended", revision=0)


def test_a_client_gets_a_key_id_and_a_secret_stored_only_as_a_salted_hash(dm):
    client, secret = services.create_client(
        dm.wj_admin, organisation=dm.weijian, name="出生医学证明系统", system_code="birth"
    )
    assert 16 <= len(client.key_id) <= 24 and len(secret) >= 32
    assert "." not in client.key_id and "." not in secret
    stored = ClientApp.objects.values_list("secret_hash", flat=True).get()
    assert secret not in stored and stored.startswith("sm3$")
    assert core.verify_secret(stored, secret) and not core.verify_secret(stored, secret[:-1])
    record = AuditRecord.objects.filter(action="data.exchange.client.create").get()
    assert secret not in str(record.details)
    other, other_secret = services.create_client(
        dm.wj_admin, organisation=dm.weijian, name="另一个", system_code="other"
    )
    assert other.key_id != client.key_id and other_secret != secret


def test_clients_belong_to_the_actors_department(dm):
    with pytest.raises(PermissionDenied):
        services.create_client(dm.wj_admin, organisation=dm.gongan, name="x", system_code="x")
    with pytest.raises(PermissionDenied):
        services.create_client(dm.wj_user, organisation=dm.weijian, name="x", system_code="x")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"system_code": "Has Space"}, "system_code"),
        ({"allowed_ips": ["10.0.0.1", "not-an-ip"]}, "allowed_ips"),
    ],
)
def test_bad_client_input_is_refused_field_by_field(dm, changes, field):
    values = dict(organisation=dm.weijian, name="系统", system_code="sys")
    values.update(changes)
    with pytest.raises(ValidationError) as exc:
        services.create_client(dm.wj_admin, **values)
    assert field in field_errors(exc)
    assert not ClientApp.objects.exists()


def test_a_system_code_is_unique_within_the_department(dm):
    services.create_client(dm.wj_admin, organisation=dm.weijian, name="a", system_code="sys")
    with pytest.raises(ValidationError) as exc:
        services.create_client(dm.wj_admin, organisation=dm.weijian, name="b", system_code="sys")
    assert field_errors(exc) == {"system_code"}


def test_allowed_ips_are_normalised(dm):
    client, _secret = services.create_client(
        dm.wj_admin,
        organisation=dm.weijian,
        name="a",
        system_code="a",
        allowed_ips="10.1.2.3, 10.2.0.0/16；10.1.2.3",
    )
    assert client.allowed_ips == ["10.1.2.3/32", "10.2.0.0/16"]


def test_rotating_the_secret_stops_the_old_one_at_once(xw):
    assert gateway_call(BASE + "/records", token=xw.token).status == 200
    new = services.rotate_secret(xw.dm.wj_admin, xw.client, revision=xw.client.revision)
    core.forget()  # committed only with the test transaction: on_commit never runs here
    assert gateway_call(BASE + "/records", token=xw.token).status == 401
    assert gateway_call(BASE + "/records", token=f"{xw.client.key_id}.{new}").status == 200
    with pytest.raises(workflow.Conflict):
        services.rotate_secret(xw.dm.wj_admin, xw.client, revision=0)


def test_only_the_department_rotates_or_disables_its_clients(xw):
    for user in (xw.dm.ga_admin, xw.dm.wj_user, xw.dm.outsider):
        with pytest.raises(PermissionDenied):
            services.rotate_secret(user, xw.client, revision=xw.client.revision)
        with pytest.raises(PermissionDenied):
            services.set_client_status(user, xw.client, "disabled", revision=xw.client.revision)


def test_changes_refresh_the_gateway_cache_after_commit(dm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        client, _secret = services.create_client(
            dm.wj_admin, organisation=dm.weijian, name="a", system_code="a"
        )
    assert core.forget in callbacks
