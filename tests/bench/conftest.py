import pytest


@pytest.fixture(scope="module", autouse=True)
def _planner_estimates_kept(django_db_setup, django_db_blocker):
    """The generators ``ANALYZE`` inside the test's transaction, as autovacuum would have done
    after a real load. PostgreSQL writes a table's size estimate (``pg_class.relpages`` and
    ``reltuples``) in place, so it outlives the rollback: every later test in the process saw
    "analysed, empty" tables, and a plan cached while a table was small stayed a sequential
    scan after the table grew within a test (the foreign-key checks at the end of
    tests/foundation/events' 10,000-event outage test took 20 s instead of 0.2 s). Put the
    estimates back as they were before this module (needs a superuser, as in CI)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    query = (
        "SELECT c.oid, c.relpages, c.reltuples, c.relallvisible FROM pg_class c "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i', 'm', 't')"
    )
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        cursor.execute(query)
        before = {row[0]: row[1:] for row in cursor.fetchall()}
    yield
    if not superuser:
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(query)
        changed = [
            (*before[oid], oid)
            for oid, *now in cursor.fetchall()
            if oid in before and tuple(now) != before[oid]
        ]
        cursor.executemany(
            "UPDATE pg_class SET relpages = %s, reltuples = %s, relallvisible = %s WHERE oid = %s",
            changed,
        )
