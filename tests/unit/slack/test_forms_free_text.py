"""Every free-text field of every form goes through the one rule (bot.slack.text)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack import ids
from bot.slack.forms import (
    EnrollmentForm,
    NewSkill,
    SkillChanges,
    SkillRename,
    parse_enrollment_draft,
)
from bot.slack.forms_reflections import ReflectionForm, parse_reflection

from .blockkit import select, state, text
from .test_forms import META, admin, good_values, parse


def add_error(lines: str) -> str:
    errors = admin(text(ids.SKILLS_ADD, lines))
    assert isinstance(errors, dict), errors
    assert set(errors) == {ids.SKILLS_ADD.block_id}
    return errors[ids.SKILLS_ADD.block_id]


def reflect(
    learned: str | None = None, taught: str | None = None, rating: str | None = None
) -> Any:
    return parse_reflection(
        state(
            text(ids.REFLECT_LEARNED, learned),
            text(ids.REFLECT_TAUGHT, taught),
            select(ids.REFLECT_RATING, rating),
        )
    )


# --- enrollment ------------------------------------------------------------------------


def test_controls_in_department_and_goals_are_refused_under_each_field() -> None:
    errors = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "Mark\x00eting"),
            goals=text(ids.ENROLL_GOALS, "Line one\nand\x07 two"),
        )
    )
    assert errors == {
        ids.ENROLL_DEPARTMENT.block_id: "Your department has a hidden control character "
        "(U+0000) after “Mark”. Please retype that part.",
        ids.ENROLL_GOALS.block_id: "Your goal has a hidden control character (U+0007) "
        "after “and”. Please retype that part.",
    }


def test_a_lone_surrogate_in_goals_is_refused_as_a_broken_character() -> None:
    errors = parse(good_values(goals=text(ids.ENROLL_GOALS, "\ud83d video")))
    assert errors == {
        ids.ENROLL_GOALS.block_id: "Your goal has a broken character (U+D83D) at the start. "
        "Please retype that part."
    }


def test_department_and_goals_are_cleaned_by_the_rule() -> None:
    form = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "\u200bCafe\u0301\tteam\ufeff"),
            goals=text(ids.ENROLL_GOALS, " Two:\r\n\t- Reels\r\n\t- Loom \u2060"),
        )
    )
    assert isinstance(form, EnrollmentForm)
    assert form.department == "Café team"
    assert form.goals == "Two:\n\t- Reels\n\t- Loom"


def test_invisible_only_department_and_goals_are_left_empty() -> None:
    form = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "\u200b\u3164"),
            goals=text(ids.ENROLL_GOALS, "\u2800\n\u200d"),
        )
    )
    assert isinstance(form, EnrollmentForm) and form.department == form.goals == ""


def test_text_limits_count_the_cleaned_text() -> None:
    # Invisible characters don't count towards the limit; decomposed accents count once.
    ok = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "\u200b" + "d" * 80 + "\u200b"),
            goals=text(ids.ENROLL_GOALS, "e\u0301" * 500),
        )
    )
    assert isinstance(ok, EnrollmentForm) and len(ok.goals) == 500
    errors = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "d" * 40 + " \t " + "d" * 40),
            goals=text(ids.ENROLL_GOALS, "e\u0301" * 501),
        )
    )
    assert errors == {
        ids.ENROLL_DEPARTMENT.block_id: "Keep it to 80 characters.",
        ids.ENROLL_GOALS.block_id: "Keep it to 500 characters — a sentence or two is plenty.",
    }


def test_the_draft_shows_text_back_cleaned_and_within_limits() -> None:
    values = state(
        text(ids.ENROLL_DEPARTMENT, " Mark\x00eting\t team " + "d" * 80),
        text(ids.ENROLL_GOALS, "Grow\x1b\r\nfast" + "g" * 600),
    )
    draft = parse_enrollment_draft(values, private_metadata=META)
    assert draft.department == ("Marketing team " + "d" * 80)[:80]
    assert draft.goals == ("Grow\nfast" + "g" * 600)[:500]


# --- reflections -----------------------------------------------------------------------


def test_esc_bel_and_nul_in_a_reflection_are_refused_under_each_field() -> None:
    assert reflect("\x1b[31mRed", "Line one\nline\x00two") == {
        ids.REFLECT_LEARNED.block_id: "What you learned has a hidden control character "
        "(U+001B) at the start. Please retype that part.",
        ids.REFLECT_TAUGHT.block_id: "What you shared has a hidden control character "
        "(U+0000) after “line”. Please retype that part.",
    }
    assert reflect("Fine", "a bell\x07") == {
        ids.REFLECT_TAUGHT.block_id: "What you shared has a hidden control character "
        "(U+0007) after “a bell”. Please retype that part."
    }
    # A refused answer is the error shown, not "jot something down".
    assert list(reflect("\x00")) == [ids.REFLECT_LEARNED.block_id]
    assert "U+0000" in reflect("\x00")[ids.REFLECT_LEARNED.block_id]


def test_a_reflection_is_cleaned_and_keeps_its_lines() -> None:
    assert reflect(" Two things:\r\n\t1. Reels\u200b ", None, "4") == ReflectionForm(
        learned="Two things:\n\t1. Reels", taught="", rating=4
    )
    assert reflect(None, "Cafe\u0301") == ReflectionForm(learned="", taught="Café", rating=None)


def test_an_invisible_only_reflection_needs_some_words() -> None:
    assert reflect("\u200b\u200d", " \u3164 ") == {
        ids.REFLECT_LEARNED.block_id: "Jot down something you learned, shared or will try — "
        "or just rate it."
    }


@pytest.mark.parametrize("field", [ids.REFLECT_LEARNED, ids.REFLECT_TAUGHT])
def test_reflection_limits_count_the_cleaned_text(field: ids.InputId) -> None:
    at_limit = {field.block_id: {field.action_id: {"value": "\u200b" + "x" * 2000}}}
    result = parse_reflection(at_limit)
    assert isinstance(result, ReflectionForm)
    over = parse_reflection({field.block_id: {field.action_id: {"value": "x" * 2001}}})
    assert over == {field.block_id: "Keep it under 2000 characters."}


# --- skill admin -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "Data: Looker Studio\nAI\x00: Agents",
            "Line 2: this line has a hidden control character (U+0000) after “AI”. "
            "Please retype that part.",
        ),
        (
            "\n\nData: Looker\x1b Studio",
            "Line 3: this line has a hidden control character (U+001B) after "
            "“Data: Looker”. Please retype that part.",
        ),
        (
            "BeReal\r\n\x85Threads",
            "Line 2: this line has a hidden control character (U+0085) at the start. "
            "Please retype that part.",
        ),
    ],
)
def test_added_lines_with_controls_are_refused_by_line(lines: str, message: str) -> None:
    assert add_error(lines) == message


@pytest.mark.parametrize("name", ["\u200b", "\u2060\ufeff", "\u200d", "\u3164", "\u2800"])
def test_added_names_of_only_invisible_characters_are_refused(name: str) -> None:
    assert add_error(f"BeReal\nData: {name}") == (
        "Line 2: That name is only invisible characters. Give the skill a name."
    )
    assert add_error(name).startswith("Line 1: That name is only invisible")


def test_an_invisible_only_category_is_refused_but_an_empty_one_is_other() -> None:
    assert add_error("\u200b: Threads") == (
        "Line 1: that category is only invisible characters. Type one or leave it out."
    )
    changes = admin(text(ids.SKILLS_ADD, " : Threads"))
    assert isinstance(changes, SkillChanges)
    assert changes.added == (NewSkill("Threads", "Other"),)


def test_added_skills_are_cleaned_and_told_apart_by_their_cleaned_key() -> None:
    changes = admin(
        text(ids.SKILLS_ADD, "AI\u200b tools: Cafe\u0301 chats\n\u00a0\n\tBeReal\u2060")
    )
    assert isinstance(changes, SkillChanges)
    assert changes.added == (NewSkill("Café chats", "AI tools"), NewSkill("BeReal", "Other"))
    # The same name spelt with a combining accent or a zero-width space is a duplicate.
    assert "already" in add_error("Café chats\nCafe\u0301 chats")
    assert "already" in add_error("Prompt\u200b writing")


def test_blank_lines_do_not_count_towards_the_line_limit() -> None:
    fifty = "\n".join(f"Skill {i}" for i in range(50))
    changes = admin(text(ids.SKILLS_ADD, fifty + "\n \n\t\n"))
    assert isinstance(changes, SkillChanges) and len(changes.added) == 50


def test_rename_to_only_invisible_characters_is_refused() -> None:
    errors = admin(select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, "\u200b"))
    assert errors == {
        ids.SKILLS_NEW_NAME.block_id: "That name is only invisible characters. "
        "Give the skill a name."
    }


def test_rename_with_a_control_is_refused_even_when_it_spells_the_same_name() -> None:
    errors = admin(select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, "Prompt writing\x00"))
    assert errors == {
        ids.SKILLS_NEW_NAME.block_id: "Skill names can't contain a hidden control character "
        "(U+0000) after “Prompt writing”. Please retype that part."
    }


def test_rename_is_cleaned_and_blank_means_no_new_name() -> None:
    changes = admin(
        select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, "\tPrompt\u200b craft ")
    )
    assert isinstance(changes, SkillChanges)
    assert changes.renamed == SkillRename(skill_id=2, name="Prompt craft")
    assert admin(select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, " \t ")) == {
        ids.SKILLS_NEW_NAME.block_id: "Type a new name for “Prompt writing”."
    }
    # Blank text without a pick is no rename at all.
    assert admin(text(ids.SKILLS_NEW_NAME, "  ")) == SkillChanges(program_id=7)
