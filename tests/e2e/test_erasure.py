"""Erasure: after deleting, no row anywhere names the person; queued nudges lapse."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import JSON, String, Text, select

from bot.db.tables import (
    Base,
    CheckinRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    RoundRow,
    StoryRow,
)
from bot.delivery import enqueue_message
from bot.domain import DeliveryStatus
from bot.jobs import run_decisions
from bot.slack import ids
from tests.e2e.conftest import RunningApp, open_modal
from tests.e2e.test_enrollment import LEADER, _some_skill, count, enroll
from tests.support.slack_requests import checkboxes_value, plain_value, static_value

LEAVER = "U0ERASE01"
REAL_NAME = "Zebulon Quarrington"
DEPARTMENT = "Xylophone Logistics"
GOALS = "Master the obscure art of vexillology dashboards"
LEARNED = "Learned about kumquat-flavoured pipelines"
TAUGHT = "Taught the zarzuela of prompt chaining"
STORY = "Our story of the marvellous quokka project"


async def scan_all_text(app: RunningApp, needles: list[str]) -> list[str]:
    """Every text and JSON column of every table, searched for each needle."""
    found = []
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    text = value if isinstance(value, str) else json.dumps(value)
                    for needle in needles:
                        if needle.lower() in (text or "").lower() or (
                            json.dumps(needle)[1:-1].lower() in (text or "").lower()
                        ):
                            found.append(
                                f"{table.name}.{column.name} holds {needle!r}: {text[:300]}"
                            )
    return found


SECRETS = [LEAVER, REAL_NAME, "Zebulon", "Quarrington", DEPARTMENT, GOALS, LEARNED, TAUGHT, STORY]


async def _enroll_pair_and_history(app: RunningApp) -> int:
    app.fake.add_user(LEAVER, name="zeb", real_name=REAL_NAME, tz="Europe/Berlin")
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    skill = await _some_skill(app)
    await enroll(app, LEAVER, role="mentor", stage="1", teaches=skill, learns=[],
                 department=DEPARTMENT, goals=GOALS)  # fmt: skip
    await enroll(app, LEADER, role="mentee", stage="4", teaches=[], learns=skill)
    await app.fake.await_until(lambda: app.fake.messages(f"D{LEAVER}"))  # the welcome
    async with app.sessions() as session, session.begin():
        people = {p.slack_user_id: p for p in (await session.scalars(select(PersonRow))).all()}
        membership = await session.scalar(
            select(MembershipRow).where(MembershipRow.person_id == people[LEAVER].id)
        )
        assert membership is not None and people[LEAVER].name
        now, team = app.clock.now(), people[LEAVER].team_id
        round_ = RoundRow(team_id=team, program_id=membership.program_id, number=1,
                          status="announced", starts_at=now, ends_at=now + timedelta(weeks=12),
                          created_by=LEAVER, created_at=now)  # fmt: skip
        session.add(round_)
        await session.flush()
        pair = PairRow(
            team_id=team, program_id=membership.program_id, round_id=round_.id,
            mentor_id=people[LEAVER].id, mentee_id=people[LEADER].id, created_at=now,
            shared_skills=["AI tools for everyday work"],
            reasons=[f"{REAL_NAME} can teach Dana AI tools for everyday work"],
        )  # fmt: skip
        session.add(pair)
        await session.flush()
        session.add(StoryRow(team_id=team, program_id=membership.program_id, pair_id=pair.id,
                             author_id=people[LEADER].id, text=STORY, created_at=now))  # fmt: skip
        for who in (LEAVER, LEADER):  # each partner's first check-in, answered by the leaver
            session.add(CheckinRow(team_id=team, pair_id=pair.id, person_id=people[who].id,
                                   sequence=1, due_at=now, status="sent", answer="met",
                                   answered_by=people[LEAVER].id, answered_at=now))  # fmt: skip
        people[LEADER].manager_slack_id = LEAVER
        # Queued and past messages about them: a group DM, a check-in, a note naming them.
        await enqueue_message(session, team_id=team, key="intro:test", users=(LEAVER, LEADER),
                              payload={"text": f"Meet {REAL_NAME}"}, due_at=now + timedelta(days=1),
                              pair_id=pair.id)  # fmt: skip
        await enqueue_message(session, team_id=team, key="checkin:test", channel=LEADER,
                              payload={"text": "Did you meet?"}, due_at=now + timedelta(days=7),
                              pair_id=pair.id)  # fmt: skip
        # Messages name people by the name Slack gave us (display name, else real name).
        SECRETS.append(people[LEAVER].name)
        await enqueue_message(session, team_id=team, key="note:test", channel=LEADER,
                              payload={"text": f"{people[LEAVER].name} said hi"},
                              due_at=now)  # fmt: skip
    app.runtime.deliver_soon()  # a sweep may already be sending: wait until it is recorded
    await _until_sent(app, "note:test")
    assert any("said hi" in m.get("text", "") for m in app.fake.messages(f"D{LEADER}"))
    await _reflect(app)
    return pair.id


async def _until_sent(app: RunningApp, key: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with app.sessions() as session:
            status = await session.scalar(
                select(OutgoingMessageRow.status).where(OutgoingMessageRow.key == key)
            )
        if status == DeliveryStatus.SENT.value:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{key} still {status}"
        await asyncio.sleep(0.02)


async def _reflect(app: RunningApp) -> None:
    view = await open_modal(app, "reflect", LEAVER, ids.REFLECT_VIEW)
    values: dict[str, Any] = {
        ids.REFLECT_LEARNED.block_id: {ids.REFLECT_LEARNED.action_id: plain_value(LEARNED)},
        ids.REFLECT_TAUGHT.block_id: {ids.REFLECT_TAUGHT.action_id: plain_value(TAUGHT)},
        ids.REFLECT_RATING.block_id: {ids.REFLECT_RATING.action_id: static_value("4")},
    }
    response = await app.slack.submit_view(values, user_id=LEAVER, view_id=view["id"])
    assert response.json()["response_action"] == "update"


async def test_leave_with_deletion_leaves_nothing_that_names_the_person(app: RunningApp) -> None:
    pair_id = await _enroll_pair_and_history(app)
    assert await scan_all_text(app, SECRETS), "the scan must see the data before erasure"

    view = await open_modal(app, "leave", LEAVER, ids.LEAVE_VIEW)
    delete = {ids.LEAVE_DELETE.action_id: checkboxes_value([ids.LEAVE_DELETE_VALUE])}
    response = await app.slack.submit_view(
        {ids.LEAVE_DELETE.block_id: delete}, user_id=LEAVER, view_id=view["id"]
    )
    assert "deleted" in str(response.json()["view"])
    await app.fake.await_until(
        lambda: any(
            "change to your pairing" in m.get("text", "") for m in app.fake.messages(f"D{LEADER}")
        )
    )
    await app.runtime.deliverer.sweep()
    assert await scan_all_text(app, SECRETS) == []
    notice = [m for m in app.fake.messages(f"D{LEADER}") if "change to your pairing" in m["text"]]
    assert len(notice) == 1 and "Your partner" in notice[0]["text"]
    async with app.sessions() as session:
        pair = await session.get(PairRow, pair_id)
        checkin = await session.scalar(
            select(OutgoingMessageRow).where(OutgoingMessageRow.key == "checkin:test")
        )
    assert pair is not None and pair.status == "ended" and pair.mentor_id is None
    assert pair.reasons == [] and pair.shared_skills == []
    # The pair's queued check-in lapsed with a reason; it was not sent.
    assert checkin is not None and checkin.status == DeliveryStatus.DROPPED.value
    assert checkin.last_error == "left"
    assert await count(app, StoryRow) == 0
    # Their check-ins are gone; the partner's stays, no longer saying who answered it.
    async with app.sessions() as session:
        left = (await session.scalars(select(CheckinRow))).all()
    assert [(c.person_id is not None, c.answered_by) for c in left] == [(True, None)]


async def test_someone_who_left_keeping_their_data_can_delete_it_later(app: RunningApp) -> None:
    await _enroll_pair_and_history(app)
    view = await open_modal(app, "leave", LEAVER, ids.LEAVE_VIEW)
    await app.slack.submit_view({}, user_id=LEAVER, view_id=view["id"])  # keep the data
    assert await count(app, PersonRow, PersonRow.slack_user_id == LEAVER) == 1

    response = await app.slack.command("leave", user_id=LEAVER)
    assert response.status == 200
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(LEAVER) or {}).get("callback_id") == ids.ERASE_VIEW
    )
    view = app.fake.last_view_for(LEAVER)
    assert view is not None and "no undo" in json.dumps(view).lower()
    response = await app.slack.submit_view({}, user_id=LEAVER, view_id=view["id"])
    assert "deleted" in json.dumps(response.json()["view"])
    await app.runtime.deliverer.sweep()
    assert await scan_all_text(app, SECRETS) == []


async def test_pause_drops_nudges_queued_for_the_person_and_their_pair(app: RunningApp) -> None:
    await _enroll_pair_and_history(app)
    response = await app.slack.command("pause", user_id=LEAVER)
    assert response.status == 200
    async with app.sessions() as session:
        rows = {r.key: r for r in (await session.scalars(select(OutgoingMessageRow))).all()}
    assert rows["checkin:test"].status == DeliveryStatus.DROPPED.value
    assert rows["checkin:test"].last_error == "paused"
    assert rows["intro:test"].status == DeliveryStatus.DROPPED.value
    assert rows["note:test"].status == DeliveryStatus.SENT.value  # already out: untouched


async def test_delivered_payloads_are_emptied_after_thirty_days_keeping_key_and_outcome(
    app: RunningApp,
) -> None:
    async with app.sessions() as session, session.begin():
        now = app.clock.now()
        for key, age in (("old", 31), ("recent", 29)):
            await enqueue_message(session, team_id="T0FAKE01", key=key, channel=LEADER,
                                  payload={"text": f"{key} news"},
                                  due_at=now - timedelta(days=age))  # fmt: skip
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    await app.runtime.deliverer.sweep()
    async with app.sessions() as session, session.begin():
        for row in (await session.scalars(select(OutgoingMessageRow))).all():
            row.sent_at = row.created_at  # as if each went out when it was due
    done = await run_decisions(app.runtime)
    assert done["purge-payloads"] == 1
    async with app.sessions() as session:
        rows = {r.key: r for r in (await session.scalars(select(OutgoingMessageRow))).all()}
    assert rows["old"].payload == {} and rows["old"].purged_at is not None
    assert rows["old"].status == DeliveryStatus.SENT.value and rows["old"].sent_ts
    assert rows["recent"].payload == {"text": "recent news"}


async def test_erasure_leaves_other_messages_that_only_contain_the_name_as_part_of_a_word(
    app: RunningApp,
) -> None:
    await _enroll_pair_and_history(app)
    async with app.sessions() as session, session.begin():
        leaver = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == LEAVER))
        assert leaver is not None and leaver.name == "zeb"
        later = app.clock.now() + timedelta(days=3)
        for key, text in (("word", "Thanks zeb!"), ("part", "Zebra crossing at noon")):
            await enqueue_message(session, team_id=leaver.team_id, key=key, channel=LEADER,
                                  payload={"text": text}, due_at=later)  # fmt: skip
    view = await open_modal(app, "leave", LEAVER, ids.LEAVE_VIEW)
    delete = {ids.LEAVE_DELETE.action_id: checkboxes_value([ids.LEAVE_DELETE_VALUE])}
    await app.slack.submit_view({ids.LEAVE_DELETE.block_id: delete}, user_id=LEAVER,
                                view_id=view["id"])  # fmt: skip
    async with app.sessions() as session:
        rows = {r.key: r for r in (await session.scalars(select(OutgoingMessageRow))).all()}
    assert rows["word"].status == DeliveryStatus.DROPPED.value and rows["word"].payload == {}
    assert rows["part"].status == DeliveryStatus.PENDING.value
    assert rows["part"].payload == {"text": "Zebra crossing at noon"}


async def test_leave_for_someone_never_enrolled_says_so_in_the_modal_it_opened(
    app: RunningApp,
) -> None:
    app.fake.add_user(LEAVER, name="zeb", real_name=REAL_NAME, tz="Europe/Berlin")
    response = await app.slack.command("leave", user_id=LEAVER)
    assert response.status == 200 and response.text == ""
    await app.fake.await_until(
        lambda: "not in a reverse mentoring program" in json.dumps(app.fake.last_view_for(LEAVER))
    )
    assert len(app.fake.calls_to("views.open")) == 1  # the trigger_id, spent at once
