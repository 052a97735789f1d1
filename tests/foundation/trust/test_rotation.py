"""Key rotation reaches every encrypted column of every app: ``rotatekeys`` finds each
``EncryptedField`` / ``EncryptedJSONField`` (and its blind indexes) in the installed models,
including those added by later issues, and re-encrypts every stored value under the new key."""

import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from shuzheng.foundation.trust import keys, pii

# Columns that must be rotated. A new encrypted column anywhere is found by the walk below
# without being listed here; this list guards against a registration that silently drops one.
KNOWN = {
    "identity.naturalperson.id_number",
    "identity.naturalperson.mobile",
    "cases.case.applicant_id_number",
    "cases.case.contact_phone",
    "cases.case.form_data",
    "hotline.workorder.caller_name",
    "hotline.workorder.caller_phone",
    "datacatalog.datasetrecord.key_value",
    "datacatalog.datasetrecord.data",
    "exchange.dataservice.remote_token",
}


def encrypted_columns_of_installed_models() -> dict[str, pii.EncryptedField]:
    found = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, pii.EncryptedField):
                found[f"{model._meta.label_lower}.{field.name}"] = field
    return found


def registered() -> set[str]:
    return {f"{f.model._meta.label_lower}.{f.name}" for f in pii.ENCRYPTED_FIELDS}


def test_every_encrypted_column_of_every_app_is_registered_for_rotation():
    columns = encrypted_columns_of_installed_models()
    assert set(columns) >= KNOWN, f"missing encrypted columns: {KNOWN - set(columns)}"
    assert set(columns) == registered()
    assert isinstance(columns["cases.case.form_data"], pii.EncryptedJSONField)
    assert isinstance(columns["datacatalog.datasetrecord.data"], pii.EncryptedJSONField)


@pytest.mark.django_db
def test_rotatekeys_walks_every_model_with_an_encrypted_column():
    out = io.StringIO()
    try:
        call_command("rotatekeys", "--pii", stdout=out)
    finally:
        keys.forget()
    walked = set(re.findall(r"^  (\S+): \d+ rows$", out.getvalue(), re.MULTILINE))
    expected = {f.model._meta.label for f in encrypted_columns_of_installed_models().values()}
    assert walked == expected


def raw_values(model, column: str) -> list[str]:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table}")  # noqa: S608
        return [row[0] for row in cursor.fetchall() if row[0]]


def clear_values(model) -> dict:
    names = [f.name for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedField)]
    return {row["pk"]: row for row in model._base_manager.values("pk", *names)}


@pytest.mark.django_db
def test_after_the_demo_every_stored_value_is_reencrypted_and_reindexed():
    call_command("demo", verbosity=0)
    columns = encrypted_columns_of_installed_models()
    models = {f.model for f in columns.values()}
    before = {m: clear_values(m) for m in models}
    populated = {label for label, f in columns.items() if raw_values(f.model, f.column)}
    # the demo fills the columns of the later issues too: the rotation below is not vacuous
    assert {
        "cases.case.form_data",
        "hotline.workorder.caller_phone",
        "datacatalog.datasetrecord.data",
        "datacatalog.datasetrecord.key_value",
    } <= populated
    old_kid = keys.pii_keyring().current
    try:
        call_command("rotatekeys", "--pii", "--blind-index", stdout=io.StringIO())
        new_kid = keys.pii_keyring().current
        assert new_kid != old_kid
        for label, field in columns.items():
            stale = [
                v for v in raw_values(field.model, field.column) if pii.key_id_of(v) != new_kid
            ]
            assert not stale, f"{label}: {len(stale)} values still under an old key"
        for model in models:
            assert clear_values(model) == before[model], model._meta.label
            for index in model._meta.concrete_fields:
                if not isinstance(index, pii.BlindIndexField):
                    continue
                for row in model._base_manager.all():
                    value = getattr(row, index.source)
                    expected = pii.blind_index(index.kind, value) if value else ""
                    assert getattr(row, index.attname) == expected, (model, index.name, row.pk)
    finally:
        keys.forget()


@pytest.mark.django_db
def test_a_blind_index_rotation_prints_what_packages_cannot_recompute(
    settings, tmp_path, monkeypatch
):
    """Keyed hashes outside ``BlindIndexField`` columns (their clear value is not stored)
    cannot follow a new blind-index key: the package keeping them answers the signal and the
    command prints its lines as warnings — only when the blind-index key may have changed."""
    import shutil

    monkeypatch.delenv("BLIND_INDEX_KEY", raising=False)
    monkeypatch.delenv("PII_KEYS", raising=False)
    shutil.copytree(settings.KEYS_DIR, tmp_path / "keys")
    settings.KEYS_DIR = tmp_path / "keys"
    keys.forget()

    def receiver(sender, **kwargs):
        return ["sample.thing: 3 rows keep hashes under the old key"]

    pii.blind_index_rotated.connect(receiver, dispatch_uid="test.sample")
    try:

        def run(*options) -> str:
            err = io.StringIO()
            call_command("rotatekeys", *options, stdout=io.StringIO(), stderr=err)
            return err.getvalue()

        assert "sample.thing: 3 rows" not in run("--pii")
        warned = run("--blind-index")
        assert "WARNING" in warned and "sample.thing: 3 rows" in warned
        assert "if BLIND_INDEX_KEY was changed" in run("--reencrypt-only")
    finally:
        pii.blind_index_rotated.disconnect(dispatch_uid="test.sample")
        keys.forget()
