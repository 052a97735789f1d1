"""The demo's synthetic rows and catalogue file, without a database: numbers valid by their
standards and consistent with the rest of the row, places real, the deliberate defects
exactly the documented ones, everything deterministic — and entries.yaml graded by the
catalogue's own rules."""

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError

from shuzheng.data import synthetic
from shuzheng.data.catalog.models import GRADE_RANK
from shuzheng.foundation.identity.demo import DATA as ORGS
from shuzheng.foundation.identity.validators import (
    normalize_mobile,
    normalize_resident_id,
    normalize_uscc,
)

TODAY = dt.date(2026, 7, 1)
CATALOG_DATA = Path(synthetic.__file__).with_name("catalog") / "data"


@pytest.fixture(scope="module")
def sets():
    return synthetic.datasets(TODAY)


@pytest.fixture(scope="module")
def entries():
    return yaml.safe_load((CATALOG_DATA / "entries.yaml").read_text(encoding="utf-8"))["entries"]


@pytest.fixture(scope="module")
def orgs():
    return json.loads(ORGS.read_text(encoding="utf-8"))


def _clean(ds):
    return [row for i, row in enumerate(ds.rows) if i not in ds.defect_rows]


def test_sizes(sets):
    sizes = {key: len(ds.rows) for key, ds in sets.items()}
    assert sizes["population"] == 2000
    assert sizes["air_quality"] == len(synthetic.STATIONS) * 24 * 7
    assert all(200 <= n <= 2000 for k, n in sizes.items() if k not in ("schools", "bus_lines"))
    assert sizes["schools"] >= 100 and sizes["bus_lines"] >= 100


def test_same_day_same_rows_other_seed_other_rows(sets):
    again = synthetic.population(today=TODAY)
    assert again.rows == sets["population"].rows
    assert synthetic.population(50, seed=1, today=TODAY).rows != again.rows[:50]


def test_population_ids_are_valid_and_agree_with_the_row(sets):
    ds = sets["population"]
    rows = _clean(ds)
    assert len(rows) == len(ds.rows) - 4
    for row in rows:
        number = normalize_resident_id(row["id_number"])
        assert number[:6] in ("440402", "440403", "440404")
        assert number[6:14] == row["birth_date"].replace("-", "")
        assert (int(number[16]) % 2 == 1) == (row["sex"] == "1")
        assert row["sex"] in ("1", "2") and row["name"]
    assert len({r["id_number"] for r in rows}) == len(rows)


def test_every_other_id_and_credit_code_is_valid(sets):
    for ds in sets.values():
        for row in _clean(ds):
            for name, value in row.items():
                if not value or not isinstance(value, str):
                    continue
                if name.endswith("id_number"):
                    normalize_resident_id(value)
                elif name.endswith("uscc"):
                    normalize_uscc(value)
                elif name == "phone" and not value.startswith("0756-"):
                    normalize_mobile(value)


def test_the_defects_are_exactly_the_documented_ones(sets):
    found = {key: [(i, code) for i, code, _what in ds.defects] for key, ds in sets.items()}
    found = {k: v for k, v in found.items() if v}
    assert set(found) == {"population", "legal_person", "tax_credit", "air_quality"}
    pop = sets["population"].rows
    (bad_id, _), (no_name, _), (dup, _), (bad_sex, _) = found["population"]
    with pytest.raises(ValidationError):
        normalize_resident_id(pop[bad_id]["id_number"])
    assert pop[no_name]["name"] == ""
    assert pop[dup]["id_number"] == pop[dup - 1]["id_number"]
    assert pop[bad_sex]["sex"] == "3"
    ((bad_code, _),) = found["legal_person"]
    with pytest.raises(ValidationError):
        normalize_uscc(sets["legal_person"].rows[bad_code]["uscc"])
    known = {r["uscc"] for r in sets["legal_person"].rows}
    tax = sets["tax_credit"]
    missing = [i for i, r in enumerate(tax.rows) if r["uscc"] not in known]
    assert missing == [i for i, code, _w in tax.defects if code == "uscc"]
    assert [r["credit_grade"] for r in tax.rows].count("E") == 1
    air = sets["air_quality"].rows
    assert sum(r["pm25"] is None for r in air) == 1
    assert sum(r["pm10"] < 0 for r in air) == 1
    assert sum(r["aqi"] > 500 for r in air) == 1


def test_people_and_companies_of_other_sets_come_from_the_base_sets(sets):
    people = {r["id_number"] for r in _clean(sets["population"])}
    companies = {r["uscc"] for r in _clean(sets["legal_person"])}
    for key in ("social_insurance", "housing_fund"):
        assert {r["id_number"] for r in sets[key].rows} <= people
        assert {r["employer_uscc"] for r in sets[key].rows if r["employer_uscc"]} <= companies
    assert {r["owner_id_number"] for r in sets["real_estate"].rows} <= people
    births = sets["births"].rows
    assert {r["mother_id_number"] for r in births} | {
        r["father_id_number"] for r in births
    } <= people
    permits = {r["id_number"][:6] for r in sets["residence_permits"].rows}
    assert not permits & {"440402", "440403", "440404"}  # 居住证: people from elsewhere


def test_places_are_zhuhai_streets_and_towns(sets, orgs):
    towns = {d["name"]: {s["name"] for s in d.get("streets_towns", [])} for d in orgs["districts"]}
    for district, streets in synthetic.PLACES.items():
        assert set(streets) <= towns[district]
    for key in ("population", "residence_permits", "medical_institutions", "schools"):
        for row in sets[key].rows:
            assert row["street"] in synthetic.PLACES[row["district"]], (key, row["street"])
    for row in sets["population"].rows:
        assert row["household_address"].startswith(f"广东省珠海市{row['district']}{row['street']}")


def test_air_quality_is_hourly_for_the_last_week(sets):
    times = Counter(r["observed_at"] for r in sets["air_quality"].rows)
    assert set(times.values()) == {len(synthetic.STATIONS)}
    first, last = min(times), max(times)
    assert first == f"{TODAY - dt.timedelta(days=7):%Y-%m-%d}T00:00"
    assert last == f"{TODAY - dt.timedelta(days=1):%Y-%m-%d}T23:00"


def test_rows_fit_their_catalogue_entry(sets, entries):
    for entry in entries:
        if not entry.get("rows"):
            continue
        codes = {i["code"] for i in entry["items"]}
        key = next((i["code"] for i in entry["items"] if i.get("is_key")), None)
        ds = sets[entry["rows"]]
        for row in ds.rows:
            assert set(row) <= codes, (entry["key"], set(row) - codes)
            assert key is None or row[key], entry["key"]
    assert {e["rows"] for e in entries if e.get("rows")} == set(sets)


def test_entries_file_follows_the_catalogue_rules(entries, orgs):
    departments = {d["name"] for d in orgs["municipal_departments"]}
    classes = yaml.safe_load((CATALOG_DATA / "classifications.yaml").read_text(encoding="utf-8"))
    codes = {
        child["code"]: root["kind"]
        for root in classes["classifications"]
        for child in root.get("children", [])
    }
    assert len(entries) >= 45
    assert len({e["key"] for e in entries}) == len(entries)
    assert len({(e["provider"], e["name"]) for e in entries}) == len(entries)
    shares = Counter(e["share_type"] for e in entries)
    assert 0.4 <= shares["conditional"] / len(entries) <= 0.6
    assert 0.3 <= shares["unconditional"] / len(entries) <= 0.45
    assert 2 <= shares["none"] <= 6
    assert sum(e["open_type"] != "none" for e in entries) >= 10
    by_key = {e["key"]: e for e in entries}
    for e in entries:
        assert e["provider"] in departments, e["provider"]
        assert codes[e["classification"]] == e["kind"], e["key"]
        if e["share_type"] == "none":
            assert e["not_shared_basis"].strip()
        if e["share_type"] == "conditional":
            assert e["share_condition"].strip()
        items = e["items"]
        assert 4 <= len(items) <= 15, e["key"]
        assert sum(bool(i.get("is_key")) for i in items) <= 1
        top = max(GRADE_RANK[i["grade"]] for i in items)
        top = max([top] + [GRADE_RANK[by_key[s]["grade"]["level"]] for s in e.get("sources", ())])
        assert GRADE_RANK[e["grade"]["level"]] >= top, e["key"]  # 就高从严
        if e["grade"]["level"] == "core":
            assert e["share_type"] == "none" and e["open_type"] == "none"
        for item in items:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", item["code"])
            if item.get("personal"):
                assert item["grade"] != "general_1", (e["key"], item["code"])
            if item.get("sensitive_personal"):
                assert item.get("personal") and GRADE_RANK[item["grade"]] >= GRADE_RANK["general_3"]
            if GRADE_RANK[item["grade"]] >= GRADE_RANK["general_3"] or item.get(
                "sensitive_personal"
            ):
                assert item.get("mask", "none") != "none", (e["key"], item["code"])
            if item["data_type"] == "C":
                assert item.get("length"), (e["key"], item["code"])
    assert sum(e["grade"]["level"] == "core" for e in entries) <= 1
