"""The report's pure parts: CSV/JSON rendering (CSV injection), small groups, the
modal within Block Kit's limits, and the picker's and export button's parsing."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from bot.cli import REPORT_PERIODS
from bot.reports_csv import enrollment_csv, pairs_csv, report_csv, report_json, safe_cell
from bot.services.reports import (
    AVERAGE_MIN_RATERS,
    PERIODS_OFFERED,
    Checkins,
    Enrollment,
    EnrollmentLine,
    Meetings,
    PairLine,
    Period,
    ProgramChoice,
    Ratings,
    Report,
    Skills,
    Window,
    suppress_small,
)
from bot.slack import ids
from bot.slack.forms_reports import PICK_AGAIN, ReportChoice, parse_export_value, parse_report_pick
from bot.slack.views import home
from bot.slack.views.report import picker_modal, report_modal
from tests.unit.slack.blockkit import check_modal, select, state

NOW = datetime(2026, 12, 1, tzinfo=UTC)
PAIR = PairLine(
    pair_id=7, round_number=1, mentor_name="=cmd|' /C calc'!A0", mentor_user_id="U1",
    leader_name="Ana, \"the\" boss", leader_user_id="U2", introduced_on=date(2026, 9, 1),
    status="active", meetings=2, first_met_on=date(2026, 9, 5), last_met_on=None,
)  # fmt: skip
PERSON = EnrollmentLine(name="@SUM(A1)", user_id="U1", program="+Pilot", role="mentor",
                        career_stage="Early career", status="active",
                        joined_on=date(2026, 9, 1))  # fmt: skip


def report(**changes: object) -> Report:
    base = Report(
        program_id=1, program_name="Pilot",
        window=Window(Period.ALL, datetime(2026, 9, 1, tzinfo=UTC), NOW),
        enrollment=Enrollment(7, {"Leaders": None, "Reverse mentors": 5}, {"Early career": 5}),
        meetings=Meetings(3, 6, 2, 4, 4 / 3, 1.0, 6, 4, 7.5), checkins=Checkins(6, 3),
        skills=Skills([("AI <tools>", 4)], []), ratings=Ratings(2, 2, None, None),
        fit_answers={"good": 1}, at_risk_pairs=0, story_titles=["<!here> & more"],
    )  # fmt: skip
    return Report(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
     ("a=b", "a=b"), ("", ""), (None, ""), (3, "3"), (date(2026, 1, 2), "2026-01-02")],
)  # fmt: skip
def test_a_cell_that_a_spreadsheet_would_run_is_prefixed_with_a_quote(
    value: object, cell: str
) -> None:
    assert safe_cell(value) == cell


def test_the_csvs_quote_what_csv_needs_and_defuse_formulas() -> None:
    [row] = list(csv.DictReader(io.StringIO(pairs_csv([PAIR]))))
    assert row["reverse_mentor"] == "'=cmd|' /C calc'!A0"
    assert row["leader"] == 'Ana, "the" boss'  # names as stored
    assert (row["introduced_on"], row["meetings"], row["last_met_on"]) == ("2026-09-01", "2", "")
    [person] = list(csv.DictReader(io.StringIO(enrollment_csv([PERSON]))))
    assert (person["person"], person["program"]) == ("'@SUM(A1)", "'+Pilot")
    both = report_csv([PAIR], [PERSON])
    assert both == pairs_csv([PAIR]) + "\r\n" + enrollment_csv([PERSON])


def test_json_has_the_numbers_with_small_groups_unbroken_and_both_tables() -> None:
    document = json.loads(report_json(report(), [PAIR], [PERSON]))
    assert document["report"]["enrollment"]["by_role"] == {
        "Leaders": "hidden (a small group)", "Reverse mentors": 5
    }  # fmt: skip
    assert document["report"]["window"]["period"] == "all"
    assert document["report"]["ratings"] == {"count": 2, "raters": 2, "average": None,
                                             "histogram": None}  # fmt: skip
    assert document["pairs"][0]["first_met_on"] == "2026-09-05"
    assert document["enrollment"][0]["person"] == "@SUM(A1)"  # JSON is data, not a sheet


def test_a_group_under_five_has_no_number_and_an_empty_one_is_not_listed() -> None:
    assert suppress_small(Counter({"a": 4, "b": 5, "c": 0, "d": 1})) == {
        "a": None,
        "b": 5,
        "d": None,
    }
    # One small group: the next smallest goes too, or total minus the rest would tell.
    assert suppress_small(Counter({"a": 6, "b": 5, "c": 1, "d": 7})) == {
        "a": 6, "b": None, "c": None, "d": 7,
    }  # fmt: skip
    assert suppress_small(Counter({"a": 9})) == {"a": 9}
    assert suppress_small(Counter({"a": 2})) == {"a": None}
    assert AVERAGE_MIN_RATERS == home.AVERAGE_MIN_RATERS


def test_the_report_modal_escapes_titles_and_stays_within_block_kit_limits() -> None:
    view = report_modal(report())
    check_modal(view, callback_id=ids.REPORT_VIEW)
    text = json.dumps(view["blocks"])
    assert "&lt;!here&gt; &amp; more" in text and "<!here>" not in text
    assert "AI &lt;tools&gt; (4)" in text and "Leaders: hidden (a small group)" in text
    many = report(story_titles=["<@U1> " + "x" * 400] * 500, program_name="P" * 300)
    view = report_modal(many, notice="done")
    check_modal(view, callback_id=ids.REPORT_VIEW)
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")
    assert "…and 490 more" in json.dumps(view["blocks"], ensure_ascii=False)


def test_the_picker_asks_for_a_program_only_when_there_are_several() -> None:
    one = picker_modal([ProgramChoice(4, "Pilot")])
    check_modal(one, callback_id=ids.REPORT_PICK_VIEW)
    values = state(select(ids.REPORT_PERIOD, "90d"))
    assert parse_report_pick(values, one["private_metadata"]) == ReportChoice(4, Period.DAYS_90)
    two = picker_modal([ProgramChoice(4, "Pilot"), ProgramChoice(5, "Second")])
    check_modal(two, callback_id=ids.REPORT_PICK_VIEW)
    values = state(select(ids.REPORT_PROGRAM, "5"), select(ids.REPORT_PERIOD, "round"))
    assert parse_report_pick(values, two["private_metadata"]) == ReportChoice(5, Period.ROUND)
    bad = state(select(ids.REPORT_PERIOD, "forever"))
    assert parse_report_pick(bad, "") == {ids.REPORT_PERIOD.block_id: PICK_AGAIN}


@pytest.mark.parametrize("value", [None, "", "1", "x:all", "1:forever", "0:all", "-1:all", 3])
def test_an_export_value_that_is_not_ours_is_refused(value: object) -> None:
    assert parse_export_value(value) is None
    assert parse_export_value("12:30d") == ReportChoice(12, Period.DAYS_30)


def test_the_periods_offered_are_the_clis_and_not_the_digests_month() -> None:
    assert tuple(p.value for p in PERIODS_OFFERED) == REPORT_PERIODS
    assert Period.MONTH not in PERIODS_OFFERED
    assert parse_export_value("3:month") is None and parse_export_value("3:30d") is not None


def test_a_pick_needs_both_a_program_and_a_period() -> None:
    two = picker_modal([ProgramChoice(4, "Pilot"), ProgramChoice(5, "Second")])
    no_program = state(select(ids.REPORT_PROGRAM, None), select(ids.REPORT_PERIOD, "all"))
    assert parse_report_pick(no_program, two["private_metadata"]) == {
        ids.REPORT_PERIOD.block_id: PICK_AGAIN
    }
    no_metadata = state(select(ids.REPORT_PERIOD, "all"))  # one program, its id lost
    assert parse_report_pick(no_metadata, "") == {ids.REPORT_PERIOD.block_id: PICK_AGAIN}
