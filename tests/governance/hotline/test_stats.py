"""工单统计 selectors: volumes per grouping in local days, per-unit on-time and satisfaction
rates, this week's 热点诉求, scoping by ``hotline.supervise`` and bad periods.

Orders are created directly with the fields that matter (intake is helper A's); times are
explicit Asia/Shanghai instants, never the clock."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from shuzheng.governance.hotline.models import WorkOrder
from shuzheng.governance.hotline.selectors import stats

SH = ZoneInfo("Asia/Shanghai")
START, END = dt.date(2026, 11, 1), dt.date(2026, 12, 1)  # November, end exclusive
_numbers = itertools.count(1)


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SH)


@pytest.fixture
def make_order(hl):
    def make(created_at, **kw):
        data = {
            "number": f"GD20261100{next(_numbers):06d}",
            "channel": "phone",
            "request_type": "complaint",
            "title": "小区门口垃圾堆积",
            "content": "小区门口垃圾堆积无人清运，请处理。",
            "category": hl.garbage,
            "district": hl.tree.xiangzhou,
            "unit": hl.tree.gongbei,
            "state": "handling",
            "created_at": created_at,
        }
        data.update(kw)
        return WorkOrder.objects.create(**data)

    return make


def by_key(rows):
    return {r["key"]: r["count"] for r in rows}


# --------------------------------------------------------------------------- volumes


@pytest.fixture
def november(hl, make_order):
    """Seven orders in November (and one each side of it) across categories, districts,
    channels and types."""
    make_order(at("2026-10-31", "23:59"))  # before the period
    make_order(at("2026-11-02"), channel="web")
    make_order(at("2026-11-10", "23:30"), category=hl.vending, request_type="report")
    make_order(at("2026-11-11", "00:30"), category=hl.vending, channel="wechat")
    make_order(
        at("2026-11-11", "09:00"),
        category=hl.social,
        district=hl.tree.doumen,
        unit=hl.tree.jingan,
        request_type="consult",
    )
    make_order(at("2026-11-16"))
    make_order(at("2026-11-20"), category=None, district=None, unit=hl.centre)
    make_order(at("2026-11-30", "23:59"), district=hl.tree.doumen, unit=hl.chengguan)
    make_order(at("2026-12-01", "00:00"))  # after it (end is exclusive)


def test_volumes_count_leaf_and_level_one_categories_most_first(hl, november):
    leaves = stats.volumes(hl.operator, start=START, end=END, by="category")
    assert by_key(leaves) == {"010101": 3, "010102": 2, "020101": 1, None: 1}
    assert leaves[0]["label"] == "垃圾清运" and leaves[0]["parent_label"] == "城乡建设"
    assert leaves[-1]["label"] == "未分类"
    tops = stats.volumes(hl.operator, start=START, end=END, by="category1")
    assert by_key(tops) == {"01": 5, "02": 1, None: 1}
    assert [r["label"] for r in tops] == ["城乡建设", "社会保障", "未分类"]


def test_volumes_by_district_channel_and_request_type(hl, november):
    districts = stats.volumes(hl.operator, start=START, end=END, by="district")
    assert by_key(districts) == {hl.tree.xiangzhou.pk: 4, hl.tree.doumen.pk: 2, None: 1}
    assert [r["label"] for r in districts] == ["香洲区", "斗门区", "未定位到区"]
    channels = stats.volumes(hl.operator, start=START, end=END, by="channel")
    assert by_key(channels) == {"phone": 5, "web": 1, "wechat": 1}
    assert channels[0]["label"] == "电话"
    kinds = stats.volumes(hl.operator, start=START, end=END, by="request_type")
    assert by_key(kinds) == {"complaint": 5, "report": 1, "consult": 1}
    assert {r["label"] for r in kinds} == {"投诉", "举报", "咨询"}


def test_volumes_per_day_use_local_dates_and_fill_empty_days(hl, november):
    days = stats.volumes(hl.operator, start=START, end=END, by="day")
    assert len(days) == 30 and days[0]["key"] == "2026-11-01" and days[-1]["key"] == "2026-11-30"
    counts = by_key(days)
    # 23:30 on the 10th and 00:30 on the 11th are one UTC day but two local ones
    assert counts["2026-11-10"] == 1
    assert counts["2026-11-11"] == 2
    assert counts["2026-11-30"] == 1 and counts["2026-11-01"] == 0
    assert sum(counts.values()) == 7


def test_volumes_per_iso_week_and_month(hl, november):
    weeks = stats.volumes(hl.operator, start=START, end=END, by="week")
    # 1 November 2026 is a Sunday: its week starts on Monday 26 October
    assert [r["key"] for r in weeks][:2] == ["2026-10-26", "2026-11-02"]
    assert weeks[1]["label"] == "2026-W45"
    assert by_key(weeks) == {
        "2026-10-26": 0,
        "2026-11-02": 1,
        "2026-11-09": 3,
        "2026-11-16": 2,
        "2026-11-23": 0,
        "2026-11-30": 1,
    }
    months = stats.volumes(
        hl.operator, start=dt.date(2026, 10, 1), end=dt.date(2027, 1, 1), by="month"
    )
    assert by_key(months) == {"2026-10-01": 1, "2026-11-01": 7, "2026-12-01": 1}
    assert [r["label"] for r in months] == ["2026-10", "2026-11", "2026-12"]


def test_district_head_counts_only_orders_held_in_his_district(hl, november):
    head = stats.volumes(hl.head, start=START, end=END, by="district")
    # 拱北街道 holds four; 井岸镇, the 12345 centre and 城管局 are not his
    assert sum(r["count"] for r in head) == 4
    assert by_key(head) == {hl.tree.xiangzhou.pk: 4}
    everything = stats.volumes(hl.operator, start=START, end=END, by="channel")
    assert sum(r["count"] for r in everything) == 7


def test_a_handler_without_supervise_counts_nothing(hl, november):
    for user in (hl.gb_handler, hl.jingan_handler, hl.admin):
        assert stats.volumes(user, start=START, end=END, by="day")[10]["count"] == 0
        assert stats.volumes(user, start=START, end=END, by="channel") == []
        assert stats.unit_performance(user, start=START, end=END) == []


def test_unknown_grouping_and_bad_periods_are_field_errors(hl):
    with pytest.raises(ValidationError) as exc:
        stats.volumes(hl.operator, start=START, end=END, by="colour")
    assert "by" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        stats.volumes(hl.operator, start=END, end=START, by="day")
    assert exc.value.message_dict["end"] == ["结束日期不能早于开始日期"]
    with pytest.raises(ValidationError) as exc:
        stats.unit_performance(hl.operator, start=dt.date(2025, 1, 1), end=dt.date(2026, 1, 3))
    assert "366" in exc.value.message_dict["end"][0]


def test_parse_period_defaults_to_the_last_30_days_and_refuses_bad_input():
    today = dt.date(2026, 11, 30)
    assert stats.parse_period(None, "", today=today) == stats.Period(
        dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )
    assert stats.parse_period("2026-01-01", "2026-12-31", today=today).days == 365
    with pytest.raises(ValidationError) as exc:
        stats.parse_period("2026-11-10", "2026-11-09", today=today)
    assert exc.value.message_dict == {"end": ["结束日期不能早于开始日期"]}
    with pytest.raises(ValidationError) as exc:
        stats.parse_period("2025-11-01", "2026-11-30", today=today)
    assert list(exc.value.message_dict) == ["end"]
    with pytest.raises(ValidationError) as exc:
        stats.parse_period("2026-13-01", "soon", today=today)
    assert set(exc.value.message_dict) == {"start", "end"}


# --------------------------------------------------------------------------- units


def test_unit_performance_gives_on_time_satisfaction_rework_and_return_figures(hl, make_order):
    signed = at("2026-11-03", "09:00")
    gb = {"unit": hl.tree.gongbei, "signed_at": signed}
    # 拱北街道: 5 signed — 4 closed (3 on time), callbacks 满意, 基本满意, 不满意, 无法联系
    make_order(
        at("2026-11-02"),
        **gb,
        state="closed",
        on_time=True,
        satisfaction="satisfied",
        replied_at=at("2026-11-05"),
    )
    make_order(
        at("2026-11-02"),
        **gb,
        state="closed",
        on_time=True,
        satisfaction="basic",
        replied_at=at("2026-11-04"),
    )
    make_order(
        at("2026-11-02"),
        **gb,
        state="closed",
        on_time=False,
        satisfaction="unreachable",
        replied_at=at("2026-11-10"),
        return_count=1,
    )
    make_order(
        at("2026-11-02"),
        **gb,
        state="closed",
        on_time=True,
        satisfaction="satisfied",
        replied_at=at("2026-11-03", "17:00"),
        rework_count=1,
    )
    make_order(at("2026-11-02"), **gb, state="handling", satisfaction="unsatisfied", rework_count=1)
    # 井岸镇: one closed late, not yet called back
    make_order(
        at("2026-11-05"),
        unit=hl.tree.jingan,
        signed_at=signed,
        state="closed",
        on_time=False,
        replied_at=at("2026-11-06"),
    )
    # not counted: never signed (still at the centre), or received outside the period
    make_order(at("2026-11-05"), unit=hl.centre, state="registered")
    make_order(at("2026-10-05"), **gb, state="closed", on_time=False)

    rows = stats.unit_performance(hl.operator, start=START, end=END)
    assert [r["name"] for r in rows] == ["拱北街道", "井岸镇"]
    gongbei, jingan = rows
    assert gongbei["received"] == 5 and gongbei["closed"] == 4 and gongbei["on_time"] == 3
    assert gongbei["on_time_rate"] == 75.0
    assert gongbei["rated"] == 4 and gongbei["satisfied"] == 3  # 无法联系 is not a rating
    assert gongbei["satisfaction_rate"] == 75.0
    assert gongbei["reworked"] == 2 and gongbei["rework_rate"] == 40.0
    assert gongbei["returned"] == 1
    # working days 签收 (Tue 3 Nov) → 回复: 2, 1, 5 and 0 → 2.0
    assert gongbei["average_working_days"] == 2.0
    assert jingan["on_time_rate"] == 0.0
    assert jingan["satisfaction_rate"] is None  # nothing to divide by, not 0 %
    total = stats.performance_total(rows)
    assert total["received"] == 6 and total["closed"] == 5
    assert total["on_time_rate"] == 60.0 and total["satisfaction_rate"] == 75.0

    head_rows = stats.unit_performance(hl.head, start=START, end=END)
    assert [r["name"] for r in head_rows] == ["拱北街道"]


# --------------------------------------------------------------------------- hot topics

TODAY = dt.date(2026, 11, 25)  # a Wednesday; its ISO week starts on Monday 23 November
PREVIOUS_MONDAYS = ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]
STREETLIGHT = "夏湾路路灯损坏，晚上出行不便"
NOISE = "工地深夜施工噪音扰民，影响休息"


def test_hot_topics_rank_a_surging_phrase_and_category_above_steady_ones(hl, make_order):
    for monday in PREVIOUS_MONDAYS:
        for _ in range(4):  # steady: four street-light orders every week
            make_order(at(monday), title="路灯损坏", content=STREETLIGHT, category=hl.vending)
        # the same weekdays only: Thursdays before do not count against this Wednesday
        thursday = (dt.date.fromisoformat(monday) + dt.timedelta(days=3)).isoformat()
        make_order(at(thursday), title="施工噪音", content=NOISE, category=hl.social)
    for _ in range(4):
        make_order(at("2026-11-24"), title="路灯损坏", content=STREETLIGHT, category=hl.vending)
    noisy = [
        make_order(at("2026-11-25", "08:00"), title="施工噪音", content=NOISE, category=hl.social)
        for _ in range(5)
    ]
    make_order(at("2026-11-26"), title="施工噪音", content=NOISE)  # tomorrow: not yet

    hot = stats.hot_topics(hl.operator, today=TODAY)
    assert hot["week_start"] == dt.date(2026, 11, 23) and hot["iso_week"] == "2026-W48"
    assert hot["orders"] == 9 and hot["baseline"] == 4.0

    categories = {c["name"]: c for c in hot["categories"]}
    assert [c["name"] for c in hot["categories"]] == ["社保缴费", "占道经营"]
    assert categories["社保缴费"]["change"] is None  # nothing on these weekdays before
    assert categories["占道经营"]["baseline"] == 4.0 and categories["占道经营"]["change"] == 0.0
    assert categories["社保缴费"]["parent"] == "社会保障"

    phrases = [p["term"] for p in hot["phrases"]]
    assert "噪音" in phrases and "扰民" in phrases
    assert "损坏" not in phrases  # as common as ever: not hot
    noise = next(p for p in hot["phrases"] if p["term"] == "噪音")
    assert noise["count"] == 5 and noise["baseline"] == 0
    assert set(noise["samples"]) <= {o.number for o in noisy} and len(noise["samples"]) == 3
    assert "，" not in phrases and "影响" not in phrases  # punctuation and stopwords


def test_hot_topics_score_a_rise_above_a_larger_steady_volume(hl, make_order):
    for monday in PREVIOUS_MONDAYS:
        for _ in range(10):
            make_order(at(monday), title="路灯损坏", content=STREETLIGHT)
        make_order(at(monday), title="施工噪音", content=NOISE)
    for _ in range(12):
        make_order(at("2026-11-23"), title="路灯损坏", content=STREETLIGHT)
    for _ in range(6):
        make_order(at("2026-11-23"), title="施工噪音", content=NOISE)
    phrases = stats.hot_topics(hl.operator, today=TODAY, limit=20)["phrases"]
    ranked = [p["term"] for p in phrases]
    # 6 vs 1 a week is a surge; 12 vs 10 is the usual noise of a large volume
    assert ranked[:6] == sorted(["噪音", "施工", "工地", "深夜", "扰民", "休息"], key=ranked.index)
    assert "路灯" not in ranked
    assert phrases[0]["change"] == 500.0


def test_hot_topics_sample_evenly_when_the_week_is_large(hl, make_order, monkeypatch):
    monkeypatch.setattr(stats, "CURRENT_TEXTS", 4)
    for _ in range(9):
        make_order(at("2026-11-23"), title="施工噪音", content=NOISE)
    hot = stats.hot_topics(hl.operator, today=TODAY)
    assert hot["sampled"]["current"] <= 5
    noise = next(p for p in hot["phrases"] if p["term"] == "噪音")
    assert noise["count"] == 9  # estimated back to the whole week


def test_hot_topics_of_a_district_head_read_only_his_orders(hl, make_order):
    for _ in range(5):
        make_order(at("2026-11-23"), title="施工噪音", content=NOISE, unit=hl.tree.jingan)
    hot = stats.hot_topics(hl.head, today=TODAY)
    assert hot["orders"] == 0 and hot["phrases"] == [] and hot["categories"] == []
    assert stats.hot_topics(hl.gb_handler, today=TODAY)["orders"] == 0
    assert stats.hot_topics(hl.operator, today=TODAY)["orders"] == 5


def test_terms_drop_stopwords_single_characters_numbers_and_punctuation():
    words = stats.terms("请尽快处理！2026年 小区门口垃圾堆积，3 天无人清运 =SUM(A1)")
    assert {"垃圾", "堆积", "清运", "门口"} <= words
    assert not words & {"请", "尽快", "处理", "！", "2026", "3", "=", "天"}
