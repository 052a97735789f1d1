"""One-time recovery codes: 10 per enrolment, shown once, stored as salted SM3 digests.

A code is 12 characters from a 31-letter alphabet without look-alikes (≈ 59 bits), so a
salted hash is enough to make a stolen table useless, and checking ten of them costs
microseconds (a slow password hash would cost seconds per attempt)."""

import hmac
import secrets
import unicodedata

from django.db import transaction
from django.utils import timezone

from shuzheng.foundation.identity.login.models import RecoveryCode
from shuzheng.foundation.trust import gm

COUNT = 10
LENGTH = 12
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def normalise(code: str) -> str:
    """What the user typed, minus spaces, dashes, case and full-width forms (Chinese IMEs)."""
    text = unicodedata.normalize("NFKC", code or "").lower()
    return "".join(c for c in text if c.isascii() and c.isalnum())


def _digest(code: str, salt: bytes) -> str:
    return f"sm3${salt.hex()}${gm.sm3(salt + code.encode()).hex()}"


def _matches(code: str, stored: str) -> bool:
    try:
        _scheme, salt_hex, _digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_digest(code, salt), stored)


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@transaction.atomic
def replace_codes(user) -> list[str]:
    """New codes for ``user``; every earlier code stops working. Returns them for display."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_digest(code, secrets.token_bytes(16))) for code in codes
    )
    return [display(code) for code in codes]


def use(user, typed: str) -> bool:
    """Spend the matching unused code; a code works once, even under concurrent attempts."""
    code = normalise(typed)
    if len(code) != LENGTH:
        return False
    for row in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
        if _matches(code, row.digest):
            spent = RecoveryCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
                used_at=timezone.now()
            )
            return spent == 1
    return False


def remaining(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
