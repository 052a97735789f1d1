"""Test settings: the real settings with a throwaway key and fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret-" + "x" * 40)

from shuzheng.config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when missing)
WHITENOISE_AUTOREFRESH = True
