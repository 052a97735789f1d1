"""Password policy (口令复杂度), history (no reuse of the last five) and expiry."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity_services
from shuzheng.foundation.identity.demo import DEMO_PASSWORD
from shuzheng.foundation.identity.login import services
from shuzheng.foundation.identity.login.models import PasswordHistory
from tests.foundation.identity.test_login_support import audit_rows, password_login

pytestmark = pytest.mark.django_db


def messages_for(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


def test_the_demo_password_satisfies_the_policy():
    assert messages_for(DEMO_PASSWORD) == []


@pytest.mark.parametrize(
    "password", ["Qwmz5678", "abcdefg1!", "ABCDEFG1!", "Abcdefg!", "珠海abcd12", "Zx9!Zx9!"]
)
def test_eight_characters_of_three_classes_pass(password):
    assert messages_for(password) == []


def test_seven_characters_are_too_short_whatever_their_mix():
    assert messages_for("Ab1!xyz") == ["密码太短：至少需要 8 个字符。"]


@pytest.mark.parametrize("password", ["abcdefgh1", "ABCDEFGHIJ", "abcd!@#$%^", "12345678!!"])
def test_fewer_than_three_classes_are_refused_with_the_rule(password):
    assert "密码须包含大写字母、小写字母、数字和符号四类中的至少 3 类。" in messages_for(password)


def test_every_broken_rule_is_reported_at_once():
    assert messages_for("zhq") == [
        "密码太短：至少需要 8 个字符。",
        "密码须包含大写字母、小写字母、数字和符号四类中的至少 3 类。",
    ]


def test_messages_follow_the_language():
    with translation.override("en"):
        text = " ".join(messages_for("zhq"))
    assert "8" in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_creating_staff_applies_the_policy(tree):
    with pytest.raises(ValidationError) as caught:
        identity_services.create_staff(
            access.SYSTEM,
            organisation=tree.xiangzhou,
            username="weak",
            display_name="弱口令",
            password="password",
        )
    assert "password" in caught.value.message_dict
    assert not PasswordHistory.objects.exists()


# --- history -------------------------------------------------------------------------------


def set_passwords(user, *passwords):
    for password in passwords:
        user.set_password(password)
        user.save()


def test_the_last_five_passwords_are_refused_and_the_sixth_oldest_is_allowed(django_user_model):
    first, *recent = [f"Zhuhai@202{n}" for n in range(6)]
    user = django_user_model.objects.create_user("citizen", password=first)
    set_passwords(user, *recent)
    assert PasswordHistory.objects.filter(user=user).count() == 5
    for password in recent:
        assert messages_for(password, user) == ["不能使用最近 5 次用过的密码，请换一个新密码。"]
    assert messages_for(first, user) == []


def test_history_keeps_hashes_not_passwords(django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    (stored,) = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    assert stored == user.password and "Zhuhai@2026" not in stored


def test_history_is_per_account(django_user_model):
    django_user_model.objects.create_user("one", password="Zhuhai@2026")
    other = django_user_model.objects.create_user("two", password="Other@2026")
    assert messages_for("Zhuhai@2026", other) == []


def test_changing_the_password_records_history_and_refuses_reuse(django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    services.change_password(user, old_password="Zhuhai@2026", new_password="Macau@2027")
    with pytest.raises(ValidationError) as caught:
        services.change_password(user, old_password="Macau@2027", new_password="Zhuhai@2026")
    assert caught.value.message_dict == {
        "new_password": ["不能使用最近 5 次用过的密码，请换一个新密码。"]
    }
    user.refresh_from_db()
    assert user.check_password("Macau@2027")
    assert PasswordHistory.objects.filter(user=user).count() == 2


def test_a_wrong_old_password_changes_nothing(django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    with pytest.raises(ValidationError) as caught:
        services.change_password(user, old_password="guess", new_password="Macau@2027")
    assert caught.value.message_dict == {"old_password": ["原密码不正确。"]}
    user.refresh_from_db()
    assert user.check_password("Zhuhai@2026")
    assert PasswordHistory.objects.filter(user=user).count() == 1


# --- the change page -----------------------------------------------------------------------


def test_password_change_page_changes_it_and_keeps_the_session(client, django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "Zhuhai@2026",
            "new_password1": "Macau@2027",
            "new_password2": "Macau@2027",
            "next": "/me/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.get("/me/").status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password("Macau@2027")
    changes = audit_rows("identity.password.change")
    assert [(a, r) for a, r, _o, _d in changes] in ([], [("identity.password.change", "success")])
    assert all("Macau" not in str(d) for *_rest, d in changes)


@pytest.mark.parametrize(
    "form,field,message",
    [
        ({"new_password1": "Macau@2027", "new_password2": "Macau@2028"}, "new_password2", "不一致"),
        ({"new_password1": "short", "new_password2": "short"}, "new_password", "密码太短"),
        ({"old_password": "wrong"}, "old_password", "原密码不正确"),
    ],
)
def test_password_change_page_shows_what_is_wrong(client, django_user_model, form, field, message):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    client.force_login(user)
    data = {
        "old_password": "Zhuhai@2026",
        "new_password1": "Macau@2027",
        "new_password2": "Macau@2027",
    } | form
    response = client.post("/accounts/password/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("Zhuhai@2026")


# --- expiry --------------------------------------------------------------------------------


def age_password(user, days):
    PasswordHistory.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_an_expired_password_must_be_changed_before_anything_else(client, django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    age_password(user, 91)
    response = password_login(client, "citizen", "Zhuhai@2026")
    assert response.status_code == 302
    for url in ("/me/", "/", "/workbench/"):
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith("/accounts/password/")
    page = client.get("/accounts/password/")
    assert "您的密码已超过有效期" in page.content.decode()
    assert client.get("/api/v1/me/").status_code in (401, 403)  # the session is not yet good
    client.post(
        "/accounts/password/",
        {
            "old_password": "Zhuhai@2026",
            "new_password1": "Macau@2027",
            "new_password2": "Macau@2027",
        },
    )
    assert client.get("/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_a_password_younger_than_the_limit_is_not_expired(client, django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    age_password(user, 89)
    password_login(client, "citizen", "Zhuhai@2026")
    assert client.get("/me/").status_code == 200


def test_expiry_is_configurable_and_zero_means_never(client, django_user_model, settings):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    age_password(user, 3650)
    settings.PASSWORD_MAX_AGE_DAYS = 0
    password_login(client, "citizen", "Zhuhai@2026")
    assert client.get("/me/").status_code == 200
    client.logout()
    settings.PASSWORD_MAX_AGE_DAYS = 7
    age_password(user, 8)
    password_login(client, "citizen", "Zhuhai@2026")
    assert client.get("/me/")["Location"].startswith("/accounts/password/")


def test_an_account_without_history_dates_its_password_from_its_creation(client, django_user_model):
    user = django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    PasswordHistory.objects.all().delete()
    django_user_model.objects.filter(pk=user.pk).update(
        date_joined=timezone.now() - timedelta(days=100)
    )
    password_login(client, "citizen", "Zhuhai@2026")
    assert client.get("/me/")["Location"].startswith("/accounts/password/")
