# ruff: noqa: SIM905  (word lists read better as text)
"""政务数据资源目录 search at 100,000 published entries, on SQLite and on PostgreSQL.

Run: ``.venv/bin/python bench/data_catalog_search.py`` (prints one JSON object; progress on
stderr; ≈ 10–15 minutes for both databases; ``--no-pg`` for SQLite only, ``--entries`` to
size the catalogue).

Catalogue, per database (a throwaway one, ``bench/harness.py``): the Zhuhai demo
organisations, the classification tree (``load_classifications``) and the installation's
declared synonym groups (``manage.py search synonyms``); then ``--entries`` published entries
written with ``bulk_create`` (no service calls, fixed seed) across every department of the
tree: 25 % are the demo catalogue's entries (``entries.yaml``) catalogued again by another
department or a district (sometimes under an area or year prefix, as real catalogues repeat
a resource per holder), 75 % are made from each department's subjects × resource kinds
(不动产登记信息, 医疗机构执业许可信息, 香洲区空气质量监测数据 …) with summaries, keywords and
3–8 信息项 from templates; share type, open type, update cycle and level vary (level = the
highest item, sometimes raised to 重要数据). Each entry's ``published`` is its
``snapshot.snapshot`` (the form search indexes). The index is built with
``indexing.rebuild`` (the code of ``manage.py search rebuild``).

Queries: what catalogue users type — Chinese words and phrases, several words, pinyin
initials, full pinyin, Traditional characters, facet filters (provider, share type, level),
second and third pages — each through ``data.catalog.selectors.search(user, text, facets=,
limit=, offset=)``, the path of the workbench catalogue and the API, with the workbench's
page size (50): as a data-authority reviewer (city-wide), as a data-user of 市卫生健康局, and
as an anonymous visitor of the open catalogue (only open entries: the ``within`` path, page
size 20). Baseline in the same run: one entry by its 信息资源代码 (``get(code=…)`` with its
provider and classification, a unique-index lookup). No target in the issue besides "p95 at
100,000 entries"; the services catalogue's target (p95 ≤ 20 ms at 10,000 items) is the
comparison. Also reported: this process's CPU time per search (robust to other processes
on the machine; the PostgreSQL server's work is not in it) and how busy the CPUs were
before each database's run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "src"))

import harness  # noqa: E402  (the bench/ directory is not a package)
from harness import log  # noqa: E402

COMPARE_P95_MS = 20.0  # the services catalogue's target, for comparison
SEED = 20261202

# department (a substring of its name) → subjects it catalogues
SUBJECTS = {
    "公安局": "人口 户籍人口 居住证 流动人口 机动车 机动车驾驶人 出入境证件 治安管理处罚 犬只登记 身份证办理",
    "卫生健康局": "医疗机构 医师执业 护士执业 出生医学证明 死亡医学证明 预防接种 传染病报告 家庭医生签约 妇幼保健 职业病诊断",
    "市场监督管理局": "市场主体 企业登记 个体工商户 食品经营许可 特种设备 产品质量抽检 企业年度报告 商标注册 药品零售企业",
    "人力资源和社会保障局": "就业登记 失业登记 职业资格 职业技能培训 劳动合同备案 人才引进 劳动人事争议仲裁",
    "社会保险基金管理中心": "社会保险参保 养老保险缴费 工伤保险 失业保险金 社会保障卡",
    "住房公积金管理中心": "公积金缴存 公积金提取 公积金贷款 住房公积金单位登记",
    "不动产登记中心": "不动产登记 不动产权证书 不动产抵押登记 预告登记 房屋查封",
    "自然资源局": "国土空间规划 土地出让 建设用地审批 地名地址 测绘成果 林地 海域使用",
    "住房和城乡建设局": "建设工程施工许可 商品房预售 物业服务企业 建筑业企业资质 保障性住房 燃气经营许可",
    "交通运输局": "公交线路 出租汽车 道路运输经营许可 网络预约出租汽车 公路养护 公共停车场 港口经营",
    "生态环境局": "空气质量 水环境质量 排污许可 环境影响评价 危险废物经营 噪声监测 重点排污单位",
    "教育局": "中小学校 学生学籍 教师资格 民办学校 招生入学 校外培训机构 学生资助",
    "民政局": "婚姻登记 最低生活保障对象 特困人员供养 养老机构 社会组织 殡葬服务 残疾人两项补贴",
    "税务局": "纳税人登记 纳税信用 增值税发票 税收减免 社会保险费征收",
    "医疗保障局": "医保参保 定点医药机构 医保结算 门诊特定病种 医保药品目录",
    "发展和改革局": "公共信用 政府投资项目 价格监测 重点项目 信用修复",
    "统计局": "国民经济核算 人口抽样调查 规模以上工业企业 消费价格指数",
    "应急管理局": "安全生产许可 危险化学品经营 应急物资储备 自然灾害灾情 避难场所",
    "水务局": "取水许可 供水水质 排水许可 河湖长制 水利工程",
    "文化广电旅游体育局": "旅行社 A级旅游景区 文物保护单位 公共体育场馆 娱乐场所经营许可",
    "农业农村局": "农药经营许可 动物防疫 渔船登记 农村土地承包经营权 高标准农田",
    "城市管理和综合执法局": "户外广告设施 城市道路挖掘 生活垃圾分类 违法建设查处 市政设施",
    "口岸局": "口岸通关 跨境车辆 港珠澳大桥通行 口岸客流",
}
DEFAULT_SUBJECTS = "行政许可 行政处罚 政务服务事项 政府信息公开 财政预算执行 档案 信访事项 投诉举报"
KINDS = """基础信息 登记信息 变更信息 注销信息 许可信息 备案信息 统计数据 监测数据 年度报告 名录
核验信息 办件信息 处罚信息 检查结果 台账 明细""".split()
AREAS = "香洲区 斗门区 金湾区 横琴 高新区 高栏港 万山".split()
CYCLES = ["realtime", "daily", "daily", "weekly", "monthly", "monthly", "quarterly", "yearly",
          "irregular"]  # fmt: skip
USAGES = [
    "政务服务事项办理中的核验与材料免提交",
    "跨部门联合监管与信用评价",
    "城市运行监测与决策分析",
    "公共服务资源配置与规划",
    "“一件事”联办和主动服务",
    "统计分析与专项报告",
]
SUMMARY = (
    "{provider}在履职中产生的{subject}{kind}，包括{items}等信息项，{cycle}更新，主要用于{usage}。"
)
CYCLE_TEXT = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "yearly": "每年",
    "irregular": "不定期",
}
# code, name, type, length, grade, mask, personal, sensitive personal
ITEMS = [
    ("id_number", "公民身份号码", "C", 18, "general_4", "id_number", True, True),
    ("name", "姓名", "C", 50, "general_3", "name", True, False),
    ("uscc", "统一社会信用代码", "C", 18, "general_1", "none", False, False),
    ("org_name", "单位名称", "C", 200, "general_1", "none", False, False),
    ("legal_rep", "法定代表人", "C", 50, "general_2", "name", True, False),
    ("address", "地址", "C", 200, "general_3", "address", True, False),
    ("phone", "联系电话", "C", 20, "general_3", "phone", True, False),
    ("licence_no", "许可证编号", "C", 40, "general_1", "none", False, False),
    ("reg_date", "登记日期", "D", 10, "general_1", "none", False, False),
    ("valid_until", "有效期至", "D", 10, "general_1", "none", False, False),
    ("status", "状态", "C", 10, "general_1", "none", False, False),
    ("district", "所属区", "C", 20, "general_1", "none", False, False),
    ("category", "类别", "C", 40, "general_1", "none", False, False),
    ("amount", "金额", "Y", 18, "general_2", "none", False, False),
    ("longitude", "经度", "N", 12, "general_2", "none", False, False),
    ("latitude", "纬度", "N", 12, "general_2", "none", False, False),
    ("health_status", "健康状况", "C", 50, "important", "suppress", True, True),
    ("bank_account", "银行账号", "C", 30, "general_4", "partial", True, True),
    ("remarks", "备注", "M", 500, "general_1", "none", False, False),
    ("updated_at", "更新时间", "T", 19, "general_1", "none", False, False),
]
KEY_ITEMS = ("id_number", "uscc", "licence_no")

# (class, text, facets by name — provider given as an organisation name, page number)
QUERIES = [
    ("words", "人口", {}, 1),
    ("words", "不动产登记", {}, 1),
    ("words", "营业执照", {}, 1),
    ("words", "医疗机构", {}, 1),
    ("words", "空气质量", {}, 1),
    ("words", "公积金提取", {}, 1),
    ("words", "出生医学证明", {}, 1),
    ("words", "纳税信用", {}, 1),
    ("words", "中小学校", {}, 1),
    ("words", "婚姻登记", {}, 1),
    ("several_words", "人口 户籍", {}, 1),
    ("several_words", "企业 纳税 信用", {}, 1),
    ("several_words", "香洲区 医疗机构", {}, 1),
    ("several_words", "社保 参保 缴费", {}, 1),
    ("initials", "bdc", {}, 1),
    ("initials", "gjj", {}, 1),
    ("initials", "yljg", {}, 1),
    ("initials", "kqzl", {}, 1),
    ("pinyin", "renkou", {}, 1),
    ("pinyin", "budongchan", {}, 1),
    ("pinyin", "gongjijin", {}, 1),
    ("pinyin", "yiliaojigou", {}, 1),
    ("traditional", "人口基礎信息", {}, 1),
    ("traditional", "不動產登記", {}, 1),
    ("traditional", "醫療機構", {}, 1),
    ("traditional", "婚姻登記", {}, 1),
    ("facet", "登记", {"provider": "珠海市公安局"}, 1),
    ("facet", "信息", {"share_type": "conditional"}, 1),
    ("facet", "人口", {"grade": "general_4"}, 1),
    ("facet", "许可", {"provider": "珠海市市场监督管理局", "share_type": "unconditional"}, 1),
    ("facet", "监测", {"grade": "important"}, 1),
    ("facet", "医疗", {"provider": "珠海市卫生健康局"}, 1),
    ("next_page", "信息", {}, 2),
    ("next_page", "登记", {}, 2),
    ("next_page", "人口", {}, 2),
    ("next_page", "许可", {}, 3),
]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- generator


def _subjects(org_name: str) -> list[str]:
    for mark, words in SUBJECTS.items():
        if mark in org_name:
            return words.split()
    return DEFAULT_SUBJECTS.split()


def generate(n_entries: int, *, seed: int = SEED, chunk: int = 5000) -> dict:
    """Bulk-create ``n_entries`` published entries with their items and publications (the
    classification tree must be loaded and departments exist). No signals fire: the caller
    builds the index afterwards. Returns counts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.catalog.models import (
        GRADE_RANK,
        CatalogueEntry,
        Classification,
        DataItem,
        EntryStatus,
        highest,
    )
    from shuzheng.data.catalog.snapshot import snapshot
    from shuzheng.foundation.identity.models import Organisation, OrgKind, User

    rnd = random.Random(seed)
    now = timezone.now()
    author = User.objects.order_by("pk").first()
    if author is None:
        raise harness.BenchError("no user to author the generated entries")
    orgs = list(Organisation.objects.filter(is_active=True, kind=OrgKind.DEPARTMENT).order_by("pk"))
    if not orgs:
        raise harness.BenchError("no departments: load the organisations first")
    leaves = {c.code: c for c in Classification.objects.filter(parent__isnull=False)}
    if not leaves:
        raise harness.BenchError("no classifications: load_classifications() first")
    # classification leaves by department subject area (部门信息资源 3xx by name), else theme
    dept_class = {
        org.pk: [c for c in leaves.values() if c.code.startswith("3") and c.name in org.name]
        for org in orgs
    }
    themes = [c for c in leaves.values() if c.code[0] in "12"]
    templates = list(catalog_demo.specs())
    item_by_code = {i[0]: i for i in ITEMS}
    sequence: dict[str, int] = {
        code: CatalogueEntry.objects.filter(classification__code=code).count() for code in leaves
    }
    created = 0
    by_share: dict[str, int] = {}
    table = connection.ops.quote_name(CatalogueEntry._meta.db_table)
    update = f"UPDATE {table} SET published = %s WHERE id = %s"  # noqa: S608 (no input)
    while created < n_entries:
        size = min(chunk, n_entries - created)
        entries, items = [], []
        for _ in range(size):
            org = rnd.choice(orgs)
            cls = rnd.choice(dept_class[org.pk] or themes)
            if rnd.random() < 0.25:
                t = rnd.choice(templates)
                prefix = rnd.choice(["", "", rnd.choice(AREAS), f"{rnd.randint(2018, 2025)}年"])
                name = f"{prefix}{t['name']}"
                summary = " ".join(t["summary"].split())
                keywords = list(t.get("keywords", ()))
                raw = [
                    (i["code"], i["name"], i["data_type"], i.get("length"), i["grade"],
                     i.get("mask", "none"), bool(i.get("personal")),
                     bool(i.get("sensitive_personal")), bool(i.get("is_key")))
                    for i in t["items"]
                ]  # fmt: skip
                cls = leaves.get(t["classification"], cls)
            else:
                subject = rnd.choice(_subjects(org.name))
                kind = rnd.choice([k for k in KINDS if k[:2] not in subject])
                prefix = rnd.choice(["", "", "", rnd.choice(AREAS)])
                name = f"{prefix}{subject}{kind}"
                picked = rnd.sample(ITEMS, rnd.randint(3, 8))
                key = rnd.choice(KEY_ITEMS)
                if key not in {p[0] for p in picked}:
                    picked[0] = item_by_code[key]
                raw = [(*p, p[0] == key) for p in picked]
                cycle = rnd.choice(CYCLES)
                summary = SUMMARY.format(
                    provider=org.name,
                    subject=subject,
                    kind=kind,
                    items="、".join(p[1] for p in picked[:4]),
                    cycle=CYCLE_TEXT[cycle],
                    usage=rnd.choice(USAGES),
                )
                keywords = [subject, kind.removesuffix("信息").removesuffix("数据") or kind]
            grade = highest(*(r[4] for r in raw))
            if rnd.random() < 0.1 and GRADE_RANK[grade] < GRADE_RANK["important"]:
                grade = "important"  # aggregation raises the level
            share = rnd.choices(["unconditional", "conditional", "none"], (40, 50, 10))[0]
            if grade == "core":
                share = "none"
            by_share[share] = by_share.get(share, 0) + 1
            opened = "none" if share == "none" or grade in ("important", "core") else (
                rnd.choices(["none", "unconditional", "conditional"], (70, 20, 10))[0]
            )  # fmt: skip
            sequence[cls.code] = sequence.get(cls.code, 0) + 1
            entry = CatalogueEntry(
                classification=cls,
                code=f"{cls.code}/{sequence[cls.code]:06d}",
                name=name[:200],
                provider=org,
                provider_code=org.uscc or "",
                maintainer=org,
                kind=cls.kind,
                theme=cls.name,
                summary=summary,
                resource_format=rnd.choice(["database", "database", "spreadsheet", "api"]),
                keywords=keywords,
                update_cycle=rnd.choice(CYCLES),
                share_type=share,
                share_condition="依法履职所需，经提供方审核同意" if share == "conditional" else "",
                share_method=rnd.choice(["api", "api", "file", "database"]),
                not_shared_basis="《中华人民共和国保守国家秘密法》" if share == "none" else "",
                open_type=opened,
                grade=grade,
                status=EntryStatus.PUBLISHED,
                version=1,
                published_at=now,
                created_by=author,
            )
            entries.append(entry)
            items.append(raw)
        with transaction.atomic():
            CatalogueEntry.objects.bulk_create(entries, batch_size=1000)
            DataItem.objects.bulk_create(
                [
                    DataItem(
                        entry_id=entry.pk, code=code, name=iname, data_type=dtype, length=length,
                        grade=igrade, mask=mask, personal=personal,
                        sensitive_personal=sensitive, is_key=key, sort_order=order,
                    )
                    for entry, raw in zip(entries, items, strict=True)
                    for order, (code, iname, dtype, length, igrade, mask, personal, sensitive,
                                key) in enumerate(raw)
                ],
                batch_size=2000,
            )  # fmt: skip
            published = [
                (json.dumps(snapshot(entry, version=1, published_at=now)), entry.pk)
                for entry in entries
            ]
            with connection.cursor() as cursor:  # bulk_update's CASE per row is far slower
                cursor.executemany(update, published)
        created += size
        if created % 20_000 < chunk or created == n_entries:
            log(f"{created} entries generated")
    return {
        "generated": created,
        "entries": CatalogueEntry.objects.count(),
        "items": DataItem.objects.count(),
        "providers": CatalogueEntry.objects.values("provider").distinct().count(),
        "share_types": by_share,
        "open": CatalogueEntry.objects.exclude(open_type="none").count(),
    }


# --------------------------------------------------------------------------- users


def users() -> dict:
    """A data-authority reviewer (city-wide), a data-user of 市卫生健康局, an anonymous visitor."""
    from django.contrib.auth.models import AnonymousUser

    from shuzheng.foundation import access
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import Organisation

    root = Organisation.objects.get(parent__isnull=True, division_code="440400")

    def staff(username, org_name, role_code, on=None):
        org = Organisation.objects.get(name=org_name)
        profile = identity.create_staff(
            access.SYSTEM, organisation=org, username=username, display_name=username
        )
        access_services.grant_role(
            access.SYSTEM,
            user=profile.user,
            role=Role.objects.get(code=role_code),
            organisation=on or org,
        )
        return profile.user

    return {
        "data_authority": staff("bench-sjju", "珠海市政务服务数据管理局", "data-authority", root),
        "data_user_weijian": staff("bench-wjuser", "珠海市卫生健康局", "data-user"),
        "anonymous_open": AnonymousUser(),
    }


# --------------------------------------------------------------------------- measure


def _page_sizes() -> dict[str, int]:
    from shuzheng.data.catalog.views import catalog as workbench_views
    from shuzheng.data.catalog.views import open as open_views

    return {"workbench": workbench_views.PAGE_SIZE, "open": open_views.PAGE_SIZE}


def measure(people: dict, rounds: int, *, seed: int = SEED) -> dict:
    """Every query of ``QUERIES`` × ``rounds`` for every user through ``selectors.search``,
    each followed by the baseline lookup of a random entry by code."""
    from shuzheng.data.catalog import selectors
    from shuzheng.data.catalog.models import CatalogueEntry
    from shuzheng.foundation.identity.models import Organisation

    sizes = _page_sizes()
    codes = list(CatalogueEntry.objects.values_list("code", flat=True))
    rnd = random.Random(seed)
    providers: dict[str, int] = {}

    def facets(named: dict) -> dict:
        out = dict(named)
        if "provider" in out:
            name = out["provider"]
            if name not in providers:
                providers[name] = Organisation.objects.get(name=name).pk
            out["provider"] = providers[name]
        return out

    def lookup(code):
        return CatalogueEntry.objects.select_related("provider", "classification").get(code=code)

    mix = [(label, text, facets(f), page) for label, text, f, page in QUERIES]
    report = {}
    everything, everything_base = [], []
    for who, user in people.items():
        limit = sizes["open" if who.startswith("anonymous") else "workbench"]

        def run(text, f, page, user=user, limit=limit):
            return selectors.search(user, text, facets=f, limit=limit, offset=(page - 1) * limit)

        for _label, text, f, page in mix:  # warm-up: plans, caches, the synonym table
            run(text, f, page)
            lookup(rnd.choice(codes))
        wall, cpu, base, by_class, per_query = [], [], [], {}, {}
        for _round in range(rounds):
            for label, text, f, page in mix:
                code = rnd.choice(codes)
                c0, t0 = time.thread_time(), time.perf_counter()
                results = run(text, f, page)
                t1, c1 = time.perf_counter(), time.thread_time()
                lookup(code)
                t2 = time.perf_counter()
                ms = (t1 - t0) * 1000
                wall.append(ms)
                cpu.append((c1 - c0) * 1000)
                base.append((t2 - t1) * 1000)
                by_class.setdefault(label, []).append(ms)
                shown = json.dumps(f, ensure_ascii=False) if f else ""
                key = " ".join(filter(None, (text, shown, f"p{page}")))
                entry = per_query.setdefault(
                    key,
                    {
                        "class": label,
                        "hits": len(results),
                        "has_more": results.has_more,
                        "relaxed": results.relaxed,
                        "top": results.hits[0].object.name if results.hits else None,
                        "ms": [],
                    },
                )
                entry["ms"].append(ms)
        for entry in per_query.values():
            entry["median_ms"] = round(statistics.median(entry.pop("ms")), 2)
        everything += wall
        everything_base += base
        report[who] = {
            "page_size": limit,
            "searches": len(wall),
            "p50_ms": round(percentile(wall, 50), 2),
            "p95_ms": round(percentile(wall, 95), 2),
            "p99_ms": round(percentile(wall, 99), 2),
            "max_ms": round(max(wall), 2),
            "cpu_p50_ms": round(percentile(cpu, 50), 2),
            "cpu_p95_ms": round(percentile(cpu, 95), 2),
            "by_class": {
                label: {
                    "p50_ms": round(percentile(v, 50), 2),
                    "p95_ms": round(percentile(v, 95), 2),
                }
                for label, v in by_class.items()
            },
            "baseline_p50_ms": round(percentile(base, 50), 3),
            "baseline_p95_ms": round(percentile(base, 95), 3),
            "per_query": per_query,
        }
    p95 = percentile(everything, 95)
    return {
        "users": report,
        "overall": {
            "searches": len(everything),
            "p50_ms": round(percentile(everything, 50), 2),
            "p95_ms": round(p95, 2),
            "p99_ms": round(percentile(everything, 99), 2),
            "baseline_p50_ms": round(percentile(everything_base, 50), 3),
            "baseline_p95_ms": round(percentile(everything_base, 95), 3),
            "compare_p95_ms": COMPARE_P95_MS,
            "within_compare": p95 <= COMPARE_P95_MS,
        },
    }


# --------------------------------------------------------------------------- worker / parent


def build_index() -> tuple[int, float]:
    from shuzheng.data.catalog import search as registration
    from shuzheng.data.catalog.models import CatalogueEntry
    from shuzheng.foundation.search import indexing
    from shuzheng.foundation.search.registry import SPECS

    registration.ensure_registered()
    started = time.perf_counter()
    done = indexing.rebuild(SPECS[CatalogueEntry])
    return done, time.perf_counter() - started


def worker(n_entries: int, rounds: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shuzheng.data.catalog import services as catalog
    from shuzheng.foundation.identity import demo as identity_demo
    from shuzheng.foundation.search import querying

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    started = time.perf_counter()
    identity_demo.load_organisations()
    catalog.load_classifications()
    call_command("search", "synonyms", verbosity=0)
    querying.forget_synonyms()
    people = users()
    log(
        f"{vendor}: organisations, classifications, synonyms in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    counts = generate(n_entries)
    generate_s = time.perf_counter() - started
    log(f"{vendor}: {counts['generated']} entries generated in {generate_s:.1f} s")
    documents, index_s = build_index()
    log(f"{vendor}: {documents} documents indexed in {index_s:.1f} s")
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    result = measure(people, rounds)
    return {
        "vendor": vendor,
        **counts,
        "documents": documents,
        "generate_s": round(generate_s, 1),
        "index_s": round(index_s, 1),
        "index_docs_per_s": round(documents / index_s) if index_s else None,
        **result,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query mix")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.entries < 1 or args.rounds < 1:
        parser.error("--entries and --rounds must be at least 1")
    if args.worker:
        print(json.dumps(worker(args.entries, args.rounds), ensure_ascii=False))
        return 0

    results = []
    started = time.monotonic()
    try:
        with harness.sigterm_as_interrupt():
            for vendor, env in harness.throwaway_databases(
                "data_catalog_search", pg_url=args.pg_url, include_pg=not args.no_pg
            ):
                if vendor == "sqlite" and args.no_sqlite:
                    continue
                log(vendor)
                busy = harness.cpu_busy_percent()
                harness.warn_if_busy(busy)
                command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
                command += ["--entries", str(args.entries), "--rounds", str(args.rounds)]
                result = harness.run_json_worker(command, env, timeout=7200)
                results.append({**result, "background_cpu_pct": busy})
    except harness.BenchError as exc:
        print(f"data_catalog_search: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("data_catalog_search: interrupted (temporary data removed)", file=sys.stderr)
        return 130
    json.dump(
        {
            "benchmark": "data_catalog_search",
            "entries": args.entries,
            "rounds": args.rounds,
            "python": platform.python_version(),
            "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
            "command": harness.command_line(),
            "elapsed_s": round(time.monotonic() - started, 1),
            "results": results,
        },
        sys.stdout,
        ensure_ascii=False,
        indent=1,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
