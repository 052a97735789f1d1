"""China's work calendar: the 2025 and 2026 holidays and 调休 as the State Council published
them, working-day arithmetic across them, deadlines in every unit, administrators'
closures and extra working days, seeding, and the properties that arithmetic must keep."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzheng.foundation import access
from shuzheng.foundation.workflow.calendar import calendar, services
from shuzheng.foundation.workflow.calendar.models import CalendarDay, CalendarYear, DayKind

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
D = dt.date


@pytest.fixture(autouse=True)
def _fresh_calendar(db):
    calendar.clear_cache()
    yield
    calendar.clear_cache()  # before the test's rollback: no stale year reaches the next test


@pytest.fixture(params=["package", "seeded"])
def mode(request):
    """Each official-arrangement test runs on the package fallback and on the seeded table."""
    if request.param == "seeded":
        services.seed_years(access.SYSTEM, [2024, 2025, 2026, 2027])
    return request.param


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def off(first, last):
    return [d for d in days(first, last) if calendar.is_working_day(d)]


# --------------------------------------------------------------------------- official data


def test_spring_festival_2025_with_its_adjusted_weekends(mode):
    assert off(D(2025, 1, 28), D(2025, 2, 4)) == []  # 春节 Jan 28 – Feb 4
    assert calendar.is_working_day(D(2025, 1, 26))  # 调休上班, a Sunday
    assert calendar.is_working_day(D(2025, 2, 8))  # 调休上班, a Saturday
    assert calendar.is_working_day(D(2025, 1, 27)) and calendar.is_working_day(D(2025, 2, 5))
    assert not calendar.is_working_day(D(2025, 1, 25))  # an ordinary Saturday


def test_national_day_2025_with_its_adjusted_weekends(mode):
    assert off(D(2025, 10, 1), D(2025, 10, 8)) == []  # 国庆 + 中秋 Oct 1 – 8
    assert calendar.is_working_day(D(2025, 9, 28))  # Sunday
    assert calendar.is_working_day(D(2025, 10, 11))  # Saturday
    assert calendar.is_working_day(D(2025, 9, 30)) and calendar.is_working_day(D(2025, 10, 9))


def test_spring_festival_2026_as_in_guobanfa_mingdian_2025_7(mode):
    assert off(D(2026, 2, 15), D(2026, 2, 23)) == []  # 春节 Feb 15 – 23, nine days
    assert calendar.is_working_day(D(2026, 2, 14))  # Saturday
    assert calendar.is_working_day(D(2026, 2, 28))  # Saturday
    assert calendar.is_working_day(D(2026, 2, 13)) and calendar.is_working_day(D(2026, 2, 24))


def test_national_day_2026_as_in_guobanfa_mingdian_2025_7(mode):
    assert off(D(2026, 10, 1), D(2026, 10, 7)) == []  # 国庆 Oct 1 – 7
    assert off(D(2026, 9, 25), D(2026, 9, 27)) == []  # 中秋 Sep 25 – 27
    assert calendar.is_working_day(D(2026, 9, 20))  # Sunday
    assert calendar.is_working_day(D(2026, 10, 10))  # Saturday
    assert calendar.is_working_day(D(2026, 10, 8))
    assert calendar.is_working_day(D(2026, 1, 4))  # 元旦's 调休 Sunday


def test_every_day_of_2024_to_2026_agrees_with_chinese_calendar(mode):
    """A second maintained source (which stops at 2026) agrees on every single day."""
    chinese_calendar = pytest.importorskip("chinese_calendar")
    wrong = [
        d
        for d in days(D(2024, 1, 1), D(2026, 12, 31))
        if calendar.is_working_day(d) != chinese_calendar.is_workday(d)
    ]
    assert wrong == []


def test_the_seed_writes_whole_blocks_named_as_the_notice_names_them():
    services.seed_years(access.SYSTEM, [2026])
    rows = {r.date: r for r in CalendarDay.objects.all()}
    assert [rows[d].name for d in days(D(2026, 2, 15), D(2026, 2, 23))] == ["春节"] * 9
    assert {rows[d].kind for d in days(D(2026, 2, 15), D(2026, 2, 23))} == {DayKind.HOLIDAY}
    assert (rows[D(2026, 2, 14)].kind, rows[D(2026, 2, 14)].name) == (
        DayKind.ADJUSTED_WORKDAY,
        "春节",
    )
    assert rows[D(2026, 9, 20)].name == "国庆节"  # paid back by 10-06, not the nearer 中秋
    assert [d for d, r in rows.items() if r.kind == DayKind.ADJUSTED_WORKDAY] == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    assert rows[D(2026, 10, 1)].source.startswith("holidays ")
    assert not any(r.provisional for r in rows.values())
    assert CalendarYear.objects.get(year=2026).provisional is False


# --------------------------------------------------------------------------- arithmetic


def test_adding_working_days_across_spring_festival_2025(mode):
    friday = D(2025, 1, 24)
    assert [calendar.add_working_days(friday, n) for n in range(7)] == [
        friday,
        D(2025, 1, 26),  # the 调休 Sunday
        D(2025, 1, 27),
        D(2025, 2, 5),  # after the whole holiday
        D(2025, 2, 6),
        D(2025, 2, 7),
        D(2025, 2, 8),  # the 调休 Saturday
    ]


def test_adding_working_days_across_national_day_2025_and_2026(mode):
    assert calendar.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert calendar.add_working_days(D(2025, 9, 26), 4) == D(2025, 10, 9)
    assert calendar.add_working_days(D(2025, 9, 26), 6) == D(2025, 10, 11)
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 10, 8), 2) == D(2026, 10, 10)
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_the_start_day_is_day_zero_even_on_a_holiday():
    assert calendar.add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
    assert calendar.add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2026, 10, 3), -1)


def test_working_days_between_counts_after_the_first_day_up_to_the_last():
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert calendar.working_days_between(D(2026, 10, 8), D(2026, 9, 30)) == -1
    assert calendar.working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    assert calendar.working_days_between(D(2025, 12, 31), D(2026, 1, 5)) == 2  # 4th + 5th
    # Across years: 2025 and 2026 have 248 working days each (as chinese-calendar counts)
    assert calendar.working_days_between(D(2024, 12, 31), D(2026, 12, 31)) == 496


def test_a_long_span_crosses_years_on_the_cached_data():
    later = calendar.add_working_days(D(2026, 6, 1), 2000)
    assert calendar.working_days_between(D(2026, 6, 1), later) == 2000


def test_one_query_loads_a_range_of_years_and_then_none(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the rows, and which years were seeded
        calendar.add_working_days(D(2026, 1, 5), 300)  # into 2027
        calendar.working_days_between(D(2025, 6, 1), D(2027, 6, 1))
    with django_assert_max_num_queries(0):
        for n in range(1000):
            calendar.add_working_days(D(2026, 1, 1) + dt.timedelta(days=n % 700), n % 40)
            calendar.is_working_day(D(2026, 1, 1) + dt.timedelta(days=n % 700))


# --------------------------------------------------------------------------- deadlines


def test_a_13_working_day_complaint_across_mid_autumn_and_national_day_2026():
    accepted = dt.datetime(2026, 9, 24, 15, 30, tzinfo=CST)
    due = calendar.deadline(accepted, 13, "working_days")
    assert due == dt.datetime(2026, 10, 20, 18, 0, tzinfo=CST)
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(hours=8)


def test_deadlines_in_each_unit():
    friday = dt.datetime(2026, 2, 13, 16, 0, tzinfo=CST)
    assert calendar.deadline(friday, 1, "working_days") == dt.datetime(2026, 2, 14, 18, tzinfo=CST)
    assert calendar.deadline(friday, 3, "natural_days") == dt.datetime(2026, 2, 17, 0, tzinfo=CST)
    assert calendar.deadline(friday, 5, "hours") == dt.datetime(2026, 2, 13, 21, tzinfo=CST)
    # two office hours on Friday, two on the 调休 Saturday
    assert calendar.deadline(friday, 4, "working_hours") == dt.datetime(2026, 2, 14, 11, tzinfo=CST)
    # two on Friday, nine on the 调休 Saturday, two on Tuesday the 24th after the holiday
    assert calendar.deadline(friday, 13, "working_hours") == dt.datetime(
        2026, 2, 24, 11, tzinfo=CST
    )


def test_an_instant_item_ends_today_or_on_the_next_working_day():
    assert calendar.deadline(dt.datetime(2026, 9, 30, 10, tzinfo=CST), 0, "working_days") == (
        dt.datetime(2026, 9, 30, 18, tzinfo=CST)
    )
    assert calendar.deadline(dt.datetime(2026, 10, 2, 10, tzinfo=CST), 0, "working_days") == (
        dt.datetime(2026, 10, 8, 18, tzinfo=CST)
    )


def test_the_start_counts_by_its_date_in_shanghai():
    late_utc = dt.datetime(2026, 2, 13, 20, 0, tzinfo=dt.UTC)  # 04:00 on Saturday the 14th
    assert calendar.deadline(late_utc, 1, "working_days") == dt.datetime(
        2026, 2, 24, 18, tzinfo=CST
    )


@pytest.mark.parametrize(
    ("start", "amount", "unit"),
    [
        (dt.datetime(2026, 2, 13, 16), 1, "working_days"),  # naive
        (dt.datetime(2026, 2, 13, 16, tzinfo=CST), -1, "working_days"),
        (dt.datetime(2026, 2, 13, 16, tzinfo=CST), 1, "weeks"),
        (dt.datetime(2026, 2, 13, 16, tzinfo=CST), 1.5, "hours"),
    ],
)
def test_a_deadline_refuses_what_it_cannot_count(start, amount, unit):
    with pytest.raises(ValueError):
        calendar.deadline(start, amount, unit)


def test_office_hours_come_from_settings(settings):
    settings.WORK_DAY_END = "17:30"
    assert calendar.deadline(dt.datetime(2026, 9, 30, 9, tzinfo=CST), 1, "working_days") == (
        dt.datetime(2026, 10, 8, 17, 30, tzinfo=CST)
    )


# --------------------------------------------------------------------------- administrators


def test_a_typhoon_closure_declared_by_the_administrator_moves_a_deadline(tree, make_staff):
    from shuzheng.foundation.trust.models import AuditRecord

    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    accepted = dt.datetime(2026, 9, 24, 15, 30, tzinfo=CST)
    assert calendar.deadline(accepted, 13, "working_days").date() == D(2026, 10, 20)
    day = services.declare_day(
        admin, date=D(2026, 9, 29), kind=DayKind.CLOSURE, name="台风停工", note="珠海市停工停课"
    )
    assert not calendar.is_working_day(D(2026, 9, 29))
    assert calendar.deadline(accepted, 13, "working_days").date() == D(2026, 10, 21)
    record = AuditRecord.objects.get(action="workcalendar.day.declare")
    assert (record.actor_id, record.object_id) == (admin.pk, str(day.pk))
    assert record.details["kind"] == "closure" and record.details["before"] is None
    assert (day.source, day.created_by) == ("admin", admin)


def test_an_extra_working_day_counts(tree, make_staff):
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    services.declare_day(admin, date=D(2026, 10, 3), kind=DayKind.EXTRA_WORKDAY, name="防台加班")
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 3)
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 2


def test_only_the_system_administrator_changes_the_calendar(tree, make_staff):
    from shuzheng.foundation.trust.models import AuditRecord

    clerk = make_staff(tree.gongbei, "window-clerk")
    with pytest.raises(PermissionDenied):
        services.declare_day(clerk, date=D(2026, 9, 29), kind=DayKind.CLOSURE, name="台风停工")
    assert not CalendarDay.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="workcalendar.").exists()
    assert calendar.is_working_day(D(2026, 9, 29))


def test_an_adjusted_working_day_must_be_a_weekend_day(tree, make_staff):
    from django.core.exceptions import ValidationError

    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    with pytest.raises(ValidationError):
        services.declare_day(admin, date=D(2026, 9, 29), kind=DayKind.ADJUSTED_WORKDAY, name="x")
    with pytest.raises(ValidationError):
        services.declare_day(admin, date=D(2026, 9, 26), kind=DayKind.CLOSURE, name=" ")
    assert not CalendarDay.objects.exists()


def test_removing_a_closure_restores_the_day(tree, make_staff):
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    day = services.declare_day(admin, date=D(2026, 9, 29), kind=DayKind.CLOSURE, name="台风停工")
    services.remove_day(admin, day)
    assert calendar.is_working_day(D(2026, 9, 29))
    assert not CalendarDay.objects.exists()


# --------------------------------------------------------------------------- seeding


def test_seeding_is_idempotent_and_keeps_administrators_edits(tree, make_staff):
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    first = services.seed_years(access.SYSTEM, [2026])
    assert first.created == CalendarDay.objects.count() == 39 and first.seeded == [2026]
    assert services.seed_years(access.SYSTEM, [2026]).skipped == [2026]
    services.declare_day(admin, date=D(2026, 2, 23), kind=DayKind.HOLIDAY, name="春节（延长）")
    again = services.seed_years(access.SYSTEM, [2026], refresh=True)
    assert (again.created, again.updated, again.removed, again.kept) == (0, 0, 0, 1)
    assert CalendarDay.objects.get(date=D(2026, 2, 23)).name == "春节（延长）"


def test_the_command_seeds_this_year_and_next_by_default_and_says_so(capsys):
    call_command("seedcalendar", "--years", "2026", "2027")
    out = capsys.readouterr().out
    assert "2026, 2027" in out and "created" in out
    call_command("seedcalendar", "--years", "2026")
    assert "already seeded: 2026" in capsys.readouterr().out
    assert CalendarYear.objects.get(year=2027).provisional is True


def test_a_refused_seed_changes_nothing(tree, make_staff):
    clerk = make_staff(tree.gongbei, "window-clerk")
    with pytest.raises(PermissionDenied):
        services.seed_years(clerk, [2026])
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


def test_years_after_the_published_arrangement_still_skip_statutory_holidays():
    # 2027: no notice yet; statutory days and weekend 补假 from the package
    assert not calendar.is_working_day(D(2027, 2, 8))  # 春节
    assert not calendar.is_working_day(D(2027, 10, 1))
    assert not calendar.is_working_day(D(2027, 10, 4))  # 补假 for the Saturday
    assert calendar.is_working_day(D(2027, 10, 8))
    assert not calendar.is_working_day(D(2035, 10, 1))
    assert calendar.is_working_day(D(2035, 10, 9))


def test_in_a_seeded_year_an_administrator_may_delete_a_provisional_day(tree, make_staff):
    """Once the notice for 2027 is out and says otherwise, the estimate can be corrected."""
    admin = make_staff(tree.zwfw, "system-admin", on=tree.city)
    services.seed_years(access.SYSTEM, [2027])
    estimate = CalendarDay.objects.get(date=D(2027, 2, 10))
    assert estimate.provisional and not calendar.is_working_day(D(2027, 2, 10))
    services.remove_day(admin, estimate)
    assert calendar.is_working_day(D(2027, 2, 10))
    assert services.seed_years(access.SYSTEM, [2027]).skipped == [2027]  # not put back


def test_unseeded_and_provisional_years_are_reported_until_someone_acts(capsys):
    """2027 and later: chinese-calendar has no data, holidays only statutory days — the
    administrator is told, on the admin page and by `seedcalendar --check` (exit status 1)."""
    from django.core.management.base import CommandError

    from shuzheng.foundation.workflow.calendar import selectors

    warnings = selectors.year_warnings(today=D(2026, 11, 2))
    assert [(w.year, w.code) for w in warnings] == [(2026, "unseeded"), (2027, "unseeded")]
    with pytest.raises(CommandError) as failed:
        call_command("seedcalendar", "--check", "--years", "2026", "2027")
    assert failed.value.returncode == 1
    assert CalendarDay.objects.count() == 0  # --check seeds nothing

    call_command("seedcalendar", "--years", "2026", "2027")
    out = capsys.readouterr().out
    assert "2027:" in out and "--refresh" in out  # the provisional year is named at once
    warnings = selectors.year_warnings([2026, 2027])
    assert [(w.year, w.code) for w in warnings] == [(2027, "provisional")]
    assert "2027" in warnings[0].message and "--refresh" in warnings[0].message

    call_command("seedcalendar", "--check", "--years", "2026")
    assert "every year checked" in capsys.readouterr().out


# --------------------------------------------------------------------------- properties

starts = st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31))
spans = st.integers(min_value=0, max_value=400)
relaxed = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def naive_add(start: dt.date, n: int) -> dt.date:
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


@relaxed
@given(starts, st.integers(min_value=1, max_value=400))
def test_adding_at_least_one_working_day_lands_on_a_working_day(start, n):
    assert calendar.is_working_day(calendar.add_working_days(start, n))


@relaxed
@given(starts, spans)
def test_counting_back_gives_the_number_added(start, n):
    assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


@relaxed
@given(starts, spans)
def test_adding_is_strictly_monotonic_in_n(start, n):
    assert calendar.add_working_days(start, n) < calendar.add_working_days(start, n + 1)


@relaxed
@given(starts, st.integers(min_value=0, max_value=60))
def test_adding_agrees_with_walking_day_by_day(start, n):
    assert calendar.add_working_days(start, n) == naive_add(start, n)


@relaxed
@given(starts, starts)
def test_between_is_antisymmetric_and_additive(a, b):
    middle = min(a, b) + dt.timedelta(days=abs((b - a).days) // 2)
    assert calendar.working_days_between(a, b) == -calendar.working_days_between(b, a)
    assert calendar.working_days_between(a, b) == calendar.working_days_between(
        a, middle
    ) + calendar.working_days_between(middle, b)
