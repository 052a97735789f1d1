"""The mandatory second factor (TOTP) for staff and 三员: verify, enrol, recovery codes, and
that a password-only session reaches nothing else — pages or API."""

import re
from base64 import b32encode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from shuzheng.foundation.identity.login import recovery
from shuzheng.foundation.identity.login.models import RecoveryCode
from shuzheng.foundation.identity.login.testing import totp_code
from tests.foundation.identity.test_login_support import (
    PASSWORD,
    audit_rows,
    password_login,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db
VERIFY = "/accounts/second-factor/"
ENROL = "/accounts/second-factor/enrol/"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.LOGIN_RATE_PER_MINUTE = 0


@pytest.fixture
def clerk(tree, make_staff):
    return make_staff(tree.xiangzhou, "window-clerk")


@pytest.fixture
def device(clerk):
    return TOTPDevice.objects.create(user=clerk, name="TOTP", confirmed=True)


def reset_throttle(device):
    """Skip django-otp's back-off (1 s, 2 s, 4 s … after each wrong code) instead of sleeping."""
    device.refresh_from_db()
    device.throttle_reset()


def code_for(device, steps_ahead=0):
    device.refresh_from_db()
    return totp_code(device, steps_ahead=steps_ahead)


# --- a password-only session ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/workbench/", "/workbench/staff/", "/ops/", "/admin/", "/me/", "/", "/accounts/password/"],
)
def test_after_the_password_only_the_second_factor_page_is_reachable(client, clerk, device, url):
    password_login(client, clerk.username)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY}?next=")


def test_staff_without_a_device_are_sent_to_enrol(client, clerk):
    password_login(client, clerk.username)
    response = client.get("/workbench/", follow=True)
    assert response.redirect_chain[-1][0].startswith(ENROL)
    assert "绑定动态口令" in response.content.decode()


def test_the_api_does_not_accept_a_password_only_session(client, clerk, device):
    password_login(client, clerk.username)
    response = client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/problem+json"
    assert client.post("/api/v1/persons/", {}, content_type="application/json").status_code in (
        401,
        403,
    )


def test_login_logout_language_and_healthz_stay_reachable(client, clerk, device):
    password_login(client, clerk.username)
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert signed_in_user_id(client) is None


def test_htmx_requests_are_sent_to_the_second_factor_as_a_full_page(client, clerk, device):
    password_login(client, clerk.username)
    response = client.get("/workbench/staff/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(VERIFY)


# --- verify ---------------------------------------------------------------------------------


def test_a_current_code_completes_the_login_and_goes_on_to_next(client, clerk, device):
    password_login(client, clerk.username, next_url="/workbench/staff/")
    before = client.session.session_key
    page = client.get(VERIFY, {"next": "/workbench/staff/"})
    assert page.status_code == 200 and "动态口令验证" in page.content.decode()
    response = client.post(VERIFY, {"code": code_for(device), "next": "/workbench/staff/"})
    assert response.status_code == 302 and response["Location"] == "/workbench/staff/"
    assert client.session.session_key != before  # a new session id after the second factor
    assert client.get("/workbench/").status_code == 200
    assert client.get("/api/v1/me/").json()["username"] == clerk.username
    assert client.get(VERIFY)["Location"] == "/accounts/after-login/"  # nothing left to do


def test_the_login_page_then_the_code_lands_staff_on_the_workbench(client, clerk, device):
    response = password_login(client, clerk.username, follow=True)
    assert response.redirect_chain[-1][0].startswith(VERIFY)
    response = client.post(
        VERIFY, {"code": code_for(device), "next": "/accounts/after-login/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/workbench/"


def test_a_wrong_code_is_refused_and_the_session_stays_pending(client, clerk, device):
    password_login(client, clerk.username)
    response = client.post(VERIFY, {"code": "000000" if code_for(device) != "000000" else "1"})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert client.get("/workbench/").status_code == 302


def test_a_code_is_accepted_only_once(client, clerk, device):
    code = code_for(device)
    password_login(client, clerk.username)
    client.post(VERIFY, {"code": code})
    client.logout()
    password_login(client, clerk.username)
    reset_throttle(device)
    assert client.post(VERIFY, {"code": code}).status_code == 400


def test_full_width_digits_from_a_chinese_keyboard_are_accepted(client, clerk, device):
    password_login(client, clerk.username)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code_for(device))
    assert client.post(VERIFY, {"code": wide}).status_code == 302


def test_five_wrong_codes_lock_the_account(client, clerk, device):
    password_login(client, clerk.username)
    for _ in range(4):
        reset_throttle(device)  # django-otp's own back-off would refuse fast retries
        assert client.post(VERIFY, {"code": "12345"}).status_code == 400
    response = client.post(VERIFY, {"code": "12345"}, follow=True)
    assert signed_in_user_id(client) is None
    assert "账号已暂时锁定" in response.content.decode()
    assert password_login(client, clerk.username).status_code == 200  # locked: refused
    failures = audit_rows("identity.mfa.verify")
    if failures:
        assert [r for _a, r, _o, _d in failures] == ["denied"] * 5


# --- enrolment ------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_inline_and_the_secret(client, clerk):
    password_login(client, clerk.username)
    page = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=clerk)
    assert not device.confirmed
    assert "<svg" in page and "<img" not in page.split('id="main"')[1]
    assert b32encode(device.bin_key).decode()[:4] in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret == b32encode(device.bin_key).decode()
    assert secret[:4] in client.get(ENROL).content.decode()  # the same device on reload
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


def test_enrolment_confirms_with_a_first_code_and_shows_ten_recovery_codes_once(client, clerk):
    password_login(client, clerk.username)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=clerk)
    response = client.post(ENROL, {"code": code_for(device), "next": "/workbench/"})
    assert response.status_code == 200
    page = response.content.decode()
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/workbench/"' in page
    assert "no-store" in response["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed
    stored = list(RecoveryCode.objects.filter(user=clerk).values_list("digest", flat=True))
    assert len(stored) == 10
    assert not any(recovery.normalise(c) in d for c in codes for d in stored)
    assert client.get("/workbench/").status_code == 200
    assert client.get(ENROL)["Location"] == "/accounts/after-login/"  # not shown again
    enrolments = audit_rows("identity.mfa.enrol")
    if enrolments:
        ((_a, result, _o, details),) = enrolments
        assert result == "success" and secret_free(details, device)


def secret_free(details, device) -> bool:
    return device.key not in str(details) and b32encode(device.bin_key).decode() not in str(details)


def test_a_wrong_first_code_leaves_the_device_unconfirmed(client, clerk):
    password_login(client, clerk.username)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "12"})
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.get(user=clerk).confirmed
    assert not RecoveryCode.objects.exists()
    assert client.get("/workbench/").status_code == 302


def test_enrolled_staff_are_not_offered_enrolment_again(client, clerk, device):
    password_login(client, clerk.username)
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


# --- recovery codes -------------------------------------------------------------------------


def test_a_recovery_code_replaces_a_totp_code_once(client, clerk, device):
    codes = recovery.replace_codes(clerk)
    password_login(client, clerk.username)
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.status_code == 200 and signed_in_user_id(client) == str(clerk.pk)
    assert "还剩 9 个" in response.content.decode()
    client.logout()
    password_login(client, clerk.username)
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 400
    reset_throttle(device)
    assert client.post(VERIFY, {"code": codes[1].replace("-", "")}).status_code == 302
    used = audit_rows("identity.mfa.recovery_code")
    if used:
        assert len(used) == 2 and all(codes[0] not in str(d) for *_, d in used)


def test_new_recovery_codes_replace_the_old_ones(clerk):
    old = recovery.replace_codes(clerk)
    new = recovery.replace_codes(clerk)
    assert not recovery.use(clerk, old[0])
    assert recovery.use(clerk, new[0])
    assert recovery.remaining(clerk) == 9


# --- who is asked ----------------------------------------------------------------------------


def test_citizens_are_not_asked_for_a_second_factor(client, django_user_model):
    django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    response = password_login(client, "citizen", "Zhuhai@2026", follow=True)
    assert response.redirect_chain[-1][0] == "/me/"
    assert not TOTPDevice.objects.exists()


def test_admin_accounts_are_asked_even_without_a_staff_profile(client, django_user_model):
    admin = django_user_model.objects.create_user("root", password="Zhuhai@2026")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    password_login(client, "root", "Zhuhai@2026")
    assert client.get("/admin/")["Location"].startswith(VERIFY)


def test_holders_of_a_triad_role_are_asked(client, tree, make_staff):
    secadmin = make_staff(tree.city, "security-admin")
    secadmin.staff.delete()  # even without a staff profile
    password_login(client, secadmin.username)
    assert client.get("/me/")["Location"].startswith(VERIFY)


def test_the_requirement_can_be_switched_off(client, clerk, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    password_login(client, clerk.username)
    assert client.get("/workbench/").status_code == 200


def test_with_the_requirement_off_an_enrolled_account_is_still_asked(
    client, clerk, device, settings
):
    settings.MFA_REQUIRED_FOR_STAFF = False
    password_login(client, clerk.username)
    assert client.get("/workbench/")["Location"].startswith(VERIFY)


def test_test_clients_force_login_counts_as_a_complete_sign_in(client, clerk):
    client.force_login(clerk)
    assert client.get("/workbench/").status_code == 200


# --- API tokens -----------------------------------------------------------------------------


def token(api, username, password=PASSWORD, **body):
    return api.post(
        "/api/v1/auth/token/", {"username": username, "password": password, **body}, format="json"
    )


def test_staff_get_a_token_only_with_a_current_code(api, clerk, device):
    missing = token(api, clerk.username)
    reset_throttle(device)
    wrong = token(api, clerk.username, otp="000000" if code_for(device) != "000000" else "111111")
    wrong_password = token(api, clerk.username, password="nope", otp=code_for(device))
    assert missing.status_code == wrong.status_code == wrong_password.status_code == 400
    assert missing.json() == wrong.json() == wrong_password.json()
    assert not Token.objects.exists()
    reset_throttle(device)
    good = token(api, clerk.username, otp=code_for(device, steps_ahead=1))
    assert good.status_code == 200
    assert good.json() == {"token": Token.objects.get(user=clerk).key}


def test_staff_without_a_device_must_enrol_in_the_browser_first(api, clerk):
    response = token(api, clerk.username)
    assert response.status_code == 403
    assert response.json()["type"].endswith("mfa-enrolment-required")
    assert not Token.objects.exists()


def test_citizens_get_a_token_with_the_password(api, django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    response = token(api, "citizen", "Zhuhai@2026")
    assert response.json() == {"token": Token.objects.get(user=user).key}
    issued = audit_rows("identity.token.issue")
    if issued:
        assert [r for _a, r, _o, _d in issued] == ["success"]


def test_an_expired_password_gets_no_token(api, django_user_model, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 1
    from datetime import timedelta

    from django.utils import timezone

    from shuzheng.foundation.identity.login.models import PasswordHistory

    django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    PasswordHistory.objects.update(created_at=timezone.now() - timedelta(days=2))
    response = token(api, "citizen", "Zhuhai@2026")
    assert response.status_code == 403 and response.json()["type"].endswith("password-expired")
    assert not Token.objects.exists()


def test_the_admin_resets_an_authenticator_without_ever_showing_its_secret(
    client, clerk, device, django_user_model
):
    root = django_user_model.objects.create_user("root", password="x")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    listing = client.get("/admin/otp_totp/totpdevice/")
    detail = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert listing.status_code == detail.status_code == 200
    for page in (listing, detail):
        assert device.key not in page.content.decode()
        assert b32encode(device.bin_key).decode() not in page.content.decode()
    client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    client.logout()
    password_login(client, clerk.username)
    assert client.get("/workbench/", follow=True).redirect_chain[-1][0].startswith(ENROL)
