"""Check-in settings: the program form's days, time and reminders (inline errors, never
raising), the Home tab's own day and time selects, and the stalled-pair texts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.domain import RiskAnswer
from bot.risk import AtRiskPair, digest_week, may_be_digest_time, weeks_since
from bot.slack import ids
from bot.slack.forms_checkins import (
    NOT_A_CHOICE,
    parse_checkin_day_choice,
    parse_checkin_time_choice,
)
from bot.slack.forms_programs import parse_program_form
from bot.slack.views.checkin_settings import CHECKIN_TIME_CHOICES
from bot.slack.views.home import home_view
from bot.slack.views.models import ProgramSettings
from bot.slack.views.programs import program_form_modal
from bot.slack.views.stalled import risk_digest_message, risk_question_message
from tests.support.program_form import prefilled_values, set_checkin_days, set_option

from .blockkit import block_texts, check_home, check_message, check_modal, walk
from .test_home_view import membership, person

TODAY = date(2026, 12, 1)
TUESDAYS_AT_1400 = ProgramSettings(
    name="Pilot", checkin_days=0b00110, checkin_minute=14 * 60, reminders_per_period=3
)


def values_for(settings: ProgramSettings) -> dict[str, Any]:
    return prefilled_values(program_form_modal(3, settings))


def test_check_in_days_time_and_reminders_read_back_as_set() -> None:
    check_modal(program_form_modal(3, TUESDAYS_AT_1400), callback_id=ids.PROGRAM_EDIT_VIEW)
    parsed = parse_program_form(values_for(TUESDAYS_AT_1400), taken_names=[], today=TODAY)
    assert parsed == TUESDAYS_AT_1400
    values = values_for(TUESDAYS_AT_1400)
    set_checkin_days(values, "0", "4", "4")
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings) and parsed.checkin_days == 0b10001


@pytest.mark.parametrize(
    ("days", "says"),
    [
        ((), "Tick at least one day."),
        (("5",), "Tick the weekdays check-ins may go out."),
        (("6",), "Tick the weekdays check-ins may go out."),
        (("0", "monday"), "Tick the weekdays check-ins may go out."),
        (("-1",), "Tick the weekdays check-ins may go out."),
    ],
)
def test_check_in_days_need_one_weekday_and_nothing_else(days: tuple[str, ...], says: str) -> None:
    values = values_for(TUESDAYS_AT_1400)
    set_checkin_days(values, *days)
    errors = parse_program_form(values, taken_names=[], today=TODAY)
    assert errors == {ids.PROGRAM_CHECKIN_DAYS.block_id: says}


def test_check_in_time_offers_0800_to_1630_every_half_hour() -> None:
    assert [label for _, label in CHECKIN_TIME_CHOICES][:3] == ["08:00", "08:30", "09:00"]
    assert CHECKIN_TIME_CHOICES[-1] == (16 * 60 + 30, "16:30") and len(CHECKIN_TIME_CHOICES) == 18
    for minute, _label in (CHECKIN_TIME_CHOICES[0], CHECKIN_TIME_CHOICES[-1]):
        values = values_for(TUESDAYS_AT_1400)
        set_option(values, ids.PROGRAM_CHECKIN_TIME, str(minute))
        parsed = parse_program_form(values, taken_names=[], today=TODAY)
        assert isinstance(parsed, ProgramSettings) and parsed.checkin_minute == minute


@pytest.mark.parametrize("forged", ["470", "1000", "575", "9:30", "", None])
def test_a_check_in_time_off_the_list_is_an_inline_error(forged: str | None) -> None:
    values = values_for(TUESDAYS_AT_1400)
    set_option(values, ids.PROGRAM_CHECKIN_TIME, forged)
    errors = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(errors, dict) and set(errors) == {ids.PROGRAM_CHECKIN_TIME.block_id}


@pytest.mark.parametrize(("picked", "ok"), [("0", True), ("3", True), ("4", False), ("-1", False)])
def test_reminders_per_period_run_from_0_to_3(picked: str, ok: bool) -> None:
    values = values_for(TUESDAYS_AT_1400)
    set_option(values, ids.PROGRAM_REMINDERS, picked)
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    if ok:
        assert isinstance(parsed, ProgramSettings) and parsed.reminders_per_period == int(picked)
    else:
        assert isinstance(parsed, dict) and set(parsed) == {ids.PROGRAM_REMINDERS.block_id}


def test_home_select_values_parse_to_the_program_or_a_pick_and_refuse_the_rest() -> None:
    assert parse_checkin_day_choice("program") is None
    assert [parse_checkin_day_choice(str(d)) for d in range(5)] == [0, 1, 2, 3, 4]
    assert parse_checkin_time_choice("program") is None
    assert parse_checkin_time_choice("990") == 990
    # A forged payload may carry any JSON: a list or an object is refused, not a crash.
    for forged in ("5", "6", " 1", "", None, 3, "monday", ["1"], {"value": "1"}):
        assert parse_checkin_day_choice(forged) is NOT_A_CHOICE
    for forged in ("1000", "479", "575", None, 570, ["570"], {"value": "570"}):
        assert parse_checkin_time_choice(forged) is NOT_A_CHOICE


def _initial(view: dict[str, Any], action_id: str) -> str | None:
    [select] = [n for n in walk(view["blocks"]) if n.get("action_id") == action_id]
    option = select.get("initial_option")
    return option["value"] if option else None


def test_home_shows_the_own_check_in_day_and_time_or_the_programs() -> None:
    view = home_view(person(membership()), is_admin=False)
    check_home(view)
    assert _initial(view, ids.HOME_CHECKIN_DAY) == "program"
    assert _initial(view, ids.HOME_CHECKIN_TIME) == "program"
    assert "<!date^1741080600^" in block_texts(view)  # the next check-in, reader's zone
    own = home_view(person(membership(), checkin_weekday=2, checkin_minute=600), is_admin=False)
    assert (_initial(own, ids.HOME_CHECKIN_DAY), _initial(own, ids.HOME_CHECKIN_TIME)) == (
        "2",
        "600",
    )


NOW = datetime(2027, 1, 11, 9, tzinfo=UTC)


def _at_risk(n: int, **changes: Any) -> AtRiskPair:
    base: dict[str, Any] = {
        "pair_id": n,
        "program_name": "Pilot <b>",
        "mentor_user_id": "U0MENTOR1",
        "mentee_user_id": "U0LEADER1",
        "since": NOW - timedelta(weeks=5),
        "last_met_on": None,
    }
    return AtRiskPair(**(base | changes))


def test_admins_home_lists_ten_at_risk_pairs_and_counts_the_rest() -> None:
    pairs = [_at_risk(n) for n in range(1, 11)]
    view = home_view(None, is_admin=True, at_risk=pairs, at_risk_total=14, now=NOW)
    check_home(view)
    texts = block_texts(view)
    assert texts.count("<@U0MENTOR1> & <@U0LEADER1>") == 10 and "…and 4 more." in texts
    assert "Pilot &lt;b&gt;" in texts and "no meeting in 5 weeks" in texts
    assert "At-risk" not in block_texts(home_view(None, is_admin=False, now=NOW))


def test_the_digest_is_one_short_message_with_each_pairs_answers() -> None:
    met = _at_risk(
        1,
        last_met_on=date(2026, 12, 7),
        since=datetime(2026, 12, 7, tzinfo=UTC),
        mentee_answer=RiskAnswer.KEEP_GOING,
    )
    message = risk_digest_message([met, _at_risk(2)], total=2, now=NOW)
    check_message(message)
    text = block_texts(message)
    assert "5 weeks since they last met" in text and "<@U0LEADER1>: keep going" in text
    assert message["text"] == "2 pairs may need a hand this week."


def test_the_risk_question_offers_three_easy_answers_privately() -> None:
    message = risk_question_message(pair_id=9, program_name="P <x>", partner_user_id="U0LEADER1")
    assert message["text"] and len(message["blocks"]) <= 5  # DM buttons: not Home's ids
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block
    values = {
        n["action_id"]: n["value"] for n in walk(message["blocks"]) if n.get("type") == "button"
    }
    assert values == {ids.RISK_NEW_MATCH: "9", ids.RISK_PAUSE: "9", ids.RISK_KEEP_GOING: "9"}
    assert "private" in block_texts(message) and "P &lt;x&gt;" in block_texts(message)


def test_digest_time_is_monday_from_0930_local_and_the_utc_window_holds_every_zone() -> None:
    monday_0930_tokyo = datetime(2027, 1, 11, 0, 30, tzinfo=UTC)
    assert digest_week(monday_0930_tokyo, timezone="Asia/Tokyo") == (2027, 2)
    assert digest_week(monday_0930_tokyo - timedelta(seconds=1), timezone="Asia/Tokyo") is None
    assert digest_week(monday_0930_tokyo, timezone="Europe/Berlin") is None  # 01:30 there
    assert digest_week(datetime(2027, 1, 11, 16, tzinfo=UTC), timezone="Europe/Berlin") is None
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "America/New_York"):
        hits = [
            at
            for at in (
                datetime(2027, 1, 9, tzinfo=UTC) + timedelta(minutes=15 * k) for k in range(400)
            )
            if digest_week(at, timezone=zone)
        ]
        assert hits and all(may_be_digest_time(at) for at in hits), zone
    assert not may_be_digest_time(datetime(2027, 1, 13, 12, tzinfo=UTC))  # a Wednesday


def test_weeks_since_counts_whole_weeks_and_never_below_zero() -> None:
    now = datetime(2026, 12, 14, 9, tzinfo=UTC)
    assert weeks_since(now, now) == 0
    assert weeks_since(now - timedelta(days=13), now) == 1
    assert weeks_since(now - timedelta(days=14), now) == 2
    assert weeks_since(now + timedelta(days=3), now) == 0  # a meeting dated ahead


def test_the_digest_prefilter_window_is_sunday_1930_to_tuesday_0500_utc() -> None:
    """Monday 09:30 in UTC+14 is Sunday 19:30 UTC; Monday 17:00 in UTC-12 is Tuesday
    05:00 UTC. Outside that no admin anywhere is in their digest window."""
    sunday = datetime(2026, 12, 13, 19, 30, tzinfo=UTC)
    tuesday = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)
    second = timedelta(seconds=1)
    assert may_be_digest_time(sunday) and not may_be_digest_time(sunday - second)
    assert may_be_digest_time(tuesday - second) and not may_be_digest_time(tuesday)
