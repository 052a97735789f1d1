"""Who is told about a sharing request or a grant (in-app inbox): the data authority of a
new submission and of a dispute, the provider when a request reaches it, the requester of
every decision, both sides of a revocation, the consumer of a grant about to expire —
nobody else."""

import datetime as dt

import pytest

from shuzheng.data.sharing import services
from shuzheng.foundation.events.notifications.models import Message
from tests.data.sharing.conftest import at, fresh, inbox, titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a block with its events delivered (the handlers run after commit)."""

    def go(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return go


def test_the_whole_path_tells_each_party_its_part(dm, new_request, run, clock):
    clock.set(at(11, 30, 9))
    request = run(new_request)
    assert titles(dm.authority) == ["共享申请待合规审查"]
    (message,) = inbox(dm.authority)
    assert request.number in message.body and "卫生健康局" in message.body
    assert "2026-12-02 18:00" in message.body
    assert message.link == f"/workbench/data/sharing/requests/{request.number}/"
    assert inbox(dm.ga_admin) == [] and inbox(dm.wj_admin) == []

    run(services.act, dm.authority, request, "to_provider", revision=fresh(request).revision)
    assert titles(dm.ga_admin) == ["共享申请已通过合规审查，待提供方审核"]
    assert titles(dm.wj_admin) == ["共享申请已通过合规审查，待提供方审核"]

    run(
        services.act,
        dm.ga_admin,
        request,
        "reject",
        revision=fresh(request).revision,
        reason="涉密",
    )
    assert titles(dm.wj_admin)[-1] == "提供方不同意共享"
    assert "涉密" in inbox(dm.wj_admin)[-1].body

    run(
        services.act,
        dm.wj_admin,
        request,
        "dispute",
        revision=fresh(request).revision,
        reason="必需",
    )
    assert titles(dm.authority)[-1] == "共享争议待协调"
    assert "必需" in inbox(dm.authority)[-1].body

    run(
        services.act,
        dm.authority,
        request,
        "coordinate_grant",
        revision=fresh(request).revision,
        opinion="同意",
    )
    grant = fresh(request).grant
    assert titles(dm.wj_admin)[-1] == "共享申请已授权"
    body = inbox(dm.wj_admin)[-1].body
    assert grant.number in body and "2026-11-30 至 2027-11-29" in body
    # the provider hears of a grant of its data made by coordination
    assert titles(dm.ga_admin)[-1] == "共享申请已授权"

    run(services.revoke, dm.ga_admin, grant, reason="超范围使用")
    assert titles(dm.wj_admin)[-1] == titles(dm.ga_admin)[-1] == "共享授权已撤销"
    assert "超范围使用" in inbox(dm.wj_admin)[-1].body
    assert inbox(dm.wj_admin)[-1].link == f"/workbench/data/sharing/grants/{grant.number}/"
    assert not Message.objects.filter(recipient__in=[dm.outsider, dm.wj_user]).exists()


def test_the_provider_is_not_told_of_its_own_approval(dm, new_request, run):
    request = new_request()
    run(services.act, dm.authority, request, "to_provider", revision=fresh(request).revision)
    Message.objects.all().delete()
    run(services.act, dm.ga_admin, request, "approve", revision=fresh(request).revision)
    assert titles(dm.wj_admin) == ["共享申请已授权"]
    assert inbox(dm.ga_admin) == [] and inbox(dm.authority) == []


def test_a_return_tells_the_requester_why(dm, new_request, run):
    request = new_request()
    run(
        services.act,
        dm.authority,
        request,
        "return",
        revision=fresh(request).revision,
        reason="依据不足",
    )
    assert titles(dm.wj_admin) == ["共享申请被退回修改"]
    assert "依据不足" in inbox(dm.wj_admin)[0].body


def test_a_coordination_request_goes_to_the_authority(dm, make_entry, run):
    from tests.data.sharing.conftest import request_kwargs

    secret = make_entry(dm.gongan, dm.ga_admin, name="出入境记录", share_type="none")
    run(
        services.request_coordination,
        dm.wj_admin,
        entry=secret,
        reason="流调需要",
        **request_kwargs(),
    )
    assert titles(dm.authority) == ["不予共享数据的协调申请"]
    assert "流调需要" in inbox(dm.authority)[0].body


def test_the_consumer_hears_of_an_expiring_grant_once(dm, new_request, run, clock):
    clock.set(at(11, 30, 9))
    request = new_request(period_end=dt.date(2026, 12, 31))
    services.act(dm.authority, request, "to_provider", revision=fresh(request).revision)
    services.act(dm.ga_admin, request, "approve", revision=fresh(request).revision)
    clock.set(at(12, 26, 9))
    run(services.notify_expiring)
    run(services.notify_expiring)
    assert titles(dm.wj_admin) == ["共享授权即将到期"]
    assert "2026-12-31" in inbox(dm.wj_admin)[0].body
    assert inbox(dm.ga_admin) == []


def test_a_refused_act_tells_nobody(dm, new_request, run):
    request = new_request()
    Message.objects.all().delete()
    with pytest.raises(Exception):  # noqa: B017
        run(services.act, dm.ga_admin, request, "to_provider", revision=fresh(request).revision)
    assert not Message.objects.exists()
