"""Suggested meeting times: inside every person's local working day, across zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.worktime import format_local, is_working_time, list_common_slots

HALF_HOUR = timedelta(minutes=30)


def assert_inside_working_days(slots: list[datetime], zones: list[str]) -> None:
    for slot in slots:
        for name in zones:
            start = slot.astimezone(ZoneInfo(name))
            end = (slot + HALF_HOUR).astimezone(ZoneInfo(name))
            assert start.weekday() < 5, f"{slot} is a weekend in {name}"
            assert start.date() == end.date()
            assert time(9) <= start.time() and end.time() <= time(17), f"{slot} in {name}"


def test_berlin_and_new_york_get_three_slots_in_both_afternoon_and_morning() -> None:
    zones = ["Europe/Berlin", "America/New_York"]
    after = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # a Tuesday
    slots = list_common_slots(zones, after=after)
    assert len(slots) == 3
    assert_inside_working_days(slots, zones)
    assert all(s > after for s in slots)
    assert len({s.date() for s in slots}) == 3, "one choice per day"
    # Berlin 15:00–17:00 is New York 09:00–11:00 in December.
    assert slots[0] == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_a_friday_evening_request_skips_the_weekend_in_every_zone() -> None:
    zones = ["Asia/Tokyo", "Asia/Singapore"]
    after = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)  # Saturday 03:00 in Tokyo
    slots = list_common_slots(zones, after=after)
    assert_inside_working_days(slots, zones)
    # Monday 7 Dec, 09:00 Singapore (01:00 UTC) is 10:00 in Tokyo.
    assert slots[0] == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_sydney_and_london_have_no_common_working_hours() -> None:
    assert list_common_slots(["Australia/Sydney", "Europe/London"], after=datetime.now(UTC)) == []


def test_a_daylight_saving_change_moves_the_utc_slot_but_not_the_local_hours() -> None:
    # The US changed on 8 March 2026, Europe changes on 29 March: the same local hours
    # sit at different UTC times on either side of the change.
    zones = ["Europe/Berlin", "America/New_York"]
    before = list_common_slots(zones, after=datetime(2026, 3, 27, 6, 0, tzinfo=UTC), count=3)
    assert_inside_working_days(before, zones)
    # Friday 27 March: Berlin UTC+1, New York UTC-4 → 13:00 UTC = 14:00 / 09:00.
    assert before[0] == datetime(2026, 3, 27, 13, 0, tzinfo=UTC)
    # Monday 30 March: Berlin UTC+2 now → 13:00 UTC = 15:00 / 09:00, still valid.
    assert before[1] == datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
    assert before[1].astimezone(ZoneInfo("Europe/Berlin")).hour == 15


def test_the_day_of_the_change_itself_keeps_slots_inside_working_hours() -> None:
    # Sunday 25 Oct 2026 Europe falls back; Monday's slots are after it.
    zones = ["Europe/Berlin", "Europe/London", "America/Chicago"]
    slots = list_common_slots(zones, after=datetime(2026, 10, 24, 12, 0, tzinfo=UTC), count=3)
    assert len(slots) == 3
    assert_inside_working_days(slots, zones)


@pytest.mark.parametrize(
    "zones",
    [
        ["America/Los_Angeles", "America/New_York"],
        ["Asia/Kolkata", "Europe/Berlin"],
        ["Asia/Kathmandu", "Asia/Tokyo"],  # a :45 offset
        ["UTC"],
        ["Not/AZone", "Europe/Paris"],  # unknown names read as UTC
    ],
)
def test_every_slot_is_inside_every_working_day(zones: list[str]) -> None:
    slots = list_common_slots(zones, after=datetime(2026, 11, 6, 22, 17, tzinfo=UTC))
    resolved = [z if z != "Not/AZone" else "UTC" for z in zones]
    assert_inside_working_days(slots, resolved)
    assert slots, "these zones do share working hours"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        list_common_slots(["UTC"], after=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        is_working_time(datetime(2026, 1, 1), ZoneInfo("UTC"), length=HALF_HOUR)  # noqa: DTZ001


def test_format_local_shows_the_wall_clock_of_the_zone() -> None:
    moment = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert format_local(moment, "America/New_York") == "Tue 1 Dec, 09:00 (America/New_York)"
    assert format_local(moment, "") == "Tue 1 Dec, 14:00 (UTC)"  # no zone known: UTC, said


# Boundaries (mutmut found them untested). 2026-12-07 is a Monday.


def test_a_half_hour_ending_at_five_is_working_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert is_working_time(datetime(2026, 12, 7, 15, 30, tzinfo=UTC), berlin, length=HALF_HOUR)
    assert not is_working_time(datetime(2026, 12, 7, 15, 31, tzinfo=UTC), berlin, length=HALF_HOUR)


def test_slots_start_on_the_half_hour_on_consecutive_working_days() -> None:
    after = datetime(2026, 12, 7, 8, 10, tzinfo=UTC)  # Monday 09:10 in Berlin
    slots = list_common_slots(["Europe/Berlin"], after=after)
    assert slots == [
        datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
        datetime(2026, 12, 8, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 9, 8, 0, tzinfo=UTC),
    ]


def test_a_day_that_starts_at_midnight_utc_is_searched_from_midnight() -> None:
    # Tokyo's 09:00 is 00:00 UTC: each next day's search must start at 00:00 sharp.
    after = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    slots = list_common_slots(["Asia/Tokyo"], after=after)
    assert slots == [datetime(2026, 12, d, 0, 0, tzinfo=UTC) for d in (7, 8, 9)]


def test_several_slots_a_day_when_asked_for() -> None:
    after = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    slots = list_common_slots(["Europe/Berlin"], after=after, one_per_day=False)
    assert slots == [datetime(2026, 12, 7, 8, m, tzinfo=UTC) for m in (0, 30)] + [
        datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    ]


def test_nobody_listed_means_utc_working_hours() -> None:
    after = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert list_common_slots([], after=after, count=1) == [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]
