from __future__ import annotations

from typing import Any

from bot.slack import ids
from bot.slack.forms import parse_view_metadata
from bot.slack.views.models import ProgramOption, SkillOption
from bot.slack.views.skills import skill_admin_modal, skill_options

from .blockkit import check_modal, default_skills

PILOT = ProgramOption(id=7, name="Pilot & <friends>")


def by_block(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}


def test_admin_modal_for_the_default_catalogue() -> None:
    skills = default_skills()
    skills[3] = SkillOption(4, skills[3].name, skills[3].category, retired=True)
    view = skill_admin_modal(program=PILOT, skills=skills)
    check_modal(view, callback_id=ids.SKILLS_VIEW)
    meta = parse_view_metadata(view["private_metadata"])
    assert meta is not None and meta.program_id == PILOT.id
    blocks = by_block(view)
    retired = blocks[ids.SKILLS_RETIRED.block_id]["element"]
    assert retired["type"] == "multi_static_select"
    assert [o["value"] for o in retired["initial_options"]] == ["4"]
    assert retired["initial_options"][0]["text"]["text"].endswith("(retired)")
    assert blocks[ids.SKILLS_RENAME.block_id]["element"]["type"] == "static_select"
    assert blocks[ids.SKILLS_ADD.block_id]["element"]["multiline"] is True
    assert "Pilot &amp; &lt;friends&gt;" in view["blocks"][0]["text"]["text"]
    assert "53 skills (1 retired)" in view["blocks"][0]["text"]["text"]


def test_admin_modal_switches_to_search_past_100() -> None:
    skills = [SkillOption(i, f"Skill {i}", retired=i == 3) for i in range(1, 150)]
    view = skill_admin_modal(program=PILOT, skills=skills)
    check_modal(view, callback_id=ids.SKILLS_VIEW)
    blocks = by_block(view)
    rename = blocks[ids.SKILLS_RENAME.block_id]["element"]
    retired = blocks[ids.SKILLS_RETIRED.block_id]["element"]
    assert rename["type"] == "external_select"
    assert retired["type"] == "multi_external_select"
    assert {rename["action_id"], retired["action_id"]} == set(ids.ADMIN_SKILL_OPTION_ACTIONS)
    assert [o["value"] for o in retired["initial_options"]] == ["3"]


def test_admin_modal_without_skills() -> None:
    view = skill_admin_modal(program=PILOT, skills=[])
    check_modal(view, callback_id=ids.SKILLS_VIEW)
    assert set(by_block(view)) == {ids.SKILLS_ADD.block_id}


def test_skill_options_filter_by_name_or_category() -> None:
    skills = default_skills()
    answer = skill_options("  PROMPT ", skills)
    values = [o["text"]["text"] for g in answer["option_groups"] for o in g["options"]]
    assert values == ["Prompt writing"]
    by_category = skill_options("ai tools", skills)
    assert len(by_category["option_groups"][0]["options"]) == 7


def test_skill_options_cap_and_retired() -> None:
    skills = [
        SkillOption(i, f"Skill {i}", f"Cat {i % 3}", retired=i % 2 == 0) for i in range(1, 400)
    ]
    answer = skill_options("", skills)
    offered = [o for g in answer["option_groups"] for o in g["options"]]
    assert len(offered) == 100
    assert all(int(o["value"]) % 2 == 1 for o in offered)
    admin = skill_options("skill 2", skills, include_retired=True)
    texts = [o["text"]["text"] for g in admin["option_groups"] for o in g["options"]]
    assert "Skill 2 (retired)" in texts


def test_skill_options_no_match() -> None:
    assert skill_options("zzz", default_skills()) == {"options": []}
    assert skill_options("x" * 10_000, default_skills()) == {"options": []}
