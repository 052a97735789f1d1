"""Fixtures of the data-quality tests: ``bad_rows`` — ``dm.population`` holding two clean
rows and two rows that break one rule of each kind, ``sex_codes`` — a small code table entry
the reference rule points to, and ``rule`` — create_rule as the provider's data
administrator."""

import pytest
from stdnum.cn import ric

from shuzheng.data.catalog import store
from shuzheng.data.quality import services
from shuzheng.foundation import access
from tests.data.conftest import POPULATION_ROWS


def valid_id(number: str) -> str:
    """``number`` with a correct GB 11643 check digit."""
    return number[:17] + ric.calc_check_digit(number)


# the fixture's two rows with ID numbers whose check digit is right
GOOD_ROWS = [{**row, "id_number": valid_id(row["id_number"])} for row in POPULATION_ROWS]
WRONG_CHECK = GOOD_ROWS[0]["id_number"][:17] + (
    "0" if GOOD_ROWS[0]["id_number"][17] != "0" else "1"
)

# row 3: checksum error, empty name, sex "9", birth date in the future, bad phone
# row 4: the ID number of row 1 again (valid, duplicate), birth date not a date
BAD_ROWS = [
    {
        "id_number": WRONG_CHECK,
        "name": "",
        "sex": "9",
        "birth_date": "2099-01-01",
        "address": "广东省珠海市香洲区拱北街道",
        "phone": "12345",
        "religion": "无",
    },
    {
        "id_number": GOOD_ROWS[0]["id_number"],
        "name": "王小明",
        "sex": "1",
        "birth_date": "1990-13-45",
        "address": "广东省珠海市香洲区吉大街道",
        "phone": "13700137000",
        "religion": "无",
    },
]
CODE_ITEMS = [("code", "代码", "C", 2, "general_1", "none", False, False, True)]


@pytest.fixture
def bad_rows(dm):
    store.put_records(access.SYSTEM, dm.population, GOOD_ROWS + BAD_ROWS, replace=True)
    dm.population.refresh_from_db()
    return dm


@pytest.fixture
def sex_codes(dm, make_entry):
    entry = make_entry(dm.gongan, dm.ga_admin, name="性别代码", items=CODE_ITEMS)
    store.put_records(access.SYSTEM, entry, [{"code": "1"}, {"code": "2"}])
    return entry


@pytest.fixture
def rule(dm):
    def make(kind, item_code="", params=None, entry=None, actor=None, **kw):
        return services.create_rule(
            actor or dm.ga_admin,
            entry=entry or dm.population,
            kind=kind,
            item_code=item_code,
            params=params,
            **kw,
        )

    return make


def failing_rows(run, rule) -> list[int]:
    """The positions (第 N 条) of the records that failed ``rule`` in ``run`` (from the
    stored issues, in record order)."""
    from shuzheng.data.quality.models import QualityIssue

    ids = list(
        QualityIssue.objects.filter(rule=rule, run=run)
        .order_by("record_id")
        .values_list("record_id", flat=True)
    )
    order = [pk for pk, _row in store.iterate(run.entry_id)]
    return [order.index(pk) + 1 for pk in ids if pk is not None]


def result_for(run, rule) -> dict:
    return next(r for r in run.by_rule if r["rule"] == rule.pk)
