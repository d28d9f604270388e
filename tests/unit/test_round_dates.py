"""When the next round starts: the program's start, the last round's end, or nobody knows."""

from __future__ import annotations

from datetime import date

from bot.round_dates import get_next_round_date

TODAY = date(2026, 12, 1)


def next_round(**given: object) -> date | None:
    settings: dict[str, object] = dict(
        starts_on=None, round_weeks=12, last_round_ends_on=None, pairs_automatically=False
    )
    settings.update(given)
    return get_next_round_date(today=TODAY, **settings)  # type: ignore[arg-type]


def test_a_program_starting_later_pairs_on_its_start_day() -> None:
    assert next_round(starts_on=date(2027, 1, 11)) == date(2027, 1, 11)


def test_the_next_round_follows_the_last_round_rather_than_the_start() -> None:
    got = next_round(starts_on=date(2026, 9, 7), last_round_ends_on=date(2026, 12, 7))
    assert got == date(2026, 12, 7)


def test_a_round_ending_today_means_today() -> None:
    assert next_round(last_round_ends_on=TODAY) == TODAY


def test_no_start_and_no_round_means_only_the_admins_can_say() -> None:
    assert next_round() is None
    assert next_round(pairs_automatically=True) is None


def test_a_past_day_is_never_promised_when_admins_start_rounds_by_hand() -> None:
    assert next_round(starts_on=date(2026, 11, 2)) is None
    assert next_round(last_round_ends_on=date(2026, 11, 30)) is None


def test_an_automatic_program_keeps_its_calendar_of_rounds() -> None:
    # Started 2026-09-07, rounds of 4 weeks: 10-05, 11-02, 11-30, then 12-28.
    got = next_round(starts_on=date(2026, 9, 7), round_weeks=4, pairs_automatically=True)
    assert got == date(2026, 12, 28)
    exact = next_round(starts_on=date(2026, 11, 3), round_weeks=4, pairs_automatically=True)
    assert exact == date(2026, 12, 1)  # four weeks on is today


def test_an_automatic_program_without_a_round_length_promises_nothing_past() -> None:
    got = next_round(starts_on=date(2026, 9, 7), round_weeks=0, pairs_automatically=True)
    assert got is None
