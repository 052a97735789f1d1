"""The synthetic labelled set: large, covering every leaf, varied, deterministic — and
written into the database as a labelled history without duplicates."""

import json
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import PermissionDenied

from shuzheng.foundation import access
from shuzheng.foundation.identity import demo
from shuzheng.governance.hotline import synthetic
from shuzheng.governance.hotline.classify import features
from shuzheng.governance.hotline.models import Category, RequestType, Urgency, WorkOrder
from shuzheng.governance.hotline.services.categories import load_categories


@pytest.fixture(scope="module")
def items():
    return synthetic.orders()


@pytest.fixture(scope="module")
def reference():
    return json.loads(demo.DATA.read_text(encoding="utf-8"))


def test_default_set_is_large_and_covers_every_leaf_at_least_fifteen_times(items):
    assert len(items) >= 2000
    counts = Counter(i["category"] for i in items)
    assert set(counts) == set(synthetic.leaves())
    assert min(counts.values()) >= 15


def test_no_two_texts_are_alike(items):
    assert len({i["content"] for i in items}) == len(items)
    assert len({(i["title"], i["content"]) for i in items}) == len(items)


def test_same_seed_same_list_other_seed_other_list(items):
    assert synthetic.orders() == items
    assert synthetic.orders(300, seed=7) == synthetic.orders(300, seed=7)
    assert synthetic.orders(300, seed=7) != synthetic.orders(300, seed=8)


def test_small_sets_still_spread_over_the_leaves():
    small = synthetic.orders(200, seed=1)
    assert len(small) == 200
    assert len({i["category"] for i in small}) == len(synthetic.leaves())


def test_fields_are_plausible(items, reference):
    streets = {
        d["name"]: {s["name"] for s in d.get("streets_towns", [])} for d in reference["districts"]
    }
    departments = {d["name"] for d in reference["municipal_departments"]}
    tree = synthetic.leaves()
    for item in items:
        assert item["request_type"] in RequestType.values
        assert item["urgency"] in Urgency.values
        assert item["district"] in synthetic.DISTRICT_BOX
        assert item["street"] in streets[item["district"]], item
        (lng_lo, lng_hi), (lat_lo, lat_hi) = synthetic.DISTRICT_BOX[item["district"]]
        assert lng_lo <= item["longitude"] <= lng_hi
        assert lat_lo <= item["latitude"] <= lat_hi
        assert item["title"] and len(item["title"]) <= 30
        leaf = tree[item["category"]]
        if leaf["local"]:
            assert item["unit"] == item["street"]
        else:
            assert item["unit"] in departments


def test_points_lie_in_the_street_they_name(items):
    """Where the grid module has a (schematic) outline of the street, the point is inside
    it — so the grid cell located for it belongs to the street the text names."""
    from shapely.geometry import Point, shape

    doc = json.loads(synthetic.OUTLINES.read_text(encoding="utf-8"))
    outlines = {
        (d["name"], s["name"]): shape(s["geometry"]) for d in doc["districts"] for s in d["streets"]
    }
    checked = 0
    for item in items:
        outline = outlines.get((item["district"], item["street"]))
        if outline is not None:
            assert outline.contains(Point(item["longitude"], item["latitude"])), item
            checked += 1
    assert checked > 0.9 * len(items)


def test_request_types_vary_and_fit_the_category(items):
    kinds = Counter(i["request_type"] for i in items)
    assert set(kinds) == set(RequestType.values)
    by_leaf = defaultdict(set)
    for i in items:
        by_leaf[i["category"]].add(i["request_type"])
    # 办事咨询 is asked, not complained about as a rule; 电信诈骗 is reported or asked for help
    assert by_leaf["160101"] == {"consult"}
    assert "praise" not in by_leaf["100102"]


def test_every_leaf_is_written_in_several_phrasings(items):
    templates = defaultdict(set)
    for i in items:
        templates[i["category"]].add(i["template"])
    assert min(len(t) for t in templates.values()) >= 3


def test_no_leaf_is_given_away_by_one_template_token(items):
    """No word or bigram appears in (nearly) every text of one leaf and in no other leaf's
    texts: a held-out split is not solvable by looking for one token."""
    seen_in = defaultdict(set)
    per_leaf = defaultdict(Counter)
    sizes = Counter()
    for i in items:
        found = set(features.features(i["title"] + "\n" + i["content"]))
        sizes[i["category"]] += 1
        per_leaf[i["category"]].update(found)
        for f in found:
            seen_in[f].add(i["category"])
    giveaways = [
        (code, f)
        for code, counter in per_leaf.items()
        for f, n in counter.items()
        if n >= 0.9 * sizes[code] and seen_in[f] == {code}
    ]
    assert giveaways == []


def test_some_texts_are_colloquial_formal_cantonese_or_from_macau(items):
    texts = [i["content"] for i in items]
    assert any("市民来电反映" in t or "来电人" in t for t in texts)  # operator's record
    assert any(t.startswith("尊敬的领导") for t in texts)  # a formal letter
    assert any("唔该" in t or "好嘈" in t or "喺" in t for t in texts)  # Cantonese flavour
    assert any("澳门居民" in t for t in texts)


@pytest.mark.django_db
def test_history_is_written_once_and_labelled(tree):
    load_categories(access.SYSTEM)
    created = synthetic.load_history(access.SYSTEM, n=120, seed=5)
    assert created == 120
    assert synthetic.load_history(access.SYSTEM, n=120, seed=5) == 0
    orders = WorkOrder.objects.filter(source_ref__startswith="synthetic:5:")
    assert orders.count() == 120
    assert not orders.filter(category_confirmed=False).exists()
    assert not orders.filter(signed_at__isnull=True).exists()
    assert set(orders.values_list("state", flat=True)) == {"closed"}
    # the streets of the small test tree are the handling units of their on-site orders
    street_orders = orders.filter(unit=tree.gongbei)
    for order in street_orders:
        assert synthetic.leaves()[order.category.code]["local"]
    item_by_ref = {f"synthetic:5:{n}": item for n, item in enumerate(synthetic.orders(120, seed=5))}
    for order in orders[:20]:
        item = item_by_ref[order.source_ref]
        assert order.content == item["content"]
        assert order.category.code == item["category"]
    assert len(set(orders.values_list("number", flat=True))) == 120


@pytest.mark.django_db
def test_a_handler_may_not_load_the_synthetic_history(hl):
    load_categories(access.SYSTEM)
    with pytest.raises(PermissionDenied):
        synthetic.load_history(hl.gb_handler, n=50)
    assert not WorkOrder.objects.filter(source_ref__startswith="synthetic:").exists()
    assert Category.objects.exists()
