"""`erase_workspace`: every row mentorbot holds for one workspace goes, in every table;
the workspace beside it keeps every row as it was."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from sqlalchemy import delete

from bot.config import load_settings
from bot.db.engine import Sessions
from bot.db.tables import Base, DeliveryHoldRow, ProcessedEventRow, ReflectionRow
from bot.delivery import TOKEN_SCOPE, enqueue_message
from bot.services.erasure import erase_workspace, get_workspace_holdings
from bot.slack.tokens import installation_store
from tests.support.workspace_data import NOW, Workspace, build_due_workspace, snapshot

GONE, KEEP = "T0ERASE01", "T0KEEPS01"


async def build(sessions: Sessions, database_url: str, team_id: str) -> Workspace:
    """Everything a workspace can hold: its data, an installation, queued and held
    messages, handled events."""
    workspace = await build_due_workspace(sessions, team_id)
    settings = load_settings(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s",
                             DATABASE_URL=database_url)  # fmt: skip
    engine = sessions.kw["bind"]
    store = installation_store(settings, engine)
    ids: dict[str, Any] = {"app_id": "A0MENTOR", "team_id": team_id, "bot_id": "B0MENTOR",
                           "bot_token": f"xoxb-{team_id}", "bot_user_id": "U0MENTOR",
                           "installed_at": time.time()}  # fmt: skip
    await store.async_save(Installation(user_id="U0INSTALL", **ids))
    await store.async_save_bot(Bot(**ids))
    async with sessions() as session, session.begin():
        await enqueue_message(session, team_id=team_id, key=f"queued:{team_id}",
                              channel="U0INSTALL", payload={"text": "hi"}, due_at=NOW)  # fmt: skip
        session.add(DeliveryHoldRow(team_id=team_id, scope=TOKEN_SCOPE, until=NOW, reason=""))
        session.add(ProcessedEventRow(event_id=f"Ev{team_id}", team_id=team_id, received_at=NOW))
    return workspace


def mentions(rows: dict[str, list[tuple[Any, ...]]], needles: tuple[str, ...]) -> list[str]:
    """Where any needle appears, in any column of any row of any table."""
    return [f"{table}: {row!r}" for table, found in rows.items() for row in found
            for value in row if any(n in str(value) for n in needles)]  # fmt: skip


async def test_erasing_a_workspace_leaves_nothing_of_it_in_any_table_and_the_other_intact(
    sessions: Sessions, database_url: str
) -> None:
    gone = await build(sessions, database_url, GONE)
    kept = await build(sessions, database_url, KEEP)
    needles = (GONE, *gone.names, gone.reflection)
    before = await snapshot(sessions)
    assert mentions(before, needles), "the scan finds what is there"
    assert mentions(before, (KEEP,)), "and the other's rows are there too"
    kept_before = await snapshot(sessions, KEEP)

    deleted = await erase_workspace(sessions, GONE)

    after = await snapshot(sessions)
    assert mentions(after, needles) == [], "nothing of the erased workspace remains"
    assert await snapshot(sessions, KEEP) == kept_before
    # Rows without a team id of their own (reflection topics, story skills): only the
    # erased workspace's went, and nothing anywhere was changed or added.
    for table in Base.metadata.sorted_tables:
        assert all(row in before[table.name] for row in after[table.name]), table.name
    for child in ("reflection_topics", "story_skills"):
        assert len(after[child]) == len(before[child]) - 1, child
    assert kept.reflection in str(after[ReflectionRow.__tablename__])
    assert {"people", "programs", "slack_bots", "slack_installations", "outgoing_messages",
            "processed_events", "delivery_holds", "workspaces", "reflection_topics",
            "story_skills"} <= set(deleted)  # fmt: skip
    assert deleted["people"] == len(gone.people)
    assert (await get_workspace_holdings(sessions, GONE)).rows == 0


async def test_the_holdings_count_people_programs_and_the_installation(
    sessions: Sessions, database_url: str
) -> None:
    gone = await build(sessions, database_url, GONE)
    holdings = await get_workspace_holdings(sessions, GONE)
    assert (holdings.people, holdings.programs, holdings.installed) == (len(gone.people), 2, True)
    async with sessions() as session, session.begin():
        await session.execute(delete(Base.metadata.tables["slack_bots"]))
        await session.execute(delete(Base.metadata.tables["slack_installations"]))
    assert not (await get_workspace_holdings(sessions, GONE)).installed
    assert (await get_workspace_holdings(sessions, "T0NOBODY1")).rows == 0
