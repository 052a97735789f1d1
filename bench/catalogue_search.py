# ruff: noqa: SIM905  (word lists read better as text)
"""办事搜索 over a 10,000-item service catalogue, on SQLite and on PostgreSQL.

Run: ``.venv/bin/python bench/catalogue_search.py`` (prints one JSON object; progress on
stderr; about 3 minutes for both databases; ``--no-pg`` for SQLite only).

Catalogue: the Zhuhai demo organisations and demo catalogue (87 items, loaded through the
catalogue's own import), then generated items up to ``--items`` (default 10,000), written
with ``bulk_create`` (no service calls): 45 % are demo items implemented again by other
bodies — districts, streets, branches, as real 实施清单 repeat one 基本目录 item per
implementing body — sometimes under an area-prefixed name, 55 % are names made from a
vocabulary of objects × actions (社会保障卡补领, 道路运输证变更 …) with conditions,
materials and Q&A from templates; fixed seed. The search index is then built with
``indexing.rebuild`` (the same code as ``manage.py search rebuild``) and the catalogue's
synonym groups are loaded.

Queries: a mix of what citizens type — colloquial questions, pinyin initials, full pinyin,
Traditional characters, homophone and look-alike misspellings, exact names, searches with
department / audience / theme / depth / scope filters, browsing (no words, filters only)
and second pages — each timed end to end through ``catalogue.search.search_items``
(parse, synonyms, index query with the filters inside it, re-ranking, access scope,
highlighting, per-hit explanations), first page of 10 hits, as an anonymous visitor.
Baseline in the same run: a trivial indexed lookup, one item by its 实施编码 with its current
version (``select_related``). Target: search p95 ≤ 20 ms. Also reported: this process's CPU
time per search (robust to other processes on the machine; the PostgreSQL server's work is
not in it), the 95th percentile of the per-query medians, and how busy the CPUs were
before each database's run.

Each database is a throwaway one (``bench/harness.py``): SQLite in a temporary
SHUZHENG_VAR_DIR, PostgreSQL as a database created on the local server and dropped after.
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

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))
sys.path.insert(0, str(REPO_ROOT / "src"))
TARGET_P95_MS = 20.0
SEED = 20261130

OBJECTS = """社会保障卡 居住证 营业执照 不动产权证书 机动车驾驶证 出生医学证明 残疾人证 医师执业证书
护士执业证书 教师资格证 道路运输证 食品经营许可证 药品经营许可证 排水许可证 建设工程规划许可证
施工许可证 烟草专卖零售许可证 公共场所卫生许可证 户外广告设施设置许可 临时占用道路许可 结婚证
最低生活保障金 失业保险金 生育津贴 高龄津贴 养老保险待遇 工伤保险待遇 医疗费用 住房公积金
公共租赁住房 人才住房补贴 就业创业证 职业资格证书 退役军人优待证 户口 港澳通行证签注 渔业捕捞许可证
船舶登记证书 危险化学品经营许可证 娱乐场所经营许可证 旅行社业务经营许可证 劳务派遣经营许可证
人力资源服务许可证 民办学校办学许可证 养老机构备案 社会团体登记证书 宗教活动场所登记证
""".split()
ACTIONS = """申领 补领 换领 变更 注销 查询 核发 延续 备案 登记 挂失 认定 复核 迁移 确认 撤销 年检
首次申请 转移接续""".split()
AREAS = """香洲区 斗门区 金湾区 横琴 高新区 高栏港 万山 拱北 前山 吉大 井岸镇 白蕉镇 三灶镇 红旗镇
唐家湾镇""".split()
PEOPLE = """申请人 职工 灵活就业人员 港澳居民 退休人员 企业 个体工商户 新就业大学生 外来务工人员
残疾人 老年人 未成年人的监护人 现役军人家属 农村居民""".split()
MATERIALS = """居民身份证 户口簿 申请表 近期免冠照片 营业执照 劳动合同 社会保障卡 结婚证 不动产权证书
授权委托书 医学证明 银行账户信息 港澳居民来往内地通行证 居住证明 租赁合同 收入证明 承诺书
场所平面图 安全管理制度""".split()
CONDITIONS = [
    "{people}办理{object}{action}，应当符合本市有关规定，材料齐全、符合法定形式。",
    "在本市{area}居住或者就业的{people}，可以申请{object}{action}。",
    "{people}因{object}遗失、损毁或者信息变更，需要{action}的，可以网上申请或者到窗口办理。",
    "已参加本市社会保险且连续缴费满六个月的{people}，可以申请{action}{object}。",
]
QUESTIONS = [
    (
        "{object}{action}需要本人到现场吗？",
        "全程网办事项无需到现场，可在粤省事或网上办事大厅申请。",
    ),
    ("办理{object}{action}要多久？", "材料齐全的，承诺{days}个工作日内办结。"),
    ("可以委托别人办理{object}{action}吗？", "可以，受托人持授权委托书和双方身份证明办理。"),
]
# (label, query, filters as Filters kwargs resolved in the worker, offset)
QUERIES = [
    ("colloquial", "生孩子要办什么", {}, 0),
    ("colloquial", "开饭店要什么证", {}, 0),
    ("colloquial", "退休了怎么领养老金", {}, 0),
    ("colloquial", "人去世了要办什么", {}, 0),
    ("colloquial", "孩子上学", {}, 0),
    ("colloquial", "我想开个奶茶店", {}, 0),
    ("colloquial", "身份证丢了怎么办", {}, 0),
    ("colloquial", "驾照到期了怎么办", {}, 0),
    ("initials", "gjj tq", {}, 0),
    ("initials", "sbk", {}, 0),
    ("initials", "jzz", {}, 0),
    ("initials", "zxgs", {}, 0),
    ("initials", "yyzz", {}, 0),
    ("pinyin", "gongjijin", {}, 0),
    ("pinyin", "shebaoka", {}, 0),
    ("pinyin", "juzhuzheng", {}, 0),
    ("traditional", "公積金提取", {}, 0),
    ("traditional", "營業執照", {}, 0),
    ("traditional", "結婚登記", {}, 0),
    ("traditional", "社會保障卡", {}, 0),
    ("typo", "公基金", {}, 0),
    ("typo", "居往证", {}, 0),
    ("typo", "营业执找", {}, 0),
    ("typo", "结昏登记", {}, 0),
    ("typo", "身分证", {}, 0),
    ("exact", "食品经营许可", {}, 0),
    ("exact", "居住证签注", {}, 0),
    ("exact", "失业保险金申领", {}, 0),
    ("exact", "不动产权证书补领", {}, 0),
    ("filter", "申领", {"department": "珠海市社会保险基金管理中心"}, 0),
    ("filter", "营业执照", {"audience": "legal"}, 0),
    ("filter", "公积金", {"depth": 4}, 0),
    ("filter", "港澳", {"scope": "cross_border"}, 0),
    ("filter", "补领", {"theme": "birth", "audience": "person"}, 0),
    ("browse", "", {"theme": "kaiban"}, 0),
    ("browse", "", {"department": "珠海市公安局"}, 10),
    ("page2", "营业执照", {}, 10),
    ("page2", "社保", {}, 10),
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- generator


def generate(n_items: int, seed: int = SEED) -> dict:
    """Bulk-create published items up to ``n_items`` (the demo catalogue must be loaded).
    Returns counts. No signals fire: the caller builds the index afterwards."""
    from django.db import transaction
    from django.utils import timezone

    from shuzheng.foundation.identity.models import Organisation, OrgKind
    from shuzheng.services.catalogue.models import (
        BasicItem,
        ItemVersion,
        Material,
        Question,
        ServiceItem,
        Theme,
        VersionStatus,
    )

    rnd = random.Random(seed)
    now = timezone.now()
    templates = list(
        ItemVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("item__basic")
        .prefetch_related("materials", "questions", "themes")
    )
    orgs = list(
        Organisation.objects.filter(
            is_active=True,
            kind__in=[OrgKind.DEPARTMENT, OrgKind.DISTRICT, OrgKind.STREET, OrgKind.TOWN],
        )
    )
    themes = list(Theme.objects.all())
    existing = ServiceItem.objects.count()
    wanted = max(n_items - existing, 0)
    basics, items, versions, parts = [], [], [], []
    basic_by_name: dict[str, BasicItem] = {}

    def basic_for(name: str, item_type: str) -> BasicItem:
        if name not in basic_by_name:
            basic = BasicItem(
                basic_code=f"B{len(basic_by_name):011d}", name=name, item_type=item_type
            )
            basic_by_name[name] = basic
            basics.append(basic)
        return basic_by_name[name]

    for i in range(wanted):
        org = rnd.choice(orgs)
        if rnd.random() < 0.45:
            t = rnd.choice(templates)
            name = t.name if rnd.random() < 0.6 else f"{rnd.choice(AREAS)}{t.name}"
            fields = {
                "name": name[:200],
                "item_type": t.item_type,
                "audience": t.audience,
                "acceptance_conditions": t.acceptance_conditions,
                "keywords": list(t.keywords),
                "trips": t.trips,
                "online_depth": t.online_depth,
                "scope": t.scope,
                "result_name": t.result_name,
                "case_kind": t.case_kind,
            }
            materials = [m.name for m in t.materials.all() if not m.removed_rule]
            questions = [(q.question, q.answer) for q in t.questions.all()]
            item_themes = list(t.themes.all())
            basic = basic_for(t.item.basic.name, t.item_type)
        else:
            obj, action = rnd.choice(OBJECTS), rnd.choice(ACTIONS)
            fill = {
                "object": obj,
                "action": action,
                "people": rnd.choice(PEOPLE),
                "area": rnd.choice(AREAS),
                "days": rnd.choice((1, 3, 5, 7, 10, 15, 20)),
            }
            name = f"{obj}{action}"
            fields = {
                "name": name,
                "item_type": rnd.choice(["licensing", "confirmation", "public_service", "payment"]),
                "audience": rnd.choice(["person", "person", "legal", "both"]),
                "acceptance_conditions": rnd.choice(CONDITIONS).format(**fill),
                "keywords": [],
                "trips": rnd.choice((0, 0, 0, 1, 1, 2)),
                "online_depth": rnd.choice((2, 3, 3, 4, 4, 4)),
                "scope": rnd.choice(["city", "city", "province", "cross_province", "cross_border"]),
                "result_name": obj if obj.endswith(("证", "证书", "许可")) else "",
                "case_kind": rnd.choice(["immediate", "promised"]),
            }
            materials = rnd.sample(MATERIALS, rnd.randint(2, 5))
            questions = [
                (q.format(**fill), a.format(**fill))
                for q, a in rnd.sample(QUESTIONS, rnd.randint(0, 2))
            ]
            item_themes = rnd.sample(themes, rnd.randint(0, 2))
            basic = basic_for(name, fields["item_type"])
        code = f"BENCH{existing + i:031d}"
        item = ServiceItem(implementation_code=code, basic=basic, organisation=org)
        version = ItemVersion(
            item=item,
            version=1,
            status=VersionStatus.PUBLISHED,
            legal_limit=20,
            promised_limit=rnd.choice((1, 3, 5, 10)),
            published_at=now,
            **fields,
        )
        items.append(item)
        versions.append(version)
        parts.append((materials, questions, item_themes))

    with transaction.atomic():
        BasicItem.objects.bulk_create(basics, batch_size=1000)
        for item in items:
            item.basic_id = item.basic.pk
        ServiceItem.objects.bulk_create(items, batch_size=1000)
        for version in versions:
            version.item_id = version.item.pk
        ItemVersion.objects.bulk_create(versions, batch_size=1000)
        materials, questions, links = [], [], []
        through = ItemVersion.themes.through
        for version, (names, qas, item_themes) in zip(versions, parts, strict=True):
            materials += [
                Material(
                    version_id=version.pk,
                    code=f"m{n}",
                    name=name,
                    kind="electronic",
                    necessity="required",
                    sort_order=n,
                )
                for n, name in enumerate(names)
            ]
            questions += [
                Question(version_id=version.pk, question=q, answer=a, sort_order=n)
                for n, (q, a) in enumerate(qas)
            ]
            links += [through(itemversion_id=version.pk, theme_id=t.pk) for t in item_themes]
        Material.objects.bulk_create(materials, batch_size=2000)
        Question.objects.bulk_create(questions, batch_size=2000)
        through.objects.bulk_create(links, batch_size=2000)
        for item, version in zip(items, versions, strict=True):
            item.current_id = version.pk
        ServiceItem.objects.bulk_update(items, ["current"], batch_size=1000)
    return {
        "generated": len(items),
        "items": ServiceItem.objects.count(),
        "materials": Material.objects.count(),
        "questions": Question.objects.count(),
        "organisations_used": len({i.organisation_id for i in items}),
    }


# --------------------------------------------------------------------------- worker


def worker(n_items: int, rounds: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection

    from shuzheng.foundation.identity import demo as identity_demo
    from shuzheng.foundation.identity.models import Organisation
    from shuzheng.foundation.search import indexing, querying
    from shuzheng.foundation.search.registry import SPECS
    from shuzheng.services.catalogue import demo as catalogue_demo
    from shuzheng.services.catalogue import search as catalogue_search
    from shuzheng.services.catalogue.models import ServiceItem, Theme

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    started = time.perf_counter()
    identity_demo.load_organisations()
    catalogue_demo.load_demo()
    catalogue_search.load_synonyms()
    querying.forget_synonyms()
    log(f"{vendor}: demo organisations and catalogue in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    counts = generate(n_items)
    generate_s = time.perf_counter() - started
    log(f"{vendor}: {counts['generated']} items generated in {generate_s:.1f} s")
    started = time.perf_counter()
    indexed = indexing.rebuild(SPECS[ServiceItem])
    index_s = time.perf_counter() - started
    log(f"{vendor}: {indexed} documents indexed in {index_s:.1f} s")
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")

    def resolve(filters: dict):
        kwargs = dict(filters)
        if "department" in kwargs:
            kwargs["department"] = Organisation.objects.get(name=kwargs["department"])
        if "theme" in kwargs:
            kwargs["theme"] = Theme.objects.get(code=kwargs["theme"])
        return catalogue_search.Filters(**kwargs)

    anonymous = AnonymousUser()
    mix = [(label, q, resolve(f), offset) for label, q, f, offset in QUERIES]
    codes = list(ServiceItem.objects.values_list("implementation_code", flat=True))
    rnd = random.Random(SEED)

    def run(q, filters, offset):
        return catalogue_search.search_items(anonymous, q, filters, limit=10, offset=offset)

    def lookup(code):
        return ServiceItem.objects.select_related("current").get(implementation_code=code)

    for _label, q, filters, offset in mix:  # warm-up: caches, plans, the synonym table
        run(q, filters, offset)
        lookup(rnd.choice(codes))
    search_ms, cpu_ms, base_ms, per_query, by_kind = [], [], [], {}, {}
    for _ in range(rounds):
        for label, q, filters, offset in mix:
            code = rnd.choice(codes)
            c0 = time.thread_time()
            t0 = time.perf_counter()
            results = run(q, filters, offset)
            t1 = time.perf_counter()
            cpu_ms.append((time.thread_time() - c0) * 1000)
            lookup(code)
            t2 = time.perf_counter()
            search_ms.append((t1 - t0) * 1000)
            base_ms.append((t2 - t1) * 1000)
            by_kind.setdefault(label, []).append((t1 - t0) * 1000)
            key = f"{q or '（浏览）'} {filters.as_params() or ''}{f' offset={offset}' if offset else ''}"
            entry = per_query.setdefault(
                key,
                {
                    "kind": label,
                    "hits": len(results),
                    "relaxed": results.relaxed,
                    "top": results.hits[0].version.name if results.hits else None,
                    "why": results.hits[0].explanation if results.hits else None,
                    "ms": [],
                },
            )
            entry["ms"].append((t1 - t0) * 1000)
    medians = []
    for entry in per_query.values():
        entry["median_ms"] = round(statistics.median(entry.pop("ms")), 2)
        medians.append(entry["median_ms"])
    p = {q: round(percentile(search_ms, q), 2) for q in (50, 95, 99)}
    cpu = {q: round(percentile(cpu_ms, q), 2) for q in (50, 95, 99)}
    b = {q: round(percentile(base_ms, q), 3) for q in (50, 95, 99)}
    return {
        "vendor": vendor,
        **counts,
        "documents": indexed,
        "generate_s": round(generate_s, 1),
        "index_s": round(index_s, 1),
        "index_docs_per_s": round(indexed / index_s) if index_s else None,
        "queries_timed": len(search_ms),
        "search_p50_ms": p[50],
        "search_p95_ms": p[95],
        "search_p99_ms": p[99],
        "search_max_ms": round(max(search_ms), 2),
        "search_cpu_p50_ms": cpu[50],  # this process's CPU (not the PostgreSQL server's)
        "search_cpu_p95_ms": cpu[95],
        # each query's median over the rounds, then the 95th percentile over the queries:
        # the slow query kinds, with bursts of other processes' load smoothed out
        "per_query_median_p95_ms": round(percentile(medians, 95), 2),
        "baseline_p50_ms": b[50],
        "baseline_p95_ms": b[95],
        "baseline_p99_ms": b[99],
        "ratio_p50": round(p[50] / b[50], 1) if b[50] else None,
        "ratio_p95": round(p[95] / b[95], 1) if b[95] else None,
        "target_p95_ms": TARGET_P95_MS,
        "target_met": p[95] <= TARGET_P95_MS,
        "p95_by_kind_ms": {k: round(percentile(v, 95), 2) for k, v in by_kind.items()},
        "per_query": per_query,
    }


# --------------------------------------------------------------------------- parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7, help="passes over the query mix")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.items, args.rounds), ensure_ascii=False))
        return

    from harness import cpu_busy_percent, run_json_worker, throwaway_databases, warn_if_busy

    results = []
    started = time.monotonic()
    for vendor, env in throwaway_databases(
        "catalogue_search", pg_url=args.pg_url, include_pg=not args.no_pg
    ):
        log(vendor)
        busy = cpu_busy_percent()
        warn_if_busy(busy)
        command = [sys.executable, __file__, "--worker", "--items", str(args.items)]
        result = run_json_worker([*command, "--rounds", str(args.rounds)], env)
        results.append({**result, "background_cpu_pct": busy})
    print(
        json.dumps(
            {
                "benchmark": "catalogue_search",
                "python": platform.python_version(),
                "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
                "elapsed_s": round(time.monotonic() - started, 1),
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
