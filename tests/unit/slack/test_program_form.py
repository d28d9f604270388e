"""The program form: what it shows, and what it accepts or refuses (inline, never raising)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.domain import MatchPriority
from bot.slack import ids
from bot.slack.forms import METADATA_MAX
from bot.slack.forms_programs import (
    name_key,
    parse_program_form,
    parse_program_metadata,
)
from bot.slack.views.models import ProgramListItem, ProgramSettings
from bot.slack.views.programs import program_form_modal, program_list_modal
from tests.support.program_form import (
    prefilled_values,
    set_channel,
    set_channel_posts,
    set_date,
    set_option,
    set_rules,
    set_text,
)

from .blockkit import block_texts, check_modal

TODAY = date(2026, 12, 1)
PILOT = ProgramSettings(
    name="AI Pilot",
    objectives="Leaders learn AI tools; early-career colleagues learn the business.",
    channel_id="C0PILOT01",
    cadence_days=28,
    round_weeks=26,
    starts_on=date(2027, 1, 4),
    is_open=False,
    priority=MatchPriority.HIGHEST_SCORE,
    weights=(
        ("learning", 50.0),
        ("giving_back", 30.0),
        ("cross_department", 15.0),
        ("working_hours", 5.0),
    ),
    min_stage_gap=2,
    min_shared_skills=2,
    min_overlap_hours=2.5,
    pairs_automatically=True,
    consent_required=True,
    consent_hours=48,
    stories_need_approval=True,
)


def values_for(settings: ProgramSettings) -> dict[str, Any]:
    return prefilled_values(program_form_modal(7, settings))


def test_a_prefilled_form_reads_back_as_the_same_settings() -> None:
    view = program_form_modal(7, PILOT)
    check_modal(view, callback_id=ids.PROGRAM_EDIT_VIEW)
    assert json.loads(view["private_metadata"]) == {"program_id": 7}
    assert parse_program_form(values_for(PILOT), taken_names=[], today=TODAY) == PILOT


def test_a_new_program_form_has_the_defaults_and_needs_a_name() -> None:
    view = program_form_modal(None, ProgramSettings(name=""))
    check_modal(view, callback_id=ids.PROGRAM_EDIT_VIEW)
    assert json.loads(view["private_metadata"]) == {"program_id": None}
    values = prefilled_values(view)
    assert parse_program_form(values, taken_names=[], today=TODAY) == {
        ids.PROGRAM_NAME.block_id: "Give the program a name."
    }
    set_text(values, ids.PROGRAM_NAME, "  Pilot   two ")
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert parsed == ProgramSettings(name="Pilot two")


@pytest.mark.parametrize("taken", ["AI Pilot", "ai pilot", "AI  PILOT "])
def test_a_name_another_program_has_is_an_inline_error(taken: str) -> None:
    errors = parse_program_form(values_for(PILOT), taken_names=["Other", taken], today=TODAY)
    assert isinstance(errors, dict)
    assert errors == {ids.PROGRAM_NAME.block_id: errors[ids.PROGRAM_NAME.block_id]}
    assert "already a program called “AI Pilot”" in errors[ids.PROGRAM_NAME.block_id]
    assert name_key("AI  PILOT ") == name_key("ai pilot")


def _errors_after(change: Any) -> dict[str, str]:
    values = values_for(PILOT)
    change(values)
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(parsed, dict), parsed
    return parsed


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (ids.PROGRAM_WEIGHT_LEARNING, "-5", "Enter a whole number from 0 to 1000."),
        (ids.PROGRAM_WEIGHT_GIVING_BACK, "1001", "Pick from 0 to 1000."),
        (ids.PROGRAM_WEIGHT_CROSS_DEPARTMENT, "ten", "Enter a whole number from 0 to 1000."),
        (ids.PROGRAM_WEIGHT_WORKING_HOURS, "", "Enter a weight."),
        (ids.PROGRAM_SHARED_SKILLS, "11", "Pick from 0 to 10."),
        (ids.PROGRAM_SHARED_SKILLS, "1.5", "Enter a whole number from 0 to 10."),
        (ids.PROGRAM_OVERLAP_HOURS, "8.5", "Pick from 0 to 8."),
        (ids.PROGRAM_OVERLAP_HOURS, "nan", "Enter a number from 0 to 8."),
        (ids.PROGRAM_OVERLAP_HOURS, "1e3", "Enter a number from 0 to 8."),
        (ids.PROGRAM_CONSENT_HOURS, "0", "Pick from 1 to 720."),
        (ids.PROGRAM_CONSENT_HOURS, "٣", "Enter a whole number from 1 to 720."),
        (ids.PROGRAM_CONSENT_HOURS, "9" * 400, "Enter a whole number from 1 to 720."),
        (ids.PROGRAM_OVERLAP_HOURS, "9" * 400, "Enter a number from 0 to 8."),  # too long
    ],
)
def test_out_of_range_or_unreadable_numbers_are_inline_errors(
    field: ids.InputId, typed: str, message: str
) -> None:
    assert _errors_after(lambda v: set_text(v, field, typed)) == {field.block_id: message}


def test_all_weights_zero_is_refused_under_the_first_weight() -> None:
    def zero(values: dict[str, Any]) -> None:
        for field in (
            ids.PROGRAM_WEIGHT_LEARNING,
            ids.PROGRAM_WEIGHT_GIVING_BACK,
            ids.PROGRAM_WEIGHT_CROSS_DEPARTMENT,
            ids.PROGRAM_WEIGHT_WORKING_HOURS,
        ):
            set_text(values, field, "0")

    assert _errors_after(zero) == {
        ids.PROGRAM_WEIGHT_LEARNING.block_id: "Give at least one weight more than 0."
    }


@pytest.mark.parametrize(
    ("field", "forged"),
    [
        (ids.PROGRAM_CADENCE, "30"),
        (ids.PROGRAM_ROUND_WEEKS, "0"),
        (ids.PROGRAM_STAGE_GAP, "5"),
        (ids.PROGRAM_OPEN, "maybe"),
        (ids.PROGRAM_PRIORITY, "loudest"),
        (ids.PROGRAM_CADENCE, None),
    ],
)
def test_a_forged_or_missing_choice_is_an_inline_error(field: ids.InputId, forged: str) -> None:
    errors = _errors_after(lambda v: set_option(v, field, forged))
    assert list(errors) == [field.block_id]


def test_start_date_in_the_past_is_refused_unless_it_is_the_one_already_set() -> None:
    assert _errors_after(lambda v: set_date(v, "2026-11-30")) == {
        ids.PROGRAM_STARTS_ON.block_id: "Pick today or a later date."
    }
    assert _errors_after(lambda v: set_date(v, "2026-02-30")) == {
        ids.PROGRAM_STARTS_ON.block_id: "Pick a date from the calendar."
    }
    kept = values_for(PILOT)
    set_date(kept, "2026-06-01")
    parsed = parse_program_form(
        kept, taken_names=[], today=TODAY, current_starts_on=date(2026, 6, 1)
    )
    assert isinstance(parsed, ProgramSettings) and parsed.starts_on == date(2026, 6, 1)
    set_date(kept, None)
    parsed = parse_program_form(kept, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings) and parsed.starts_on is None


def test_channel_must_be_a_channel_id_and_may_be_left_empty() -> None:
    for forged in ("D0DIRECT1", "U0MEMBER1", "<!channel>", 42):
        errors = _errors_after(lambda v, f=forged: set_channel(v, f))
        assert list(errors) == [ids.PROGRAM_CHANNEL.block_id]
    values = values_for(PILOT)
    set_channel(values, None)
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings) and parsed.channel_id is None


def test_rules_are_read_from_the_ticked_boxes_only() -> None:
    values = values_for(PILOT)
    set_rules(values, ids.PROGRAM_RULE_CONSENT, "delete_everything")
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings)
    assert (parsed.consent_required, parsed.pairs_automatically, parsed.stories_need_approval) == (
        True,
        False,
        False,
    )


def test_name_and_objectives_refuse_hidden_characters_and_overlong_text() -> None:
    errors = _errors_after(lambda v: set_text(v, ids.PROGRAM_NAME, "Pilot\x00"))
    assert "hidden control character (U+0000)" in errors[ids.PROGRAM_NAME.block_id]
    errors = _errors_after(lambda v: set_text(v, ids.PROGRAM_NAME, "x" * 81))
    assert errors == {ids.PROGRAM_NAME.block_id: "Keep the name to 80 characters."}
    errors = _errors_after(lambda v: set_text(v, ids.PROGRAM_OBJECTIVES, "y" * 1001))
    assert list(errors) == [ids.PROGRAM_OBJECTIVES.block_id]


def test_a_form_of_the_wrong_shape_is_errors_not_an_exception() -> None:
    for values in (None, [], {"program_name": "x"}, {"program_name": {"name": []}}):
        parsed = parse_program_form(values, taken_names=[], today=TODAY)
        assert isinstance(parsed, dict) and ids.PROGRAM_NAME.block_id in parsed


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ('{"program_id": 7}', 7),
        ('{"program_id": 1}', 1),  # the first program's id
        ('{"program_id": null}', None),
        ('{"program_id": 7}' + " " * (METADATA_MAX - 17), 7),  # exactly at the limit
    ],
)
def test_program_metadata_reads_an_id_or_new(metadata: str, expected: int | None) -> None:
    target = parse_program_metadata(metadata)
    assert target is not None and target.program_id == expected


@pytest.mark.parametrize(
    "metadata",
    [
        '{"program_id": true}',
        '{"program_id": 0}',
        '{"program_id": "7"}',
        '{"program_id": 7, "x": 1}',
        '{"program_id": 7}' + " " * (METADATA_MAX - 16),  # one character over the limit
        "[]",
        "",
        None,
        "{",
    ],
)
def test_program_metadata_refuses_anything_else(metadata: Any) -> None:
    assert parse_program_metadata(metadata) is None


def test_program_list_shows_each_program_with_edit_and_escapes_names() -> None:
    programs = [
        ProgramListItem(1, "Reverse Mentoring", True, True, 14, None),
        ProgramListItem(2, "<!channel> & co", False, False, 28, "C0PILOT01"),
    ]
    view = program_list_modal(programs, notice="Saved *x*.")
    check_modal(view, callback_id=ids.PROGRAMS_VIEW)
    texts = block_texts(view)
    assert "&lt;!channel&gt; &amp; co" in texts and "<!channel>" not in texts
    assert "closed to new people · monthly · <#C0PILOT01>" in texts
    assert "Saved *x*." in texts
    edits = [
        b["accessory"]["value"] for b in view["blocks"] if b.get("accessory", {}).get("action_id")
    ]
    assert edits == ["1", "2"]


def test_the_program_list_offers_a_roster_import_beside_new_program() -> None:
    view = program_list_modal([])
    actions = [
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert actions == [ids.PROGRAM_NEW, ids.ROSTER_IMPORT_BUTTON]


@pytest.mark.parametrize(
    ("field", "typed", "attribute", "expected"),
    [
        (ids.PROGRAM_OVERLAP_HOURS, "8", "min_overlap_hours", 8.0),  # the top of the range
        (ids.PROGRAM_CONSENT_HOURS, "720", "consent_hours", 720),
        (ids.PROGRAM_SHARED_SKILLS, "10", "min_shared_skills", 10),
    ],
)
def test_the_ends_of_each_range_are_accepted(
    field: ids.InputId, typed: str, attribute: str, expected: float
) -> None:
    values = values_for(PILOT)
    set_text(values, field, typed)
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings), parsed
    assert getattr(parsed, attribute) == expected


@pytest.mark.parametrize("typed", ["2027-1-4", "04/01/2027", "soon"])
def test_a_start_date_not_from_the_calendar_is_an_inline_error(typed: str) -> None:
    assert _errors_after(lambda v: set_date(v, typed)) == {
        ids.PROGRAM_STARTS_ON.block_id: "Pick a date from the calendar."
    }


def test_names_match_ignoring_case_and_spacing() -> None:
    assert name_key("  AI   Pilot ") == "ai pilot"


# --- channel posts and the program's zone (issue 11) -------------------------------


def test_channel_posts_default_on_and_read_back_with_milestone_and_zone() -> None:
    new = prefilled_values(program_form_modal(None, ProgramSettings(name="")))
    set_text(new, ids.PROGRAM_NAME, "Pilot")
    parsed = parse_program_form(new, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings)
    assert (parsed.celebrates_milestones, parsed.posts_digest) == (True, True)
    assert (parsed.milestone_meetings, parsed.timezone) == (5, None)
    # A common zone is preselected; any other known zone is prefilled as typed.
    for zone in ("Europe/Berlin", "America/Argentina/Cordoba"):
        settings = replace(PILOT, celebrates_milestones=False, milestone_meetings=12,
                           posts_digest=False, timezone=zone)  # fmt: skip
        assert parse_program_form(values_for(settings), taken_names=[], today=TODAY) == settings
    values = values_for(PILOT)
    set_channel_posts(values, ids.PROGRAM_POST_DIGEST, "spam_everyone")
    set_text(values, ids.PROGRAM_TIMEZONE_TYPED, "  Asia/Kathmandu ")
    set_option(values, ids.PROGRAM_TIMEZONE, "Europe/Berlin")  # the typed one wins
    parsed = parse_program_form(values, taken_names=[], today=TODAY)
    assert isinstance(parsed, ProgramSettings)
    assert (parsed.celebrates_milestones, parsed.posts_digest, parsed.timezone) == (
        False,
        True,
        "Asia/Kathmandu",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (ids.PROGRAM_MILESTONE_MEETINGS, "0", "Pick from 1 to 100."),
        (ids.PROGRAM_MILESTONE_MEETINGS, "101", "Pick from 1 to 100."),
        (ids.PROGRAM_MILESTONE_MEETINGS, "", "Enter how many meetings make a milestone."),
        (ids.PROGRAM_TIMEZONE_TYPED, "Mars/Olympus_Mons", None),
        (ids.PROGRAM_TIMEZONE_TYPED, "../../etc/passwd", None),
        (ids.PROGRAM_TIMEZONE_TYPED, "europe/berlin", None),
        (ids.PROGRAM_TIMEZONE_TYPED, "Europe/" + "x" * 60, None),
    ],
)
def test_a_milestone_outside_1_to_100_or_an_unknown_zone_is_an_inline_error(
    field: ids.InputId, value: str, message: str | None
) -> None:
    errors = _errors_after(lambda v: set_text(v, field, value))
    expected = message or "That's not a time zone we know. Try a name like Europe/Berlin."
    assert errors == {field.block_id: expected}


def test_a_forged_zone_pick_is_an_inline_error_and_the_form_stays_within_block_kit() -> None:
    errors = _errors_after(lambda v: set_option(v, ids.PROGRAM_TIMEZONE, "Mars/Base"))
    assert errors == {ids.PROGRAM_TIMEZONE.block_id: "Pick a time zone from the list."}
    view = program_form_modal(7, PILOT)
    assert len(view["blocks"]) <= 100
    check_modal(view, callback_id=ids.PROGRAM_EDIT_VIEW)
