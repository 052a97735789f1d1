"""接入应用 pages: a consumer's data administrator registers the department's applications;
the secret is shown once — in the answer to the form only: not on a reload, not in the
session, not in the database in clear, never in a URL — rotating shows the new one once;
another department's applications are out of reach. The page also lists the department's
active grants with the address to call, an example call without any secret, and how each
granted item is delivered."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzheng.data.exchange import services
from shuzheng.data.exchange.models import ClientApp, ClientStatus
from shuzheng.data.sharing.models import Grant, GrantStatus

pytestmark = pytest.mark.django_db

LIST = "/workbench/data/apps/"
NEW = "/workbench/data/apps/new/"


def signed_in(client, user):
    client.force_login(user)
    return client


def new_client(dm, **kw):
    fields = dict(organisation=dm.weijian, name="出生医学证明系统", system_code="birth-cert")
    fields.update(kw)
    return services.create_client(dm.wj_admin, **fields)


def make_grant(
    dm,
    *,
    consumer=None,
    fields=("id_number", "name", "sex", "phone", "religion"),
    clear_fields=("name",),
    status=GrantStatus.ACTIVE,
    days=30,
    number="SQ0001",
):
    now = timezone.now()
    return Grant.objects.create(
        number=number,
        entry=dm.population,
        consumer=consumer or dm.weijian,
        provider=dm.gongan,
        fields=list(fields),
        clear_fields=list(clear_fields),
        purpose="出生医学证明办理核验父母身份",
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=days),
        quota_per_minute=60,
        quota_per_day=10000,
        status=status,
        granted_by=dm.ga_admin,
    )


def secret_of(answer) -> str:
    credential = answer.context["credential"]
    return credential.split(".", 1)[1]


def test_url_names_are_the_contracts():
    assert reverse("exchange:clients") == LIST
    assert reverse("exchange:client-new") == NEW
    assert reverse("exchange:client-rotate", args=[4]) == "/workbench/data/apps/4/rotate/"
    assert reverse("exchange:client-status", args=[4]) == "/workbench/data/apps/4/status/"


@pytest.mark.parametrize("who", ["outsider", "wj_user", "authority"])
def test_staff_without_the_capability_get_403(client, dm, who):
    signed_in(client, getattr(dm, who))
    assert client.get(LIST).status_code == 403
    answer = client.post(NEW, {"organisation": dm.weijian.pk, "name": "x", "system_code": "x"})
    assert answer.status_code == 403
    assert not ClientApp.objects.exists()


def test_the_secret_is_shown_once_and_stored_only_as_a_digest(client, dm):
    signed_in(client, dm.wj_admin)
    answer = client.post(
        NEW,
        {"organisation": dm.weijian.pk, "name": "出生医学证明系统", "system_code": "birth-cert"},
    )
    assert answer.status_code == 200
    app = ClientApp.objects.get()
    secret = secret_of(answer)
    html = answer.content.decode()
    assert f"{app.key_id}.{secret}" in html
    assert "只显示这一次" in html
    assert "no-store" in answer["Cache-Control"]
    # not in the database in clear, not in the session, not in a URL
    stored = [str(getattr(app, f.attname)) for f in ClientApp._meta.concrete_fields]
    assert not any(secret in value for value in stored)
    assert secret not in str(dict(client.session))
    assert secret not in answer.get("Location", "")
    # a reload of the list shows the application, never the secret
    again = client.get(LIST)
    assert app.key_id in again.content.decode()
    assert secret not in again.content.decode()
    # the same form sent again makes no second application and shows no secret
    twice = client.post(
        NEW,
        {"organisation": dm.weijian.pk, "name": "出生医学证明系统", "system_code": "birth-cert"},
    )
    assert twice.status_code == 400
    assert "credential" not in twice.context
    assert ClientApp.objects.count() == 1


def test_rotating_shows_the_new_secret_once(client, dm):
    app, old = new_client(dm)
    signed_in(client, dm.wj_admin)
    url = reverse("exchange:client-rotate", args=[app.pk])
    answer = client.post(url, {"revision": 0})
    assert answer.status_code == 200
    new = secret_of(answer)
    assert new != old
    assert "旧密钥已立即失效" in answer.content.decode()
    assert new not in client.get(LIST).content.decode()
    # the same post again (a reload) is stale: no third secret
    again = client.post(url, {"revision": 0})
    assert again.status_code == 409
    assert "credential" not in again.context
    app.refresh_from_db()
    assert app.revision == 1


def test_disable_and_enable(client, dm):
    app, _secret = new_client(dm)
    url = reverse("exchange:client-status", args=[app.pk])
    signed_in(client, dm.wj_admin)
    assert client.post(url, {"status": "disabled", "revision": 0}).status_code == 302
    app.refresh_from_db()
    assert app.status == ClientStatus.DISABLED
    assert client.post(url, {"status": "disabled", "revision": 0}).status_code == 409
    assert client.post(url, {"status": "active", "revision": 1}).status_code == 302
    app.refresh_from_db()
    assert app.status == ClientStatus.ACTIVE


def test_public_security_cannot_see_or_touch_health_applications(client, dm):
    app, _secret = new_client(dm)
    signed_in(client, dm.ga_admin)
    html = client.get(LIST).content.decode()
    assert app.key_id not in html and "出生医学证明系统" not in html
    assert (
        client.post(reverse("exchange:client-rotate", args=[app.pk]), {"revision": 0}).status_code
        == 404
    )
    answer = client.post(
        reverse("exchange:client-status", args=[app.pk]), {"status": "disabled", "revision": 0}
    )
    assert answer.status_code == 404
    app.refresh_from_db()
    assert (app.status, app.revision) == (ClientStatus.ACTIVE, 0)


def test_an_application_cannot_be_registered_for_another_department(client, dm):
    answer = signed_in(client, dm.ga_admin).post(
        NEW, {"organisation": dm.weijian.pk, "name": "冒名", "system_code": "fake"}
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["organisation"]
    assert "使用部门：" in answer.content.decode()  # the hidden field's error is shown
    assert not ClientApp.objects.exists()


def test_forms_need_the_csrf_token(dm):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(dm.wj_admin)
    data = {"organisation": dm.weijian.pk, "name": "系统", "system_code": "sys"}
    assert browser.post(NEW, data).status_code == 403
    assert not ClientApp.objects.exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"system_code": ""}, "system_code"),
        ({"system_code": "出生"}, "system_code"),
        ({"allowed_ips": "10.0.0.1\nnot-an-ip"}, "allowed_ips"),
    ],
)
def test_bad_input_is_answered_field_by_field(client, dm, changes, field):
    data = {"organisation": dm.weijian.pk, "name": "系统", "system_code": "sys", **changes}
    answer = signed_in(client, dm.wj_admin).post(NEW, data)
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert "credential" not in answer.context
    assert not ClientApp.objects.exists()


def test_a_system_code_in_use_is_refused_on_its_field(client, dm):
    new_client(dm)
    answer = signed_in(client, dm.wj_admin).post(
        NEW, {"organisation": dm.weijian.pk, "name": "另一个", "system_code": "birth-cert"}
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["system_code"]


def test_allowed_addresses_are_kept(client, dm):
    signed_in(client, dm.wj_admin).post(
        NEW,
        {
            "organisation": dm.weijian.pk,
            "name": "系统",
            "system_code": "sys",
            "allowed_ips": "10.1.2.0/24\n192.168.1.5",
        },
    )
    assert ClientApp.objects.get().allowed_ips == ["10.1.2.0/24", "192.168.1.5/32"]


def test_active_grants_show_the_address_an_example_and_the_delivery(client, dm):
    app, secret = new_client(dm)
    services.register_service(
        dm.ga_admin, entry=dm.population, code="population", name="人口", kind="store"
    )
    make_grant(dm)
    make_grant(dm, number="SQ0002", status=GrantStatus.REVOKED)
    html = signed_in(client, dm.wj_admin).get(LIST).content.decode()
    assert 'id="grant-SQ0001"' in html and "SQ0002" not in html
    assert "/gateway/v1/services/population/v1/records" in html
    assert f"Bearer {app.key_id}.&lt;密钥&gt;" in html
    assert secret not in html
    # the example asks only for delivered items: the core item is never sent
    assert "fields=id_number,name,sex,phone" in html
    grant = html[html.index('id="grant-SQ0001"') :]
    for name, how in (
        ("公民身份号码", "脱敏"),
        ("姓名", "明文"),
        ("性别", "明文"),
        ("联系电话", "脱敏"),
        ("宗教信仰", "不提供（核心数据）"),
    ):
        row = grant[grant.index(f"<td>{name}</td>") :]
        row = row[: row.index("</tr>")]
        assert how in row, (name, row)


def test_grants_are_only_the_departments_own(client, dm):
    make_grant(dm)
    html = signed_in(client, dm.ga_admin).get(LIST).content.decode()
    assert "SQ0001" not in html  # 公安局 provides it; it is 卫健局's to use
    assert 'id="no-grants"' in html


def test_a_grant_without_a_running_service_says_it_cannot_be_called_yet(client, dm):
    make_grant(dm)
    html = signed_in(client, dm.wj_admin).get(LIST).content.decode()
    assert "尚未为该目录条目登记运行中的数据服务" in html
