"""Synthetic labelled 12345 work orders: the demo's history and the classifier's first
training set (issue 6: "at least 2,000 synthetic labelled orders across the tree written with
varied wording").

Every text is composed from the phrase bank ``data/synthetic_phrases.yaml``: per leaf category
several problem descriptions per 诉求类型 with varying objects, filled with places, durations,
shops and companies, wrapped in openers, details, feelings, earlier contacts and requests that
are shared by all categories — colloquial and formal, sometimes Cantonese-flavoured or written
by a Macau resident, sometimes recorded by the operator in the third person ("市民来电反映").
No leaf has a fixed sentence, so a held-out split cannot be solved by one template token.

``orders()`` is pure (no database) and deterministic by seed; ``load_history()`` writes the
items as closed, category-confirmed orders — the labelled history ``routing.train`` learns from.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).with_name("data")
PHRASES = DATA / "synthetic_phrases.yaml"
CATEGORIES = DATA / "categories.json"
# the grid module's schematic street outlines: points fall inside the street they name
OUTLINES = Path(__file__).resolve().parent.parent / "grid" / "data" / "outlines.json"
SEED = 20261130
MIN_PER_LEAF = 15

# Rough boxes (longitude, latitude) of each district's populated area.
DISTRICT_BOX = {
    "香洲区": ((113.48, 113.60), (22.20, 22.38)),
    "斗门区": ((113.15, 113.32), (22.15, 22.40)),
    "金湾区": ((113.25, 113.40), (22.00, 22.15)),
    "横琴粤澳深度合作区": ((113.47, 113.55), (22.09, 22.15)),
}
DISTRICT_WEIGHT = {"香洲区": 55, "斗门区": 17, "金湾区": 17, "横琴粤澳深度合作区": 11}
# 港澳事务 happen mostly where Macau residents live and cross.
HK_MACAU_WEIGHT = {"香洲区": 45, "斗门区": 5, "金湾区": 5, "横琴粤澳深度合作区": 45}
# Leaves that a city's 12345 hears about most often get more examples.
POPULAR = {
    "010101", "010102", "020101", "020201", "030201", "040101", "040102", "040201",
    "050101", "060101", "070101", "110101", "140201", "170201", "100102",
}  # fmt: skip
TYPE_WEIGHT = {
    "complaint": 3.0,
    "consult": 2.2,
    "help": 1.6,
    "report": 1.6,
    "suggestion": 1.0,
    "praise": 0.6,
}
REQUEST_TYPES = tuple(TYPE_WEIGHT)
TYPE_LABEL = {
    "complaint": "投诉",
    "consult": "咨询",
    "help": "求助",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
}
CHANNEL_WEIGHT = {"phone": 60, "web": 14, "wechat": 11, "app": 8, "grid": 5, "mailbox": 2}
OPERATOR_OPENERS = ["市民来电反映：", "来电人称，", "市民反映，", "来电人反映：", "诉求人来电称："]
OPERATOR_CLOSINGS = {
    "complaint": ["市民希望尽快处理。", "来电人要求相关部门核实处理。", "诉求人希望给予答复。"],
    "consult": ["来电人希望得到答复。", "请相关单位解答。", "市民希望了解具体规定。"],
    "help": ["来电人请求协助。", "市民希望尽快协调解决。"],
    "report": ["来电人要求依法查处。", "请相关单位核查。"],
    "suggestion": ["市民希望相关部门研究采纳。", "供相关单位参考。"],
    "praise": ["来电人希望对其提出表扬。", "市民表示感谢。"],
}
LETTER = ("尊敬的领导：您好！", "此致。")
_SLOT = re.compile(r"\{(\w+)\}")


@cache
def _bank() -> dict:
    return yaml.safe_load(PHRASES.read_text(encoding="utf-8"))


@cache
def leaves() -> dict[str, dict]:
    """Leaf categories of ``data/categories.json`` by code (with the inherited unit)."""
    tree = json.loads(CATEGORIES.read_text(encoding="utf-8"))
    found: dict[str, dict] = {}

    def walk(nodes, unit=None):
        for node in nodes:
            own = node.get("default_unit") or unit
            if node.get("children"):
                walk(node["children"], own)
            else:
                found[node["code"]] = {
                    "code": node["code"],
                    "name": node["name"],
                    "needs_location": bool(node.get("needs_location")),
                    "local": bool(node.get("local", node.get("needs_location"))),
                    "unit": own,
                }

    walk(tree["categories"])
    return found


@cache
def _outlines() -> dict:
    """Street name → (prepared outline, bounding box) from the grid module's schematic
    outlines (empty when the file is absent)."""
    try:
        from shapely import prepare
        from shapely.geometry import shape

        doc = json.loads(OUTLINES.read_text(encoding="utf-8"))
    except (ImportError, OSError, ValueError):
        return {}
    found = {}
    for district in doc.get("districts", []):
        for street in district.get("streets", []):
            geometry = shape(street["geometry"])
            prepare(geometry)
            found[(district["name"], street["name"])] = (geometry, geometry.bounds)
    return found


def _point(rng: random.Random, district: str, street: str) -> tuple[float, float]:
    """(lat, lng) inside the district's rough box and, where the grid module has one, the
    street's schematic outline."""
    (lng_lo, lng_hi), (lat_lo, lat_hi) = DISTRICT_BOX[district]
    outline = _outlines().get((district, street))
    if outline is not None:
        from shapely import Point

        geometry, (min_lng, min_lat, max_lng, max_lat) = outline
        lo_lng, hi_lng = max(lng_lo, min_lng), min(lng_hi, max_lng)
        lo_lat, hi_lat = max(lat_lo, min_lat), min(lat_hi, max_lat)
        if lo_lng < hi_lng and lo_lat < hi_lat:
            for _ in range(60):
                lng, lat = rng.uniform(lo_lng, hi_lng), rng.uniform(lo_lat, hi_lat)
                if geometry.contains(Point(lng, lat)):
                    return round(lat, 6), round(lng, 6)
    return round(rng.uniform(lat_lo, lat_hi), 6), round(rng.uniform(lng_lo, lng_hi), 6)


def streets(district: str) -> list[str]:
    return list(_bank()["places"][district])


def _allocate(n: int, codes: list[str]) -> dict[str, int]:
    """How many items per leaf: at least ``MIN_PER_LEAF`` each (when ``n`` allows), the rest
    in proportion to how common the leaf is, largest remainders first (deterministic)."""
    base = min(MIN_PER_LEAF, n // len(codes))
    counts = {code: base for code in codes}
    rest = n - base * len(codes)
    weights = {code: 2.0 if code in POPULAR else 1.0 for code in codes}
    total = sum(weights.values())
    shares = {code: rest * w / total for code, w in weights.items()}
    for code in codes:
        counts[code] += int(shares[code])
    left = n - sum(counts.values())
    for code in sorted(codes, key=lambda c: (-(shares[c] - int(shares[c])), c))[:left]:
        counts[code] += 1
    return counts


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _fill(rng: random.Random, template: str, values: dict, leaf: dict) -> str:
    """Fill ``{slot}`` markers: order-wide values first (one place per order), then the
    leaf's objects, then the shared slot lists; a slot used twice gets the same value."""
    chosen: dict[str, str] = {}

    def value(match):
        name = match.group(1)
        if name not in chosen:
            if name in values:
                chosen[name] = values[name]
            elif name in leaf:
                chosen[name] = rng.choice(leaf[name])
            else:
                chosen[name] = rng.choice(_bank()["slots"][name])
        return chosen[name]

    return _SLOT.sub(value, template)


def _place_phrase(rng: random.Random, where: dict) -> str:
    road, road2, estate, number = where["road"], where["road2"], where["estate"], where["number"]
    options = [
        road,
        f"{road}附近",
        f"{road}{number}号",
        f"{road}{number}号附近",
        f"{where['street']}{road}",
        f"{road}和{road2}交界处",
        f"{road}{estate}门口",
        f"{where['district']}{road}",
        f"{estate}旁边的{road}",
        f"{road}路口",
    ]
    return rng.choice(options)


def _address(rng: random.Random, where: dict) -> str:
    road, number = where["road"], where["number"]
    options = [
        f"{where['district']}{where['street']}{road}{number}号",
        f"{road}{number}号",
        f"{where['street']}{road}{where['estate']}",
        f"{road}与{where['road2']}交叉口",
        f"{where['district']}{road}{number}号附近",
    ]
    return rng.choice(options)


def _sentence(text: str, end: str = "。") -> str:
    text = text.strip()
    if not text:
        return ""
    return text if text[-1] in "。！？；" else text + end


def _title(rng: random.Random, core: str, where: dict, local: bool, kind: str) -> str:
    clause = re.split(r"[，。！？；：]", core)[0].strip() or core
    clause = clause[:22]
    style = rng.random()
    if local and style < 0.25:
        title = f"{where['street']}：{clause}"
    elif style < 0.4:
        title = f"{TYPE_LABEL[kind]}：{clause}"
    else:
        title = clause
    return title[:30]


def _one(rng: random.Random, leaf: dict, bank_leaf: dict) -> dict:
    code = leaf["code"]
    district = _pick(rng, HK_MACAU_WEIGHT if code.startswith("17") else DISTRICT_WEIGHT)
    roads_by_street = _bank()["places"][district]
    street = rng.choice(list(roads_by_street))
    roads = roads_by_street[street]
    road = rng.choice(roads)
    road2 = rng.choice([r for r in roads if r != road] or roads)
    where = {
        "district": district,
        "street": street,
        "road": road,
        "road2": road2,
        "estate": rng.choice(_bank()["slots"]["estate"]),
        "number": str(rng.randint(1, 399)),
    }
    values = dict(where)
    values["place"] = _place_phrase(rng, where)
    kinds = {
        kind: TYPE_WEIGHT[kind] * len(bank_leaf[kind]) ** 0.5
        for kind in REQUEST_TYPES
        if bank_leaf.get(kind)
    }
    kind = _pick(rng, kinds)
    variant = rng.randrange(len(bank_leaf[kind]))
    core = _fill(rng, bank_leaf[kind][variant], values, bank_leaf)
    urgency = "normal"
    if rng.random() < bank_leaf.get("urgent", 0.0):
        urgency = "emergency" if rng.random() < 0.1 else "urgent"

    bank = _bank()
    operator = rng.random() < 0.22
    letter = not operator and kind in ("complaint", "suggestion", "report") and rng.random() < 0.06
    parts: list[str] = []
    if operator:
        parts.append(rng.choice(OPERATOR_OPENERS))
    elif letter:
        parts.append(LETTER[0])
    if not operator and not letter:
        pool = bank["openers"]["any"] + bank["openers"].get(kind, []) * 2
        parts.append(_fill(rng, rng.choice(pool), values, bank_leaf))
    parts.append(_sentence(core, "？" if kind == "consult" and not operator else "。"))
    if bank_leaf.get("details") and rng.random() < 0.55:
        parts.append(_sentence(_fill(rng, rng.choice(bank_leaf["details"]), values, bank_leaf)))
    if kind in ("complaint", "help", "report") and not operator and rng.random() < 0.35:
        parts.append(rng.choice(bank["feelings"]))
    if rng.random() < 0.2:
        parts.append(rng.choice(bank["history"]))
    if urgency != "normal":
        parts.append(rng.choice(bank["urgent_marks"]))
    if operator:
        parts.append(rng.choice(OPERATOR_CLOSINGS[kind]))
    elif rng.random() < 0.85:
        parts.append(rng.choice(bank["requests"][kind]))
    if letter:
        parts.append(LETTER[1])
    content = "".join(p for p in parts if p)

    latitude, longitude = _point(rng, district, street)
    return {
        "title": _title(rng, core, where, leaf["local"], kind),
        "content": content,
        "category": code,
        "request_type": kind,
        "urgency": urgency,
        "district": district,
        "street": street,
        "address": _address(rng, where),
        "latitude": latitude,
        "longitude": longitude,
        "unit": street if leaf["local"] else leaf["unit"],
        "channel": _pick(rng, CHANNEL_WEIGHT),
        "template": f"{code}/{kind}/{variant}",
    }


def orders(n: int = 2400, seed: int = SEED) -> list[dict]:
    """``n`` labelled orders (title, content, category leaf code, request_type, urgency,
    district, street, address, latitude, longitude, unit, channel, and ``template`` — which
    problem description of the phrase bank the text grew from, for evaluations that hold
    out whole phrasings); every leaf at least
    ``MIN_PER_LEAF`` times when ``n`` allows; no two contents alike; the same list for the
    same seed."""
    rng = random.Random(seed)
    tree = leaves()
    bank = _bank()["leaves"]
    codes = sorted(tree)
    plan = [code for code, k in _allocate(n, codes).items() for _ in range(k)]
    rng.shuffle(plan)
    seen: set[str] = set()
    items = []
    for code in plan:
        for _attempt in range(200):
            item = _one(rng, tree[code], bank[code])
            if item["content"] not in seen:
                break
        else:  # pragma: no cover - the phrase bank is far larger than any n we ask for
            raise RuntimeError(f"phrase bank exhausted for {code}")
        seen.add(item["content"])
        items.append(item)
    return items


# --------------------------------------------------------------------------- database


REPLIES = {
    "consult": "已向来电人解答相关政策和办理流程，来电人表示清楚。",
    "help": "已安排工作人员现场处置，问题已解决。",
    "complaint": "经核实，已督促责任方整改到位，并向来电人反馈处理结果。",
    "report": "经现场核查，已依法处理，并将结果告知来电人。",
    "suggestion": "已收悉建议，将在后续工作中研究采纳。",
    "praise": "已将表扬转达所在单位。",
}


def load_history(actor, *, n: int = 2400, seed: int = SEED, today=None, days: int = 365) -> int:
    """Write ``orders(n, seed)`` as closed, category-confirmed orders of the past year — the
    labelled history the classifier trains on — and return how many were new. Idempotent
    (``source_ref`` "synthetic:<seed>:<i>"); the handling unit is the organisation of the
    item's ``unit`` label (else the category's unit, else its district); the grid cell of
    the point is located when the grid module is installed."""
    from django.db import transaction
    from django.utils import timezone

    from shuzheng.foundation import access
    from shuzheng.foundation.identity.models import Organisation
    from shuzheng.foundation.trust import audit
    from shuzheng.governance.hotline.models import Category, WorkOrder
    from shuzheng.governance.hotline.services.numbering import allocate

    if actor is not access.SYSTEM:
        access.require(actor, "hotline.manage")
    items = orders(n, seed)
    refs = [f"synthetic:{seed}:{i}" for i in range(len(items))]
    have = set(WorkOrder.objects.filter(source_ref__in=refs).values_list("source_ref", flat=True))
    categories = {
        c.code: c for c in Category.objects.filter(code__in={i["category"] for i in items})
    }
    names = (
        {i["unit"] for i in items} | {i["district"] for i in items} | {i["street"] for i in items}
    )
    orgs: dict[str, Organisation] = {}
    for org in Organisation.objects.filter(name__in=names, is_active=True).order_by("depth", "pk"):
        orgs.setdefault(org.name, org)
    fallback = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
    locate = _locator()
    rng = random.Random(seed + 1)
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    rows = []
    for i, (ref, item) in enumerate(zip(refs, items, strict=True)):
        day = today - dt.timedelta(days=rng.randint(1, days))
        at = dt.datetime.combine(day, dt.time(rng.randint(8, 20), rng.randint(0, 59)), tz)
        if ref in have:
            continue
        category = categories.get(item["category"])
        if category is None:
            continue
        unit = (
            orgs.get(item["unit"])
            or category.default_unit
            or orgs.get(item["district"])
            or fallback
        )
        if unit is None:
            continue
        lat, lng = item["latitude"], item["longitude"]
        grid = locate(lat, lng) if locate else None
        signed = at + dt.timedelta(hours=rng.randint(1, 6))
        replied = signed + dt.timedelta(days=rng.randint(1, 6))
        rows.append(
            WorkOrder(
                number="",  # allocated below, day by day after the stored ones
                channel=item["channel"],
                request_type=item["request_type"],
                urgency=item["urgency"],
                category=category,
                title=item["title"],
                content=item["content"],
                address=item["address"],
                latitude=lat,
                longitude=lng,
                grid=grid,
                district=orgs.get(item["district"]),
                unit=unit,
                state="closed",
                category_confirmed=True,
                signed_at=signed,
                reply=REPLIES[item["request_type"]],
                replied_at=replied,
                satisfaction=(
                    satisfaction := rng.choices(
                        ["satisfied", "basic", "unsatisfied"], weights=[80, 15, 5]
                    )[0]
                ),
                callback_score=SCORES[satisfaction],
                callback_at=replied + dt.timedelta(days=1),
                closed_at=replied + dt.timedelta(days=1),
                on_time=rng.random() < 0.92,
                source_ref=ref,
                suggestion={"synthetic": True, "index": i},
                created_at=at,
                updated_at=replied + dt.timedelta(days=1),
            )
        )
    with transaction.atomic():
        for row, number in zip(rows, allocate([r.created_at for r in rows]), strict=True):
            row.number = number
        WorkOrder.objects.bulk_create(rows, batch_size=500)
        audit.record(
            actor,
            "hotline.synthetic.load",
            "hotline.workorder",
            details={"seed": seed, "n": n, "created": len(rows)},
        )
    return len(rows)


SCORES = {"satisfied": 5, "basic": 4, "unsatisfied": 2}


def _locator():
    try:
        from shuzheng.governance.grid.services import locate
    except ImportError:
        return None
    return locate
