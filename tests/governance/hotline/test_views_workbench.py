"""The 12345 queues and the order page: staff see the orders their units hold (a street
officer never another street's), the caller stays masked, only the actions the workflow
offers the user are forms, a stale page changes nothing, bad input changes nothing."""

import pytest
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.governance.hotline.models import WorkOrder

pytestmark = pytest.mark.django_db

QUEUE = "/workbench/hotline/"


@pytest.fixture
def citizen(db):
    return identity.register_account(
        access.SYSTEM, username="citizen-wb", display_name="市民", password="Zhuhai@2026x"
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def page_of(order):
    return reverse("hotline:order", kwargs={"number": order.number})


def act_url(order, action):
    return reverse("hotline:order-action", kwargs={"number": order.number, "action": action})


def revision_of(order):
    order.refresh_from_db()
    return order.workflow.revision


def fresh(order):
    return WorkOrder.objects.get(pk=order.pk)


# --------------------------------------------------------------------------- queues


def test_url_names_are_the_contracts():
    assert reverse("hotline:queue") == QUEUE
    assert reverse("hotline:order", kwargs={"number": "GD1"}) == "/workbench/hotline/orders/GD1/"


def test_the_queue_has_every_tab_with_counts(client, hl, order_factory):
    registered = order_factory("registered")
    dispatched = order_factory("dispatched")
    html = signed_in(client, hl.operator).get(QUEUE).content.decode()
    for label in (
        "待派单",
        "待签收",
        "办理中",
        "延期审批",
        "待审核",
        "待回访",
        "已退单",
        "即将超期",
        "已超期",
        "全部",
    ):
        assert label in html
    # the operator starts on 待派单: only the registered order is listed
    assert registered.number in html and dispatched.number not in html
    signing = client.get(QUEUE, {"tab": "dispatched"}).content.decode()
    assert dispatched.number in signing and registered.number not in signing
    everything = client.get(QUEUE, {"tab": "all"}).content.decode()
    assert dispatched.number in everything and registered.number in everything
    assert client.get(QUEUE, {"tab": "nonsense"}).status_code == 404


def test_a_street_officer_sees_only_the_orders_of_the_street(client, hl, order_factory):
    at_gongbei = order_factory("dispatched")
    gongbei = signed_in(client, hl.gb_handler).get(QUEUE, {"tab": "all"}).content.decode()
    assert at_gongbei.number in gongbei
    jingan = signed_in(client, hl.jingan_handler).get(QUEUE, {"tab": "all"}).content.decode()
    assert at_gongbei.number not in jingan


def test_queue_refuses_citizens_and_strangers(client, hl, citizen):
    assert signed_in(client, citizen).get(QUEUE).status_code == 403
    client.logout()
    assert client.get(QUEUE).status_code == 302


def test_the_text_filter_and_the_more_link(client, hl, order_factory, monkeypatch):
    from shuzheng.governance.hotline.views import workbench

    monkeypatch.setattr(workbench, "PAGE_SIZE", 2)
    made = [order_factory("registered", title=f"路灯不亮 {i}") for i in range(3)]
    operator = signed_in(client, hl.operator)
    first = operator.get(QUEUE, {"tab": "registered"}).content.decode()
    assert made[2].number in first and made[1].number in first and made[0].number not in first
    assert 'id="next-page"' in first
    second = operator.get(QUEUE, {"tab": "registered", "after": made[1].pk}).content.decode()
    assert made[0].number in second and made[1].number not in second
    searched = operator.get(QUEUE, {"tab": "all", "q": made[0].number}).content.decode()
    assert made[0].number in searched and made[1].number not in searched


# --------------------------------------------------------------------------- the order page


def test_order_page_shows_the_order_with_a_masked_caller(client, hl, order_factory):
    order = order_factory("dispatched")
    response = signed_in(client, hl.gb_handler).get(page_of(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert order.number in html and "垃圾三天没人清运" in html
    assert "李*明" in html and "138****8000" in html
    assert "李小明" not in html and "13800138000" not in html
    assert "派单" in html and "下派" in html  # the history
    assert 'id="action-sign"' in html and 'id="action-return"' in html
    assert 'id="action-dispatch"' not in html


def test_another_streets_officer_gets_404(client, hl, order_factory):
    order = order_factory("dispatched")
    assert signed_in(client, hl.jingan_handler).get(page_of(order)).status_code == 404
    response = client.post(act_url(order, "sign"), {"revision": revision_of(order)})
    assert response.status_code == 404
    assert fresh(order).state == "dispatched"


def test_a_citizen_cannot_open_the_workbench_order(client, hl, order_factory, citizen):
    order = order_factory("registered")
    assert signed_in(client, citizen).get(page_of(order)).status_code == 403


def test_sign_with_the_current_revision(client, hl, order_factory):
    order = order_factory("dispatched")
    response = signed_in(client, hl.gb_handler).post(
        act_url(order, "sign"), {"revision": revision_of(order)}
    )
    assert response.status_code == 302 and response["Location"] == page_of(order)
    assert fresh(order).state == "handling"


def test_a_stale_revision_shows_the_conflict_and_changes_nothing(client, hl, order_factory):
    order = order_factory("dispatched")
    stale = revision_of(order) - 1
    history = order.workflow.history.count()
    response = signed_in(client, hl.gb_handler).post(
        act_url(order, "sign"), {"revision": stale}, follow=True
    )
    assert "已被他人处理，请刷新" in response.content.decode()
    order = fresh(order)
    assert order.state == "dispatched" and order.workflow.history.count() == history


def test_a_page_overtaken_by_a_colleague_changes_nothing(client, hl, order_factory):
    from shuzheng.governance.hotline.services import loop

    order = order_factory("dispatched")
    seen = revision_of(order)
    loop.sign(hl.gb_handler, fresh(order))  # a colleague signs first
    response = signed_in(client, hl.gb_handler).post(
        act_url(order, "return"), {"revision": seen, "return-reason": "不属于本街道"}, follow=True
    )
    assert "已被他人处理，请刷新" in response.content.decode()
    assert fresh(order).state == "handling" and fresh(order).return_count == 0


def test_return_without_reason_shows_the_field_error(client, hl, order_factory):
    order = order_factory("dispatched")
    response = signed_in(client, hl.gb_handler).post(
        act_url(order, "return"), {"revision": revision_of(order), "return-reason": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写理由" in html and 'aria-invalid="true"' in html
    assert fresh(order).state == "dispatched"


def test_an_action_the_user_may_not_take_is_refused(client, hl, order_factory):
    order = order_factory("dispatched")
    # the operator may see every order but does not handle it
    response = signed_in(client, hl.operator).post(
        act_url(order, "sign"), {"revision": revision_of(order)}
    )
    assert response.status_code == 403
    assert fresh(order).state == "dispatched"
    assert client.post(act_url(order, "explode"), {"revision": 1}).status_code == 404


def test_dispatch_from_the_order_page_confirms_the_category(client, hl, order_factory):
    order = order_factory("registered", category=hl.vending)
    operator = signed_in(client, hl.operator)
    html = operator.get(page_of(order)).content.decode()
    assert 'id="action-dispatch"' in html and 'id="action-answer"' in html
    response = operator.post(
        act_url(order, "dispatch"),
        {
            "revision": revision_of(order),
            "dispatch-unit": hl.tree.xiangzhou.pk,
            "dispatch-category": hl.garbage.pk,
            "dispatch-opinion": "请属地处理",
        },
    )
    assert response.status_code == 302
    order = fresh(order)
    assert order.state == "dispatched" and order.unit == hl.tree.xiangzhou
    assert order.category == hl.garbage and order.category_confirmed


def test_dispatch_to_a_unit_outside_the_scope_is_a_field_error(client, hl, order_factory):
    order = order_factory("dispatched_district")
    # the district may forward within its own subtree only
    response = signed_in(client, hl.xz_handler).post(
        act_url(order, "forward"),
        {"revision": revision_of(order), "forward-unit": hl.tree.jingan.pk},
    )
    assert response.status_code == 400
    assert "不在您可派单的范围内" in response.content.decode()
    assert fresh(order).unit == hl.tree.xiangzhou


def test_the_loop_through_the_pages(client, hl, order_factory):
    """A street replies, the platform approves, the caller is called back and is satisfied."""
    order = order_factory("handling")
    signed_in(client, hl.gb_handler).post(
        act_url(order, "reply"),
        {"revision": revision_of(order), "reply-reply": "已安排环卫公司清运并加密清运频次。"},
    )
    assert fresh(order).state == "replied"
    operator = signed_in(client, hl.operator)
    operator.post(act_url(order, "approve_reply"), {"revision": revision_of(order)})
    assert fresh(order).state == "callback"
    html = operator.get(page_of(order)).content.decode()
    assert 'id="action-callback"' in html
    operator.post(
        act_url(order, "callback"),
        {
            "revision": revision_of(order),
            "callback-satisfaction": "satisfied",
            "callback-score": 5,
            "callback-comment": "处理及时",
        },
    )
    order = fresh(order)
    assert order.state == "closed" and order.satisfaction == "satisfied"
    assert order.callback_score == 5


def test_unsatisfied_callback_needs_a_reason(client, hl, order_factory):
    order = order_factory("callback")
    response = signed_in(client, hl.operator).post(
        act_url(order, "callback"),
        {"revision": revision_of(order), "callback-satisfaction": "unsatisfied"},
    )
    assert response.status_code == 400
    assert "不满意重办须写明理由" in response.content.decode()
    assert fresh(order).state == "callback"


def test_extension_request_and_decision(client, hl, order_factory):
    order = order_factory("handling")
    bad = signed_in(client, hl.gb_handler).post(
        act_url(order, "request_extension"),
        {
            "revision": revision_of(order),
            "request_extension-days": 45,
            "request_extension-reason": "协调",
        },
    )
    assert bad.status_code == 400 and fresh(order).state == "handling"
    client.post(
        act_url(order, "request_extension"),
        {
            "revision": revision_of(order),
            "request_extension-days": 5,
            "request_extension-reason": "需协调物业",
        },
    )
    assert fresh(order).state == "extension"
    html = signed_in(client, hl.head).get(page_of(order)).content.decode()
    assert 'id="action-approve_extension"' in html and 'id="action-reject_extension"' in html
    client.post(
        act_url(order, "approve_extension"),
        {"revision": revision_of(order), "approve_extension-opinion": "同意延期"},
    )
    order = fresh(order)
    assert order.state == "handling"


def test_photo_of_an_order_is_served_to_those_who_see_it(client, hl, order_factory):
    order = order_factory("dispatched")
    url = reverse("hotline:order-photo", kwargs={"number": order.number, "pk": 999999})
    assert signed_in(client, hl.gb_handler).get(url).status_code == 404
    assert signed_in(client, hl.jingan_handler).get(url).status_code == 404


def test_a_supervisor_urges_by_hand_and_the_record_shows(client, hl, order_factory):
    from shuzheng.governance.hotline.models import Urge

    order = order_factory("dispatched")
    operator = signed_in(client, hl.operator)
    assert 'id="action-urge"' in operator.get(page_of(order)).content.decode()
    empty = operator.post(
        act_url(order, "urge"),
        {"revision": revision_of(order), "urge-kind": "urge", "urge-note": ""},
    )
    assert empty.status_code == 400 and Urge.objects.count() == 0
    operator.post(
        act_url(order, "urge"),
        {"revision": revision_of(order), "urge-kind": "supervise", "urge-note": "请今日内签收"},
    )
    row = Urge.objects.get()
    assert row.kind == "supervise" and not row.automatic and row.unit == hl.tree.gongbei
    html = operator.get(page_of(order)).content.decode()
    assert "请今日内签收" in html and "已督办" in html
    # the street handles; it does not supervise itself
    assert (
        'id="action-urge"'
        not in signed_in(client, hl.gb_handler).get(page_of(order)).content.decode()
    )
