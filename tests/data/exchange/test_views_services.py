"""数据服务 pages: a provider's data administrator registers, changes, suspends and resumes
the department's services; nobody else sees or touches them (a department without the
capability gets 403, another department's service is 404); bad input is answered field by
field with nothing written; a stale page changes nothing and says so (409)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzheng.data.exchange import services
from shuzheng.data.exchange.models import DataService, ExchangeLog, ServiceStatus

pytestmark = pytest.mark.django_db

LIST = "/workbench/data/services/"


def signed_in(client, user):
    client.force_login(user)
    return client


def register(dm, **kw):
    fields = dict(
        entry=dm.population, code="population-basic", name="人口基础信息查询", kind="store"
    )
    fields.update(kw)
    return services.register_service(dm.ga_admin, **fields)


def form(dm, **kw):
    data = {
        "entry": dm.population.pk,
        "code": "population-basic",
        "version": "v1",
        "name": "人口基础信息查询",
        "kind": "store",
        "remote_url": "",
        "remote_token": "",
        "remote_timeout": "5",
        "description": "",
    }
    data.update(kw)
    return data


def log_call(service, consumer, **kw):
    last = ExchangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    fields = dict(
        seq=last + 1,
        time=timezone.now(),
        message_id=f"m{last + 1}",
        consumer_id=consumer.pk,
        service=service,
        service_code=str(service),
        provider_id=service.provider_id,
        outcome="ok",
        status_code=200,
        request_hash="a" * 64,
        response_hash="b" * 64,
        latency_ms=12.5,
    )
    fields.update(kw)
    return ExchangeLog.objects.create(**fields)


def test_url_names_are_the_contracts():
    assert reverse("exchange:services") == LIST
    assert reverse("exchange:service-new") == "/workbench/data/services/new/"
    assert reverse("exchange:service-edit", args=[3]) == "/workbench/data/services/3/edit/"
    assert reverse("exchange:service-status", args=[3]) == "/workbench/data/services/3/status/"


def test_signed_out_users_are_sent_to_sign_in(client, dm):
    answer = client.get(LIST)
    assert answer.status_code == 302 and "login" in answer["Location"]


@pytest.mark.parametrize("who", ["outsider", "wj_user", "authority"])
def test_staff_without_the_capability_get_403(client, dm, who):
    signed_in(client, getattr(dm, who))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("exchange:service-new")).status_code == 403
    answer = client.post(reverse("exchange:service-new"), form(dm))
    assert answer.status_code == 403
    assert not DataService.objects.exists()


def test_the_list_shows_the_departments_services_with_todays_calls(client, dm):
    service = register(dm)
    log_call(service, dm.weijian)
    log_call(service, dm.weijian, outcome="denied", status_code=403)
    log_call(service, dm.weijian, time=timezone.now() - timezone.timedelta(days=2))
    html = signed_in(client, dm.ga_admin).get(LIST).content.decode()
    assert "population-basic/v1" in html
    assert "/gateway/v1/services/population-basic/v1/records" in html
    row = html[html.index(f'id="service-{service.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="text-end">2</td>' in row  # today's two calls, not the one of 2 days ago


def test_another_department_neither_sees_nor_changes_the_service(client, dm):
    service = register(dm)
    signed_in(client, dm.wj_admin)
    assert "population-basic" not in client.get(LIST).content.decode()
    assert client.get(reverse("exchange:service-edit", args=[service.pk])).status_code == 404
    answer = client.post(
        reverse("exchange:service-status", args=[service.pk]),
        {"status": "suspended", "revision": service.revision},
    )
    assert answer.status_code == 404
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE


def test_register_form_offers_only_own_published_entries(client, dm, make_entry):
    own_draft = make_entry(dm.gongan, dm.ga_admin, name="草稿条目", publish=False)
    theirs = make_entry(dm.weijian, dm.wj_admin, name="出生医学证明")
    html = signed_in(client, dm.ga_admin).get(reverse("exchange:service-new")).content.decode()
    assert dm.population.name in html
    assert own_draft.name not in html and theirs.name not in html
    answer = client.post(reverse("exchange:service-new"), form(dm, entry=theirs.pk))
    assert answer.status_code == 400
    assert answer.context["form"].errors["entry"]
    assert not DataService.objects.exists()


def test_register_a_store_service(client, dm):
    answer = signed_in(client, dm.ga_admin).post(reverse("exchange:service-new"), form(dm))
    assert answer.status_code == 302 and answer["Location"] == LIST
    service = DataService.objects.get()
    assert (service.code, service.version, service.kind) == ("population-basic", "v1", "store")
    assert service.provider == dm.gongan


def test_register_a_remote_service_keeps_the_token_out_of_the_page(client, dm):
    signed_in(client, dm.ga_admin)
    data = form(
        dm, kind="remote", remote_url="https://ga.example.gov.cn/persons", remote_token="tok-秘密"
    )
    assert client.post(reverse("exchange:service-new"), data).status_code == 302
    service = DataService.objects.get()
    assert service.remote_token == "tok-秘密"
    html = client.get(reverse("exchange:service-edit", args=[service.pk])).content.decode()
    assert "tok-秘密" not in html
    assert "https://ga.example.gov.cn/persons" in html


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"code": "人口"}, "code"),
        ({"code": "Population_Basic"}, "code"),
        ({"name": ""}, "name"),
        ({"version": "1.0"}, "version"),
        ({"kind": "remote"}, "remote_url"),
        ({"kind": "remote", "remote_url": "ftp://x.example"}, "remote_url"),
        ({"remote_url": "https://a.example"}, "remote_url"),
        (
            {"kind": "remote", "remote_url": "https://a.example", "remote_timeout": "99"},
            "remote_timeout",
        ),
        ({"kind": "other"}, "kind"),
    ],
)
def test_bad_input_is_answered_field_by_field(client, dm, changes, field):
    answer = signed_in(client, dm.ga_admin).post(
        reverse("exchange:service-new"), form(dm, **changes)
    )
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert field in errors, errors
    assert 'class="invalid-feedback d-block"' in answer.content.decode()
    assert not DataService.objects.exists()


def test_a_code_and_version_in_use_is_refused_on_the_code_field(client, dm):
    register(dm)
    answer = signed_in(client, dm.ga_admin).post(reverse("exchange:service-new"), form(dm))
    assert answer.status_code == 400
    assert "已被使用" in " ".join(answer.context["form"].errors["code"])
    assert DataService.objects.count() == 1


def test_edit_changes_the_name_and_a_blank_token_keeps_the_stored_one(client, dm):
    service = register(
        dm, kind="remote", remote_url="https://ga.example.gov.cn/p", remote_token="old-token"
    )
    url = reverse("exchange:service-edit", args=[service.pk])
    answer = signed_in(client, dm.ga_admin).post(
        url,
        {
            "revision": service.revision,
            "name": "人口查询（新）",
            "remote_url": "https://ga.example.gov.cn/p2",
            "remote_token": "",
            "remote_timeout": "3",
            "description": "说明",
        },
    )
    assert answer.status_code == 302
    service.refresh_from_db()
    assert service.name == "人口查询（新）"
    assert service.remote_url == "https://ga.example.gov.cn/p2"
    assert service.remote_token == "old-token"
    assert service.revision == 1


def test_edit_with_a_stale_revision_changes_nothing(client, dm):
    service = register(dm)
    services.update_service(dm.ga_admin, service, revision=0, name="别人改过")
    answer = signed_in(client, dm.ga_admin).post(
        reverse("exchange:service-edit", args=[service.pk]),
        {"revision": 0, "name": "我的修改", "description": ""},
    )
    assert answer.status_code == 409
    assert "已被他人修改" in answer.content.decode()
    service.refresh_from_db()
    assert service.name == "别人改过"


def test_suspend_and_resume(client, dm):
    service = register(dm)
    url = reverse("exchange:service-status", args=[service.pk])
    signed_in(client, dm.ga_admin)
    assert client.post(url, {"status": "suspended", "revision": 0}).status_code == 302
    service.refresh_from_db()
    assert service.status == ServiceStatus.SUSPENDED
    assert "已暂停" in client.get(LIST).content.decode()
    assert client.post(url, {"status": "active", "revision": 1}).status_code == 302
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE


def test_suspend_with_a_stale_revision_is_a_clear_409(client, dm):
    service = register(dm)
    services.set_service_status(dm.ga_admin, service, "suspended", revision=0)
    answer = signed_in(client, dm.ga_admin).post(
        reverse("exchange:service-status", args=[service.pk]),
        {"status": "suspended", "revision": 0},
    )
    assert answer.status_code == 409
    assert 'id="conflict"' in answer.content.decode()
    service.refresh_from_db()
    assert service.revision == 1  # nothing more written


def test_status_changes_need_post(client, dm):
    service = register(dm)
    answer = signed_in(client, dm.ga_admin).get(
        reverse("exchange:service-status", args=[service.pk])
    )
    assert answer.status_code == 405


@pytest.mark.parametrize(
    "who, shown",
    [
        ("ga_admin", {"数据服务", "接入应用", "调用统计", "交换日志", "交换存证"}),
        ("wj_user", {"调用统计", "交换日志"}),
        ("authority", {"调用统计", "交换日志", "交换存证"}),
        ("outsider", set()),
    ],
)
def test_the_workbench_menu_offers_each_page_to_its_capability(client, dm, who, shown):
    html = signed_in(client, getattr(dm, who)).get("/workbench/").content.decode()
    menu = html[html.index('class="col-md-3 col-lg-2 py-3 workbench-nav') :].split("</nav>")[0]
    links = {
        "数据服务": "/workbench/data/services/",
        "接入应用": "/workbench/data/apps/",
        "调用统计": "/workbench/data/exchange/",
        "交换日志": "/workbench/data/exchange/logs/",
        "交换存证": "/workbench/data/exchange/evidence/",
    }
    for label, url in links.items():
        assert (f'href="{url}"' in menu) == (label in shown), (label, who)
