"""口令复杂度 and 口令历史 as Django password validators (AUTH_PASSWORD_VALIDATORS), so every
path that sets a password — forms, services, ``createstaff``, the admin — applies them."""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and other characters (symbols) occur."""
    upper = any(c.isupper() for c in password)
    lower = any(c.islower() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.isupper() or c.islower() or c.isdigit()) for c in password)
    return upper + lower + digit + other


class ComplexityValidator:
    """At least ``min_length`` characters from at least ``min_classes`` of the four classes."""

    def __init__(self, min_length: int = 8, min_classes: int = 3):
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password, user=None):
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    _("密码太短：至少需要 %(min_length)d 个字符。"),
                    code="password_too_short",
                    params={"min_length": self.min_length},
                )
            )
        if character_classes(password) < self.min_classes:
            errors.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字和符号四类中的至少 %(min_classes)d 类。"),
                    code="password_too_simple",
                    params={"min_classes": self.min_classes},
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return _(
            "密码至少 %(min_length)d 个字符，并包含大写字母、小写字母、数字和符号中的至少 "
            "%(min_classes)d 类。"
        ) % {"min_length": self.min_length, "min_classes": self.min_classes}


class HistoryValidator:
    """Not one of the last ``keep`` passwords; also the hook that records each new password."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def _recent(self, user):
        if user is None or user.pk is None:
            return []
        from shuzheng.foundation.identity.login.models import PasswordHistory

        return list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.keep
            ]
        )

    def validate(self, password, user=None):
        if any(check_password(password, old) for old in self._recent(user)):
            raise ValidationError(
                _("不能使用最近 %(keep)d 次用过的密码，请换一个新密码。"),
                code="password_reused",
                params={"keep": self.keep},
            )

    def password_changed(self, password, user=None):
        """Called by Django after a user with a newly set password is saved."""
        record_password(user, keep=self.keep)

    def get_help_text(self):
        return _("不能与最近 %(keep)d 次用过的密码相同。") % {"keep": self.keep}


def record_password(user, *, keep: int) -> None:
    """Add the account's current password hash to its history and keep the newest ``keep``."""
    if user is None or user.pk is None or not user.has_usable_password():
        return
    from shuzheng.foundation.identity.login.models import PasswordHistory

    history = PasswordHistory.objects.filter(user=user)
    newest = history.values_list("password", flat=True).first()
    if newest == user.password:
        return  # already recorded (account creation reports it twice)
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = list(history.values_list("pk", flat=True)[keep:])
    PasswordHistory.objects.filter(pk__in=stale).delete()


def history_validator() -> HistoryValidator | None:
    from django.contrib.auth.password_validation import get_default_password_validators

    for validator in get_default_password_validators():
        if isinstance(validator, HistoryValidator):
            return validator
    return None
