from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain import CareerStage, Role
from bot.slack import ids
from bot.slack.forms import parse_view_metadata
from bot.slack.views.enrollment import enrollment_modal, loading_modal
from bot.slack.views.models import ProfileDraft, ProgramOption, SkillOption

from .blockkit import check_modal, default_skills, walk

PILOT = ProgramOption(id=7, name="Reverse Mentoring Pilot")
ENG = ProgramOption(id=8, name="Engineering circle", cadence_days=28)


def blocks_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}


def element(view: dict[str, Any], field: ids.InputId) -> dict[str, Any]:
    block = blocks_by_id(view)[field.block_id]
    found: dict[str, Any] = block["element"]
    assert found["action_id"] == field.action_id
    return found


def test_new_enrollment_modal_is_valid_and_short() -> None:
    view = enrollment_modal(
        programs=[PILOT], skills=default_skills(), draft=None, display_name="Sam"
    )
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    assert view["title"]["text"] == "Join reverse mentoring"
    assert view["submit"]["text"] == "Join"
    assert ids.ENROLL_PROGRAM.block_id not in blocks_by_id(view)  # one program: no choice
    for field in (
        ids.ENROLL_ROLE,
        ids.ENROLL_STAGE,
        ids.ENROLL_DEPARTMENT,
        ids.ENROLL_TEACHES,
        ids.ENROLL_LEARNS,
        ids.ENROLL_GOALS,
        ids.ENROLL_CADENCE,
        ids.ENROLL_MAX_MENTEES,
    ):
        element(view, field)
    assert len(view["blocks"]) <= 15


def test_metadata_carries_program_and_mode() -> None:
    view = enrollment_modal(programs=[PILOT], skills=[], draft=None, display_name="Sam")
    meta = parse_view_metadata(view["private_metadata"])
    assert meta is not None and meta.program_id == PILOT.id and not meta.editing
    edit = enrollment_modal(
        programs=[PILOT], skills=[], draft=ProfileDraft(), display_name="Sam", editing=True
    )
    meta = parse_view_metadata(edit["private_metadata"])
    assert meta is not None and meta.editing
    assert edit["title"]["text"] == "Edit your profile"
    assert edit["submit"]["text"] == "Save"


def test_roles_in_plain_words_and_stage_never_age() -> None:
    view = enrollment_modal(programs=[PILOT], skills=[], draft=None, display_name="Sam")
    roles = element(view, ids.ENROLL_ROLE)
    assert roles["type"] == "radio_buttons"
    texts = {o["value"]: o["text"]["text"] for o in roles["options"]}
    assert texts["mentor"] == "Reverse mentor — you share what you know"
    assert texts["mentee"] == "Leader — you learn from an early-career colleague"
    assert set(texts) == {r.value for r in Role}
    assert all("description" in o for o in roles["options"])
    stages = element(view, ids.ENROLL_STAGE)["options"]
    assert [o["text"]["text"] for o in stages] == [s.label for s in CareerStage]
    dumped = json.dumps(view).lower()
    assert "birth" not in dumped and " age " not in dumped.replace("not your age", "")


def test_consent_note_says_what_is_stored_and_who_sees_it() -> None:
    view = enrollment_modal(programs=[PILOT], skills=[], draft=None, display_name="Sam")
    context = next(b for b in view["blocks"] if b["type"] == "context")
    note = context["elements"][0]["text"]
    for words in (
        "profile",
        "skills",
        "goals",
        "partner",
        "admins",
        "Reflections",
        "/mentor leave",
    ):
        assert words in note


def test_program_select_only_with_a_choice_and_dispatches() -> None:
    view = enrollment_modal(
        programs=[PILOT, ENG], skills=[], draft=ProfileDraft(program_id=ENG.id), display_name="Sam"
    )
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    block = blocks_by_id(view)[ids.ENROLL_PROGRAM.block_id]
    assert block["dispatch_action"] is True
    assert block["element"]["initial_option"]["value"] == str(ENG.id)
    meta = parse_view_metadata(view["private_metadata"])
    assert meta is not None and meta.program_id == ENG.id
    # The program's own cadence is preselected.
    assert element(view, ids.ENROLL_CADENCE)["initial_option"]["value"] == "28"


def test_unknown_draft_program_falls_back_to_the_first() -> None:
    view = enrollment_modal(
        programs=[PILOT, ENG], skills=[], draft=ProfileDraft(program_id=99), display_name="Sam"
    )
    meta = parse_view_metadata(view["private_metadata"])
    assert meta is not None and meta.program_id == PILOT.id


def test_prefill_from_draft() -> None:
    skills = default_skills()
    draft = ProfileDraft(
        program_id=PILOT.id,
        role=Role.MENTEE,
        career_stage=CareerStage.SENIOR_LEADER,
        department="Marketing",
        teaches=frozenset({skills[-1].id}),
        learns=frozenset({1, 2, 999}),  # 999: no longer offered, quietly left out
        goals="Use AI with my team",
        cadence_days=7,
        max_mentees=2,
    )
    view = enrollment_modal(
        programs=[PILOT], skills=skills, draft=draft, display_name="Dana", editing=True
    )
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    assert element(view, ids.ENROLL_ROLE)["initial_option"]["value"] == "mentee"
    assert element(view, ids.ENROLL_STAGE)["initial_option"]["value"] == "4"
    assert element(view, ids.ENROLL_DEPARTMENT)["initial_value"] == "Marketing"
    assert element(view, ids.ENROLL_GOALS)["initial_value"] == "Use AI with my team"
    assert [o["value"] for o in element(view, ids.ENROLL_LEARNS)["initial_options"]] == ["1", "2"]
    assert [o["value"] for o in element(view, ids.ENROLL_TEACHES)["initial_options"]] == [
        str(skills[-1].id)
    ]
    assert element(view, ids.ENROLL_CADENCE)["initial_option"]["value"] == "7"
    # A leader is not asked how many leaders they can mentor.
    assert ids.ENROLL_MAX_MENTEES.block_id not in blocks_by_id(view)


def test_text_limits_are_set_on_inputs() -> None:
    view = enrollment_modal(programs=[PILOT], skills=[], draft=None, display_name="Sam")
    assert element(view, ids.ENROLL_GOALS)["max_length"] == 500
    assert element(view, ids.ENROLL_GOALS)["multiline"] is True
    assert element(view, ids.ENROLL_DEPARTMENT)["max_length"] == 80


def test_skills_grouped_by_category_when_they_fit() -> None:
    skills = default_skills()
    view = enrollment_modal(programs=[PILOT], skills=skills, draft=None, display_name="Sam")
    teaches = element(view, ids.ENROLL_TEACHES)
    assert teaches["type"] == "multi_static_select"
    groups = teaches["option_groups"]
    assert groups[0]["label"]["text"] == "Social media & short video"
    assert sum(len(g["options"]) for g in groups) == len(skills)


def test_retired_skills_are_not_offered() -> None:
    skills = [SkillOption(1, "TikTok for brands", "Social"), SkillOption(2, "Fax", "Old", True)]
    view = enrollment_modal(programs=[PILOT], skills=skills, draft=None, display_name="Sam")
    values = [n["value"] for n in walk(element(view, ids.ENROLL_LEARNS)) if "value" in n]
    assert values == ["1"]


def test_more_than_100_skills_switches_to_external_select() -> None:
    skills = [SkillOption(i, f"Skill {i}", f"Cat {i % 7}") for i in range(1, 102)]
    draft = ProfileDraft(teaches=frozenset({5}))
    view = enrollment_modal(programs=[PILOT], skills=skills, draft=draft, display_name="Sam")
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    for field in (ids.ENROLL_TEACHES, ids.ENROLL_LEARNS):
        el = element(view, field)
        assert el["type"] == "multi_external_select"
        assert el["action_id"] in ids.ENROLL_SKILL_OPTION_ACTIONS
        assert el["min_query_length"] == 0
        assert "options" not in el and "option_groups" not in el
    assert element(view, ids.ENROLL_TEACHES)["initial_options"][0]["value"] == "5"


def test_exactly_100_skills_stay_static() -> None:
    skills = [SkillOption(i, f"Skill {i}") for i in range(1, 101)]
    view = enrollment_modal(programs=[PILOT], skills=skills, draft=None, display_name="Sam")
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    assert element(view, ids.ENROLL_TEACHES)["type"] == "multi_static_select"


def test_no_skills_leaves_the_pickers_out() -> None:
    view = enrollment_modal(programs=[PILOT], skills=[], draft=None, display_name="Sam")
    assert ids.ENROLL_TEACHES.block_id not in blocks_by_id(view)


def test_hostile_name_and_draft_text_are_inert() -> None:
    hostile = "<!channel> <@U123> & <https://evil.example|click>"
    draft = ProfileDraft(department=hostile, goals=hostile)
    view = enrollment_modal(
        programs=[ProgramOption(1, hostile)] * 1, skills=[], draft=draft, display_name=hostile
    )
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    intro = view["blocks"][0]["text"]
    assert intro["type"] == "mrkdwn"
    assert "<!channel>" not in intro["text"] and "<@U123>" not in intro["text"]
    assert "&lt;!channel&gt; &lt;@U123&gt; &amp;" in intro["text"]
    # Inputs are plain text: they show exactly what was typed.
    assert element(view, ids.ENROLL_DEPARTMENT)["initial_value"] == hostile


def test_long_values_are_cut_to_fit() -> None:
    draft = ProfileDraft(department="d" * 200, goals="g" * 900, max_mentees=9, cadence_days=100)
    long_name = ProgramOption(1, "P" * 80)
    view = enrollment_modal(
        programs=[long_name, PILOT],
        skills=[SkillOption(1, "S" * 60, "C" * 60)],
        draft=draft,
        display_name="N" * 500,
    )
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    assert len(element(view, ids.ENROLL_GOALS)["initial_value"]) == 500
    assert element(view, ids.ENROLL_MAX_MENTEES)["initial_option"]["value"] == "3"
    assert element(view, ids.ENROLL_CADENCE)["initial_option"]["value"] == "28"


def test_needs_a_program() -> None:
    with pytest.raises(ValueError):
        enrollment_modal(programs=[], skills=[], draft=None, display_name="Sam")


def test_loading_modal() -> None:
    view = loading_modal("A very long title that does not fit")
    check_modal(view, callback_id=ids.LOADING_VIEW)
    assert len(view["title"]["text"]) <= 24
