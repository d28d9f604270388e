"""One admin guard: a non-admin with forged ids is refused on every admin surface."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.programs import get_or_create_default_program
from bot.db.tables import SkillRow
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp
from tests.support.slack_requests import plain_value

RETIRED = "Fax machine etiquette"
OWNER = "U0OWNER01"


@pytest.fixture
async def program_id(app: RunningApp) -> int:
    """The default program, with one retired skill only the admin modal may list."""
    async with app.sessions() as session, session.begin():
        program = await get_or_create_default_program(
            session, app.fake.team_id, now=app.clock.now()
        )
        session.add(
            SkillRow(
                team_id=app.fake.team_id,
                program_id=program.id,
                name=RETIRED,
                name_key=RETIRED.lower(),
                category="Office",
                retired=True,
                created_at=app.clock.now(),
            )
        )
    return program.id


def _metadata(program_id: int) -> str:
    return json.dumps({"program_id": program_id, "editing": False})


async def _skill_count(app: RunningApp) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SkillRow)) or 0)


def _option_names(answer: dict[str, Any]) -> list[str]:
    options = [o for g in answer.get("option_groups", []) for o in g["options"]]
    return [o["text"]["text"] for o in options + answer.get("options", [])]


async def _admin_modal_opens(app: RunningApp, user_id: str) -> None:
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user_id) or {}).get("callback_id") == ids.SKILLS_VIEW
    )


async def test_a_non_admin_gets_an_ephemeral_refusal_for_an_admin_subcommand(
    app: RunningApp, program_id: int
) -> None:
    for text in ("admin", "ADMIN", "  admin  now"):
        refused = await app.slack.command(text, user_id=MEMBER)
        assert refused.status == 200
        assert refused.json()["response_type"] == "ephemeral"
        assert "for program admins" in refused.json()["text"]
    await app.slack.command("admin", user_id=ADMIN)
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(ADMIN) or {}).get("callback_id") == ids.PROGRAMS_VIEW
    )
    assert len(app.fake.calls_to("views.open")) == 1  # the admin's only
    assert app.fake.last_view_for(MEMBER) is None


async def test_a_non_admin_click_on_manage_skills_does_nothing(
    app: RunningApp, program_id: int
) -> None:
    refused = await app.slack.action(
        ids.HOME_MANAGE_SKILLS, str(program_id), user_id=MEMBER, view_id="V0HOME0001"
    )
    assert refused.status == 200 and refused.text == ""
    admin = await app.slack.action(
        ids.HOME_MANAGE_SKILLS, str(program_id), user_id=ADMIN, view_id="V0HOME0002"
    )
    assert admin.status == 200
    await _admin_modal_opens(app, ADMIN)
    assert len(app.fake.calls_to("views.open")) == 1  # the admin's only
    assert app.fake.last_view_for(MEMBER) is None


@pytest.mark.parametrize("action_id", sorted(ids.ADMIN_SKILL_OPTION_ACTIONS))
async def test_a_non_admin_skill_search_lists_nothing_whatever_view_it_names(
    app: RunningApp, program_id: int, action_id: str
) -> None:
    for callback_id in (ids.SKILLS_VIEW, ids.ENROLL_VIEW, ""):
        refused = await app.slack.suggest(
            action_id, "fax", user_id=MEMBER, callback_id=callback_id,
            private_metadata=_metadata(program_id),
        )  # fmt: skip
        assert refused.status == 200
        assert refused.json() == {"options": []}
    admin = await app.slack.suggest(
        action_id, "fax", user_id=ADMIN, callback_id=ids.SKILLS_VIEW,
        private_metadata=_metadata(program_id),
    )  # fmt: skip
    assert any(RETIRED in name for name in _option_names(admin.json()))


async def test_a_non_admin_search_inside_the_admin_modal_is_refused_for_any_action(
    app: RunningApp, program_id: int
) -> None:
    # An enrollment picker's action id, but sent from (a forgery of) the admin modal.
    # An empty query matches every active skill, so only the guard can make this empty.
    refused = await app.slack.suggest(
        ids.ENROLL_TEACHES.action_id, "", user_id=MEMBER, callback_id=ids.SKILLS_VIEW,
        private_metadata=_metadata(program_id),
    )  # fmt: skip
    assert refused.json() == {"options": []}


async def test_a_non_admin_skill_submission_gets_an_inline_error_and_saves_nothing(
    app: RunningApp, program_id: int
) -> None:
    before = await _skill_count(app)
    values = {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: plain_value("Office: Sneaky")}}
    refused = await app.slack.submit_view(
        values, user_id=MEMBER, callback_id=ids.SKILLS_VIEW,
        private_metadata=_metadata(program_id),
    )  # fmt: skip
    assert refused.json() == {
        "response_action": "errors",
        "errors": {ids.SKILLS_ADD.block_id: "Only program admins can do this."},
    }
    assert await _skill_count(app) == before
    saved = await app.slack.submit_view(
        values, user_id=ADMIN, callback_id=ids.SKILLS_VIEW,
        private_metadata=_metadata(program_id),
    )  # fmt: skip
    assert saved.status == 200 and "errors" not in saved.text
    assert await _skill_count(app) == before + 1


async def test_workspace_owners_are_admins_and_the_answer_is_kept_for_five_minutes(
    app: RunningApp, program_id: int
) -> None:
    app.fake.add_user(OWNER, name="olu", is_owner=True)
    assert await app.runtime.admins.is_admin(app.fake.team_id, OWNER)
    app.fake.update_user(OWNER, is_owner=False)
    asked = len(app.fake.calls_to("users.info"))
    app.clock.advance(timedelta(minutes=4))
    assert await app.runtime.admins.is_admin(app.fake.team_id, OWNER)  # kept, not asked
    assert len(app.fake.calls_to("users.info")) == asked
    app.clock.advance(timedelta(minutes=2))
    assert not await app.runtime.admins.is_admin(app.fake.team_id, OWNER)
    refused = await app.slack.suggest(
        ids.SKILLS_RETIRED.action_id, "fax", user_id=OWNER, callback_id=ids.SKILLS_VIEW,
        private_metadata=_metadata(program_id),
    )  # fmt: skip
    assert refused.json() == {"options": []}
