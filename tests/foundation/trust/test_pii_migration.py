"""The data migration encrypts numbers that 0001 stored in clear, and reverses cleanly."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shuzheng.foundation.identity.models import NaturalPerson
from shuzheng.foundation.trust import pii

BEFORE = [("identity", "0001_initial")]
AFTER = [("identity", "0002_encrypt_personal_data")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def clear_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM identity_naturalperson ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_clear_numbers_are_encrypted_and_indexed_then_restored_on_reverse():
    migrate(BEFORE)
    with connection.cursor() as cursor:
        for number, mobile in (
            ("11010519491231002X", "+8613812345678"),
            ("440402199002020011", ""),
        ):
            cursor.execute(
                "INSERT INTO identity_naturalperson (name, id_type, id_number, mobile, created_at)"
                " VALUES (%s, '111', %s, %s, CURRENT_TIMESTAMP)",
                ["某人", number, mobile],
            )
    try:
        migrate(AFTER)
        stored = clear_rows()
        assert all(
            "11010519491231002X" not in v and "13812345678" not in v for row in stored for v in row
        )
        assert stored[1][1] == ""  # no phone stays empty, not an encrypted empty string
        first = NaturalPerson.objects.get(
            pii.lookup(NaturalPerson, "id_number", "11010519491231002X")
        )
        assert first.mobile == "+8613812345678"
        migrate(BEFORE)
        assert clear_rows() == [
            ("11010519491231002X", "+8613812345678"),
            ("440402199002020011", ""),
        ]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM identity_naturalperson")
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # every app back
