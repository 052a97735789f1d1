import os
import sys

import pytest
from rest_framework.test import APIClient

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role
from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.models import OrgKind

os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", "/tmp/shuzheng-hypothesis")


@pytest.fixture(scope="session", autouse=True)
def _keys():
    """Demo-style keys in the run's throwaway KEYS_DIR."""
    from django.conf import settings

    from shuzheng.foundation.trust import keys

    keys.init(settings.KEYS_DIR)
    keys.forget()


@pytest.fixture(autouse=True)
def _login_controls(monkeypatch):
    """identity.login in tests: a test client's ``login()`` / ``force_login()`` stands for a
    complete sign-in, second factor included (tests of the second factor use the real pages),
    and the per-address rate-limit counters start at zero in every test."""
    from django.core.cache import cache
    from django.test import Client

    from shuzheng.foundation.identity.login.testing import fully_signed_in

    plain_login, plain_force_login = Client.login, Client.force_login

    def login(self, **credentials):
        done = plain_login(self, **credentials)
        if done:
            fully_signed_in(self)
        return done

    def force_login(self, user, backend=None):
        plain_force_login(self, user, backend)
        fully_signed_in(self)

    monkeypatch.setattr(Client, "login", login)
    monkeypatch.setattr(Client, "force_login", force_login)
    cache.clear()


@pytest.fixture(autouse=True)
def files_storage(settings, tmp_path):
    """Every test stores uploads in its own folder (never under var/), so "nothing stored"
    can be counted on disk."""
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    settings.FILES_TEMP_DIR = str(tmp_path / "tmp")
    os.makedirs(settings.FILES_TEMP_DIR)
    return root


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the installation's language: a request in another language
    leaves that language active in the thread, which would leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_work_calendar():
    """A year cached in one test must not outlive that test's rollback."""
    from shuzheng.foundation.workflow.calendar import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


def made_once(django_db_blocker, folder, make):
    """The body of a class- or module-scoped fixture (``yield from made_once(...)``): ``make()``
    runs once, in a transaction that is rolled back after the last test of the scope, and each
    test runs in a savepoint inside it (what Django's ``TestCase.setUpTestData`` does). Every
    test starts from what ``make()`` left and nothing outlives the scope; files it stores go
    under ``folder`` (tests store theirs in their own folder, see ``files_storage``). For
    expensive data that several tests only read: the demo, a generated benchmark table."""
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings

    storage = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder / "files"), "base_url": None},
        },
    }
    os.makedirs(folder / "tmp", exist_ok=True)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(STORAGES=storage, FILES_TEMP_DIR=str(folder / "tmp")):
                made = make()
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class Tree:
    """A small Zhuhai: city → 香洲区 → 拱北街道 → 夏湾社区; 斗门区 → 井岸镇; one department."""

    def __init__(self):
        org = lambda parent, name, kind, code="": services.create_organisation(  # noqa: E731
            access.SYSTEM, parent=parent, name=name, kind=kind, division_code=code
        )
        self.city = org(None, "珠海市", OrgKind.CITY, "440400")
        self.xiangzhou = org(self.city, "香洲区", OrgKind.DISTRICT, "440402")
        self.gongbei = org(self.xiangzhou, "拱北街道", OrgKind.STREET, "440402005000")
        self.xiawan = org(self.gongbei, "夏湾社区", OrgKind.COMMUNITY)
        self.doumen = org(self.city, "斗门区", OrgKind.DISTRICT, "440403")
        self.jingan = org(self.doumen, "井岸镇", OrgKind.TOWN, "440403100000")
        self.zwfw = org(self.city, "珠海市政务服务数据管理局", OrgKind.DEPARTMENT)


@pytest.fixture
def tree(db):
    return Tree()


@pytest.fixture
def make_staff(db):
    """make_staff(org, "role-code", on=grant_org) → a User with that staff role."""
    counter = {"n": 0}

    def make(org, role_code=None, *, on=None, name=None, password="Zhuhai@2026x"):
        counter["n"] += 1
        n = counter["n"]
        profile = services.create_staff(
            access.SYSTEM,
            organisation=org,
            username=f"u{n}_{role_code or 'staff'}",
            display_name=name or f"职员{n}",
            password=password,
            position="科员",
        )
        if role_code:
            access_services.grant_role(
                access.SYSTEM,
                user=profile.user,
                role=Role.objects.get(code=role_code),
                organisation=on or org,
            )
        return profile.user

    return make


@pytest.fixture
def api():
    return APIClient()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api_for():
    return api_as


@pytest.fixture(scope="session")
def browser():
    from tests.e2e.conftest import find_browser

    executable = find_browser()
    if executable is None:
        if os.environ.get("SHUZHENG_REQUIRE_BROWSER") == "1":
            pytest.fail("SHUZHENG_REQUIRE_BROWSER=1 but no chromium was found")
        pytest.skip(
            "NOTICE: browser tests skipped — no chromium on this machine "
            "(apt-get install chromium to run them)"
        )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + live server
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
