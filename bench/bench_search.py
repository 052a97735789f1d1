# ruff: noqa: SIM905  (word lists read better as text)
"""Search: index build time and query latency on SQLite FTS5 and PostgreSQL full text.

Run: ``.venv/bin/python bench/bench_search.py`` (prints one JSON object; progress on
stderr; about 3–4 minutes for the default 100,000 documents on both databases).

Documents: government-service-like titles and bodies generated from word lists with a
fixed seed (subject × action × area, bodies from sentence templates), indexed through
``indexing.write_documents`` (segmentation, pinyin, backend rows) in batches of 2,000.
Queries: a mix of exact names, colloquial questions, pinyin, initials, Traditional
characters, homophone misspellings and synonyms, each timed through
``querying.match`` (parse + synonyms + SQL, the first 20 hits) — the part of
``search.query`` that grows with the index; the access step after it touches only the
candidate rows. Baseline in the same run: a plain ``title LIKE '%…%' OR body LIKE '%…%'``
scan for the query's text (LIMIT 20, no ranking; it cannot match pinyin, Traditional
characters, synonyms or misspellings at all — its hit counts are printed beside).
Target: search p95 ≤ 20 ms.

Each database is a throwaway one: SQLite in a temporary SHUZHENG_VAR_DIR, PostgreSQL as
the database ``shuzheng_srch_bench`` on the local server (``--pg-url``), dropped after.
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
LABEL = "bench.servicedoc"

SUBJECTS = """社会保障卡 住房公积金 居民身份证 营业执照 不动产登记 机动车驾驶证 出生医学证明 残疾人证
最低生活保障 失业保险金 基本医疗保险 城乡居民养老保险 往来港澳通行证 户籍 居住证 结婚登记
个体工商户 食品经营许可证 建设工程规划许可证 排水许可 燃气经营许可 供水报装 教师资格 律师执业
道路运输经营许可 船舶登记 渔业捕捞许可 药品经营许可 医疗机构执业 养老机构备案 社会团体登记
民办非企业单位 退役军人优待证 公共租赁住房 人才引进 高层次人才认定 人事档案 税务登记 发票领用
生育津贴 工伤认定 劳动仲裁 异地就医备案 职业资格证书 港澳居民来往内地通行证 台湾居民居住证
新生儿入户 临时救助 特困人员供养 廉租住房 商品房预售许可 施工许可 消防验收 环境影响评价
""".split()
ACTIONS = """申领 补领 换领 变更 注销 查询 办理 提取 转移接续 缴纳 申请 核发 延续 备案 审批 登记
年检 挂失 认定 复核 迁移 确认 撤销 咨询""".split()
AREAS = """香洲区 斗门区 金湾区 横琴粤澳深度合作区 高新区 高栏港经济区 万山海洋开发试验区 拱北街道
前山街道 吉大街道 井岸镇 白蕉镇 三灶镇 红旗镇 唐家湾镇""".split()
PEOPLE = """申请人 职工 灵活就业人员 港澳居民 退休人员 企业 个体工商户 新就业大学生 外来务工人员
残疾人 老年人 未成年人 现役军人家属 农村居民""".split()
MATERIALS = """居民身份证原件 户口簿 申请表 近期免冠照片 营业执照副本 劳动合同 社会保障卡 结婚证
不动产权证书 授权委托书 医学证明 银行账户信息 港澳居民来往内地通行证 居住证明""".split()
TEMPLATES = [
    "{people}办理{subject}{action}，应当提交{m1}和{m2}。",
    "{area}政务服务中心设有{subject}窗口，可以现场{action}，也可以通过粤省事网上办理。",
    "本事项承诺时限为{days}个工作日，材料齐全的当场受理。",
    "{people}因特殊情况无法到场的，可以委托他人持{m1}和授权委托书代为办理。",
    "{subject}{action}不收取任何费用，结果通过邮政快递寄送或者窗口领取。",
    "依据有关规定，{people}在{area}{action}{subject}的，由属地经办机构负责审核。",
]
QUERIES = [
    "社会保障卡申领",
    "怎么办社保卡",
    "社保卡补办",
    "公积金提取",
    "住房公积金 香洲区",
    "gongjijin",
    "sbk",
    "shebaoka",
    "sfz",
    "社會保險",
    "營業執照變更",
    "社宝",
    "公基金",
    "身份证",
    "港澳通行证",
    "回乡证",
    "营业执照",
    "医保 异地就医",
    "失业保险金怎么领",
    "不动产登记资料查询",
    "工伤认定 劳动仲裁",
    "横琴 人才引进",
    "劳动合同",
    "低保",
    "养老机构备案",
    "消防验收",
    "jzz",
    "渔业捕捞",
    "台胞证",
    "新生儿入户 斗门区",
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- worker


def documents(n: int, seed: int = 20261129):
    from shuzheng.foundation.search.indexing import Source

    rnd = random.Random(seed)
    for i in range(1, n + 1):
        subject, action, area = rnd.choice(SUBJECTS), rnd.choice(ACTIONS), rnd.choice(AREAS)
        fill = {
            "subject": subject,
            "action": action,
            "area": area,
            "people": rnd.choice(PEOPLE),
            "m1": rnd.choice(MATERIALS),
            "m2": rnd.choice(MATERIALS),
            "days": rnd.choice((1, 3, 5, 7, 10, 15, 20)),
        }
        body = "".join(t.format(**fill) for t in rnd.sample(TEMPLATES, rnd.randint(2, 4)))
        yield Source(
            LABEL,
            str(i),
            f"{area}{subject}{action}",
            body,
            keywords=f"{subject} {action}",
            boosts={"title": 3, "keywords": 2, "body": 1},
            access_hint=rnd.choice(("public", "1/2/", "1/3/", "1/4/5/")),
        )


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def worker(n_docs: int, rounds: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shuzheng.foundation.search import backends, querying
    from shuzheng.foundation.search.indexing import write_documents

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    started = time.perf_counter()
    batch = []
    done = 0
    for source in documents(n_docs):
        batch.append(source)
        if len(batch) == 2000:
            done += write_documents(batch, replace=False)
            batch = []
            if done % 20000 == 0:
                log(f"{vendor}: indexed {done}")
    done += write_documents(batch, replace=False)
    build_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE search_searchdocument")
        else:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    log(f"{vendor}: {done} documents indexed in {build_s:.1f} s")

    backend = backends.current()
    search_ms, like_ms, per_query = [], [], {}
    for text in QUERIES:  # warm-up: caches, plans
        querying.match(text, labels=[LABEL], limit=20)
    for _ in range(rounds):
        for text in QUERIES:
            t0 = time.perf_counter()
            rows, relaxed = querying.match(text, labels=[LABEL], limit=20)
            t1 = time.perf_counter()
            pattern = "%" + text.split()[0] + "%"
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM search_searchdocument WHERE model_label = %s "
                    "AND (title LIKE %s OR body LIKE %s) LIMIT 20",
                    [LABEL, pattern, pattern],
                )
                like_rows = cursor.fetchall()
            t2 = time.perf_counter()
            search_ms.append((t1 - t0) * 1000)
            like_ms.append((t2 - t1) * 1000)
            entry = per_query.setdefault(
                text, {"hits": len(rows), "relaxed": relaxed, "like_hits": len(like_rows), "ms": []}
            )
            entry["ms"].append(round((t1 - t0) * 1000, 2))
    for entry in per_query.values():
        entry["median_ms"] = round(statistics.median(entry.pop("ms")), 2)
    summary = {
        "vendor": backend.vendor,
        "documents": done,
        "build_s": round(build_s, 1),
        "docs_per_s": round(done / build_s),
        "queries_timed": len(search_ms),
        "search_p50_ms": round(percentile(search_ms, 50), 2),
        "search_p95_ms": round(percentile(search_ms, 95), 2),
        "search_max_ms": round(max(search_ms), 2),
        "like_p50_ms": round(percentile(like_ms, 50), 2),
        "like_p95_ms": round(percentile(like_ms, 95), 2),
        "target_p95_ms": TARGET_P95_MS,
        "target_met": percentile(search_ms, 95) <= TARGET_P95_MS,
        "per_query": per_query,
    }
    return summary


# --------------------------------------------------------------------------- parent


def run_worker(env: dict, args) -> dict:
    from harness import run_json_worker

    return run_json_worker(
        [
            sys.executable,
            __file__,
            "--worker",
            "--docs",
            str(args.docs),
            "--rounds",
            str(args.rounds),
        ],
        env,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query mix")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.docs, args.rounds), ensure_ascii=False))
        return

    from harness import throwaway_databases

    results = []
    started = time.monotonic()
    for vendor, env in throwaway_databases("search", pg_url=args.pg_url, include_pg=not args.no_pg):
        log(vendor)
        load_before = os.getloadavg()[0]
        results.append(run_worker(env, args))
        # the machine may be shared: the 1-minute load average around each database's run
        results[-1]["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(
        json.dumps(
            {
                "benchmark": "search",
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
