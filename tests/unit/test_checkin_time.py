"""Properties of the check-in time arithmetic (bot.worktime), over every IANA zone and
dates 2000–2040, and the daylight-saving weeks named in issue 10 as examples."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.domain import ALL_WEEKDAYS_MASK, CHECKIN_MINUTE_RANGE
from bot.worktime import (
    allowed_weekday,
    checkin_due_at,
    checkin_slot,
    is_timely,
    later_checkin_at,
    local_instant,
    pair_cadence,
)

# Under mutmut a failing example has killed its mutant: no need to shrink it.
settings.register_profile(
    "checkin-mutants", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None
)
if os.environ.get("MUTANT_UNDER_TEST"):
    settings.load_profile("checkin-mutants")

ZONES = sorted(available_timezones())
# Samoa and Tokelau skipped 30 December 2011 whole: a wall time that day is 24 h later.
WHOLE_DAY_SKIPPED = {("Pacific/Apia", date(2011, 12, 30)), ("Pacific/Fakaofo", date(2011, 12, 30))}

zones = st.sampled_from(ZONES)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
minutes = st.integers(min_value=0, max_value=24 * 60 - 1)
checkin_minutes = st.integers(*CHECKIN_MINUTE_RANGE)
masks = st.integers(min_value=1, max_value=ALL_WEEKDAYS_MASK)
cadences = st.integers(min_value=1, max_value=365)
sequences = st.integers(min_value=1, max_value=60)
props = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _wall(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60))


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether the wall time happens in the zone (a gap's times do not)."""
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == naive


def _local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


# --- local_instant ------------------------------------------------------------------


@props
@given(zone=zones, day=days, minute=minutes)
def test_a_local_instant_shows_the_asked_wall_time_or_that_time_moved_by_the_gap(
    zone: str, day: date, minute: int
) -> None:
    at = local_instant(day, minute, timezone=zone)
    assert at.utcoffset() == timedelta(0)
    naive = _wall(day, minute)
    shown = at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if _exists(naive, ZoneInfo(zone)):
        assert shown == naive
    else:
        gap = shown - naive
        assert timedelta(0) < gap
        # Later by exactly the clocks' jump: the offset after it less the one before.
        assert (
            gap
            == at.astimezone(ZoneInfo(zone)).utcoffset()
            - naive.replace(tzinfo=ZoneInfo(zone)).utcoffset()
        )


@props
@given(zone=zones, day=days, minute=checkin_minutes)
def test_a_check_in_time_that_does_not_exist_is_at_most_two_hours_later(
    zone: str, day: date, minute: int
) -> None:
    at = local_instant(day, minute, timezone=zone)
    shown = at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if (zone, day) not in WHOLE_DAY_SKIPPED:
        assert timedelta(0) <= shown - _wall(day, minute) <= timedelta(hours=2)


@props
@given(zone=zones, day=days, minute=minutes)
def test_a_wall_time_that_happens_twice_is_its_first_occurrence(
    zone: str, day: date, minute: int
) -> None:
    naive = _wall(day, minute)
    first = naive.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=ZoneInfo(zone), fold=1).astimezone(UTC)
    assert local_instant(day, minute, timezone=zone) == min(first, second) or not _exists(
        naive, ZoneInfo(zone)
    )


def test_a_nonexistent_two_thirty_in_berlin_is_three_thirty_summer_time() -> None:
    # 2027-03-28: Berlin's clocks go from 02:00 to 03:00.
    at = local_instant(date(2027, 3, 28), 2 * 60 + 30, timezone="Europe/Berlin")
    assert at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z") == "03:30 CEST"


def test_a_doubled_two_thirty_in_berlin_is_the_first_one_in_summer_time() -> None:
    # 2027-10-31: Berlin's clocks go from 03:00 back to 02:00; 02:30 happens twice.
    at = local_instant(date(2027, 10, 31), 2 * 60 + 30, timezone="Europe/Berlin")
    assert at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z") == "02:30 CEST"


def test_an_unknown_zone_counts_as_utc() -> None:
    at = local_instant(date(2027, 3, 10), 570, timezone="Mars/Olympus_Mons")
    assert at == datetime(2027, 3, 10, 9, 30, tzinfo=UTC)


# --- allowed_weekday and checkin_slot -------------------------------------------------


@props
@given(day=days, mask=masks)
def test_the_allowed_weekday_is_the_first_day_from_the_given_one_in_the_mask(
    day: date, mask: int
) -> None:
    found = allowed_weekday(day, mask)
    assert mask >> found.weekday() & 1
    assert found.weekday() < 5
    assert day <= found < day + timedelta(days=7)
    between = (day + timedelta(days=n) for n in range((found - day).days))
    assert not any(mask >> d.weekday() & 1 for d in between)


@pytest.mark.parametrize("mask", [0, 0b1100000, 1 << 7])
def test_a_mask_with_no_weekday_is_refused(mask: int) -> None:
    with pytest.raises(ValueError, match="no check-in weekday"):
        allowed_weekday(date(2027, 3, 13), mask)


def test_a_saturday_moves_to_monday_and_a_wednesday_stays() -> None:
    assert allowed_weekday(date(2027, 3, 13), ALL_WEEKDAYS_MASK) == date(2027, 3, 15)
    assert allowed_weekday(date(2027, 3, 10), ALL_WEEKDAYS_MASK) == date(2027, 3, 10)
    assert allowed_weekday(date(2027, 3, 10), 0b10001) == date(2027, 3, 12)  # Mon, Fri


@given(
    program_days=masks,
    program_minute=checkin_minutes,
    own_weekday=st.none() | st.integers(0, 4),
    own_minute=st.none() | checkin_minutes,
)
def test_a_persons_own_day_and_time_win_over_the_programs(
    program_days: int, program_minute: int, own_weekday: int | None, own_minute: int | None
) -> None:
    days_mask, minute = checkin_slot(
        program_days=program_days,
        program_minute=program_minute,
        own_weekday=own_weekday,
        own_minute=own_minute,
    )
    assert days_mask == (program_days if own_weekday is None else 1 << own_weekday)
    assert minute == (program_minute if own_minute is None else own_minute)


# --- pair_cadence ---------------------------------------------------------------------


@given(
    program=cadences,
    mentor=st.none() | cadences,
    leader=st.none() | cadences,
)
def test_a_pairs_cadence_is_the_less_frequent_choice(
    program: int, mentor: int | None, leader: int | None
) -> None:
    chosen = [program if d is None else d for d in (mentor, leader)]
    cadence = pair_cadence(program_days=program, mentor_days=mentor, leader_days=leader)
    assert cadence == max(chosen)
    assert cadence in chosen


def test_a_pair_where_nobody_chose_uses_the_programs_cadence() -> None:
    assert pair_cadence(program_days=14, mentor_days=None, leader_days=None) == 14
    assert pair_cadence(program_days=14, mentor_days=7, leader_days=None) == 14
    assert pair_cadence(program_days=14, mentor_days=21, leader_days=None) == 21
    assert pair_cadence(program_days=14, mentor_days=None, leader_days=28) == 28


# --- checkin_due_at -------------------------------------------------------------------


@props
@given(
    zone=zones, anchor=days, sequence=sequences, cadence=cadences, mask=masks,
    minute=checkin_minutes,
)  # fmt: skip
def test_a_check_in_falls_on_an_allowed_weekday_of_its_period_at_the_local_time(
    zone: str, anchor: date, sequence: int, cadence: int, mask: int, minute: int
) -> None:
    due = checkin_due_at(
        anchor=anchor, sequence=sequence, cadence_days=cadence, days_mask=mask,
        minute=minute, timezone=zone,
    )  # fmt: skip
    start = anchor + timedelta(days=sequence * cadence)
    day = allowed_weekday(start, mask)
    assert due == local_instant(day, minute, timezone=zone)
    shown = due.astimezone(ZoneInfo(zone))
    if (zone, day) not in WHOLE_DAY_SKIPPED:
        assert shown.date() == day  # a gap moves the time, never the day
        assert shown.weekday() < 5  # never on a weekend
        assert mask >> shown.weekday() & 1
        assert shown.date() >= start  # never before the period starts
        assert time(8) <= shown.time() <= time(18, 30)  # never at night
    if _exists(_wall(day, minute), ZoneInfo(zone)):
        assert shown.hour * 60 + shown.minute == minute


@props
@given(
    zone=zones, anchor=days, sequence=sequences, cadence=cadences, mask=masks,
    minute=checkin_minutes,
)  # fmt: skip
def test_consecutive_check_ins_keep_to_the_cadence_give_or_take_the_weekday_shift(
    zone: str, anchor: date, sequence: int, cadence: int, mask: int, minute: int
) -> None:
    """The next period's day comes at least `cadence - shift` days later, where shift
    (at most 6) is how far this period's start was moved to an allowed weekday; with a
    whole number of weeks it is exactly the cadence, and a week or more apart two
    periods never share a day."""
    plan = dict(cadence_days=cadence, days_mask=mask, minute=minute, timezone=zone)
    this = checkin_due_at(anchor=anchor, sequence=sequence, **plan)  # type: ignore[arg-type]
    after = checkin_due_at(anchor=anchor, sequence=sequence + 1, **plan)  # type: ignore[arg-type]
    this_day, next_day = _local_day(this, zone), _local_day(after, zone)
    shift = (allowed_weekday(anchor + timedelta(days=sequence * cadence), mask)
             - (anchor + timedelta(days=sequence * cadence))).days  # fmt: skip
    skipped = {(zone, this_day), (zone, next_day)} & WHOLE_DAY_SKIPPED
    assert after >= this
    if not skipped:
        assert (next_day - this_day).days >= cadence - shift
        if cadence % 7 == 0:
            assert (next_day - this_day).days == cadence
        if cadence >= 7:
            assert next_day > this_day


def test_a_ten_day_cadence_can_bring_two_check_ins_eight_days_apart() -> None:
    """Counted from the anchor, not from the last check-in: a period moved from Saturday
    to Monday does not push the next one, which falls on its own Tuesday."""
    plan = dict(
        anchor=date(2027, 2, 24), cadence_days=10, days_mask=ALL_WEEKDAYS_MASK, minute=570,
        timezone="UTC",
    )  # fmt: skip
    first = checkin_due_at(sequence=1, **plan)  # type: ignore[arg-type]
    second = checkin_due_at(sequence=2, **plan)  # type: ignore[arg-type]
    assert first.date() == date(2027, 3, 8)  # Saturday 6 March -> Monday
    assert second.date() == date(2027, 3, 16)  # Tuesday 16 March, 8 days later


@pytest.mark.parametrize(
    ("zone", "before", "change"),
    [
        ("Europe/Berlin", date(2027, 3, 24), date(2027, 3, 28)),
        ("America/New_York", date(2027, 3, 10), date(2027, 3, 14)),
        ("Australia/Sydney", date(2027, 3, 31), date(2027, 4, 4)),
        ("Europe/Berlin", date(2027, 10, 27), date(2027, 10, 31)),
        ("America/New_York", date(2027, 11, 3), date(2027, 11, 7)),
        ("Australia/Sydney", date(2027, 9, 29), date(2027, 10, 3)),
    ],
)
def test_a_0930_check_in_is_0930_local_the_week_after_the_clocks_change(
    zone: str, before: date, change: date
) -> None:
    plan = dict(
        anchor=before - timedelta(days=7), cadence_days=7, days_mask=ALL_WEEKDAYS_MASK,
        minute=570, timezone=zone,
    )  # fmt: skip
    week_before = checkin_due_at(sequence=1, **plan)  # type: ignore[arg-type]
    week_after = checkin_due_at(sequence=2, **plan)  # type: ignore[arg-type]
    for due, day in ((week_before, before), (week_after, before + timedelta(days=7))):
        local = due.astimezone(ZoneInfo(zone))
        assert (local.date(), local.strftime("%H:%M")) == (day, "09:30")
    # The clocks moved in between: the UTC instants are not a whole week apart.
    assert week_after - week_before != timedelta(days=7)
    assert abs(week_after - week_before - timedelta(days=7)) == timedelta(hours=1)
    assert before < change < before + timedelta(days=7)


def test_the_three_example_weeks_in_utc() -> None:
    berlin = checkin_due_at(
        anchor=date(2027, 3, 24), sequence=1, cadence_days=7, days_mask=ALL_WEEKDAYS_MASK,
        minute=570, timezone="Europe/Berlin",
    )  # fmt: skip
    new_york = checkin_due_at(
        anchor=date(2027, 3, 10), sequence=1, cadence_days=7, days_mask=ALL_WEEKDAYS_MASK,
        minute=570, timezone="America/New_York",
    )  # fmt: skip
    sydney = checkin_due_at(
        anchor=date(2027, 3, 31), sequence=1, cadence_days=7, days_mask=ALL_WEEKDAYS_MASK,
        minute=570, timezone="Australia/Sydney",
    )  # fmt: skip
    assert berlin == datetime(2027, 3, 31, 7, 30, tzinfo=UTC)  # CEST, UTC+2
    assert new_york == datetime(2027, 3, 17, 13, 30, tzinfo=UTC)  # EDT, UTC-4
    assert sydney == datetime(2027, 4, 6, 23, 30, tzinfo=UTC)  # AEST, UTC+10


@pytest.mark.parametrize(("sequence", "cadence"), [(0, 14), (-1, 14), (1, 0), (1, -7)])
def test_a_period_or_cadence_below_one_is_refused(sequence: int, cadence: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        checkin_due_at(
            anchor=date(2027, 3, 1), sequence=sequence, cadence_days=cadence,
            days_mask=ALL_WEEKDAYS_MASK, minute=570, timezone="UTC",
        )  # fmt: skip


def test_period_one_is_one_cadence_after_the_anchor() -> None:
    due = checkin_due_at(
        anchor=date(2027, 3, 1), sequence=1, cadence_days=14, days_mask=ALL_WEEKDAYS_MASK,
        minute=600, timezone="Asia/Tokyo",
    )  # fmt: skip
    assert due == datetime(2027, 3, 15, 1, 0, tzinfo=UTC)  # Monday 10:00 JST


# --- later_checkin_at -----------------------------------------------------------------


@props
@given(
    zone=zones,
    after=st.datetimes(  # hypothesis takes naive bounds and adds the zone
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=datetime(2040, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    working_days=st.integers(1, 10),
    mask=masks,
    minute=checkin_minutes,
)
def test_a_reminder_comes_that_many_weekdays_later_on_an_allowed_day(
    zone: str, after: datetime, working_days: int, mask: int, minute: int
) -> None:
    at = later_checkin_at(
        after, working_days=working_days, days_mask=mask, minute=minute, timezone=zone
    )
    start, day = _local_day(after, zone), _local_day(at, zone)
    counted = start + timedelta(days=1)
    left = working_days
    while True:  # the day the working days run out
        left -= counted.weekday() < 5
        if not left:
            break
        counted += timedelta(days=1)
    if (zone, allowed_weekday(counted, mask)) in WHOLE_DAY_SKIPPED:
        return
    assert day == allowed_weekday(counted, mask)
    assert at == local_instant(day, minute, timezone=zone)
    assert at > after
    assert day.weekday() < 5 and mask >> day.weekday() & 1


def test_not_yet_on_a_thursday_comes_back_on_tuesday_and_snooze_on_the_next_thursday() -> None:
    thursday = datetime(2027, 3, 11, 9, 40, tzinfo=UTC)
    plan = dict(days_mask=ALL_WEEKDAYS_MASK, minute=570, timezone="Europe/London")
    assert later_checkin_at(thursday, working_days=3, **plan) == datetime(  # type: ignore[arg-type]
        2027, 3, 16, 9, 30, tzinfo=UTC
    )
    assert later_checkin_at(thursday, working_days=5, **plan) == datetime(  # type: ignore[arg-type]
        2027, 3, 18, 9, 30, tzinfo=UTC
    )


def test_a_reminder_counts_days_on_the_persons_calendar() -> None:
    # Friday 23:30 UTC is already Saturday in Tokyo: three working days from Saturday.
    friday_night = datetime(2027, 3, 12, 23, 30, tzinfo=UTC)
    at = later_checkin_at(
        friday_night, working_days=3, days_mask=ALL_WEEKDAYS_MASK, minute=570,
        timezone="Asia/Tokyo",
    )  # fmt: skip
    assert at.astimezone(ZoneInfo("Asia/Tokyo")).date() == date(2027, 3, 17)  # Wednesday


def test_a_reminder_waits_for_the_persons_own_weekday() -> None:
    monday = datetime(2027, 3, 8, 12, tzinfo=UTC)
    at = later_checkin_at(
        monday, working_days=3, days_mask=0b00001, minute=570, timezone="UTC"
    )  # Thursday is not theirs: the next Monday
    assert at == datetime(2027, 3, 15, 9, 30, tzinfo=UTC)


# --- is_timely ------------------------------------------------------------------------


@props
@given(zone=zones, day=days, minute=checkin_minutes, late=st.integers(0, 3 * 24 * 60))
def test_a_check_in_is_timely_until_its_local_working_day_ends(
    zone: str, day: date, minute: int, late: int
) -> None:
    due = local_instant(day, minute, timezone=zone)
    now = due + timedelta(minutes=late)
    local_day = _local_day(due, zone)
    day_end = datetime.combine(local_day, time(17), tzinfo=ZoneInfo(zone))
    assert is_timely(due, now, timezone=zone) == (now < day_end)
    if (zone, day) not in WHOLE_DAY_SKIPPED:
        assert is_timely(due, due, timezone=zone)
        assert not is_timely(due, due + timedelta(days=1), timezone=zone)


def test_a_berlin_check_in_due_at_0930_is_timely_at_1659_and_stale_at_1700() -> None:
    due = datetime(2027, 3, 10, 8, 30, tzinfo=UTC)  # 09:30 CET
    assert is_timely(due, datetime(2027, 3, 10, 15, 59, tzinfo=UTC), timezone="Europe/Berlin")
    assert not is_timely(due, datetime(2027, 3, 10, 16, 0, tzinfo=UTC), timezone="Europe/Berlin")
    # The day after, however early: stale.
    assert not is_timely(due, datetime(2027, 3, 11, 6, 0, tzinfo=UTC), timezone="Europe/Berlin")
