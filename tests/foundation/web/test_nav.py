"""Domain packages add shell menu entries; the shell shows only those the user may open and
whose pages are mounted."""

import pytest

from shuzheng.foundation.web import nav


@pytest.fixture
def entries():
    saved = dict(nav._workbench), dict(nav._portal)
    yield
    nav._workbench.clear(), nav._workbench.update(saved[0])
    nav._portal.clear(), nav._portal.update(saved[1])


def test_a_workbench_entry_shows_only_to_holders_of_its_capability(
    entries, tree, make_staff, client
):
    nav.workbench("web:staff-list", "测试菜单甲", "access.grant_role", order=1)
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    security = make_staff(tree.zwfw, "security-admin", on=tree.city)
    client.force_login(clerk)
    assert "测试菜单甲" not in client.get("/workbench/").content.decode()
    client.force_login(security)
    assert "测试菜单甲" in client.get("/workbench/").content.decode()


def test_an_entry_whose_page_is_not_mounted_is_left_out(entries, client, db):
    nav.portal("nowhere:page", "测试菜单乙")
    nav.portal("web:me", "测试菜单丙", login=True)
    page = client.get("/").content.decode()
    assert "测试菜单乙" not in page
    assert "测试菜单丙" not in page  # login-only entry, anonymous visitor
