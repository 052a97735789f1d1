"""Who is told: the unit an order is sent to, the dispatcher it is returned to, the
approver of an extension, the reviewer of a reply — each the nearest holders of the
capability — and the citizen who reported it (受理, the reviewed reply, 办结). Nobody else."""

import pytest

from shuzheng.foundation.events.notifications.models import Message
from shuzheng.governance.hotline.services import intake, loop
from tests.governance.conftest import IN_GONGBEI
from tests.governance.hotline.test_loop import FrozenClock, at

pytestmark = pytest.mark.django_db


def told(title: str) -> set:
    return set(Message.objects.filter(title=title).values_list("recipient__username", flat=True))


def test_each_step_tells_the_people_who_act_next(
    hl, order_factory, monkeypatch, django_capture_on_commit_callbacks
):
    clock = FrozenClock(monkeypatch)
    clock.set(at(9, 29, 10))
    order = order_factory("registered")
    with django_capture_on_commit_callbacks(execute=True):
        loop.dispatch(hl.operator, order, unit=hl.tree.xiangzhou)
    assert told("新派工单") == {hl.xz_handler.username, hl.head.username}
    dispatched = Message.objects.get(recipient=hl.xz_handler, title="新派工单")
    assert order.number in dispatched.body and "2026-09-29 12:00" in dispatched.body
    assert order.number in dispatched.link
    with django_capture_on_commit_callbacks(execute=True):
        loop.forward(hl.xz_handler, order, unit=hl.tree.gongbei)
    assert hl.gb_handler.username in told("新派工单")
    with django_capture_on_commit_callbacks(execute=True):
        loop.return_order(hl.gb_handler, order, reason="该地点属前山街道辖区")
    returned = Message.objects.get(recipient=hl.xz_handler, title="工单被退回")
    assert "该地点属前山街道辖区" in returned.body
    assert hl.gb_handler.username not in told("工单被退回")
    loop.reassign(hl.xz_handler, order, unit=hl.tree.gongbei)
    loop.sign(hl.gb_handler, order)
    with django_capture_on_commit_callbacks(execute=True):
        loop.request_extension(hl.gb_handler, order, days=3, reason="需协调物业")
    assert told("延期申请待审批") == {hl.head.username}  # the nearest approver, not the city
    with django_capture_on_commit_callbacks(execute=True):
        loop.decide_extension(hl.head, order, approve=True)
    assert hl.gb_handler.username in told("延期申请已批准")
    with django_capture_on_commit_callbacks(execute=True):
        loop.reply(hl.gb_handler, order, reply="已清运")
    assert told("办理结果待审核") == {hl.operator.username}
    assert hl.jingan_handler.username not in {
        m.recipient.username for m in Message.objects.select_related("recipient")
    }


def test_the_citizen_hears_of_intake_the_reply_and_the_closing(
    hl, order_factory, django_capture_on_commit_callbacks
):
    from tests.services.conftest import make_citizen

    citizen = make_citizen(name="王小芳")
    with django_capture_on_commit_callbacks(execute=True):
        order = intake.report(
            citizen,
            request_type="complaint",
            content="夏湾路垃圾没人清运。",
            category=hl.garbage,
            latitude=IN_GONGBEI[0],
            longitude=IN_GONGBEI[1],
        )
    loop.dispatch(hl.operator, order, unit=hl.tree.gongbei)
    loop.sign(hl.gb_handler, order)
    with django_capture_on_commit_callbacks(execute=True):
        loop.reply(hl.gb_handler, order, reply="已清运完毕")
    assert not Message.objects.filter(recipient=citizen, title__contains="办理结果").exists()
    with django_capture_on_commit_callbacks(execute=True):
        loop.review(hl.operator, order, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        loop.callback(hl.operator, order, satisfaction="satisfied", score=5)
    messages = list(Message.objects.filter(recipient=citizen).order_by("pk"))
    assert [m.title for m in messages] == [
        "您的诉求已受理",
        "您的诉求已有办理结果",
        "您的诉求已办结",
    ]
    assert "已清运完毕" in messages[1].body and order.number in messages[0].body
    # the staff's messages are theirs: the citizen hears nothing of 派单 or 审核
    assert not Message.objects.filter(recipient=citizen, title="新派工单").exists()
