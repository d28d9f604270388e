"""Hidden characters in free text, end to end: refused inline, never a 500, nothing stored.

Runs on SQLite and PostgreSQL: U+0000 used to be a 500 on PostgreSQL (text can't hold
NUL) and silently stored on SQLite; the answer must now be the same on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db.tables import MembershipRow, PersonRow, ReflectionRow, SkillRow
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, open_skills_admin
from tests.e2e.test_enrollment import (
    _some_skill,
    count,
    enroll,
    enrollment_values,
    open_join,
    skill_ids,
)
from tests.support.slack_requests import AppResponse, plain_value, static_value


def _errors(response: AppResponse) -> dict[str, str]:
    assert response.status == 200, response.text
    body = response.json()
    assert body["response_action"] == "errors", body
    errors: dict[str, str] = body["errors"]
    return errors


async def _open(app: RunningApp, user_id: str, command: str, callback_id: str) -> dict[str, Any]:
    await app.slack.command(command, user_id=user_id)
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user_id) or {}).get("callback_id") == callback_id
    )
    view = app.fake.last_view_for(user_id)
    assert view is not None
    return view


async def test_nul_in_department_and_goals_is_refused_inline_and_nothing_stored(
    app: RunningApp,
) -> None:
    view = await open_join(app, MEMBER)
    teaches = await skill_ids(app, "TikTok for brands")
    values = enrollment_values(
        role="mentor",
        stage="1",
        teaches=teaches,
        learns=[],
        department="Mark\x00eting",
        goals="Feel at ease\x00 with AI tools",
    )
    errors = _errors(await app.slack.submit_view(values, user_id=MEMBER, view_id=view["id"]))
    assert set(errors) == {ids.ENROLL_DEPARTMENT.block_id, ids.ENROLL_GOALS.block_id}
    assert "U+0000" in errors[ids.ENROLL_DEPARTMENT.block_id]
    assert "“Mark”" in errors[ids.ENROLL_DEPARTMENT.block_id]
    assert await count(app, PersonRow) == 0
    assert await count(app, MembershipRow) == 0
    assert app.fake.view(view["id"]) is not None, "the modal stays open for a fix"


async def test_a_lone_surrogate_in_goals_is_refused_inline_not_a_500(app: RunningApp) -> None:
    # JSON may carry "\ud800"; no database can store it (it is not valid UTF-8).
    view = await open_join(app, MEMBER)
    teaches = await skill_ids(app, "TikTok for brands")
    values = enrollment_values(
        role="mentor", stage="1", teaches=teaches, learns=[], goals="Short \ud800 video"
    )
    errors = _errors(await app.slack.submit_view(values, user_id=MEMBER, view_id=view["id"]))
    assert set(errors) == {ids.ENROLL_GOALS.block_id}
    assert await count(app, PersonRow) == 0


async def test_esc_bel_and_nul_in_a_reflection_are_refused_inline_and_nothing_stored(
    app: RunningApp,
) -> None:
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=await _some_skill(app), learns=[])
    view = await _open(app, MEMBER, "reflect", ids.REFLECT_VIEW)
    values = {
        ids.REFLECT_LEARNED.block_id: {
            ids.REFLECT_LEARNED.action_id: plain_value("\x1b[31mRed\x1b[0m and a bell\x07")
        },
        ids.REFLECT_TAUGHT.block_id: {
            ids.REFLECT_TAUGHT.action_id: plain_value("Line one\nline\x00two")
        },
    }
    errors = _errors(await app.slack.submit_view(values, user_id=MEMBER, view_id=view["id"]))
    assert set(errors) == {ids.REFLECT_LEARNED.block_id, ids.REFLECT_TAUGHT.block_id}
    assert "U+001B" in errors[ids.REFLECT_LEARNED.block_id]
    assert "U+0000" in errors[ids.REFLECT_TAUGHT.block_id]
    assert await count(app, ReflectionRow) == 0

    # Newlines and tabs are ordinary text in a reflection.
    fine = {
        ids.REFLECT_LEARNED.block_id: {
            ids.REFLECT_LEARNED.action_id: plain_value("Two things:\n\t1. Reels\r\n\t2. Loom")
        }
    }
    saved = await app.slack.submit_view(fine, user_id=MEMBER, view_id=view["id"])
    assert saved.status == 200 and "errors" not in saved.text
    async with app.sessions() as session:
        reflection = await session.scalar(select(ReflectionRow))
    assert reflection is not None
    assert reflection.learned == "Two things:\n\t1. Reels\n\t2. Loom"


async def test_skill_admin_refuses_controls_and_invisible_only_names(app: RunningApp) -> None:
    [ai_tools] = await _some_skill(app)
    view = await open_skills_admin(app, ADMIN)
    before = await count(app, SkillRow)

    def add(text: str) -> dict[str, Any]:
        return {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: plain_value(text)}}

    for text, line in (
        ("Data: Looker Studio\nAI\x00: Agents", "Line 2"),
        ("Data: Looker\x1b Studio", "Line 1"),
        ("Data: \u200b", "Line 1"),
        ("\u200b\u2060\ufeff", "Line 1"),
    ):
        errors = _errors(await app.slack.submit_view(add(text), user_id=ADMIN, view_id=view["id"]))
        assert errors[ids.SKILLS_ADD.block_id].startswith(line), (text, errors)
    rename = {
        ids.SKILLS_RENAME.block_id: {ids.SKILLS_RENAME.action_id: static_value(ai_tools)},
        ids.SKILLS_NEW_NAME.block_id: {ids.SKILLS_NEW_NAME.action_id: plain_value("\u200b")},
    }
    errors = _errors(await app.slack.submit_view(rename, user_id=ADMIN, view_id=view["id"]))
    assert "invisible" in errors[ids.SKILLS_NEW_NAME.block_id]
    assert await count(app, SkillRow) == before
    async with app.sessions() as session:
        unchanged = await session.get(SkillRow, int(ai_tools))
    assert unchanged is not None and unchanged.name == "AI tools for everyday work"
