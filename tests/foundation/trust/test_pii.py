"""Personal data at rest: encrypted, found by blind index, masked, revealed only with audit."""

import io

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from shuzheng.foundation import access
from shuzheng.foundation.identity import selectors, services
from shuzheng.foundation.identity.models import NaturalPerson
from shuzheng.foundation.identity.validators import IdType
from shuzheng.foundation.trust import gm, keys, pii
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"
MOBILE = "+8613812345678"


@pytest.fixture
def person(django_user_model):
    owner = django_user_model.objects.create_user("owner", password="x")
    return services.register_person(
        access.SYSTEM,
        name="陈志明",
        id_type=IdType.RESIDENT_ID,
        id_number=ID,
        mobile="138 1234 5678",
        user=owner,
    )


def raw(pk, column="id_number"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM identity_naturalperson WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def set_raw(pk, column, value):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE identity_naturalperson SET {column} = %s WHERE id = %s", [value, pk]
        )


def test_numbers_are_stored_encrypted_and_read_back_clear(person):
    stored = raw(person.pk)
    assert ID not in stored and "13812345678" not in raw(person.pk, "mobile")
    assert stored.startswith(keys.pii_keyring().current + ":")
    loaded = NaturalPerson.objects.get(pk=person.pk)
    assert (loaded.id_number, loaded.mobile) == (ID, MOBILE)


def test_same_number_encrypts_differently_each_time(person, django_user_model):
    assert pii.encrypt(ID, b"a") != pii.encrypt(ID, b"a")


def test_find_a_person_by_id_or_phone_through_the_blind_index(tree, make_staff, person):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    assert list(selectors.persons(clerk, q=ID.lower())) == [person]
    assert list(selectors.persons(clerk, q="138-1234-5678")) == [person]
    assert not selectors.persons(clerk, q="110105194912310038").exists()


def test_exact_lookup_on_the_ciphertext_column_is_refused(person):
    with pytest.raises(FieldError, match="blind index"):
        NaturalPerson.objects.filter(id_number=ID).exists()


def test_duplicate_document_is_still_refused(person):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.register_person(
            access.SYSTEM, name="冒名", id_type=IdType.RESIDENT_ID, id_number=ID
        )


def test_tampered_ciphertext_is_an_error_not_a_wrong_value(person):
    stored = raw(person.pk)
    kid, _, payload = stored.partition(":")
    flipped = payload[:-6] + ("A" if payload[-6] != "A" else "B") + payload[-5:]
    set_raw(person.pk, "id_number", f"{kid}:{flipped}")
    with pytest.raises(gm.DecryptionError):
        NaturalPerson.objects.get(pk=person.pk)


def test_unknown_key_id_is_a_clear_error(person):
    set_raw(person.pk, "id_number", "nosuchkey:" + raw(person.pk).partition(":")[2])
    with pytest.raises(keys.UnknownKey, match="nosuchkey"):
        NaturalPerson.objects.get(pk=person.pk)


def test_ciphertext_moved_to_another_column_does_not_decrypt(person):
    set_raw(person.pk, "mobile", raw(person.pk, "id_number"))
    with pytest.raises(gm.DecryptionError):
        NaturalPerson.objects.get(pk=person.pk)


def test_api_shows_only_masked_numbers(tree, make_staff, person):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    body = api_as(clerk).get(f"/api/v1/persons/{person.pk}/").json()
    assert body["id_number_masked"] == "110105********002X"
    assert body["mobile_masked"] == "138****5678"
    assert ID not in str(body) and "13812345678" not in str(body)


def test_rotation_reencrypts_everything_and_old_data_stays_readable(person, settings):
    old_kid = keys.pii_keyring().current
    old_index = raw(person.pk, "id_number_index")
    out = io.StringIO()
    try:
        call_command("rotatekeys", "--pii", "--blind-index", stdout=out)
        assert raw(person.pk).startswith(keys.pii_keyring().current + ":")
        assert keys.pii_keyring().current != old_kid
        assert raw(person.pk, "id_number_index") != old_index
        assert NaturalPerson.objects.get(pk=person.pk).id_number == ID
        assert NaturalPerson.objects.filter(pii.lookup(NaturalPerson, "id_number", ID)).exists()
        assert old_kid in keys.pii_keyring().keys  # kept to read backups
    finally:
        keys.forget()


def test_rotation_needs_to_be_told_what(person):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("rotatekeys", stdout=io.StringIO())
