"""The gateway across a rotation of the blind-index key (``rotatekeys --blind-index``).

Client secrets are salted SM3 digests that depend on no key, so every client keeps working;
rows of the first scheme (HMAC-SM3 under the blind-index key) are verified and upgraded on
first use. The exchange log's keyed hashes (end user, query values, record keys) cannot be
recomputed and the old key is not kept: the rotation says so, and a search by end user
finds only the calls made under the current key."""

import io
import shutil

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from shuzheng.data.exchange import services
from shuzheng.data.exchange.gateway import core
from shuzheng.data.exchange.models import ClientApp, ExchangeLog
from shuzheng.foundation.trust import keys, pii
from tests.data.conftest import POPULATION_ROWS

pytestmark = pytest.mark.django_db

ZHANG, _LI = POPULATION_ROWS


@pytest.fixture
def rotate(settings, tmp_path, monkeypatch):
    """``rotate()`` runs ``rotatekeys --blind-index`` on a copy of the run's keys (the other
    tests keep theirs) and returns what it wrote to stderr."""
    monkeypatch.delenv("BLIND_INDEX_KEY", raising=False)
    monkeypatch.delenv("PII_KEYS", raising=False)
    folder = tmp_path / "keys"
    shutil.copytree(django_settings.KEYS_DIR, folder)
    settings.KEYS_DIR = folder
    keys.forget()

    def do(*options) -> str:
        before = keys.blind_index_key()
        err = io.StringIO()
        call_command("rotatekeys", "--blind-index", *options, stdout=io.StringIO(), stderr=err)
        assert keys.blind_index_key() != before
        return err.getvalue()

    yield do
    keys.forget()


@pytest.fixture
def long_cache(settings):
    """Cached client rows outlive the test (never expiring by the clock)."""
    settings.DATA_EXCHANGE_GATEWAY_CACHE_SECONDS = 3600


def stored_hash(client) -> str:
    return ClientApp.objects.values_list("secret_hash", flat=True).get(pk=client.pk)


def make_legacy(client, secret) -> str:
    """The row as the first scheme stored it: HMAC-SM3 under the blind-index key."""
    legacy = pii.blind_index(core.SECRET_KIND, secret)
    ClientApp.objects.filter(pk=client.pk).update(secret_hash=legacy)
    core.forget()
    return legacy


def last_log():
    return ExchangeLog.objects.order_by("-seq").first()


def test_secret_hashes_are_salted_sm3_and_verify(xw):
    stored = stored_hash(xw.client)
    scheme, salt, digest = stored.split("$")
    assert (scheme, len(salt), len(digest)) == ("sm3", 32, 64)
    assert not core.is_legacy_secret_hash(stored)
    assert core.verify_secret(stored, xw.secret)
    assert not core.verify_secret(stored, xw.secret + "x")
    assert core.secret_hash(xw.secret) != core.secret_hash(xw.secret)  # a new salt each time
    assert not core.verify_secret("sm3$$" + digest, xw.secret)


def test_an_existing_client_still_calls_after_a_rotation(xw, call, rotate, long_cache):
    assert call("/records").status == 200  # cached now
    before = stored_hash(xw.client)
    rotate()
    reply = call(f"/records/{ZHANG['id_number']}")  # the record key's index is recomputed
    assert reply.status == 200, reply
    assert reply.json["records"][0]["name"] == "张**"
    core.forget()
    assert call("/records").status == 200
    assert stored_hash(xw.client) == before


def test_a_client_created_after_a_rotation_calls(xw, call, rotate):
    rotate()
    client, secret = services.create_client(
        xw.dm.wj_admin, organisation=xw.dm.weijian, name="新系统", system_code="newer"
    )
    assert call("/records", token=f"{client.key_id}.{secret}").status == 200
    assert call("/records", token=f"{client.key_id}.{secret}x").status == 401


def test_a_legacy_secret_hash_is_verified_and_upgraded_on_first_use(xw, call, rotate, long_cache):
    legacy = make_legacy(xw.client, xw.secret)
    assert core.is_legacy_secret_hash(legacy)
    # a wrong secret neither passes nor upgrades
    assert call("/records", token=f"{xw.client.key_id}.wrong").status == 401
    assert last_log().reason == "bad_credentials"
    assert stored_hash(xw.client) == legacy
    # the right one passes and upgrades the row
    assert call("/records").status == 200
    upgraded = stored_hash(xw.client)
    assert upgraded.startswith("sm3$") and core.verify_secret(upgraded, xw.secret)
    assert call("/records").status == 200
    assert stored_hash(xw.client) == upgraded  # upgraded once
    # the cache holds the upgraded row, not the legacy hash: a rotation does not break it
    rotate()
    assert call("/records").status == 200
    assert last_log().reason == ""


def test_an_upgrade_does_not_overwrite_a_secret_rotated_meanwhile(xw, call, long_cache):
    make_legacy(xw.client, xw.secret)
    assert call("/records").status == 200  # cached with the legacy hash, then upgraded
    new_secret = services.rotate_secret(xw.dm.wj_admin, xw.client, revision=0)
    fresh = stored_hash(xw.client)
    row = core._client(xw.client.key_id)  # the row as a process read it before the rotation
    core._upgrade_secret_hash(row._replace(secret_hash=pii.blind_index(core.SECRET_KIND, "x")), "x")
    assert stored_hash(xw.client) == fresh
    core.forget()
    assert call("/records", token=f"{xw.client.key_id}.{new_secret}").status == 200
    assert call("/records").status == 401


def test_a_legacy_client_that_never_called_fails_after_a_rotation_which_names_it(xw, call, rotate):
    make_legacy(xw.client, xw.secret)
    other, other_secret = services.create_client(
        xw.dm.wj_admin, organisation=xw.dm.weijian, name="新系统", system_code="newer"
    )
    warned = rotate()
    assert "bad_credentials" in warned and xw.client.key_id in warned
    assert other.key_id not in warned
    reply = call("/records")
    assert reply.status == 401
    assert last_log().reason == "bad_credentials"
    assert call("/records", token=f"{other.key_id}.{other_secret}").status == 200
    # the remedy the warning gives: a new secret
    secret = services.rotate_secret(xw.dm.wj_admin, xw.client, revision=0)
    core.forget()
    assert call("/records", token=f"{xw.client.key_id}.{secret}").status == 200


def test_log_hashes_stay_under_the_old_key_and_the_rotation_says_so(xw, call, rotate):
    end_user = {"X-End-User": "经办人-0042"}
    assert call("/records", headers=end_user).status == 200
    old = last_log().end_user_hash
    assert old == pii.blind_index(core.END_USER_KIND, "经办人-0042")
    warned = rotate()
    assert "exchange.ExchangeLog" in warned and "end_user_hash" in warned
    assert "1 rows" in warned
    assert call("/records", headers=end_user).status == 200
    new = last_log().end_user_hash
    # the old key is gone: the same end user now hashes differently, and a search by the
    # current hash finds only the call made after the rotation (as the warning says)
    assert new == pii.blind_index(core.END_USER_KIND, "经办人-0042") != old
    found = ExchangeLog.objects.filter(
        end_user_hash=pii.blind_index(core.END_USER_KIND, "经办人-0042")
    )
    assert found.count() == 1
    assert ExchangeLog.objects.filter(end_user_hash=old).count() == 1


def test_no_warning_without_anything_to_warn_of(rotate, db):
    assert rotate() == ""
