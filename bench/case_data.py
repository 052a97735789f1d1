"""Realistic 办件 at scale for the benchmarks: N cases over the demo organisation tree.

Import it in a benchmark worker after ``django.setup()`` (the database is the worker's
throwaway one) and call :func:`generate`::

    summary = case_data.generate(1_000_000)

What it makes, from a fixed seed:

- the Zhuhai demo tree (``identity.demo.load_organisations``: city → 42 departments and 8
  districts / zones → streets and towns), ~80 organisations;
- 60 published 实施清单 items (``ITEMS`` below): two thirds held by municipal departments,
  the rest by districts / zones and streets / towns in rotation (窗口 items), volumes
  Zipf-like (a few items take most cases, as in every real hall);
- ``owners`` citizen accounts (default 1 per 50 cases, at least 100);
- N cases submitted over the last ``days`` days (default two years), ids in time order
  (as the sequence would give them), in realistic states: cases older than a month are
  almost all final (已送达 ≈ 78 %, 办结, 不予受理, 撤件) with a small stuck remainder that is
  overdue; the last month holds the open work (待受理, 补正, 受理, 审查, 特别程序, 决定) with
  deadlines from each item's promised limit — some past (超期), some within a day (临期);
  2 % are drafts. 补正 on ~10 %, late conclusions on ~6 %, refusals on ~3 %.

Rows go in with the database's bulk path — PostgreSQL ``COPY`` (foreign-key triggers off
for the session, as in a restore), SQLite ``executemany`` — in batches of ``batch`` rows;
then ``VACUUM ANALYZE`` (PostgreSQL) / ``ANALYZE`` (SQLite), as autovacuum would have done.
The SM4-encrypted columns (证件号码, 联系电话, the application form) reuse a pool of 256
values encrypted once (through each field's own ``get_prep_value``), so the rows decrypt
like real ones. Cases carry no workflow instance: the workbench
queues and the supervision statistics read the copied ``state`` / ``due_at`` /
``sla_state`` columns of the case table only.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
import sys
import time
from collections import Counter

ITEMS = [
    # (name, holder, promised working days, legal working days, share weight)
    ("个体工商户设立登记", "珠海市市场监督管理局", 1, 15, 60),
    ("企业设立登记", "珠海市市场监督管理局", 1, 15, 50),
    ("企业变更登记", "珠海市市场监督管理局", 2, 15, 30),
    ("食品经营许可", "珠海市市场监督管理局", 5, 20, 25),
    ("药品零售企业许可", "珠海市市场监督管理局", 10, 30, 4),
    ("居民身份证换领", "珠海市公安局", 10, 60, 40),
    ("港澳台通行证签注", "珠海市公安局", 5, 15, 45),
    ("机动车驾驶证换证", "珠海市公安局", 1, 10, 20),
    ("户口迁移", "珠海市公安局", 5, 20, 12),
    ("住房公积金提取", "珠海市住房公积金管理中心", 2, 5, 55),
    ("住房公积金贷款", "珠海市住房公积金管理中心", 10, 15, 8),
    ("社会保障卡申领", "珠海市人力资源和社会保障局", 5, 15, 30),
    ("失业保险金申领", "珠海市人力资源和社会保障局", 5, 20, 10),
    ("职业技能等级认定", "珠海市人力资源和社会保障局", 15, 30, 5),
    ("工伤认定", "珠海市人力资源和社会保障局", 30, 60, 3),
    ("医疗保险参保登记", "珠海市医疗保障局", 1, 5, 25),
    ("异地就医备案", "珠海市医疗保障局", 1, 5, 20),
    ("建设工程规划许可", "珠海市自然资源局", 10, 20, 3),
    ("不动产登记", "珠海市自然资源局", 5, 30, 35),
    ("建筑工程施工许可", "珠海市住房和城乡建设局", 3, 15, 4),
    ("商品房预售许可", "珠海市住房和城乡建设局", 10, 20, 2),
    ("道路运输经营许可", "珠海市交通运输局", 10, 20, 3),
    ("出租汽车驾驶员从业资格", "珠海市交通运输局", 5, 20, 4),
    ("排污许可", "珠海市生态环境局", 15, 30, 2),
    ("建设项目环评审批", "珠海市生态环境局", 20, 60, 2),
    ("医师执业注册", "珠海市卫生健康局", 10, 20, 3),
    ("母婴保健技术服务许可", "珠海市卫生健康局", 15, 20, 1),
    ("民办学校设立", "珠海市教育局", 20, 60, 1),
    ("教师资格认定", "珠海市教育局", 15, 30, 6),
    ("社会团体成立登记", "珠海市民政局", 20, 60, 1),
    ("婚姻登记", "珠海市民政局", 0, 1, 12),
    ("高龄津贴申领", "珠海市民政局", 10, 20, 6),
    ("税务登记", "国家税务总局珠海市税务局", 1, 5, 15),
    ("发票领用", "国家税务总局珠海市税务局", 1, 5, 25),
    ("文化经营许可", "珠海市文化广电旅游体育局", 10, 20, 2),
    ("消防安全检查", "珠海市消防救援支队", 10, 10, 3),
    ("城市道路挖掘许可", "珠海市城市管理和综合执法局", 5, 20, 3),
    ("户外广告设置许可", "珠海市城市管理和综合执法局", 5, 20, 2),
    ("农药经营许可", "珠海市农业农村局", 15, 20, 1),
    ("水利工程建设许可", "珠海市水务局", 15, 20, 1),
    ("港澳居民来往内地通行证", "珠海市公安局", 5, 15, 15),
    # district and street windows (the holder is resolved to that kind of node)
    ("居住证申领", "district", 10, 15, 30),
    ("最低生活保障申请", "district", 20, 30, 5),
    ("残疾人两项补贴", "district", 10, 20, 4),
    ("计划生育家庭奖励", "district", 10, 20, 3),
    ("临时救助", "district", 5, 10, 3),
    ("个体户名称变更", "district", 1, 10, 6),
    ("建设用地规划许可（区）", "district", 10, 20, 2),
    ("门前三包责任登记", "district", 1, 5, 2),
    ("老年人优待证", "street", 1, 5, 12),
    ("居民死亡殡葬证明", "street", 1, 5, 3),
    ("育儿补贴申领", "street", 5, 10, 8),
    ("退役军人优待证", "street", 5, 15, 2),
    ("就业登记", "street", 1, 5, 10),
    ("灵活就业人员社保登记", "street", 1, 5, 8),
    ("城乡居民养老保险参保", "street", 1, 5, 7),
    ("租赁备案", "street", 3, 10, 6),
    ("流动人员信息登记", "street", 1, 5, 5),
    ("独生子女证明", "street", 5, 10, 2),
    ("困难群众临时救助（街道）", "street", 5, 10, 2),
]

# State mix of cases older than OPEN_WINDOW_DAYS, and of the last OPEN_WINDOW_DAYS.
OLD_MIX = {
    "delivered": 78.0,
    "concluded": 12.5,
    "rejected": 4.0,
    "withdrawn": 3.0,
    "draft": 2.0,
    "review": 0.3,  # stuck: overdue
    "accepted": 0.2,  # stuck: overdue
}
RECENT_MIX = {
    "draft": 3.0,
    "submitted": 14.0,
    "correction": 3.0,
    "accepted": 10.0,
    "review": 28.0,
    "special": 2.0,
    "approved": 5.0,
    "denied": 1.0,
    "concluded": 14.0,
    "delivered": 14.0,
    "rejected": 4.0,
    "withdrawn": 2.0,
}
OPEN_WINDOW_DAYS = 30
CLOCK_STATES = {"accepted", "review", "approved", "denied"}
CONCLUDED_STATES = {"concluded", "delivered"}
POOL = 256


def log(message: str) -> None:
    print(f"[case_data] {message}", file=sys.stderr, flush=True)


class _Picker:
    """Weighted choice by bisection over cumulative weights (random.choices per row is slow)."""

    def __init__(self, values, weights):
        self.values = list(values)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _organisations():
    from shuzheng.foundation.identity import demo
    from shuzheng.foundation.identity.models import Organisation, OrgKind

    root = demo.load_organisations()
    orgs = list(Organisation.objects.filter(is_active=True))
    by_name = {o.name: o for o in orgs}
    districts = [o for o in orgs if o.kind in (OrgKind.DISTRICT, OrgKind.ZONE)]
    streets = [o for o in orgs if o.kind in (OrgKind.STREET, OrgKind.TOWN)]
    departments = [o for o in orgs if o.kind == OrgKind.DEPARTMENT]
    return root, by_name, districts, streets, departments


def _items(rng: random.Random, now: dt.datetime):
    """The items, one published version each; returns [(item, version, org, promised, w)]."""
    from shuzheng.services.catalogue.models import BasicItem, ItemVersion, ServiceItem

    root, by_name, districts, streets, departments = _organisations()
    made = []
    for n, (name, holder, promised, legal, weight) in enumerate(ITEMS, start=1):
        if holder == "district":
            holders = [districts[n % len(districts)]]
        elif holder == "street":
            holders = [streets[(n * 7) % len(streets)]]
        else:
            holders = [by_name.get(holder) or departments[n % len(departments)]]
        for org in holders:
            code = f"B{n:03d}{org.pk:05d}"
            basic, _ = BasicItem.objects.get_or_create(
                basic_code=f"{n:012d}",
                defaults={"name": name, "item_type": "licensing", "legal_basis": "《行政许可法》"},
            )
            item = ServiceItem.objects.create(
                implementation_code=f"11440400BENCH{code}".ljust(36, "0"),
                basic=basic,
                organisation=org,
            )
            version = ItemVersion.objects.create(
                item=item,
                version=1,
                status="published",
                name=name if holder not in ("district", "street") else f"{name}（{org.name}）",
                item_type="licensing",
                legal_limit=legal,
                promised_limit=promised,
                case_kind="immediate" if promised == 0 else "promised",
                audience="both",
                review_steps=["审查", "审批"],
                published_at=now - dt.timedelta(days=800),
            )
            item.current = version
            item.save(update_fields=["current"])
            made.append((item.pk, version.pk, org.pk, promised, weight))
    return root, made


def _owners(count: int):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    start = User.objects.count()
    users = [
        User(username=f"bench_citizen_{start + i}", password="!", display_name=f"申请人{i}")
        for i in range(count)
    ]
    ids = []
    for chunk in range(0, count, 5000):
        created = User.objects.bulk_create(users[chunk : chunk + 5000])
        ids.extend(u.pk for u in created)
    if not ids or ids[0] is None:  # a backend that does not return ids
        ids = list(
            User.objects.filter(username__startswith="bench_citizen_").values_list("pk", flat=True)
        )
    return ids


def _cipher_pool(rng: random.Random):
    """Real SM4-GCM ciphertexts of a few hundred values, bound to their columns."""
    from shuzheng.services.cases.models import Case

    def pool(name, values):
        """Stored form of ``values`` for column ``name`` (ciphertext if the field encrypts)."""
        field = Case._meta.get_field(name)
        return [field.get_prep_value(v) for v in values]

    ids = pool(
        "applicant_id_number",
        [f"440402{1950 + i % 60}0101{i:03d}{i % 10}" for i in range(POOL)],
    )
    phones = pool("contact_phone", [f"138{rng.randrange(10**8):08d}" for _ in range(POOL)])
    forms = pool(
        "form_data",
        [{"applicant_note": f"申请说明{i}", "quantity": i % 5 + 1} for i in range(POOL)],
    )
    return ids, phones, forms


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华志建国文海燕红婷嘉怡"


def _names(rng: random.Random, n: int = 2000) -> list[str]:
    return [
        rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        for _ in range(n)
    ]


def _add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """A cheap stand-in for the work calendar (Mon–Fri), ending at 18:00 local time."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day.replace(hour=18, minute=0, second=0, microsecond=0)


def _rows(n: int, rng: random.Random, now: dt.datetime, items, owners, ciphers, days: int):
    """Yield one tuple per case (in ``COLUMNS`` order), oldest first."""
    from stdnum.iso7064 import mod_11_2

    from shuzheng.foundation.identity.models import Organisation

    divisions = {}
    for org in Organisation.objects.all():
        code = org.division_code[:6] if org.division_code else ""
        if not code:
            for anc in reversed(list(org.ancestors())):
                if anc.division_code:
                    code = anc.division_code[:6]
                    break
        divisions[org.pk] = code or "440400"
    pick_item = _Picker(items, [w for *_, w in items])
    old_mix = _Picker(OLD_MIX, OLD_MIX.values())
    recent_mix = _Picker(RECENT_MIX, RECENT_MIX.values())
    ids, phones, forms = ciphers
    names = _names(rng)
    span = dt.timedelta(days=days).total_seconds()
    # submission times: n points, sorted, denser in recent months (a growing service)
    offsets = sorted(span * (1 - rng.random() ** 1.3) for _ in range(n))
    start = now - dt.timedelta(days=days)
    empty_list = "[]"
    for i, offset in enumerate(offsets):
        pk = i + 1
        submitted = start + dt.timedelta(seconds=offset)
        age = (now - submitted).days
        state = (old_mix if age > OPEN_WINDOW_DAYS else recent_mix)(rng)
        item_id, version_id, org_id, promised, _w = pick_item(rng)
        owner = owners[rng.randrange(len(owners))]
        accepted = due = decided = concluded = delivered = None
        sla = ""
        result = ""
        overdue = False
        used = None
        corrections = 0
        handler = None
        number = None
        submitted_at = submitted
        if state == "draft":
            submitted_at = None
        else:
            when = submitted.astimezone(_TZ)
            body = f"{divisions[org_id]}{when:%Y%m%d}{pk:08d}"
            number = body + mod_11_2.calc_check_digit(body)
            r = rng.random()
            corrections = 2 if r < 0.02 else 1 if r < 0.10 else 0
        if state not in ("draft", "submitted", "correction", "rejected") and not (
            state == "withdrawn" and rng.random() < 0.6
        ):
            accepted = submitted + dt.timedelta(hours=rng.uniform(0.2, 30 + 24 * corrections))
            due = _add_working_days(accepted, promised)
            if state in CLOCK_STATES:
                sla = "running"
                if age > OPEN_WINDOW_DAYS:
                    pass  # stuck: long past its deadline
                elif rng.random() < 0.08:  # a few late ones among the current work
                    due = now - dt.timedelta(hours=rng.uniform(1, 24 * 10))
                elif rng.random() < 0.04:  # 临期: due within the next day
                    due = now + dt.timedelta(hours=rng.uniform(0.5, 23))
                elif due < now:
                    due = now + dt.timedelta(days=rng.uniform(1, 10))
            elif state == "special":
                sla = "paused"
            else:
                sla = "stopped"
        if state in ("approved", "denied") or state in CONCLUDED_STATES:
            late = rng.random() < 0.06
            limit = max(promised, 1)
            used = rng.randint(limit + 1, limit * 2 + 2) if late else rng.randint(0, limit)
            decided = min(now, _add_working_days(accepted, used) - dt.timedelta(hours=2))
            result = "refused" if state == "denied" or rng.random() < 0.03 else "granted"
            if state in CONCLUDED_STATES:
                concluded = decided + dt.timedelta(minutes=rng.randint(5, 600))
                concluded = min(concluded, now)
                overdue = bool(due and concluded > due)
            else:
                used = None
        if state == "delivered":
            delivered = min(now, concluded + dt.timedelta(hours=rng.uniform(1, 72)))
        if state in ("review", "special", "approved", "denied"):
            handler = None  # staff are the benchmark's own users; left unassigned
        updated = delivered or concluded or decided or accepted or submitted
        yield (
            pk, number, item_id, version_id, org_id,
            "person", None, None, names[pk % len(names)], "111", ids[pk % POOL],
            "", "", phones[pk % POOL] if pk % 3 == 0 else "",
            owner, owner, False, "", "web" if pk % 4 else "window", forms[pk % POOL], False,
            None, state, 1 if state in ("approved", "denied") else 0, sla, due,
            None, handler, submitted, updated, submitted_at, accepted, None, "",
            empty_list, None, corrections, decided, result, "", "", "", "",
            concluded, "online" if delivered else "", delivered, overdue, used,
        )  # fmt: skip


# Column order of the tuples above (checked against the model at run time).
COLUMNS = (
    "id", "number", "item_id", "item_version_id", "organisation_id",
    "applicant_type", "person_id", "enterprise_id", "applicant_name", "applicant_id_type",
    "applicant_id_number", "legal_representative", "contact_name", "contact_phone",
    "owner_id", "submitted_by_id", "on_behalf", "agent_note", "channel", "form_data",
    "commitment_signed", "workflow_id", "state", "review_step", "sla_state", "due_at",
    "legal_due_at", "handler_id", "created_at", "updated_at", "submitted_at", "accepted_at",
    "accepted_by_id", "acceptance_doc_no", "correction_reasons", "correction_due",
    "corrections", "decided_at", "result", "result_description", "decision_basis",
    "licence_name", "licence_number", "concluded_at", "delivery_method", "delivered_at",
    "overdue", "working_days_used",
)  # fmt: skip

STATE = COLUMNS.index("state")
_TZ = None


def generate(
    n: int,
    *,
    seed: int = 2026,
    batch: int = 10_000,
    owners: int | None = None,
    days: int = 730,
    now: dt.datetime | None = None,
) -> dict:
    """Create ``n`` cases (and the organisations, items and owners they need); returns a
    summary: counts per state, items, owners, seconds."""
    global _TZ
    from django.db import connection, transaction
    from django.utils import timezone

    from shuzheng.services.cases.models import Case

    _TZ = timezone.get_current_timezone()
    model_columns = {f.column for f in Case._meta.concrete_fields}
    if model_columns != set(COLUMNS):
        raise RuntimeError(
            "bench/case_data.py is out of date with the Case model: "
            f"missing {sorted(model_columns - set(COLUMNS))}, "
            f"extra {sorted(set(COLUMNS) - model_columns)}"
        )
    if Case.objects.exists():
        raise RuntimeError("generate() expects a case table without rows")
    rng = random.Random(seed)
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        root, items = _items(rng, now)
        owner_ids = _owners(owners or max(100, n // 50))
    ciphers = _cipher_pool(rng)
    log(f"{len(items)} items, {len(owner_ids)} owners in {time.perf_counter() - started:.1f} s")
    states: Counter = Counter()
    rows = _rows(n, rng, now, items, owner_ids, ciphers, days)
    table = Case._meta.db_table
    load_started = time.perf_counter()
    done = 0

    def counted(chunk):
        for row in chunk:
            states[row[STATE]] += 1
        return chunk

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers (restore)
            try:
                while chunk := list(itertools.islice(rows, batch)):
                    columns = ", ".join(COLUMNS)
                    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in counted(chunk):
                            copy.write_row(row)
                    done += len(chunk)
                    if done % (batch * 10) == 0:
                        log(f"{done:,} cases ({time.perf_counter() - load_started:.0f} s)")
            finally:
                cur.execute("SET session_replication_role = DEFAULT")
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            # every table analysed and the visibility map set, as autovacuum would have done
            # to a table filled over two years (VACUUM cannot run inside a transaction)
            cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    else:
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        adapt = connection.ops.adapt_datetimefield_value
        times = [i for i, c in enumerate(COLUMNS) if c.endswith("_at")]

        def stored(row):  # Django's own text form of datetimes on SQLite (naive UTC)
            row = list(row)
            for i in times:
                if row[i] is not None:
                    row[i] = adapt(row[i])
            return row

        with connection.cursor() as cur:
            while chunk := list(itertools.islice(rows, batch)):
                with transaction.atomic():
                    cur.executemany(sql, [stored(r) for r in counted(chunk)])
                done += len(chunk)
                if done % (batch * 10) == 0:
                    log(f"{done:,} cases ({time.perf_counter() - load_started:.0f} s)")
            cur.execute("ANALYZE")
    seconds = time.perf_counter() - started
    log(f"{done:,} cases in {seconds:.0f} s")
    return {
        "cases": done,
        "items": len(items),
        "owners": len(owner_ids),
        "states": dict(sorted(states.items())),
        "seconds": round(seconds, 1),
        "load_seconds": round(time.perf_counter() - load_started, 1),
        "root": root.pk,
        "now": now.isoformat(),
    }


def main() -> None:
    """``python bench/case_data.py N`` inside a configured environment (DJANGO_SETTINGS_MODULE
    and a migrated database): generate and print the summary."""
    import django

    django.setup()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps(generate(n), ensure_ascii=False))


if __name__ == "__main__":
    main()
