"""After a full demo run — every app's demo data, not only the foundation's — no ID or phone
number is in clear in the database (rows and, on SQLite, the file itself), in the logs or
the command's error stream, or in any API response or page without the reveal capability.

The numbers to look for are taken from every encrypted column of every installed model
(persons, case applicants and their forms, hotline callers, the data store's rows...), so a
later app that keeps a copy of one in a clear column, a log line or a response is caught."""

import io
import logging
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client

from shuzheng.foundation.identity.models import NaturalPerson, User
from shuzheng.foundation.trust import pii
from tests.conftest import api_as

pytestmark = pytest.mark.django_db(transaction=True)

# 公民身份号码, Macau ID with or without its brackets, mainland and Macau mobile numbers.
NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{7}\(\d\)|1[3-9]\d{9}|6\d{7})(?![0-9A-Za-z])"
)
# Every API list without a path parameter, and the pages that list personal records.
API_LISTS = (
    "/api/v1/me/",
    "/api/v1/persons/",
    "/api/v1/enterprises/",
    "/api/v1/staff/",
    "/api/v1/applications/",
    "/api/v1/my/cases/",
    "/api/v1/progress/",
    "/api/v1/cases/",
    "/api/v1/supervision/overdue/",
    "/api/v1/hotline/orders/",
    "/api/v1/hotline/duplicates/",
    "/api/v1/data/sharing/requests/",
    "/api/v1/data/exchange/logs/",
    "/api/v1/data/quality/issues/",
    "/api/v1/messages/",
)
PAGES = (
    "/me/",
    "/workbench/",
    "/my/cases/",
    "/workbench/window/",
    "/workbench/cases/",
    "/workbench/hotline/",
    "/hotline/mine/",
    "/workbench/data/exchange/logs/",
    "/workbench/data/quality/issues/",
    "/me/messages/",
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _variants(number: str) -> set[str]:
    bare = number.replace("(", "").replace(")", "")
    return {number, bare, bare.upper()}


def secrets_of_demo() -> set[str]:
    """Every ID or phone number held in any encrypted column, in the forms it may leak in."""
    found = set()
    for person in NaturalPerson.objects.all():
        found |= _variants(person.id_number)
        if person.mobile:
            found.add(person.mobile)
            found.add(person.mobile.removeprefix("+86").removeprefix("+853"))
    columns: dict = {}
    for field in pii.ENCRYPTED_FIELDS:
        columns.setdefault(field.model, []).append(field.name)
    for model, names in columns.items():
        for row in model._base_manager.values_list(*names):
            for text in _strings(list(row)):
                for number in NUMBER.findall(text.replace(" ", "").replace("-", "")):
                    found |= _variants(number)
    return {s for s in found if s}


def all_stored_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (model table names)
            chunks += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(chunks)


def own_numbers(user) -> set[str]:
    """What a person may read back without a reveal: their own numbers and the forms of
    their own applications (which they filled in themselves)."""
    from shuzheng.services.cases.models import Case

    own = set()
    for person in NaturalPerson.objects.filter(user=user):
        own |= _variants(person.id_number)
        if person.mobile:
            own |= {person.mobile, person.mobile.removeprefix("+86").removeprefix("+853")}
    for case in Case.objects.filter(owner=user):
        for text in _strings([case.applicant_id_number, case.contact_phone, case.form_data]):
            for number in NUMBER.findall(text.replace(" ", "").replace("-", "")):
                own |= _variants(number)
    return own


def leaked(numbers: set[str], text: str) -> set[str]:
    return {n for n in NUMBER.findall(text) if n in numbers} | {
        n for n in numbers if not NUMBER.fullmatch(n) and n in text
    }


def test_demo_leaves_no_clear_personal_numbers_anywhere(caplog):
    caplog.set_level(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", verbosity=1, stdout=out, stderr=err)
    numbers = secrets_of_demo()
    # persons, applicants, callers and the data store's rows: hundreds of numbers
    assert len(numbers) >= 100
    assert {f.model._meta.label_lower for f in pii.ENCRYPTED_FIELDS} >= {
        "identity.naturalperson",
        "cases.case",
        "hotline.workorder",
        "datacatalog.datasetrecord",
    }

    assert not leaked(numbers, all_stored_text())

    if connection.vendor == "sqlite":
        connection.close()  # flush; then read the file and its write-ahead log as bytes
        name = Path(connection.settings_dict["NAME"])
        raw = b"".join(p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists())
        assert not leaked(numbers, raw.decode("latin-1"))

    from shuzheng.governance.hotline.models import WorkOrder
    from shuzheng.services.cases.models import Case

    case_numbers = list(Case.objects.exclude(number=None).values_list("number", flat=True)[:5])
    order_numbers = list(WorkOrder.objects.values_list("number", flat=True)[:5])
    found = []
    for user in User.objects.filter(is_active=True):
        client = api_as(user)
        browser = Client()
        browser.force_login(user)
        gets = [(client, url) for url in API_LISTS]
        gets += [(client, f"/api/v1/persons/{p.pk}/") for p in NaturalPerson.objects.all()[:20]]
        gets += [(browser, url) for url in PAGES]
        gets += [(client, f"/api/v1/cases/{n}/") for n in case_numbers]
        gets += [(browser, f"/workbench/cases/{n}/") for n in case_numbers]
        gets += [(client, f"/api/v1/hotline/orders/{n}/") for n in order_numbers]
        gets += [(browser, f"/workbench/hotline/orders/{n}/") for n in order_numbers]
        others = numbers - own_numbers(user)
        for agent, url in gets:
            hits = leaked(others, agent.get(url).content.decode())
            if hits:
                found.append((user.username, url, sorted(hits)))
    # the log records of the whole run and the command's error stream (its standard output
    # is the walk-through for the operator, which names a synthetic record to look up)
    logs = caplog.text + err.getvalue()
    lines = [line for line in logs.splitlines() if leaked(numbers, line)]
    assert not lines, f"clear numbers in the logs: {lines[:5]}"
    assert not found, f"clear numbers in responses (user, url, numbers): {found}"
