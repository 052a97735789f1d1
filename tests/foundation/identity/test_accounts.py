"""开通账号: citizens' and agents' login accounts, by the installation or window staff."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.models import User
from shuzheng.foundation.trust.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_window_staff_open_an_account_and_it_is_audited(tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    user = services.register_account(
        clerk, username="chenzm", display_name="陈志明", password="Zhuhai@2026"
    )
    assert user.check_password("Zhuhai@2026") and not hasattr(user, "staff")
    entry = AuditRecord.objects.filter(action="identity.account.register").get()
    assert entry.actor_username == clerk.username and "Zhuhai" not in str(entry.details)


def test_staff_who_may_not_register_persons_cannot_open_accounts(tree, make_staff):
    grid = make_staff(tree.gongbei, "grid-officer")
    with pytest.raises(PermissionDenied):
        services.register_account(grid, username="x1", display_name="某", password="Zhuhai@2026")
    assert not User.objects.filter(username="x1").exists()


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"username": " "}, "username"),
        ({"password": "123"}, "password"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_bad_input_is_refused_per_field(tree, make_staff, fields, field):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    data = {"username": "newuser", "display_name": "新用户", "password": "Zhuhai@2026", **fields}
    with pytest.raises(ValidationError) as refused:
        services.register_account(clerk, **data)
    assert field in refused.value.message_dict
    assert not User.objects.filter(username="newuser").exists()


def test_a_taken_username_is_refused(tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    with pytest.raises(ValidationError, match="已被使用"):
        services.register_account(
            clerk, username=clerk.username.upper(), display_name="重名", password="Zhuhai@2026"
        )
