"""Exact messages and boundaries of the form parsers (each found missing by mutmut)."""

from __future__ import annotations

import pytest

from bot.domain import CareerStage, Role
from bot.slack import ids
from bot.slack.forms import (
    METADATA_MAX,
    EnrollmentForm,
    InputError,
    NewSkill,
    SkillChanges,
    parse_enrollment,
    parse_enrollment_draft,
    parse_pause_weeks,
    parse_view_metadata,
)
from bot.slack.forms_reflections import ReflectionForm, parse_reflection
from bot.slack.views.models import ProgramOption, ViewMetadata

from .blockkit import multi, radio, select, state, text
from .test_forms import ENG, META, PILOT, admin, good_values, parse

# --- enrollment: every message, word for word ---------------------------------------


def test_missing_choices_say_what_to_choose() -> None:
    errors = parse(
        good_values(
            role=radio(ids.ENROLL_ROLE, None),
            stage=select(ids.ENROLL_STAGE, None),
            cadence=select(ids.ENROLL_CADENCE, None),
            mentees=select(ids.ENROLL_MAX_MENTEES, None),
        )
    )
    assert errors == {
        ids.ENROLL_ROLE.block_id: "Choose how you'd like to take part.",
        ids.ENROLL_STAGE.block_id: "Choose your career stage.",
        ids.ENROLL_CADENCE.block_id: "Choose how often you'd like to meet.",
        ids.ENROLL_MAX_MENTEES.block_id: "Choose 1, 2 or 3.",
    }


def test_program_errors_depend_on_whether_the_select_was_shown() -> None:
    shown = parse(state(select(ids.ENROLL_PROGRAM, None)), programs=[PILOT, ENG])
    assert shown[ids.ENROLL_PROGRAM.block_id] == "Choose a program."
    closed = parse(good_values(), programs=[ENG])
    assert closed[ids.ENROLL_ROLE.block_id] == (
        "This program isn't open any more. Close this and run `/mentor join` again."
    )


def test_skill_messages_word_for_word() -> None:
    assert parse(good_values(teaches=multi(ids.ENROLL_TEACHES, []))) == {
        ids.ENROLL_TEACHES.block_id: "Pick at least one skill you can share — "
        "it's what your partner learns from you."
    }
    leader = good_values(role=radio(ids.ENROLL_ROLE, "mentee"), stage=select(ids.ENROLL_STAGE, "4"))
    assert parse(leader) == {
        ids.ENROLL_LEARNS.block_id: "Pick at least one skill you'd like to learn."
    }


@pytest.mark.parametrize("field", [ids.ENROLL_TEACHES, ids.ENROLL_LEARNS])
def test_a_foreign_pick_on_either_side_is_an_error_under_that_side(field: ids.InputId) -> None:
    errors = parse(good_values(role=radio(ids.ENROLL_ROLE, "either"), picks=multi(field, ["11"])))
    assert errors[field.block_id] == (
        "Some of these skills aren't offered any more. Please pick again."
    )


def test_ten_skills_a_side_is_the_limit_not_one_less() -> None:
    many = frozenset(range(1, 12))
    programs = {PILOT.id: many}
    ten = good_values(teaches=multi(ids.ENROLL_TEACHES, [str(i) for i in range(1, 11)]))
    form = parse_enrollment(ten, programs=[PILOT], active_skill_ids=programs, private_metadata=META)
    assert isinstance(form, EnrollmentForm) and len(form.teaches) == 10
    eleven = good_values(teaches=multi(ids.ENROLL_TEACHES, [str(i) for i in range(1, 12)]))
    errors = parse_enrollment(
        eleven, programs=[PILOT], active_skill_ids=programs, private_metadata=META
    )
    assert errors == {ids.ENROLL_TEACHES.block_id: "Pick up to 10 — the ones that matter most."}


def test_a_reverse_mentor_needs_someone_further_along() -> None:
    # Senior leader + a gap of 1 reaches Executive: fine. Executive reaches no one.
    senior = parse(good_values(stage=select(ids.ENROLL_STAGE, "4")))
    assert isinstance(senior, EnrollmentForm) and senior.career_stage is CareerStage.SENIOR_LEADER
    assert parse(good_values(stage=select(ids.ENROLL_STAGE, "5"))) == {
        ids.ENROLL_ROLE.block_id: "Reverse mentors share with colleagues further along, and "
        "there's no one further along here. Try Leader or Either."
    }
    # A wider gap narrows who can be a reverse mentor; a gap of 0 still counts as 1.
    wide = ProgramOption(id=PILOT.id, name="Pilot", min_leader_stage=3, min_stage_gap=2)
    assert ids.ENROLL_ROLE.block_id in parse(
        good_values(stage=select(ids.ENROLL_STAGE, "4")), programs=[wide]
    )
    none = ProgramOption(id=PILOT.id, name="Pilot", min_leader_stage=3, min_stage_gap=0)
    assert isinstance(
        parse(good_values(stage=select(ids.ENROLL_STAGE, "4")), programs=[none]), EnrollmentForm
    )
    assert ids.ENROLL_ROLE.block_id in parse(
        good_values(stage=select(ids.ENROLL_STAGE, "5")), programs=[none]
    )


def test_leader_below_the_minimum_is_told_the_stage_word_for_word() -> None:
    errors = parse(
        good_values(
            role=radio(ids.ENROLL_ROLE, "mentee"),
            stage=select(ids.ENROLL_STAGE, "2"),
            learns=multi(ids.ENROLL_LEARNS, ["3"]),
        )
    )
    assert errors == {
        ids.ENROLL_STAGE.block_id: "This program pairs leaders from Experienced upwards. If "
        "that's not your stage yet, join as a reverse mentor or choose Either."
    }


def test_the_draft_keeps_every_readable_answer() -> None:
    values = state(
        radio(ids.ENROLL_ROLE, "mentee"),
        select(ids.ENROLL_STAGE, "4"),
        select(ids.ENROLL_CADENCE, "28"),
        select(ids.ENROLL_MAX_MENTEES, "3"),
        multi(ids.ENROLL_TEACHES, ["1"]),
        multi(ids.ENROLL_LEARNS, ["2", "3"]),
        text(ids.ENROLL_DEPARTMENT, "Brand\n team"),
    )
    draft = parse_enrollment_draft(values, private_metadata=META)
    assert (draft.program_id, draft.role, draft.career_stage) == (
        PILOT.id,
        Role.MENTEE,
        CareerStage.SENIOR_LEADER,
    )
    assert (draft.cadence_days, draft.max_mentees) == (28, 3)
    assert (draft.teaches, draft.learns) == ({1}, {2, 3})
    assert draft.department == "Brand team", "one line, like the field"
    unreadable = parse_enrollment_draft(
        state(multi(ids.ENROLL_LEARNS, ["2", "x"])), private_metadata=META
    )
    assert unreadable.learns == frozenset()


# --- view metadata -------------------------------------------------------------------


def test_view_metadata_boundaries() -> None:
    smallest = ViewMetadata(program_id=1).to_json()
    assert parse_view_metadata(smallest) == ViewMetadata(program_id=1)
    at_limit = smallest[:-1] + " " * (METADATA_MAX - len(smallest)) + "}"
    assert len(at_limit) == METADATA_MAX
    assert parse_view_metadata(at_limit) == ViewMetadata(program_id=1)
    assert parse_view_metadata(at_limit[:-1] + " }") is None  # one over
    assert parse_view_metadata('{"program_id": 0}') is None


# --- pause ----------------------------------------------------------------------------


def test_pause_messages_word_for_word() -> None:
    assert parse_pause_weeks("soon") == InputError(
        "Try `/mentor pause 4` to pause for four weeks, or `/mentor pause` "
        "to pause until you resume."
    )
    assert parse_pause_weeks("53") == InputError(
        "Pick between 1 and 52 weeks, or `/mentor pause` to pause until you resume."
    )


# --- skill admin ----------------------------------------------------------------------


def test_only_the_first_colon_splits_category_from_name() -> None:
    changes = admin(text(ids.SKILLS_ADD, "AI tools: Agents: the basics"))
    assert isinstance(changes, SkillChanges)
    assert changes.added == (NewSkill("Agents: the basics", "AI tools"),)


def test_sixty_character_categories_fit() -> None:
    changes = admin(text(ids.SKILLS_ADD, "C" * 60 + ": Name"))
    assert isinstance(changes, SkillChanges) and changes.added == (NewSkill("Name", "C" * 60),)
    errors = admin(text(ids.SKILLS_ADD, "C" * 61 + ": Name"))
    assert errors == {ids.SKILLS_ADD.block_id: "Line 1: keep categories to 60 characters."}


def test_retired_and_rename_messages_word_for_word() -> None:
    assert admin(text(ids.SKILLS_ADD, "fax  ETIQUETTE")) == {
        ids.SKILLS_ADD.block_id: "Line 1: “fax ETIQUETTE” is retired — "
        "take it off the retired list to bring it back."
    }
    assert admin(text(ids.SKILLS_NEW_NAME, "Something")) == {
        ids.SKILLS_RENAME.block_id: "Pick the skill to rename."
    }


@pytest.mark.parametrize("pick", ["42", "x", "", "0"])
def test_a_rename_pick_that_is_not_a_current_skill_is_an_error(pick: str) -> None:
    assert admin(select(ids.SKILLS_RENAME, pick), text(ids.SKILLS_NEW_NAME, "New")) == {
        ids.SKILLS_RENAME.block_id: "That skill has changed. Please pick it again."
    }


def test_every_skill_can_be_retired_at_once() -> None:
    changes = admin(multi(ids.SKILLS_RETIRED, ["1", "2", "3"]))
    assert isinstance(changes, SkillChanges)
    assert changes.retire == {1, 2} and changes.unretire == frozenset()


# --- reflections ----------------------------------------------------------------------


def test_both_reflection_answers_keep_their_lines() -> None:
    values = state(
        text(ids.REFLECT_LEARNED, "a\nb"),
        text(ids.REFLECT_TAUGHT, "c\n\td"),
    )
    assert parse_reflection(values) == ReflectionForm(learned="a\nb", taught="c\n\td", rating=None)
