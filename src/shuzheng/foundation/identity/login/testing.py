"""Helpers for tests (never imported by request code)."""

import time

from django.contrib.auth import SESSION_KEY, get_user_model
from django_otp.oath import TOTP

from shuzheng.foundation.identity.login import session


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for ``device`` now (or ``steps_ahead`` 30-second
    steps later: a code is accepted once, so a second sign-in within one step needs the next).
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def fully_signed_in(client) -> None:
    """Turn a test client's ``login()``/``force_login()`` session into one that has passed every
    step after the password (second factor included)."""
    store = client.session
    if SESSION_KEY not in store:
        return
    user = get_user_model()._default_manager.get(pk=store[SESSION_KEY])
    session.mark_fully_signed_in(store, user)
    store.save()
