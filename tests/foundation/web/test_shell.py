"""The web shell: faces, languages, care mode, navigation by permission, error pages."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from shuzheng.foundation.identity.login.testing import totp_code
from tests.fresh_settings import run_python

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_portal_lists_departments_and_districts(client, tree):
    page = client.get("/").content.decode()
    assert "珠海市政务服务数据管理局" in page and "香洲区" in page


def test_portal_search_finds_organisations(client, tree):
    page = client.get("/", {"q": "拱北"}).content.decode()
    assert reverse("web:organisation", args=[tree.gongbei.pk]) in page
    assert reverse("web:organisation", args=[tree.jingan.pk]) not in page


def test_organisation_page_shows_its_chain_and_children(client, tree):
    page = client.get(reverse("web:organisation", args=[tree.gongbei.pk])).content.decode()
    assert "香洲区" in page and "夏湾社区" in page and "440402005000" in page


@pytest.mark.parametrize(
    "header,expected",
    [
        ("zh-MO", "zh-hant"),
        ("zh-HK,zh;q=0.8", "zh-hant"),
        ("pt-MO", "pt"),
        ("en-GB", "en"),
        ("xx-YY", "zh-hans"),
        ("", "zh-hans"),
    ],
)
def test_browser_language_maps_to_a_supported_one(client, header, expected):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response["Content-Language"] == expected
    assert f'<html lang="{expected}"' in response.content.decode()


def test_language_switcher_renders_traditional_chinese(client):
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert "長者模式" in client.get("/").content.decode()


def test_unknown_language_choice_keeps_the_default(client):
    client.post("/i18n/setlang/", {"language": "klingon", "next": "/"})
    response = client.get("/")
    assert response["Content-Language"] == "zh-hans"
    assert "长者模式" in response.content.decode()


def test_care_mode_toggles_and_is_remembered(client):
    assert 'class="care-mode"' not in client.get("/").content.decode()
    client.post(reverse("web:care-mode"), {"next": "/"})
    assert 'class="care-mode"' in client.get("/").content.decode()
    client.post(reverse("web:care-mode"), {"next": "/"})
    assert 'class="care-mode"' not in client.get("/").content.decode()


def test_care_mode_never_redirects_off_site(client):
    response = client.post(reverse("web:care-mode"), {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_workbench_requires_login_and_a_staff_role(client, tree, make_staff, django_user_model):
    assert client.get("/workbench/").status_code == 302
    client.force_login(django_user_model.objects.create_user("citizen", password="x"))
    assert client.get("/workbench/").status_code == 403
    client.force_login(make_staff(tree.xiangzhou, "window-clerk"))
    assert client.get("/workbench/").status_code == 200


def test_ops_is_for_the_operations_centre_only(client, tree, make_staff):
    client.force_login(make_staff(tree.xiangzhou, "window-clerk"))
    assert client.get("/ops/").status_code == 403
    client.force_login(make_staff(tree.zwfw, "ops-operator", on=tree.city))
    page = client.get("/ops/").content.decode()
    assert "香洲区" in page and "斗门区" in page


def test_workbench_menu_shows_only_what_the_user_may_use(client, tree, make_staff):
    client.force_login(make_staff(tree.xiangzhou, "window-clerk"))
    page = client.get("/workbench/").content.decode()
    assert reverse("web:staff-list") in page
    assert reverse("web:grant-list") not in page


def test_admin_is_for_the_system_administrator(client, tree, make_staff):
    secadmin = make_staff(tree.city, "security-admin")
    secadmin.is_staff = True
    secadmin.save()
    client.force_login(secadmin)
    assert client.get("/admin/").status_code == 302  # to the admin login: not allowed
    sysadmin = make_staff(tree.city, "system-admin")
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    assert client.get("/admin/").status_code == 200


def test_login_failure_message_does_not_say_which_part_was_wrong(client, tree, make_staff):
    user = make_staff(tree.xiangzhou, "window-clerk")
    wrong_password = client.post("/accounts/login/", {"username": user.username, "password": "no"})
    no_such_user = client.post("/accounts/login/", {"username": "nobody", "password": "no"})
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert "登录名或密码不正确" in wrong_password.content.decode()
    assert "登录名或密码不正确" in no_such_user.content.decode()


def test_login_sends_staff_to_the_workbench_and_citizens_to_their_page(
    client, tree, make_staff, django_user_model
):
    user = make_staff(tree.xiangzhou, "window-clerk")
    device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": "Zhuhai@2026x"}, follow=True
    )
    second_factor = response.redirect_chain[-1][0]  # staff: password, then the TOTP code
    assert second_factor.startswith("/accounts/second-factor/")
    response = client.post(second_factor, {"code": totp_code(device)}, follow=True)
    assert response.redirect_chain[-1][0] == "/workbench/"
    client.logout()
    django_user_model.objects.create_user("citizen", password="Zhuhai@2026x")
    response = client.post(
        "/accounts/login/", {"username": "citizen", "password": "Zhuhai@2026x"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/me/"


def test_page_404_is_html_and_api_404_is_problem_json(client):
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
    assert client.get("/api/nothing")["Content-Type"] == "application/problem+json"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_static_assets_are_vendored_not_from_a_cdn(client):
    page = client.get("/").content.decode()
    assert "vendor/htmx/htmx.min.js" in page and "vendor/bootstrap/bootstrap.min.css" in page
    assert "//cdn" not in page and "https://" not in page.split("<footer")[0].split("<body")[0]


def _start(env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_debug_and_without_a_key_the_server_refuses_to_start(tmp_path):
    result = _start(
        {"SHUZHENG_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_demo_key_is_generated_once_and_then_reused(tmp_path):
    env = {"SHUZHENG_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings"}
    subprocess.run(
        [sys.executable, "-m", "shuzheng.config.keyfile", str(tmp_path)],
        check=True,
        cwd=ROOT,
        timeout=30,
    )
    key = (tmp_path / "secret_key").read_text()
    assert len(key.strip()) >= 50
    assert _start(env).returncode == 0
    subprocess.run(
        [sys.executable, "-m", "shuzheng.config.keyfile", str(tmp_path)],
        check=True,
        cwd=ROOT,
        timeout=30,
    )
    assert (tmp_path / "secret_key").read_text() == key


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite settings apply to SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000


def test_a_fresh_sqlite_connection_has_the_configured_page_cache(settings):
    from django.db import connection, connections

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite settings apply to SQLite only")
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")  # negative: KiB; SQLite's own default -2000
            expected = -settings.SQLITE_CACHE_MB * 1024 if settings.SQLITE_CACHE_MB else -2000
            assert cursor.fetchone()[0] == expected
    finally:
        fresh.close()


def test_sqlite_cache_mb_sets_the_page_cache_of_new_connections(tmp_path):
    script = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('PRAGMA cache_size'); "
        "print(cursor.fetchone()[0])"
    )
    env = {"SHUZHENG_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50, "SQLITE_CACHE_MB": "16"}
    result = run_python(script, env, drop=("DATABASE_URL",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "-16384"


def test_without_database_url_the_default_is_sqlite_under_var(tmp_path):
    script = (
        "import json; from django.conf import settings; d = settings.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], str(d['NAME']), d['OPTIONS'], settings.TIME_ZONE, "
        "settings.LANGUAGE_CODE, [c for c, _ in settings.LANGUAGES]]))"
    )
    env = {"SHUZHENG_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50}
    result = run_python(script, env, drop=("DATABASE_URL", "SQLITE_CACHE_MB"))
    assert result.returncode == 0, result.stderr
    engine, name, options, time_zone, language, languages = json.loads(result.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "shuzheng.sqlite3")
    assert "journal_mode=WAL" in options["init_command"] and options["timeout"] == 20
    assert "cache_size" not in options["init_command"]  # SQLITE_CACHE_MB 0: SQLite's own
    assert time_zone == "Asia/Shanghai"
    assert language == "zh-hans" and languages == ["zh-hans", "zh-hant", "pt", "en"]


def test_demo_key_goes_where_the_settings_read_it(tmp_path):
    """`make demo` runs the key file module without arguments: it must honour
    SHUZHENG_VAR_DIR like the settings, or a non-DEBUG start finds no key."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env["SHUZHENG_VAR_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "shuzheng.config.keyfile"], check=True, cwd=ROOT, env=env, timeout=30
    )
    assert (tmp_path / "secret_key").exists()
    assert (
        _start(
            {
                "SHUZHENG_VAR_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings",
            }
        ).returncode
        == 0
    )
