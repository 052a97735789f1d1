"""Test settings: the real settings with a throwaway key and fast password hashing."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-not-secret-" + "x" * 40)

from shuzheng.config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when missing)
WHITENOISE_AUTOREFRESH = True

# Throwaway keys for this test run (created by tests/conftest.py).
KEYS_DIR = Path(tempfile.mkdtemp(prefix="shuzheng-keys-"))  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not :memory:, so the live server's threads use their own connections.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"shuzheng-test-{os.getpid()}.sqlite3")
    }
