"""Command line: demo (idempotent, Zhuhai data, working accounts), seed, createstaff."""

import io

import pytest
from django.core.management import CommandError, call_command

from shuzheng.foundation.access.models import RoleGrant
from shuzheng.foundation.identity import validators
from shuzheng.foundation.identity.models import Enterprise, NaturalPerson, Organisation, OrgKind
from tests.conftest import made_once

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    """One `manage.py demo` on the empty database for the class below (rolled back after its
    last test; each test runs in a savepoint of it) instead of one per test: the demo is the
    suite's slowest setup. Gives what the command printed."""
    yield from made_once(django_db_blocker, tmp_path_factory.mktemp("demo"), lambda: run("demo"))


class TestDemo:
    def test_demo_loads_zhuhai_and_prints_one_account_per_role(self, client, demo_output):
        output = demo_output
        assert Organisation.objects.filter(kind=OrgKind.DEPARTMENT).count() >= 25
        assert set(
            Organisation.objects.filter(kind=OrgKind.DISTRICT).values_list("name", flat=True)
        ) == {"香洲区", "斗门区", "金湾区"}
        assert Organisation.objects.get(name="拱北街道").parent.name == "香洲区"
        assert Organisation.objects.get(name="横琴镇").parent.name == "横琴粤澳深度合作区"
        assert (
            Organisation.objects.get(division_code="440404101000").parent.name == "金湾区"
        )  # 南水镇: uncertain zone
        for username in (
            "sysadmin",
            "secadmin",
            "auditor",
            "clerk",
            "handler",
            "head",
            "operator",
            "grid",
            "citizen",
            "macau",
            "legalrep",
            "agent",
        ):
            assert username in output
        assert client.login(username="clerk", password="Zhuhai@2026")
        assert client.get("/workbench/").status_code == 200

    def test_every_printed_demo_account_signs_in(self, client, demo_output):
        section = demo_output.split("Demo accounts (password for all: Zhuhai@2026):")[1]
        usernames = [line.split()[0] for line in section.strip().splitlines() if line.strip()]
        assert len(usernames) >= 12
        for username in usernames:
            assert client.login(username=username, password="Zhuhai@2026"), username
            client.logout()

    def test_demo_twice_changes_nothing(self, demo_output):
        counts = (
            Organisation.objects.count(),
            RoleGrant.objects.count(),
            NaturalPerson.objects.count(),
        )
        output = run("demo")  # the second run: the first is demo_output's
        assert (
            Organisation.objects.count(),
            RoleGrant.objects.count(),
            NaturalPerson.objects.count(),
        ) == counts
        assert "secadmin" in output

    def test_demo_respects_the_triad(self, demo_output):
        triads = RoleGrant.objects.exclude(role__triad="").values_list(
            "user__username", "role__triad"
        )
        holders = {}
        for user, triad in triads:
            holders.setdefault(user, set()).add(triad)
        assert all(len(t) == 1 for t in holders.values())
        assert len(holders) == 3


def test_seed_creates_valid_people_and_enterprises():
    run("seed", "--persons", "300", "--enterprises", "50", "--seed", "7")
    assert NaturalPerson.objects.count() == 300
    assert Enterprise.objects.count() == 50
    for number in NaturalPerson.objects.values_list("id_number", flat=True):
        assert validators.normalize_resident_id(number) == number
    for code in Enterprise.objects.values_list("uscc", flat=True):
        assert validators.normalize_uscc(code) == code
    run("seed", "--persons", "10", "--seed", "7")  # same seed again: no collision
    assert NaturalPerson.objects.count() == 310


def test_createstaff_with_a_role(tree):
    run(
        "createstaff",
        "--username",
        "zhang",
        "--name",
        "张伟",
        "--org",
        "440402",
        "--role",
        "security-admin",
        "--password",
        "Str0ng!pass",
    )
    grant = RoleGrant.objects.get(user__username="zhang")
    assert grant.organisation == tree.xiangzhou and grant.role.code == "security-admin"


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--org", "999999"], "matches 0 rows"),
        (["--org", "440402", "--role", "nope"], "unknown role"),
        (["--org", "440402", "--password", "123"], "password"),
    ],
)
def test_createstaff_refuses_bad_input(tree, args, expected):
    base = ["createstaff", "--username", "li", "--name", "李", "--password", "Str0ng!pass"]
    with pytest.raises(CommandError, match=expected):
        run(*base, *args)
    assert not RoleGrant.objects.filter(user__username="li").exists()
