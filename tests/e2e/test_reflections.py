"""Private reflections end to end: the modal, the learning log, edit and delete, and
the promise that only the author ever sees the text (issue 11, points 1 and 6)."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import WIRE_TRANSCRIPT_LEVELS
from bot.db.tables import PersonSkillRow, ReflectionRow, ReflectionTopicRow, SkillRow
from bot.domain import SkillKind
from bot.slack import ids
from bot.slack.views.reflection import LOG_VIEW_MAX
from tests.e2e.conftest import ADMIN, RunningApp, ask_status, open_modal
from tests.e2e.test_checkin_answers import LEADER, MENTOR, OUTSIDER, T0, World, the_dm
from tests.e2e.test_consent import click, set_clock, settle

SECRET = "Zanzibar-quokka budgeting trick"  # the author's words: nobody else may see them
SECRET_EDIT = "Marmalade-heron retro format"


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
async def world(app: RunningApp) -> World:
    set_clock(app, T0)
    world = World(app)
    await world.build()
    return world


async def add_skill(world: World, name: str, *, learner: str, program_id: int | None = None) -> int:
    async with world.app.sessions() as session, session.begin():
        skill = SkillRow(
            team_id=world.team, program_id=program_id or world.program_id, name=name,
            name_key=name.casefold(), created_at=T0,
        )  # fmt: skip
        session.add(skill)
        await session.flush()
        session.add(
            PersonSkillRow(person_id=world.people[learner], skill_id=skill.id,
                           kind=SkillKind.LEARN.value, team_id=world.team)
        )  # fmt: skip
        return skill.id


def answers(
    *, learned: str | None = None, rating: str | None = None, met_on: str | None = None,
    partner: int | None = None, topics: tuple[int, ...] = (), share: bool = False,
) -> dict[str, Any]:  # fmt: skip
    def option(value: object) -> dict[str, Any]:
        return {"value": str(value), "text": {"type": "plain_text", "text": str(value)}}

    values: dict[str, Any] = {}
    if learned is not None:
        values[ids.REFLECT_LEARNED.block_id] = {
            ids.REFLECT_LEARNED.action_id: {"type": "plain_text_input", "value": learned}
        }
    if rating is not None:
        values[ids.REFLECT_RATING.block_id] = {
            ids.REFLECT_RATING.action_id: {
                "type": "static_select",
                "selected_option": option(rating),
            }
        }
    if met_on is not None:
        values[ids.REFLECT_MET_ON.block_id] = {
            ids.REFLECT_MET_ON.action_id: {"type": "datepicker", "selected_date": met_on}
        }
    if partner is not None:
        values[ids.REFLECT_PARTNER.block_id] = {
            ids.REFLECT_PARTNER.action_id: {
                "type": "static_select",
                "selected_option": option(partner),
            }
        }
    values[ids.REFLECT_TOPICS.block_id] = {
        ids.REFLECT_TOPICS.action_id: {
            "type": "multi_static_select", "selected_options": [option(t) for t in topics]
        }
    }  # fmt: skip
    values[ids.REFLECT_SHARE.block_id] = {
        ids.REFLECT_SHARE.action_id: {
            "type": "checkboxes",
            "selected_options": [option(ids.REFLECT_SHARE_VALUE)] if share else [],
        }
    }
    return values


def elements(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    element: dict[str, Any] = block["element"]
    return element


async def reflections(app: RunningApp) -> list[ReflectionRow]:
    async with app.sessions() as session:
        return list(await session.scalars(select(ReflectionRow).order_by(ReflectionRow.id)))


async def topics_of(app: RunningApp, reflection_id: int) -> set[int]:
    async with app.sessions() as session:
        return set(
            await session.scalars(
                select(ReflectionTopicRow.skill_id).where(
                    ReflectionTopicRow.reflection_id == reflection_id
                )
            )
        )


async def open_home(app: RunningApp, user_id: str) -> dict[str, Any]:
    before = len(app.fake.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user_id, "tab": "home", "channel": f"D{user_id}"}
    assert (await app.slack.event(event)).status == 200
    await app.fake.await_until(
        lambda: [c for c in app.fake.calls_to("views.publish")[before:]
                 if c.params.get("user_id") == user_id and c.status == 200]
    )  # fmt: skip
    home = app.fake.home_view(user_id)
    assert home is not None
    return home


async def menu(app: RunningApp, user_id: str, view_id: str, value: str) -> None:
    response = await app.slack.action(
        ids.REFLECTION_MENU, user_id=user_id, view_id=view_id, action_type="overflow",
        action_fields={"selected_option": {"value": value, "text": {"type": "plain_text",
                                                                     "text": value}}},
    )  # fmt: skip
    assert response.status == 200


async def write(app: RunningApp, user_id: str, values: dict[str, Any]) -> Any:
    view = await open_modal(app, "reflect", user_id, ids.REFLECT_VIEW)
    return view, await app.slack.submit_view(values, user_id=user_id, view_id=view["id"])


# --- the modal --------------------------------------------------------------------


async def test_with_several_partners_the_chosen_pair_date_and_program_topics_are_stored_once(
    world: World,
) -> None:
    app = world.app
    first = await world.pair(MENTOR, OUTSIDER)
    chosen = await world.pair(MENTOR, LEADER)
    ai = await add_skill(world, "AI tools", learner=LEADER)
    view = await open_modal(app, "reflect", MENTOR, ids.REFLECT_VIEW)
    offered = [o["value"] for o in elements(view, ids.REFLECT_PARTNER.block_id)["options"]]
    assert sorted(offered) == sorted([str(first), str(chosen)])
    assert elements(view, ids.REFLECT_MET_ON.block_id)["initial_date"] == "2026-12-10"
    assert [o["value"] for o in elements(view, ids.REFLECT_TOPICS.block_id)["options"]] == [str(ai)]
    assert "How useful was it?" in dumps(view) and "Only you can see this" in dumps(view)

    # Tomorrow (in Berlin) is refused inline, and so is a day before the introduction.
    for day in ("2026-12-11", "2026-11-25"):
        refused = await app.slack.submit_view(
            answers(learned="x", partner=chosen, met_on=day), user_id=MENTOR, view_id=view["id"]
        )
        assert list(refused.json()["errors"]) == [ids.REFLECT_MET_ON.block_id]
    assert await reflections(app) == []

    values = answers(learned="Dashboards", partner=chosen, met_on="2026-11-26", rating="4",
                     topics=(ai, ai + 999), share=True)  # fmt: skip
    acks = []
    for _ in range(2):  # a replay carries the same view id
        response = await app.slack.submit_view(
            values, user_id=MENTOR, view_id=view["id"], callback_id=ids.REFLECT_VIEW,
            private_metadata=view["private_metadata"],
        )  # fmt: skip
        acks.append(response.json())
    [row] = await reflections(app)
    assert (row.pair_id, row.met_on, row.rating, row.shared) == (
        chosen,
        date(2026, 11, 26),
        4,
        True,
    )
    assert row.program_id == world.program_id and await topics_of(app, row.id) == {ai}
    # "Share" answers with the story modal, on the replay too.
    assert all(a["response_action"] == "update" for a in acks)
    assert all(a["view"]["title"]["text"] == "Success story" for a in acks)
    # The story modal for that pair, prefilled from the author's own words.
    story = acks[0]["view"]
    assert story["callback_id"] == ids.STORY_VIEW and "Dashboards" in dumps(story)
    assert ids.STORY_PAIR.block_id not in dumps(story)  # the pair is the reflection's


async def test_a_rating_alone_is_enough_and_an_empty_reflection_is_refused(world: World) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER)
    view, empty = await write(app, MENTOR, answers())
    assert list(empty.json()["errors"]) == [ids.REFLECT_LEARNED.block_id]
    rated = await app.slack.submit_view(answers(rating="5"), user_id=MENTOR, view_id=view["id"])
    assert "1 reflection so far" in dumps(rated.json()["view"])
    [row] = await reflections(app)
    assert row.rating == 5 and row.learned == "" and row.shared is False


# --- the learning log, edit and delete --------------------------------------------


async def test_the_author_edits_and_deletes_their_own_entry_from_the_home_learning_log(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.pair(MENTOR, LEADER)
    ai = await add_skill(world, "AI tools", learner=LEADER)
    video = await add_skill(world, "Short video", learner=LEADER)
    await write(app, MENTOR, answers(learned="How <!channel> budgets work", rating="3",
                                     topics=(ai,)))  # fmt: skip
    [row] = await reflections(app)
    home = await open_home(app, MENTOR)
    shown = dumps(home)
    assert "Your learning log" in shown and "with Dana" in shown
    assert "How &lt;!channel&gt; budgets work" in shown and "<!channel>" not in shown
    assert ids.HOME_STORY in shown  # the stories helper handles it

    await menu(app, MENTOR, home["id"], f"edit:{row.id}")
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.REFLECT_VIEW
    )
    edit = app.fake.last_view_for(MENTOR)
    assert edit is not None
    assert elements(edit, ids.REFLECT_LEARNED.block_id)["initial_value"] == row.learned
    assert ids.REFLECT_PARTNER.block_id not in dumps(edit)  # the pair stays
    set_clock(app, T0 + timedelta(hours=1))
    saved = await app.slack.submit_view(
        answers(learned="Budgets, properly", rating="5", topics=(video,)),
        user_id=MENTOR, view_id=edit["id"],
    )  # fmt: skip
    assert "Saved your changes" in dumps(saved.json()["view"])
    [edited] = await reflections(app)
    assert (edited.id, edited.learned, edited.rating, edited.pair_id) == (
        row.id,
        "Budgets, properly",
        5,
        pair_id,
    )
    assert edited.updated_at is not None and edited.updated_at >= T0 + timedelta(hours=1)
    assert await topics_of(app, row.id) == {video}

    # Delete asks first (Edit did not); "Keep it" would leave it, "Delete" removes it.
    await menu(app, MENTOR, home["id"], f"delete:{row.id}")
    await app.fake.await_until(
        lambda: (
            (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.REFLECTION_DELETE_VIEW
        )
    )
    confirm = app.fake.last_view_for(MENTOR)
    assert confirm is not None and "no undo" in dumps(confirm)
    assert len(await reflections(app)) == 1  # nothing gone before the confirm
    done = await app.slack.submit_view({}, user_id=MENTOR, view_id=confirm["id"])
    assert done.status == 200 and not done.text
    await app.fake.await_until(lambda: "Budgets" not in dumps(app.fake.home_view(MENTOR)))
    assert await reflections(app) == [] and await topics_of(app, row.id) == set()
    # Deleting it again (a second click on a stale Home) says so kindly.
    await menu(app, MENTOR, home["id"], f"delete:{row.id}")
    await app.fake.await_until(
        lambda: "isn't there any more" in dumps(app.fake.last_view_for(MENTOR))
    )


async def test_a_forged_edit_or_delete_of_someone_elses_reflection_changes_nothing(
    world: World,
) -> None:
    app = world.app
    await world.pair(MENTOR, LEADER)
    await write(app, MENTOR, answers(learned=SECRET, rating="4"))
    [row] = await reflections(app)
    home = await open_home(app, LEADER)
    await menu(app, LEADER, home["id"], f"delete:{row.id}")
    await menu(app, LEADER, home["id"], f"edit:{row.id}")
    await app.fake.await_until(
        lambda: "isn't there any more" in dumps(app.fake.last_view_for(LEADER))
    )
    # A submission forged with the author's reflection id in private_metadata.
    forged = await app.slack.submit_view(
        answers(learned="Overwritten"), user_id=LEADER, callback_id=ids.REFLECT_VIEW,
        private_metadata=json.dumps({"reflection_id": row.id}),
    )  # fmt: skip
    assert "isn't there any more" in dumps(forged.json())
    [after] = await reflections(app)
    assert (after.learned, after.rating, after.updated_at) == (SECRET, 4, None)
    assert SECRET not in dumps(app.fake.last_view_for(LEADER))


async def test_see_all_lists_entries_newest_first_and_caps_the_modal_with_a_note(
    world: World,
) -> None:
    app = world.app
    pair_id = await world.pair(MENTOR, LEADER)
    total = LOG_VIEW_MAX + 2
    async with app.sessions() as session, session.begin():
        for n in range(total):  # one a day, oldest first
            session.add(
                ReflectionRow(team_id=world.team, author_id=world.people[MENTOR], pair_id=pair_id,
                              program_id=world.program_id, learned=f"Entry {n:03d}",
                              met_on=date(2026, 1, 1) + timedelta(days=n), created_at=T0)
            )  # fmt: skip
    home = await open_home(app, MENTOR)
    shown = dumps(home)
    assert "Entry 096" in shown and "Entry 094" in shown and "Entry 093" not in shown
    response = await app.slack.action(ids.HOME_LEARNING_LOG, user_id=MENTOR, view_id=home["id"])
    assert response.status == 200
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.LEARNING_LOG_VIEW
    )
    log = app.fake.last_view_for(MENTOR)
    assert log is not None and len(log["blocks"]) <= 100
    entries = [b["text"]["text"] for b in log["blocks"] if b.get("accessory")]
    assert len(entries) == LOG_VIEW_MAX
    assert "Entry 096" in entries[0] and f"Entry {total - LOG_VIEW_MAX:03d}" in entries[-1]
    assert f"Showing your {LOG_VIEW_MAX} newest of {total}" in dumps(log)
    # Deleting from the log: the confirm goes on top, and the log under it is refreshed.
    async with app.sessions() as session:
        newest = await session.scalar(
            select(ReflectionRow.id).where(ReflectionRow.learned == "Entry 096")
        )
    await menu(app, MENTOR, log["id"], f"delete:{newest}")
    await app.fake.await_until(
        lambda: (
            (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.REFLECTION_DELETE_VIEW
        )
    )
    confirm = app.fake.last_view_for(MENTOR)
    assert confirm is not None
    await app.slack.submit_view({}, user_id=MENTOR, view_id=confirm["id"])
    await app.fake.await_until(lambda: "Entry 096" not in dumps(app.fake.view(log["id"])))
    assert f"newest of {total - 1}" in dumps(app.fake.view(log["id"]))


# --- privacy -------------------------------------------------------------------------


async def test_reflection_text_reaches_no_slack_call_but_the_authors_own_views_nor_any_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = world.app
    pair_id = await world.pair(MENTOR, LEADER)
    await world.send_checkin(pair_id, MENTOR)
    await world.send_checkin(pair_id, LEADER)
    app.fake.clear_calls()
    # The author logs one from the check-in, one from /mentor reflect, then edits it.
    await click(app, ids.CHECKIN_REFLECT, MENTOR, the_dm(app, MENTOR))
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.REFLECT_VIEW
    )
    from_checkin = app.fake.last_view_for(MENTOR)
    assert from_checkin is not None and ids.REFLECT_PARTNER.block_id not in dumps(from_checkin)
    await app.slack.submit_view(answers(learned=SECRET, rating="4"), user_id=MENTOR,
                                view_id=from_checkin["id"])  # fmt: skip
    await write(app, MENTOR, answers(learned="Second", rating="2"))
    rows = await reflections(app)
    assert [r.pair_id for r in rows] == [pair_id, pair_id]
    home = await open_home(app, MENTOR)
    await menu(app, MENTOR, home["id"], f"edit:{rows[0].id}")
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(MENTOR) or {}).get("callback_id") == ids.REFLECT_VIEW
    )
    edit = app.fake.last_view_for(MENTOR)
    assert edit is not None
    await app.slack.submit_view(
        answers(learned=f"{SECRET} / {SECRET_EDIT}", rating="4"), user_id=MENTOR,
        view_id=edit["id"],
    )  # fmt: skip
    assert "Reflections: 2 (only you can see them)" in dumps(await ask_status(app, MENTOR))

    # Everything else that could show it: the partner's and the admin's surfaces, the
    # check-in sweeps, the round's end.
    partner_home = await open_home(app, LEADER)
    partner_status = await ask_status(app, LEADER)
    assert "Reflections: 0" in dumps(partner_status)
    admin_home = await open_home(app, ADMIN)
    # One author's ratings: no average an admin could read them off.
    assert "2 reflections · the average rating shows once 3 people have rated" in dumps(admin_home)
    for hours in (24, 24 * 7, 24 * 7 * 13):
        set_clock(app, T0 + timedelta(hours=hours))
        await settle(app)
    assert partner_home and admin_home

    leaked = []
    for call in app.fake.calls:
        params = dumps(call.params)
        if call.method == "views.publish" and call.params.get("user_id") == MENTOR:
            continue  # the author's own Home
        if call.method in {"views.open", "views.push", "views.update"}:
            view_id = call.params.get("view_id") or ((call.response or {}).get("view") or {}).get(
                "id"
            )
            if view_id and app.fake.view_owner(view_id) == MENTOR:
                continue  # the author's own modals
        if "Zanzibar" in params or "Marmalade" in params:
            leaked.append(call.method)
    assert leaked == []

    # No log line carries it. Wire transcripts (slack_sdk's request bodies, the SQL
    # driver's parameters) are DEBUG lines `mentorbot` keeps switched off at any level.
    def switched_off(record: logging.LogRecord) -> bool:
        return any(
            (record.name == name or record.name.startswith(name + ".")) and record.levelno < floor
            for name, floor in WIRE_TRANSCRIPT_LEVELS.items()
        )

    kept = [r for r in caplog.records if not switched_off(r)]
    assert kept and not [
        r.name for r in kept if "Zanzibar" in r.getMessage() or "Marmalade" in r.getMessage()
    ]
