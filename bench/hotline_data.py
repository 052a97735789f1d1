"""Realistic 12345 工单 at scale for the benchmarks: N work orders over the demo tree.

Import it in a benchmark worker after ``django.setup()`` (the database is the worker's
throwaway one) and call :func:`generate`::

    summary = hotline_data.generate(1_000_000)

What it makes, from a fixed seed:

- the Zhuhai demo tree (``identity.demo.load_organisations``: city → departments (the 12345
  centre among them) and districts / zones → streets and towns), ~80 organisations;
- the category tree: helper B's ``categories.load_categories`` (``hotline/data/
  categories.json``) when it is there, else a built-in three-level tree of 72 leaves; orders
  of a leaf with a 主管单位 go to that department about two times in three, the others are
  handled where they happen (district → street: 三级派单); volumes Zipf-like over the leaves;
- grid cells when the grid app has some (``grid.services.load_demo``); an order with a
  location then points at a cell of its street;
- citizens (1 per 200 orders, at least 100) who report on the portal / app, a few grid
  officers, 30 hotline operators (plain accounts: the benchmark's real users are its own);
- N orders created over the last ``days`` days (default two years), ids in time order (as
  the sequence gives them), numbers ``GD<date><6-digit daily sequence>``, channels (电话
  ≈ 60 %, 微信, 网站, app, 网格员, …), 诉求类型, urgency, in realistic states: orders older
  than a month are almost all 办结归档 (≈ 96 %) or 已合并, a small stuck remainder still
  open (and overdue); the last month holds the open work (已受理 mostly in the last two days,
  待签收, 办理中, 延期, 待审核, 待回访, 已退单) with deadlines from the default time limits
  (3 / 13 working days, urgent 1) — a few percent of the open, timed orders past due
  (已超期). Direct answers stay at the centre; dispatched orders sit at a district (待签收 /
  下派), a street or a department.

Rows go in with the database's bulk path — PostgreSQL ``COPY`` (foreign-key triggers off for
the session, as in a restore), SQLite ``executemany`` — in batches of ``batch`` rows; then
``VACUUM ANALYZE`` (PostgreSQL) / ``ANALYZE`` (SQLite), as autovacuum would have done. The
encrypted columns (诉求人姓名, 联系电话) reuse a pool of ``callers`` synthetic callers
encrypted once through each field's own ``get_prep_value`` (real SM4-GCM ciphertext, so rows
have their real size and decrypt like real ones), with the matching blind index. Orders carry
no workflow instance (``workflow`` NULL): the queues read the copied ``state`` / ``due_at`` /
``sla_state`` columns of the order table only.

:func:`labelled_history` turns helper B's ``synthetic.orders()`` into confirmed, signed
WorkOrder rows — the training set of ``routing.train`` (used by ``hotline_classify.py`` and
``hotline_intake.py``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import importlib
import itertools
import json
import random
import sys
import time
import uuid
from collections import Counter

POOL = 256
OPEN_WINDOW_DAYS = 30

# (weight, state mix) per age bucket: (max age in days, {state: weight})
STATE_MIX = (
    (1, {"registered": 14, "dispatched": 22, "handling": 20, "closed": 38, "merged": 6}),
    (
        7,
        {
            "registered": 1,
            "dispatched": 5,
            "handling": 36,
            "extension": 2,
            "replied": 8,
            "callback": 9,
            "returned": 2,
            "closed": 33,
            "merged": 4,
        },
    ),
    (
        OPEN_WINDOW_DAYS,
        {
            "dispatched": 0.5,
            "handling": 14,
            "extension": 2,
            "replied": 4,
            "callback": 5,
            "returned": 0.5,
            "closed": 70,
            "merged": 4,
        },
    ),
    (
        10**6,
        {
            "handling": 0.04,  # stuck: long overdue
            "extension": 0.01,
            "replied": 0.02,
            "callback": 0.03,
            "closed": 97.0,
            "merged": 2.9,
        },
    ),
)
TIMED_STATES = ("dispatched", "handling", "extension")
# states after 派单 (the order carries a deadline)
AFTER_DISPATCH = ("dispatched", "handling", "extension", "replied", "callback", "returned")
CHANNELS = {
    "phone": 60,
    "wechat": 12,
    "web": 8,
    "app": 7,
    "grid": 7,
    "mailbox": 2,
    "rating": 1.5,
    "sensor": 1,
    "open311": 1.5,
}
REQUEST_TYPES = {
    "complaint": 38,
    "help": 20,
    "consult": 18,
    "report": 8,
    "suggestion": 12,
    "praise": 4,
}
URGENCIES = {"normal": 95, "urgent": 4, "emergency": 1}
# the default 办结时限 in working days (services/limits.py), 0 = the same day
LIMIT_DAYS = {"consult": 3, "help": 3, "praise": 3, "complaint": 13, "report": 13, "suggestion": 13}
URGENT_DAYS = {"urgent": 1, "emergency": 0}
DISTRICT_WEIGHTS = {"香洲区": 45, "斗门区": 14, "金湾区": 14}  # others share the rest
SATISFACTION = {"satisfied": 80, "basic": 11, "unreachable": 6, "unsatisfied": 3}

# A fallback tree when helper B's categories.json is absent: level 1 → level 2 → leaves;
# the department (by name) that handles a level-2 group, None = where it happens (属地).
FALLBACK_TREE = [
    ("城乡建设", [("市容环卫", ["垃圾清运", "占道经营", "乱张贴"], None),
                  ("市政设施", ["道路破损", "井盖缺失", "路灯不亮"], None)]),
    ("交通运输", [("公共交通", ["公交线路", "公交服务", "出租车服务"], "珠海市交通运输局"),
                  ("道路交通", ["违章停车", "交通信号灯", "道路拥堵"], "珠海市公安局")]),
    ("生态环境", [("污染防治", ["噪声扰民", "油烟污染", "污水排放"], "珠海市生态环境局"),
                  ("园林绿化", ["树木修剪", "绿地损毁", "古树保护"], None)]),
    ("社会保障", [("社会保险", ["社保缴费", "医保报销", "养老金发放"], "珠海市人力资源和社会保障局"),
                  ("社会救助", ["低保申请", "临时救助", "残疾人补贴"], None)]),
    ("劳动就业", [("劳动关系", ["拖欠工资", "劳动合同", "工伤认定"], "珠海市人力资源和社会保障局"),
                  ("就业服务", ["就业登记", "职业培训", "创业补贴"], "珠海市人力资源和社会保障局")]),
    ("住房保障", [("物业管理", ["物业服务", "维修资金", "电梯故障"], None),
                  ("住房政策", ["公租房", "公积金", "购房资格"], "珠海市住房和城乡建设局")]),
    ("市场监管", [("消费维权", ["商品质量", "虚假宣传", "预付卡"], "珠海市市场监督管理局"),
                  ("食品安全", ["餐饮卫生", "过期食品", "无证经营"], "珠海市市场监督管理局")]),
    ("教育文体", [("教育", ["入学报名", "校外培训", "校园安全"], "珠海市教育局"),
                  ("文体旅游", ["旅游投诉", "文化场馆", "体育设施"], "珠海市文化广电旅游体育局")]),
    ("卫生健康", [("医疗服务", ["医院服务", "医疗收费", "预约挂号"], "珠海市卫生健康局"),
                  ("公共卫生", ["疫苗接种", "病媒防制", "控烟"], "珠海市卫生健康局")]),
    ("公共安全", [("治安", ["治安隐患", "诈骗", "噪音扰民夜间"], "珠海市公安局"),
                  ("安全生产", ["消防隐患", "燃气安全", "危化品"], "珠海市应急管理局")]),
    ("水务能源", [("供水排水", ["停水", "水质", "内涝积水"], "珠海市水务局"),
                  ("供电供气", ["停电", "燃气供应", "充电桩"], None)]),
    ("政务服务", [("办事服务", ["办事指南", "窗口服务", "网上办事"], "珠海市政务服务数据管理局"),
                  ("证照户籍", ["户口迁移", "身份证办理", "港澳通行证"], "珠海市公安局")]),
]  # fmt: skip

PROBLEMS = (
    "已经持续一周多了，反映过一次但没有人处理",
    "附近居民意见很大，希望相关部门尽快处理",
    "多次打电话都没有解决，请给个明确答复",
    "想咨询一下具体怎么办理，需要什么材料",
    "影响老人小孩出行，存在安全隐患",
    "晚上十点以后还在继续，严重影响休息",
    "希望能派人到现场查看一下",
    "上个月已经投诉过，至今没有改善",
)
PLACES = (
    "小区门口", "菜市场旁边", "学校附近", "公交站台", "十字路口", "地下车库", "公园入口",
    "商铺门前", "人行道上", "楼道里", "河涌边", "工地外面",
)  # fmt: skip
ROADS = (
    "情侣中路", "凤凰北路", "人民东路", "九洲大道", "珠海大道", "迎宾南路", "白石路", "金湾路",
    "港湾大道", "新城路", "环岛东路", "夏湾路", "前山路", "梅华西路", "紫荆路", "翠微路",
)  # fmt: skip
REPLIES = (
    "经核查，诉求反映情况属实，已责成相关单位于三个工作日内整改完毕，并加强日常巡查。",
    "已联系诉求人说明有关政策规定，诉求人表示理解。",
    "已安排工作人员到现场处置，问题已解决，后续将纳入常态化管理。",
    "经现场核实，该问题不属实，已向诉求人做好解释工作。",
    "已协调物业公司及社区居委会共同处理，并告知诉求人办理进度。",
)


def log(message: str) -> None:
    print(f"[hotline_data] {message}", file=sys.stderr, flush=True)


class _Picker:
    """Weighted choice by bisection over cumulative weights (random.choices per row is slow)."""

    def __init__(self, values, weights):
        self.values = list(values)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


# --------------------------------------------------------------------------- reference data


def optional(module: str):
    """``module`` if it exists yet (the other helpers' code lands in parallel), else None."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def centre_name() -> str:
    from django.conf import settings

    return getattr(settings, "HOTLINE_CENTRE_NAME", "珠海市市民服务热线管理中心")


def organisations() -> dict:
    """The demo tree, loaded once; the centre, districts (with their streets), departments."""
    from shuzheng.foundation import access
    from shuzheng.foundation.identity import demo
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import Organisation, OrgKind

    root = demo.load_organisations()
    centre = Organisation.objects.filter(name=centre_name()).first()
    if centre is None:  # a tree without the centre (another data file): create it
        centre = identity.create_organisation(
            access.SYSTEM, parent=root, name=centre_name(), kind=OrgKind.DEPARTMENT
        )
    orgs = list(Organisation.objects.filter(is_active=True))
    by_id = {o.pk: o for o in orgs}
    districts = [o for o in orgs if o.kind in (OrgKind.DISTRICT, OrgKind.ZONE)]
    streets: dict[int, list] = {d.pk: [] for d in districts}
    for o in orgs:
        if o.kind in (OrgKind.STREET, OrgKind.TOWN) and o.parent_id in streets:
            streets[o.parent_id].append(o)
    districts = [d for d in districts if streets[d.pk]]  # 鹤洲新区 (筹) has no streets yet
    departments = {o.name: o for o in orgs if o.kind == OrgKind.DEPARTMENT and o.pk != centre.pk}
    return {
        "root": root,
        "centre": centre,
        "by_id": by_id,
        "districts": districts,
        "streets": streets,
        "departments": departments,
    }


def categories(orgs: dict) -> list[dict]:
    """Active leaves as dicts {id, code, department id or None, level-1 code}; loads helper
    B's tree if the table is empty (or the built-in fallback when B's loader is absent)."""
    from shuzheng.governance.hotline.models import Category

    if not Category.objects.exists():
        from shuzheng.foundation import access

        loader = optional("shuzheng.governance.hotline.services.categories")
        if loader is None:
            _fallback_categories(orgs)
        else:
            loader.load_categories(access.SYSTEM)
    rows = list(Category.objects.filter(is_active=True).values("id", "code", "parent_id"))
    parents = {r["parent_id"] for r in rows}
    leaves = Category.objects.filter(is_active=True).exclude(pk__in=parents)
    return [
        {"id": c.pk, "code": c.code, "name": c.name, "unit": c.default_unit_id, "top": c.code[:2]}
        for c in leaves.order_by("code")
    ]


def _fallback_categories(orgs: dict) -> None:
    from shuzheng.governance.hotline.models import Category

    departments = orgs["departments"]
    for i, (top_name, groups) in enumerate(FALLBACK_TREE, start=1):
        top = Category.objects.create(code=f"{i:02d}", name=top_name, level=1, sort_order=i)
        for j, (group_name, leaves, dept) in enumerate(groups, start=1):
            unit = departments.get(dept) if dept else None
            group = Category.objects.create(
                code=f"{i:02d}{j:02d}", name=group_name, parent=top, level=2, sort_order=j
            )
            for k, leaf in enumerate(leaves, start=1):
                Category.objects.create(
                    code=f"{i:02d}{j:02d}{k:02d}",
                    name=leaf,
                    parent=group,
                    level=3,
                    sort_order=k,
                    default_unit=unit,
                    needs_location=unit is None,
                    open311=unit is None,
                    keywords=[leaf],
                )


def grid_cells() -> dict[int, list[tuple]]:
    """Grid cells per street id: (id, min_lat, max_lat, min_lng, max_lng); loads the demo
    grid (helper E's ``load_demo``) when there is none and the loader exists."""
    from shuzheng.governance.grid.models import GridCell

    if not GridCell.objects.exists():
        from shuzheng.foundation import access

        grid = optional("shuzheng.governance.grid.services")
        if grid is None or not hasattr(grid, "load_demo"):
            return {}
        try:
            grid.load_demo(access.SYSTEM)
        except Exception as exc:  # noqa: BLE001 — the grid is decoration here, not the subject
            log(f"grid demo not loaded ({exc.__class__.__name__}: {exc}); orders get no grid")
            return {}
    cells: dict[int, list[tuple]] = {}
    for c in GridCell.objects.filter(is_active=True).values_list(
        "id", "street_id", "min_lat", "max_lat", "min_lng", "max_lng"
    ):
        cells.setdefault(c[1], []).append((c[0], c[2], c[3], c[4], c[5]))
    return cells


def _accounts(prefix: str, count: int) -> list[int]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = [
        User(username=f"{prefix}{i}", password="!", display_name=f"{prefix}{i}")
        for i in range(count)
    ]
    for chunk in range(0, count, 5000):
        User.objects.bulk_create(users[chunk : chunk + 5000])
    return list(
        User.objects.filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True)
    )


def _callers(rng: random.Random) -> list[tuple[str, str, str]]:
    """(name ciphertext, phone ciphertext, phone blind index) of ``POOL`` synthetic callers."""
    from shuzheng.foundation.identity import synthetic
    from shuzheng.foundation.trust.pii import blind_index
    from shuzheng.governance.hotline.models import WorkOrder

    name_field = WorkOrder._meta.get_field("caller_name")
    phone_field = WorkOrder._meta.get_field("caller_phone")
    index_field = WorkOrder._meta.get_field("caller_phone_index")
    pool = []
    for _ in range(POOL):
        phone = "+86" + synthetic.mobile(rng).removeprefix("+86")
        pool.append(
            (
                name_field.get_prep_value(synthetic.person_name(rng)),
                phone_field.get_prep_value(phone),
                blind_index(index_field.kind, phone),
            )
        )
    return pool


def _texts(rng: random.Random, leaves: list[dict]) -> dict[int, list[tuple[str, str]]]:
    """(title, content) per leaf id: helper B's synthetic texts when there, else templates."""
    by_code = {leaf["code"]: leaf["id"] for leaf in leaves}
    texts: dict[int, list[tuple[str, str]]] = {leaf["id"]: [] for leaf in leaves}
    hotline_synthetic = optional("shuzheng.governance.hotline.synthetic")
    if hotline_synthetic is not None:
        try:
            for row in hotline_synthetic.orders(n=2400, seed=7):
                leaf = by_code.get(row.get("category") or row.get("category_code"))
                if leaf is not None:
                    content = row.get("content", "")
                    texts[leaf].append((row.get("title") or content[:30], content))
        except Exception as exc:  # noqa: BLE001 — fall back to the templates below
            log(f"synthetic.orders() unusable ({exc.__class__.__name__}: {exc}); templates used")
    for leaf in leaves:
        while len(texts[leaf["id"]]) < 6:
            place = rng.choice(PLACES)
            road = rng.choice(ROADS)
            content = (
                f"{road}{rng.randint(1, 300)}号{place}{leaf['name']}的问题，"
                f"{rng.choice(PROBLEMS)}。{rng.choice(PROBLEMS)}。"
            )
            texts[leaf["id"]].append((f"{road}{place}{leaf['name']}", content))
    return texts


def _suggestions(leaves: list[dict]) -> dict[int, str]:
    """A stored suggestion (JSON text, the shape of routing.suggest) per leaf."""
    out = {}
    for leaf in leaves:
        out[leaf["id"]] = json.dumps(
            {
                "model_version": 1,
                "category": {
                    "id": leaf["id"],
                    "code": leaf["code"],
                    "name": leaf["name"],
                    "confidence": 0.87,
                },
                "alternatives": [],
                "unit": None,
                "rule": None,
                "confident": True,
                "words": [[leaf["name"][:2], 0.42]],
                "reasons": [f"关键词：{leaf['name']}"],
            },
            ensure_ascii=False,
        )
    return out


# --------------------------------------------------------------------------- the rows


def _add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """A cheap stand-in for the work calendar (Mon–Fri), ending at 18:00 local time (the
    same day's end for a limit of 0 days)."""
    return _working_day_end(start.astimezone(_TZ).date(), days)


@functools.cache
def _working_day_end(day: dt.date, days: int) -> dt.datetime:
    if days <= 0:
        return dt.datetime.combine(day, dt.time(23, 59), _TZ)
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return dt.datetime.combine(day, dt.time(18, 0), _TZ)


@functools.cache
def _day_key(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


_TZ = dt.UTC


def _mix_for(mixes, age_days: float):
    """The state mix of an order of this age."""
    for max_age, mix in mixes:
        if age_days <= max_age:
            return mix
    return mixes[-1][1]


def _rows(n: int, rng: random.Random, now: dt.datetime, ctx: dict, days: int):
    """Yield one dict per order (column → stored value), oldest first."""
    orgs = ctx["orgs"]
    centre = orgs["centre"].pk
    leaves = ctx["leaves"]
    pick_leaf = _Picker(leaves, [1 / (i + 1) ** 0.8 for i in range(len(leaves))])
    rng.shuffle(pick_leaf.values)  # the popular leaves anywhere in the tree
    districts = orgs["districts"]
    pick_district = _Picker(districts, [DISTRICT_WEIGHTS.get(d.name, 3) for d in districts])
    streets = orgs["streets"]
    departments = list(orgs["departments"].values())
    pick_channel = _Picker(CHANNELS, CHANNELS.values())
    pick_type = _Picker(REQUEST_TYPES, REQUEST_TYPES.values())
    pick_urgency = _Picker(URGENCIES, URGENCIES.values())
    pick_satisfaction = _Picker(SATISFACTION, SATISFACTION.values())
    mixes = [(age, _Picker(mix, mix.values())) for age, mix in STATE_MIX]
    callers = ctx["callers"]
    texts = ctx["texts"]
    suggestions = ctx["suggestions"]
    cells = ctx["cells"]
    citizens, officers, operators = ctx["citizens"], ctx["officers"], ctx["operators"]
    span = dt.timedelta(days=days).total_seconds()
    # creation times: n points, sorted, denser in recent months (a growing service)
    offsets = sorted(span * (1 - rng.random() ** 1.25) for _ in range(n))
    start = now - dt.timedelta(days=days)
    day_seq: Counter = Counter()
    for i, offset in enumerate(offsets):
        pk = i + 1
        created = start + dt.timedelta(seconds=offset)
        day_key = _day_key(created.astimezone(_TZ).date())
        day_seq[day_key] += 1
        age_days = (now - created).total_seconds() / 86400
        state = _mix_for(mixes, age_days)(rng)
        leaf = pick_leaf(rng)
        channel = pick_channel(rng)
        request_type = pick_type(rng)
        urgency = pick_urgency(rng)
        district = pick_district(rng)
        street = rng.choice(streets[district.pk])
        title, content = rng.choice(texts[leaf["id"]])
        cell = None
        lat = lng = None
        if leaf["unit"] is None or rng.random() < 0.5:
            street_cells = cells.get(street.pk)
            if street_cells:
                cell, lat0, lat1, lng0, lng1 = rng.choice(street_cells)
                lat, lng = rng.uniform(lat0, lat1), rng.uniform(lng0, lng1)
            else:
                lat, lng = rng.uniform(22.10, 22.42), rng.uniform(113.20, 113.62)
        caller_name, caller_phone, phone_index = callers[pk % POOL]
        if channel in ("grid", "sensor"):
            caller_name = caller_phone = phone_index = ""
        reporter = None
        if channel in ("web", "app", "wechat") and rng.random() < 0.7:
            reporter = citizens[rng.randrange(len(citizens))]
        elif channel == "grid":
            reporter = officers[rng.randrange(len(officers))]
        registered_by = operators[pk % len(operators)] if channel == "phone" else None
        # who holds it now, who sent it there
        direct = state == "closed" and (request_type == "consult" or rng.random() < 0.12)
        if state == "merged" or direct or state == "registered":
            unit, dispatched_by = centre, None
        elif leaf["unit"] is not None and rng.random() < 0.65:
            unit, dispatched_by = leaf["unit"], centre
        elif leaf["unit"] is None and rng.random() < 0.1:
            unit, dispatched_by = departments[pk % len(departments)].pk, centre
        elif state == "dispatched" and rng.random() < 0.6:
            unit, dispatched_by = district.pk, centre  # 待签收 at the district (or 下派)
        elif rng.random() < 0.15:
            unit, dispatched_by = district.pk, centre  # the district handles it itself
        else:
            unit, dispatched_by = street.pk, district.pk
        if state == "returned":
            unit, dispatched_by = dispatched_by or centre, None
        limit = URGENT_DAYS.get(urgency, LIMIT_DAYS[request_type])
        dispatched_at = created + dt.timedelta(minutes=rng.uniform(10, 300))
        sign_due = due = urge_at = signed = replied = callback_at = closed_at = None
        callback_due = None
        sla = ""
        urged = supervised = False
        on_time = None
        satisfaction = reply = comment = ""
        score = None
        rework = 1 if rng.random() < 0.03 else 0
        returns = 1 if rng.random() < 0.04 else 0
        extension_days, extension_reason = 0, ""
        if not direct and state not in ("registered", "merged"):
            sign_due = dispatched_at + dt.timedelta(hours=2 if urgency == "normal" else 1)
            due = _add_working_days(dispatched_at, limit)
            if state in TIMED_STATES:
                sla = "running"
                if due < now and age_days <= OPEN_WINDOW_DAYS and rng.random() > 0.25:
                    # most open orders past their first limit got an extension
                    due = now + dt.timedelta(hours=rng.uniform(4, 24 * 8))
            elif state == "returned":
                sla = "paused"
            else:
                sla = "stopped"
            if limit >= 2:
                urge_at = _add_working_days(dispatched_at, limit - 1) - dt.timedelta(hours=9)
            else:
                urge_at = dispatched_at + (due - dispatched_at) * 0.75
            if state != "dispatched" and state != "returned":
                signed = min(now, sign_due - dt.timedelta(minutes=rng.uniform(-30, 100)))
            if state == "extension":
                extension_days = rng.choice((3, 5, 10))
                extension_reason = "需协调多个部门现场处置"
            if state in ("replied", "callback", "closed"):
                late = rng.random() < 0.05
                spent = (due - dispatched_at) * (
                    rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.95)
                )
                replied = min(now - dt.timedelta(minutes=5), dispatched_at + spent)
                reply = REPLIES[pk % len(REPLIES)]
                on_time = replied <= due if state != "replied" else None
            if state in ("callback", "closed"):
                callback_due = (replied + dt.timedelta(days=1)).astimezone(_TZ).date()
            if state == "closed":
                callback_at = min(now, replied + dt.timedelta(hours=rng.uniform(2, 48)))
                satisfaction = pick_satisfaction(rng)
                if satisfaction == "unsatisfied":  # closed after the 重办: the second answer
                    satisfaction, rework = "basic", 1
                score = {"satisfied": 5, "basic": 3, "unreachable": None}[satisfaction]
                closed_at = callback_at
            if now >= (urge_at or now) and (
                state in TIMED_STATES or (replied and replied > urge_at)
            ):
                urged = True
            if due < now and state in TIMED_STATES or replied and replied > due:
                supervised = True
        elif direct:
            reply = REPLIES[1]
            replied = closed_at = created + dt.timedelta(minutes=rng.uniform(3, 30))
            on_time = True
        updated = max(
            t for t in (created, signed, replied, callback_at, closed_at) if t is not None
        )
        master = None
        if state == "merged" and pk > 50:
            master = pk - rng.randint(1, 50)
        yield {
            "id": pk,
            "number": f"GD{day_key}{day_seq[day_key]:06d}",
            "token": uuid.UUID(int=rng.getrandbits(128), version=4),
            "channel": channel,
            "request_type": request_type,
            "urgency": urgency,
            "category_id": leaf["id"],
            "title": title[:120],
            "content": content,
            "address": f"{district.name}{street.name}{ROADS[pk % len(ROADS)]}{pk % 300 + 1}号"
            if lat is not None
            else "",
            "latitude": lat,
            "longitude": lng,
            "grid_id": cell,
            "district_id": district.pk,
            "caller_name": caller_name,
            "caller_phone": caller_phone,
            "caller_phone_index": phone_index,
            "anonymous": rng.random() < 0.05,
            "reporter_id": reporter,
            "registered_by_id": registered_by,
            "unit_id": unit,
            "dispatched_by_id": dispatched_by,
            "workflow_id": None,
            "state": state,
            "sla_state": sla,
            "sign_due_at": sign_due,
            "due_at": due,
            "urge_at": urge_at,
            "urged": urged,
            "supervised": supervised,
            "suggestion": suggestions[leaf["id"]],
            "category_confirmed": state not in ("registered", "merged"),
            "master_id": master,
            "callers_count": 2 if rng.random() < 0.03 else 1,
            "signed_at": signed,
            "extension_days": extension_days,
            "extension_reason": extension_reason,
            "reply": reply,
            "replied_at": replied,
            "satisfaction": satisfaction,
            "callback_score": score,
            "callback_comment": comment,
            "callback_at": callback_at,
            "callback_due": callback_due,
            "rework_count": rework,
            "return_count": returns,
            "closed_at": closed_at,
            "on_time": on_time,
            "related_case": "",
            "source_ref": f"evaluation:{pk}" if channel == "rating" else "",
            "created_at": created,
            "updated_at": updated,
        }


def _columns(filled):
    """The order table's columns and, for any column the generator does not fill (a field
    added to the model since), the stored form of its default."""
    from django.db import connection

    from shuzheng.governance.hotline.models import WorkOrder

    columns, extra = [], {}
    for field in WorkOrder._meta.concrete_fields:
        columns.append(field.column)
        if field.column in filled:
            continue
        if field.unique or not (field.has_default() or field.null):
            raise RuntimeError(
                f"bench/hotline_data.py does not fill the new column {field.column!r} "
                "(unique, or no default and not null): add it to _rows()"
            )
        value = (
            field.get_db_prep_save(field.get_default(), connection) if field.has_default() else None
        )
        extra[field.column] = value
        log(f"column {field.column} gets its default {value!r}")
    unknown = set(filled) - set(columns)
    if unknown:
        raise RuntimeError(f"bench/hotline_data.py fills columns the model lacks: {unknown}")
    return columns, extra


def generate(
    n: int,
    *,
    seed: int = 2026,
    batch: int = 10_000,
    days: int = 730,
    now: dt.datetime | None = None,
    citizens: int | None = None,
    grid: bool = True,
) -> dict:
    """Create ``n`` orders (and the organisations, categories, grid and accounts they need);
    returns a summary: counts per state and unit kind, overdue, seconds, the key units.
    ``grid=False`` skips the demo grid (orders get no cell; quicker for small runs)."""
    global _TZ
    from django.db import connection, transaction
    from django.utils import timezone

    from shuzheng.governance.hotline.models import WorkOrder

    now = now or timezone.now()
    # the installation's zone as a fixed offset (Asia/Shanghai has had no DST since 1991):
    # converting a million datetimes through zoneinfo would cost more than the rest
    _TZ = dt.timezone(now.astimezone(timezone.get_current_timezone()).utcoffset())
    _working_day_end.cache_clear()
    if WorkOrder.objects.exists():
        raise RuntimeError("generate() expects an order table without rows")
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        orgs = organisations()
        leaves = categories(orgs)
        cells = grid_cells() if grid else {}
        ctx = {
            "orgs": orgs,
            "leaves": leaves,
            "cells": cells,
            "citizens": _accounts("bench_citizen_", citizens or max(100, n // 200)),
            "officers": _accounts("bench_grid_", 40),
            "operators": _accounts("bench_operator_", 30),
        }
    ctx["callers"] = _callers(rng)
    ctx["texts"] = _texts(rng, leaves)
    ctx["suggestions"] = _suggestions(leaves)
    log(
        f"{len(leaves)} categories, {sum(len(v) for v in cells.values())} grid cells, "
        f"{len(ctx['citizens'])} citizens ready in {time.perf_counter() - started:.1f} s"
    )
    states: Counter = Counter()
    units: Counter = Counter()
    overdue = 0
    kinds = {pk: o.kind for pk, o in orgs["by_id"].items()}
    centre = orgs["centre"].pk
    table = WorkOrder._meta.db_table
    load_started = time.perf_counter()
    done = 0

    def tuples(chunk):
        nonlocal overdue
        for row in chunk:
            states[row["state"]] += 1
            units["centre" if row["unit_id"] == centre else kinds[row["unit_id"]]] += 1
            if row["state"] in TIMED_STATES and row["due_at"] and row["due_at"] < now:
                overdue += 1
            row.update(extra)
            yield [row[c] for c in columns]

    rows = _rows(n, rng, now, ctx, days)
    first = next(rows, None)
    columns, extra = _columns(first.keys() if first else ())
    rows = itertools.chain([first] if first else [], rows)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers (restore)
            try:
                while chunk := list(itertools.islice(rows, batch)):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in tuples(chunk):
                            copy.write_row(row)
                    done += len(chunk)
                    if done % (batch * 10) == 0:
                        log(f"{done:,} orders ({time.perf_counter() - load_started:.0f} s)")
            finally:
                cur.execute("SET session_replication_role = DEFAULT")
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            # analysed and the visibility map set, as autovacuum would have done to a table
            # filled over two years (VACUUM cannot run inside a transaction)
            cur.execute("ANALYZE" if connection.in_atomic_block else f"VACUUM ANALYZE {table}")
            if not connection.in_atomic_block:
                cur.execute("ANALYZE")
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        ops = connection.ops
        adapters = {}
        for field in WorkOrder._meta.concrete_fields:
            internal = field.get_internal_type()
            if internal == "DateTimeField":
                adapters[columns.index(field.column)] = ops.adapt_datetimefield_value
            elif internal == "DateField":
                adapters[columns.index(field.column)] = ops.adapt_datefield_value
            elif internal == "UUIDField":
                adapters[columns.index(field.column)] = lambda v: v.hex if v else v

        def stored(row):  # Django's own stored forms on SQLite (naive UTC text, uuid hex)
            for i, adapt in adapters.items():
                if row[i] is not None:
                    row[i] = adapt(row[i])
            return row

        with connection.cursor() as cur:
            while chunk := list(itertools.islice(rows, batch)):
                with transaction.atomic():
                    cur.executemany(sql, [stored(r) for r in tuples(chunk)])
                done += len(chunk)
                if done % (batch * 10) == 0:
                    log(f"{done:,} orders ({time.perf_counter() - load_started:.0f} s)")
            cur.execute("ANALYZE")
    seconds = time.perf_counter() - started
    log(f"{done:,} orders in {seconds:.0f} s")
    by_name = {o.name: o.pk for o in orgs["by_id"].values()}
    return {
        "orders": done,
        "categories": len(leaves),
        "grid_cells": sum(len(v) for v in cells.values()),
        "citizens": len(ctx["citizens"]),
        "states": dict(sorted(states.items())),
        "units": dict(sorted(units.items())),
        "overdue": overdue,
        "seconds": round(seconds, 1),
        "load_seconds": round(time.perf_counter() - load_started, 1),
        "centre": centre,
        "root": orgs["root"].pk,
        "xiangzhou": by_name.get("香洲区"),
        "now": now.isoformat(),
    }


# --------------------------------------------------------------------------- training data


def labelled_history(rows: list[dict], *, now: dt.datetime | None = None) -> int:
    """Confirmed, signed, closed WorkOrder rows from ``synthetic.orders()`` dicts (title,
    content, category code, request_type, urgency, district, street, unit, address,
    latitude, longitude): the labelled history ``routing.train`` learns from. Each order sits
    at the unit that signed it: the sample's ``unit`` when named, else the category's 主管单位,
    the street or the district; with a location, the grid cell (``grid.services.locate``),
    as intake would have placed it. Returns the number of rows created."""
    from django.db import transaction
    from django.utils import timezone

    from shuzheng.governance.hotline.models import Category, WorkOrder

    now = now or timezone.now()
    orgs = organisations()
    by_name = {o.name: o for o in orgs["by_id"].values()}
    cats = {c.code: c for c in Category.objects.select_related("default_unit")}
    grid = optional("shuzheng.governance.grid.services")
    locate = getattr(grid, "locate", None)
    made = []
    for i, row in enumerate(rows):
        category = cats.get(row.get("category") or row.get("category_code"))
        if category is None:
            continue
        cell = None
        if locate is not None and row.get("latitude") is not None:
            cell = locate(row["latitude"], row["longitude"])
        street = by_name.get(row.get("street") or "")
        district = cell.district if cell is not None else by_name.get(row.get("district") or "")
        unit = (
            by_name.get(row.get("unit") or "")
            or category.default_unit
            or street
            or district
            or orgs["centre"]
        )
        created = now - dt.timedelta(days=30 + i % 300, minutes=i)
        made.append(
            WorkOrder(
                number=f"GDT{i:013d}",
                channel="phone",
                request_type=row.get("request_type") or "complaint",
                urgency=row.get("urgency") or "normal",
                category=category,
                title=(row.get("title") or row.get("content", ""))[:120],
                content=row.get("content", ""),
                address=row.get("address", ""),
                latitude=row.get("latitude"),
                longitude=row.get("longitude"),
                grid=cell,
                district=district,
                unit=unit,
                dispatched_by=orgs["centre"],
                state="closed",
                sla_state="stopped",
                category_confirmed=True,
                signed_at=created + dt.timedelta(hours=1),
                closed_at=created + dt.timedelta(days=2),
                created_at=created,
                updated_at=created,
            )
        )
    with transaction.atomic():
        WorkOrder.objects.bulk_create(made, batch_size=1000)
    return len(made)


def main() -> None:
    """``python bench/hotline_data.py N`` inside a configured environment
    (DJANGO_SETTINGS_MODULE and a migrated database): generate and print the summary."""
    import django

    django.setup()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps(generate(n), ensure_ascii=False))


if __name__ == "__main__":
    main()
