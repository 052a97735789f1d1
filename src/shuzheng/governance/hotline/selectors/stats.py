"""工单统计: volumes, per-unit performance and this week's 热点诉求, for holders of
``hotline.supervise`` within their organisation subtree (a district head sees the orders
held by units of his district; the 12345 centre, granted on the city, sees them all).

Counting rules (统计口径), shared by the page, its CSV and anyone else who reads them:

- 受理量 (``volumes``): orders whose ``created_at`` lies in ``[start, end)``, grouped by
  category (leaf or level 1), district, channel, 诉求类型 or local day / ISO week / month
  (the installation's time zone, Asia/Shanghai). One GROUP BY in the database.
- 承办单位绩效 (``unit_performance``): the orders received in the period that a unit signed
  for (``signed_at`` set), per the unit holding them (the handling unit): of those, how many
  are closed, closed on time, how the callbacks went (满意 + 基本满意 over the callbacks that
  reached the citizen: 无法联系 does not count), how many were reworked and how many came
  after a 退单. A cohort by intake date, so one range on the ``created_at`` index.
- 热点诉求 (``hot_topics``): this ISO week up to ``today`` against the same weekdays of the
  four weeks before — the leaf categories with the most orders, and the words (rjieba) that
  rose most. Texts are sampled evenly by id beyond a cap so a busy week stays fast.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Value
from django.db.models.functions import (
    Mod,
    Substr,
    TruncDate,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.workflow.calendar import working_days_between
from shuzheng.governance.hotline.models import (
    Category,
    Channel,
    RequestType,
    Satisfaction,
    WorkOrder,
)

CAPABILITY = "hotline.supervise"
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
GROUPINGS = ("category", "category1", "district", "channel", "request_type", "day", "week", "month")
TIME_GROUPINGS = ("day", "week", "month")

# 热点诉求
BASELINE_WEEKS = 4
CURRENT_TEXTS = 3000  # at most this many of this week's orders are segmented …
PREVIOUS_TEXTS = 6000  # … and of the four weeks before (sampled evenly by id)
TEXT_CHARS = 200  # the start of the content is enough to find what it is about
MIN_TERM_COUNT = 3  # a word must appear in at least this many of the week's orders
SMOOTHING = 2.0
MIN_RISE = 1.2  # a word is hot when (count + 2) / (baseline + 2) is at least this
SAMPLES_PER_TERM = 3

_STOPWORDS = """
    我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 这样 那样 这里 那里 这边 那边 一个 一些
    什么 怎么 怎样 如何 为什么 为何 是否 能否 可否 可以 能够 应该 需要 已经 还是 就是 但是 而且
    因为 所以 如果 虽然 然后 并且 或者 以及 还有 没有 不是 不能 不会 不要 一直 一下 目前 现在
    当时 之前 以后 之后 今天 昨天 前天 明天 每天 最近 近期 多次 经常 总是 非常 特别 十分 比较
    严重 情况 问题 事情 有关 相关 有关部门 相关部门 部门 单位 工作人员 市民 来电 来电人 反映
    诉求 投诉 举报 咨询 建议 求助 希望 要求 请求 恳请 尽快 及时 处理 解决 核实 协调 落实 跟进
    回复 答复 联系 电话 进行 存在 导致 造成 影响 出现 发生 表示 认为 知道 告知 得到 给予 对此
    请问 谢谢 感谢 麻烦 您好 你好 附近 周边 位于 地址 珠海 珠海市 本人 家里 其中 这种 那种
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def zone():
    """The installation's time zone (Asia/Shanghai): local days, weeks and months."""
    return timezone.get_default_timezone()


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    """统计期间: whole local days ``start`` … ``end`` (both included)."""

    start: dt.date
    end: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[first instant, first instant after) — the selectors' ``start`` and ``end``."""
        return _midnight(self.start), _midnight(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone())


def last_days(today: dt.date | None = None, days: int = DEFAULT_PERIOD_DAYS) -> Period:
    """The default period: the last 30 days, today included."""
    today = today or timezone.localdate(timezone.now(), zone())
    return Period(today - dt.timedelta(days=days - 1), today)


def parse_period(start: str | None, end: str | None, *, today: dt.date | None = None) -> Period:
    """The period asked for by ``start`` / ``end`` (ISO dates, both included; either may be
    left out). Raises ValidationError per field: a date that is not one, an end before the
    start, a period longer than 366 days."""
    default = last_days(today)
    errors: dict[str, str] = {}

    def read(name: str, text: str | None, fallback: dt.date) -> dt.date:
        if not (text or "").strip():
            return fallback
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            errors[name] = _("请输入有效日期，格式为 YYYY-MM-DD")
            return fallback

    first = read("start", start, default.start)
    last = read("end", end, default.end)
    if not errors:
        if last < first:
            errors["end"] = _("结束日期不能早于开始日期")
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            errors["end"] = _("统计期间不能超过 %(days)s 天") % {"days": MAX_PERIOD_DAYS}
    if errors:
        raise ValidationError(errors)
    return Period(first, last)


def _bounds(start, end) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` as aware datetimes; a date stands for its local midnight."""

    def instant(value) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value, zone())
        if isinstance(value, dt.date):
            return _midnight(value)
        raise ValidationError({"start": _("请输入有效日期，格式为 YYYY-MM-DD")})

    first, after = instant(start), instant(end)
    if after < first:
        raise ValidationError({"end": _("结束日期不能早于开始日期")})
    if after - first > dt.timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationError(
            {"end": _("统计期间不能超过 %(days)s 天") % {"days": MAX_PERIOD_DAYS}}
        )
    return first, after


# --------------------------------------------------------------------------- scope


def supervised_orders(user):
    """The work orders ``user`` may count: held by units within his 督办 subtrees."""
    return access.scope(user, WorkOrder.objects.all(), CAPABILITY)


def _received(user, start, end):
    first, after = _bounds(start, end)
    return supervised_orders(user).filter(created_at__gte=first, created_at__lt=after)


# --------------------------------------------------------------------------- volumes


def volumes(user, *, start, end, by: str) -> list[dict]:
    """受理量 of the orders received in ``[start, end)``, grouped ``by`` one of
    :data:`GROUPINGS`. Rows ``{"key", "label", "count"}``:

    - ``category``: per leaf category (key = code), with ``parent_key`` / ``parent_label``
      (its level-1 category); ``category1``: per level-1 category;
    - ``district`` (key = organisation id), ``channel``, ``request_type`` (key = the code,
      label = its name); orders without one come as key ``None``;
    - ``day`` / ``week`` / ``month``: every local day, ISO week (key = its Monday) or month
      (key = its first day) of the period in order, empty ones as 0.

    Categorical rows come most orders first."""
    if by not in GROUPINGS:
        raise ValidationError({"by": _("不支持的统计维度：%(by)s") % {"by": by}})
    first, after = _bounds(start, end)
    orders = _received(user, start, end).order_by()
    if by in TIME_GROUPINGS:
        return _time_series(orders, by, first, after)
    if by in ("category", "category1"):
        return _by_category(orders, level1=by == "category1")
    column = {"district": "district_id", "channel": "channel", "request_type": "request_type"}[by]
    counts = {r[column]: r["n"] for r in orders.values(column).annotate(n=Count("pk"))}
    if by == "district":
        names = dict(
            Organisation.objects.filter(pk__in=[k for k in counts if k]).values_list("pk", "name")
        )
        label = lambda key: names.get(key, "") if key else _("未定位到区")  # noqa: E731
    else:
        choices = dict((Channel if by == "channel" else RequestType).choices)
        label = lambda key: str(choices.get(key, key or _("未填写")))  # noqa: E731
    rows = [{"key": key, "label": label(key), "count": n} for key, n in counts.items()]
    return _ranked(rows)


def _ranked(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (-r["count"], r["key"] is None, r["label"]))


def _by_category(orders, *, level1: bool) -> list[dict]:
    counts = dict(orders.values_list("category_id").annotate(n=Count("pk")))
    leaves = {c.pk: c for c in Category.objects.filter(pk__in=[k for k in counts if k])}
    tops = {
        c.code: c
        for c in Category.objects.filter(code__in={leaf.code[:2] for leaf in leaves.values()})
    }
    unclassified = _("未分类")
    rows: dict = {}
    for pk, n in counts.items():
        leaf = leaves.get(pk)
        top = tops.get(leaf.code[:2]) if leaf else None
        if level1:
            key = top.code if top else None
            row = rows.setdefault(
                key, {"key": key, "label": top.name if top else unclassified, "count": 0}
            )
            row["count"] += n
        else:
            rows[pk] = {
                "key": leaf.code if leaf else None,
                "label": leaf.name if leaf else unclassified,
                "count": n,
                "parent_key": top.code if top else None,
                "parent_label": top.name if top else "",
            }
    return _ranked(list(rows.values()))


def _time_series(orders, by: str, first: dt.datetime, after: dt.datetime) -> list[dict]:
    trunc = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}[by]
    per = (
        orders.annotate(bucket=trunc("created_at", tzinfo=zone()))
        .values("bucket")
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in per:
        counts[_as_date(row["bucket"])] += row["n"]
    rows = []
    for bucket in _buckets(by, first, after):
        rows.append(
            {"key": bucket.isoformat(), "label": _bucket_label(by, bucket), "count": counts[bucket]}
        )
    return rows


def _buckets(by: str, first: dt.datetime, after: dt.datetime) -> list[dt.date]:
    """The local days / ISO weeks (Mondays) / months (1st) from ``first`` up to ``after``."""
    if after <= first:
        return []
    day = timezone.localtime(first, zone()).date()
    last = timezone.localtime(after - dt.timedelta(microseconds=1), zone()).date()
    if by == "week":
        day -= dt.timedelta(days=day.weekday())
    elif by == "month":
        day = day.replace(day=1)
    buckets = []
    while day <= last:
        buckets.append(day)
        if by == "day":
            day += dt.timedelta(days=1)
        elif by == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return buckets


def _bucket_label(by: str, day: dt.date) -> str:
    if by == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _as_date(value) -> dt.date:
    """A truncated bucket as a local date (SQLite hands dates back as text, weeks and
    months come as aware datetimes)."""
    if isinstance(value, str):
        value = (
            dt.datetime.fromisoformat(value)
            if "T" in value or " " in value
            else dt.date.fromisoformat(value)
        )
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, zone())
        return value.date()
    return value


# --------------------------------------------------------------------------- units

RATED = (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED)
PLEASED = (Satisfaction.SATISFIED, Satisfaction.BASIC)
UNIT_COUNTS = ("received", "closed", "on_time", "rated", "satisfied", "reworked", "returned")


def unit_performance(user, *, start, end) -> list[dict]:
    """承办单位绩效 of the orders received in ``[start, end)`` and signed for by a unit, per
    handling unit (most received first). Each row: ``id``, ``name``, the counts
    :data:`UNIT_COUNTS` and the rates (%, one decimal, ``None`` when there is nothing to
    divide by): ``on_time_rate`` = on time / closed, ``satisfaction_rate`` = (满意 + 基本满意)
    / callbacks that reached the citizen, ``rework_rate`` = reworked / received, and
    ``average_working_days`` from 签收 to 回复 of the closed ones."""
    handled = _received(user, start, end).filter(signed_at__isnull=False).order_by()
    grouped = handled.values("unit_id").annotate(
        received=Count("pk"),
        closed=Count("pk", filter=Q(state="closed")),
        on_time=Count("pk", filter=Q(state="closed", on_time=True)),
        rated=Count("pk", filter=Q(satisfaction__in=RATED)),
        satisfied=Count("pk", filter=Q(satisfaction__in=PLEASED)),
        reworked=Count("pk", filter=Q(rework_count__gt=0)),
        returned=Count("pk", filter=Q(return_count__gt=0)),
    )
    counts = {row.pop("unit_id"): row for row in grouped}
    days = _working_days(handled)
    names = dict(Organisation.objects.filter(pk__in=list(counts)).values_list("pk", "name"))
    rows = [
        _unit_row(pk, names.get(pk, ""), row, days.get(pk, (0, 0))) for pk, row in counts.items()
    ]
    rows.sort(key=lambda r: (-r["received"], -r["closed"], r["name"]))
    return rows


def performance_total(rows: list[dict]) -> dict:
    """The 合计 row of :func:`unit_performance`."""
    counts = {name: sum(r[name] for r in rows) for name in UNIT_COUNTS}
    days = (sum(r["_days_sum"] for r in rows), sum(r["_days_n"] for r in rows))
    return _unit_row(None, _("合计"), counts, days)


def _unit_row(pk, name: str, counts: dict, days: tuple[int, int]) -> dict:
    row = {"id": pk, "name": name, **{k: counts.get(k) or 0 for k in UNIT_COUNTS}}
    row["on_time_rate"] = _percent(row["on_time"], row["closed"])
    row["satisfaction_rate"] = _percent(row["satisfied"], row["rated"])
    row["rework_rate"] = _percent(row["reworked"], row["received"])
    row["average_working_days"] = round(days[0] / days[1], 1) if days[1] else None
    row["_days_sum"], row["_days_n"] = days
    return row


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _working_days(handled) -> dict[int, tuple[int, int]]:
    """(sum of working days 签收 → 回复, orders) per unit over the closed orders: grouped by
    (unit, signed day, replied day) in the database, so a year is a few thousand rows."""
    per = (
        handled.filter(state="closed", replied_at__isnull=False)
        .annotate(
            signed_day=TruncDate("signed_at", tzinfo=zone()),
            replied_day=TruncDate("replied_at", tzinfo=zone()),
        )
        .values("unit_id", "signed_day", "replied_day")
        .annotate(n=Count("pk"))
    )
    result: dict[int, tuple[int, int]] = {}
    for row in per:
        used = max(
            0, working_days_between(_as_date(row["signed_day"]), _as_date(row["replied_day"]))
        )
        total, n = result.get(row["unit_id"], (0, 0))
        result[row["unit_id"]] = (total + used * row["n"], n + row["n"])
    return result


# --------------------------------------------------------------------------- hot topics


def hot_topics(user, *, today: dt.date | None = None, limit: int = 10) -> dict:
    """本周热点诉求: this ISO week (Monday up to ``today``) against the same weekdays of the
    four weeks before. Returns::

        {"week_start", "week_end", "iso_week": "2026-W48", "orders", "baseline",
         "categories": [{"id", "code", "name", "parent", "count", "baseline", "change"}],
         "phrases": [{"term", "count", "baseline", "change", "score", "samples"}],
         "sampled": {"current": n, "previous": m}}

    ``baseline`` is the weekly average of the four weeks before over the same weekdays,
    ``change`` the rise over it in % (``None`` when there was nothing before). Categories are
    the leaves with the most orders; phrases are rjieba words (no stopwords, no single
    characters) in at least :data:`MIN_TERM_COUNT` of the week's orders that rose at least
    :data:`MIN_RISE`-fold (smoothed), scored count × ln((count + 2) / (baseline + 2)) — what
    rose most, not what is always said — each with up to three sample order numbers."""
    today = today or timezone.localdate(timezone.now(), zone())
    limit = max(1, min(int(limit), 100))
    monday = today - dt.timedelta(days=today.weekday())
    this_start, this_end = _midnight(monday), _midnight(today + dt.timedelta(days=1))
    orders = supervised_orders(user).order_by()
    current = orders.filter(created_at__gte=this_start, created_at__lt=this_end)
    # the same weekdays of the four weeks before: one index range per week, no functions
    same_days = Q()
    for weeks in range(1, BASELINE_WEEKS + 1):
        shift = dt.timedelta(weeks=weeks)
        same_days |= Q(
            created_at__gte=_midnight(monday - shift),
            created_at__lt=_midnight(today + dt.timedelta(days=1) - shift),
        )
    previous = orders.filter(same_days)

    year, week, _weekday = today.isocalendar()
    total_now = current.count()
    total_before = previous.count()
    phrases, sampled = _hot_phrases(current, total_now, previous, total_before, limit)
    return {
        "week_start": monday,
        "week_end": today,
        "iso_week": f"{year}-W{week:02d}",
        "orders": total_now,
        "baseline": round(total_before / BASELINE_WEEKS, 1),
        "change": _change(total_now, total_before / BASELINE_WEEKS),
        "categories": _hot_categories(current, previous, limit),
        "phrases": phrases,
        "sampled": sampled,
    }


def _change(count: float, baseline: float) -> float | None:
    return round(100 * (count - baseline) / baseline, 1) if baseline else None


def _hot_categories(current, previous, limit: int) -> list[dict]:
    now = Counter(
        dict(
            current.filter(category__isnull=False)
            .values_list("category_id")
            .annotate(n=Count("pk"))
        )
    )
    top = now.most_common()
    top.sort(key=lambda item: (-item[1], item[0]))
    top = top[:limit]
    ids = [pk for pk, _n in top]
    before = dict(
        previous.filter(category_id__in=ids).values_list("category_id").annotate(n=Count("pk"))
    )
    leaves = {c.pk: c for c in Category.objects.filter(pk__in=ids)}
    parents = dict(
        Category.objects.filter(code__in={c.code[:2] for c in leaves.values()}).values_list(
            "code", "name"
        )
    )
    rows = []
    for pk, n in top:
        leaf = leaves[pk]
        baseline = before.get(pk, 0) / BASELINE_WEEKS
        rows.append(
            {
                "id": pk,
                "code": leaf.code,
                "name": leaf.name,
                "parent": parents.get(leaf.code[:2], ""),
                "count": n,
                "baseline": round(baseline, 1),
                "change": _change(n, baseline),
            }
        )
    return rows


def terms(text: str) -> set[str]:
    """The distinct words of a text worth counting: rjieba's cut without stopwords, single
    characters, numbers and punctuation."""
    import rjieba

    return {
        word
        for word in rjieba.cut(text)
        if len(word) >= 2 and word.isalnum() and not word.isdigit() and word not in STOPWORDS
    }


def _texts(orders, total: int, cap: int):
    """(number, text) of at most about ``cap`` of ``orders``, every k-th id when there are
    more, reading only the title and the start of the content."""
    if total > cap:
        stride = math.ceil(total / cap)
        orders = orders.annotate(_sample=Mod("id", Value(stride))).filter(_sample=0)
    rows = (
        orders.annotate(_snippet=Substr("content", 1, TEXT_CHARS))
        .order_by("-id")
        .values_list("number", "title", "_snippet")
    )
    for number, title, snippet in rows.iterator(chunk_size=2000):
        yield number, f"{title}\n{snippet}"


def _hot_phrases(current, total_now: int, previous, total_before: int, limit: int):
    now: Counter = Counter()
    samples: dict[str, list[str]] = {}
    read_now = 0
    for number, text in _texts(current, total_now, CURRENT_TEXTS):
        read_now += 1
        for term in terms(text):
            now[term] += 1
            shown = samples.setdefault(term, [])
            if len(shown) < SAMPLES_PER_TERM:
                shown.append(number)
    candidates = {term for term, n in now.items() if n >= MIN_TERM_COUNT}
    before: Counter = Counter()
    read_before = 0
    if candidates:
        for _number, text in _texts(previous, total_before, PREVIOUS_TEXTS):
            read_before += 1
            before.update(terms(text) & candidates)
    # counts estimated for the whole population when only a sample was read
    scale_now = total_now / read_now if read_now else 0
    scale_before = total_before / read_before if read_before else 0
    rows = []
    for term in candidates:
        count = now[term] * scale_now
        baseline = before[term] * scale_before / BASELINE_WEEKS
        rise = (count + SMOOTHING) / (baseline + SMOOTHING)
        if rise < MIN_RISE:
            continue
        score = count * math.log(rise)
        rows.append(
            {
                "term": term,
                "count": round(count),
                "baseline": round(baseline, 1),
                "change": _change(count, baseline),
                "score": round(score, 2),
                "samples": samples[term],
            }
        )
    rows.sort(key=lambda r: (-r["score"], -r["count"], r["term"]))
    return rows[:limit], {"current": read_now, "previous": read_before}
