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


def test_the_admin_site_opens_only_for_a_system_administrator_and_is_audited(tree, make_staff):
    from shuzheng.foundation import access

    sysadmin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    services.open_admin_site(access.SYSTEM, sysadmin)
    sysadmin.refresh_from_db()
    assert sysadmin.is_staff and sysadmin.is_superuser
    assert AuditRecord.objects.filter(action="identity.admin_site.open").count() == 1


def test_nobody_opens_the_admin_site_from_a_request_and_not_for_other_roles(tree, make_staff):
    from shuzheng.foundation import access

    sysadmin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    secadmin = make_staff(tree.zwfw, "security-admin", on=tree.city)
    with pytest.raises(PermissionDenied):
        services.open_admin_site(sysadmin, secadmin)
    with pytest.raises(ValidationError):
        services.open_admin_site(access.SYSTEM, secadmin)
    secadmin.refresh_from_db()
    assert not secadmin.is_superuser
    assert not AuditRecord.objects.filter(action="identity.admin_site.open").exists()


def test_createstaff_can_open_the_admin_site(tree):
    import io

    from django.core.management import call_command

    call_command(
        "createstaff",
        "--username",
        "zhou",
        "--name",
        "周建国",
        "--org",
        "440400",
        "--role",
        "system-admin",
        "--password",
        "Str0ng!pass",
        "--admin-site",
        stdout=io.StringIO(),
    )
    assert User.objects.get(username="zhou").is_superuser
