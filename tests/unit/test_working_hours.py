"""When a nudge may reach someone: weekdays 09:00-17:00 in their own zone, DST-safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.worktime import last_working_time, next_working_time, reminder_time


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_time_inside_working_hours_is_kept() -> None:
    at = utc("2026-12-10T15:00")  # Thursday: 16:00 in Berlin
    assert next_working_time(at, timezone="Europe/Berlin") == at


def test_a_night_moves_to_nine_the_next_morning_local() -> None:
    at = utc("2026-12-10T03:00")  # Thursday 04:00 Berlin; Wednesday 22:00 New York
    assert next_working_time(at, timezone="Europe/Berlin") == utc("2026-12-10T08:00")
    assert next_working_time(at, timezone="America/New_York") == utc("2026-12-10T14:00")


def test_a_weekend_moves_to_monday() -> None:
    at = utc("2026-12-12T12:00")  # Saturday
    assert next_working_time(at, timezone="Europe/Berlin") == utc("2026-12-14T08:00")


def test_nine_local_follows_a_daylight_saving_change() -> None:
    # Europe goes to summer time on Sunday 29 March 2026: 09:00 is 07:00 UTC on Monday.
    at = utc("2026-03-28T10:00")  # Saturday
    assert next_working_time(at, timezone="Europe/Berlin") == utc("2026-03-30T07:00")


def test_an_unknown_zone_counts_as_utc() -> None:
    assert next_working_time(utc("2026-12-10T03:00"), timezone="Mars/Base") == utc(
        "2026-12-10T09:00"
    )


def test_last_working_time_is_the_last_hour_of_the_working_day_before() -> None:
    saturday = utc("2026-12-12T03:00")
    assert last_working_time(saturday, timezone="Europe/Berlin") == utc("2026-12-11T15:00")


def test_the_reminder_is_half_way_when_that_is_a_working_hour() -> None:
    sent = utc("2026-12-07T10:00")  # Monday; half-way is Tuesday 10:00
    due = sent + timedelta(hours=48)
    assert reminder_time(sent_at=sent, due_at=due, timezone="Europe/London") == utc(
        "2026-12-08T10:00"
    )


def test_a_reminder_half_way_at_night_moves_to_the_next_morning() -> None:
    sent = utc("2026-12-07T10:00")  # Monday; half-way is Tuesday 22:00
    due = sent + timedelta(hours=72)
    assert reminder_time(sent_at=sent, due_at=due, timezone="Europe/London") == utc(
        "2026-12-09T09:00"
    )


def test_a_reminder_that_would_fall_after_the_close_comes_before_the_weekend() -> None:
    sent = utc("2026-12-10T15:00")  # Thursday; closes Sunday 15:00
    due = sent + timedelta(hours=72)
    assert reminder_time(sent_at=sent, due_at=due, timezone="Europe/Berlin") == utc(
        "2026-12-11T15:00"
    )


def test_no_reminder_when_no_working_hour_falls_in_between() -> None:
    sent = utc("2026-12-12T08:00")  # Saturday, for 24 hours
    assert reminder_time(sent_at=sent, due_at=sent + timedelta(hours=24),
                         timezone="Europe/Berlin") is None  # fmt: skip


# Boundaries (mutmut found them untested): 09:00 is in, 17:00 is out, weekends skipped
# both ways. 2026-12-07 is a Monday; Berlin is UTC+1 in December.


def test_nine_oclock_sharp_is_working_time_and_five_oclock_is_not() -> None:
    nine = utc("2026-12-07T08:00")  # Monday 09:00 in Berlin
    assert next_working_time(nine, timezone="Europe/Berlin") == nine
    five = utc("2026-12-07T16:00")  # Monday 17:00 in Berlin
    assert next_working_time(five, timezone="Europe/Berlin") == utc("2026-12-08T08:00")
    assert last_working_time(five, timezone="Europe/Berlin") == utc("2026-12-07T15:00")


def test_after_friday_evening_the_next_working_time_is_monday_morning() -> None:
    friday_evening = utc("2026-12-11T18:00")
    assert next_working_time(friday_evening, timezone="Europe/Berlin") == utc("2026-12-14T08:00")
    sunday = utc("2026-12-13T10:00")
    assert next_working_time(sunday, timezone="Europe/Berlin") == utc("2026-12-14T08:00")


def test_before_monday_morning_the_last_working_time_is_friday_afternoon() -> None:
    monday_early = utc("2026-12-07T06:00")  # 07:00 in Berlin
    assert last_working_time(monday_early, timezone="Europe/Berlin") == utc("2026-12-04T15:00")
    tuesday_early = utc("2026-12-08T06:00")
    assert last_working_time(tuesday_early, timezone="Europe/Berlin") == utc("2026-12-07T15:00")
    sunday = utc("2026-12-06T12:00")
    assert last_working_time(sunday, timezone="Europe/Berlin") == utc("2026-12-04T15:00")


def test_a_reminder_exactly_an_hour_before_the_close_is_still_sent_forward() -> None:
    # Half-way is 07:00 UTC Monday (08:00 in Berlin): moved forward to 09:00 Berlin,
    # exactly an hour before the 09:00 UTC close. Still in time.
    sent, due = utc("2026-12-07T05:00"), utc("2026-12-07T09:00")
    assert reminder_time(sent_at=sent, due_at=due, timezone="Europe/Berlin") == utc(
        "2026-12-07T08:00"
    )


def test_no_reminder_when_the_only_working_time_before_the_close_is_the_send_itself() -> None:
    # Sent Friday 16:00 Berlin, closing Monday 07:00 Berlin: the weekend is between, and
    # the last working moment before half-way is the send itself.
    sent, due = utc("2026-12-11T15:00"), utc("2026-12-14T06:00")
    assert reminder_time(sent_at=sent, due_at=due, timezone="Europe/Berlin") is None


def test_a_reminder_less_than_an_hour_before_the_close_goes_back_to_the_day_before() -> None:
    # Sent Friday 15:00 Berlin, closing Monday 09:30 Berlin: Monday 09:00 would leave
    # half an hour, so the reminder comes on Friday at 16:00, the last working hour.
    sent, due = utc("2026-12-04T14:00"), utc("2026-12-07T08:30")
    assert reminder_time(sent_at=sent, due_at=due, timezone="Europe/Berlin") == utc(
        "2026-12-04T15:00"
    )
