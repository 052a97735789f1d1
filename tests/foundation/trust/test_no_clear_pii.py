"""After a full demo run, no ID or phone number is in clear in the database (rows and, on
SQLite, the file itself), in the logs, or in any response without the reveal capability."""

import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client

from shuzheng.foundation.identity.models import NaturalPerson, User
from tests.conftest import api_as

pytestmark = pytest.mark.django_db(transaction=True)


def secrets_of_demo() -> set[str]:
    found = set()
    for person in NaturalPerson.objects.all():
        found.add(person.id_number)
        found.add(person.id_number.replace("(", "").replace(")", ""))
        if person.mobile:
            found.add(person.mobile)
            found.add(person.mobile.removeprefix("+86").removeprefix("+853"))
    return {s for s in found if s}


def all_stored_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (model table names)
            chunks += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(chunks)


def test_demo_leaves_no_clear_personal_numbers_anywhere(caplog):
    caplog.set_level(logging.DEBUG)
    call_command("demo", verbosity=0)
    numbers = secrets_of_demo()
    assert len(numbers) >= 6

    stored = all_stored_text()
    assert not [n for n in numbers if n in stored]

    if connection.vendor == "sqlite":
        connection.close()  # flush; then read the file and its write-ahead log as bytes
        name = Path(connection.settings_dict["NAME"])
        raw = b"".join(p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists())
        assert not [n for n in numbers if n.encode() in raw]

    responses = []
    for user in User.objects.all():
        client = api_as(user)
        responses += [
            client.get(url).content
            for url in ("/api/v1/me/", "/api/v1/persons/", "/api/v1/enterprises/", "/api/v1/staff/")
        ]
        for person in NaturalPerson.objects.all():
            responses.append(client.get(f"/api/v1/persons/{person.pk}/").content)
        browser = Client()
        browser.force_login(user)
        responses += [browser.get(url).content for url in ("/me/", "/workbench/")]
    body = b"\n".join(responses).decode()
    assert not [n for n in numbers if n in body]
    assert not [n for n in numbers if n in caplog.text]
