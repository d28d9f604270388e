"""An event's or a submission's effect happens once: its mark commits with the effect."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import bot.services.participation as participation
from bot.db.tables import PairRow, PersonRow, ProcessedEventRow, ReflectionRow
from bot.slack import ids
from tests.e2e.conftest import MEMBER, RunningApp, open_modal
from tests.e2e.test_enrollment import LEADER, _pair_with, _some_skill, count, enroll
from tests.support.slack_requests import plain_value


async def test_an_event_whose_first_try_failed_takes_effect_on_slacks_retry(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    skill = await _some_skill(app)
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=skill, learns=[])
    await enroll(app, LEADER, role="mentee", stage="4", teaches=[], learns=skill)
    await _pair_with(app, MEMBER, LEADER)

    # The first try fails inside the service's transaction, after the event was marked.
    real = participation.list_memberships
    failures: list[str] = []

    async def busy_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append("busy")
            raise OperationalError("UPDATE people", {}, Exception("database is locked"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(participation, "list_memberships", busy_once)
    user = app.fake.update_user(MEMBER, deleted=True)
    event = {"type": "user_change", "user": user, "event_ts": "1.0"}
    first = await app.slack.event(event, event_id="EvRETRY01")
    assert first.status == 200
    await app.fake.await_until(lambda: failures)
    async with app.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
        marked = await session.get(ProcessedEventRow, "EvRETRY01")
    assert person is not None and person.is_active, "the failed try changed nothing"
    assert marked is None, "its mark rolled back with it"

    retry = await app.slack.event(event, event_id="EvRETRY01", retry_num=1)
    assert retry.status == 200
    await app.fake.await_until(
        lambda: any("change to your pairing" in m["text"] for m in app.fake.messages(f"D{LEADER}"))
    )
    async with app.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
        pair = await session.scalar(select(PairRow))
        marked = await session.get(ProcessedEventRow, "EvRETRY01")
    assert marked is not None, "the effect's transaction marked the event"
    assert person is not None and person.is_active is False
    assert pair is not None and pair.status == "ended"

    # A third delivery of the same event, once it has taken effect, does nothing more.
    again = await app.slack.event(event, event_id="EvRETRY01", retry_num=2)
    assert again.status == 200
    await app.runtime.deliverer.sweep()
    told = [m for m in app.fake.messages(f"D{LEADER}") if "change to your pairing" in m["text"]]
    assert len(told) == 1


async def test_a_reflection_submitted_again_is_stored_once(app: RunningApp) -> None:
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=await _some_skill(app), learns=[])
    view = await open_modal(app, "reflect", MEMBER, ids.REFLECT_VIEW)
    values = {
        ids.REFLECT_LEARNED.block_id: {ids.REFLECT_LEARNED.action_id: plain_value("Loom tips")},
    }
    acks = []
    for _ in range(3):  # a replay or a retry carries the same view id
        response = await app.slack.submit_view(
            values, user_id=MEMBER, view_id=view["id"], callback_id=ids.REFLECT_VIEW,
            private_metadata=view["private_metadata"],
        )  # fmt: skip
        assert response.status == 200
        acks.append(response.json())
    assert await count(app, ReflectionRow) == 1
    assert all(ack["response_action"] == "update" for ack in acks)
    assert "1" in str(acks[-1]["view"])
