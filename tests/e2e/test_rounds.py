"""`/mentor pair` end to end: signed requests in, the fake Slack and the database checked."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from sqlalchemy import select

from bot.db.tables import OutgoingMessageRow, PairRow, PersonRow, ProgramRow, RoundRow
from bot.slack import ids
from tests.db.test_rounds_service import GIVE_BACK, SKILL, count, leader, mentor, seed
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp

LEADERS = ("U0LEAD001", "U0LEAD002")
MENTORS = ("U0MENT001", "U0MENT002")
CHANNEL = "C0PROGRAM1"


async def setup(app: RunningApp, **settings: Any) -> int:
    for user in (*LEADERS, *MENTORS):
        app.fake.add_user(user, name=user.lower(), real_name=f"Person {user[-3:]}")
    app.fake.add_channel(CHANNEL, "mentoring")
    members = [mentor(MENTORS[0], name="Sam Mentor"), mentor(MENTORS[1], name="Kim Mentor")]
    members += [leader(LEADERS[0], name="Dana Leader"), leader(LEADERS[1], name="Lee Leader")]
    return await seed(
        app.sessions, members, team_id=app.fake.team_id, now=app.clock.now(),
        channel_id=CHANNEL, **settings,
    )  # fmt: skip


async def open_preview(app: RunningApp) -> dict[str, Any]:
    response = await app.slack.command("pair", user_id=ADMIN)
    assert response.status == 200 and response.text == ""
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(ADMIN) or {}).get("callback_id") == ids.ROUND_PREVIEW_VIEW,
        timeout=30,
    )
    view = app.fake.last_view_for(ADMIN)
    assert view is not None
    return view


async def wait_for_view(app: RunningApp, view_id: str, predicate: Any) -> dict[str, Any]:
    await app.fake.await_until(lambda: predicate(app.fake.view(view_id) or {}), timeout=30)
    view = app.fake.view(view_id)
    assert view is not None
    return view


def pair_blocks(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("pair_")]


def shown_pairs(view: dict[str, Any]) -> set[tuple[str, ...]]:
    return {tuple(re.findall(r"<@(U\w+)>", b["text"]["text"])) for b in pair_blocks(view)}


async def deliver_all(app: RunningApp, timeout: float = 10.0) -> None:
    """Sweep until every message is sent. A sweep that the confirm started
    (`deliver_soon`) may hold some of them while ours passes them by: wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        await app.runtime.deliverer.sweep()
        if not await count(app.sessions, OutgoingMessageRow, OutgoingMessageRow.status != "sent"):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the outbox did not empty")
        await asyncio.sleep(0.05)


async def confirm(app: RunningApp, view: dict[str, Any], **options: Any) -> Any:
    return await app.slack.submit_view({}, user_id=ADMIN, view_id=view["id"], **options)


async def test_preview_exclude_rerun_then_confirm_introduces_the_pairs(app: RunningApp) -> None:
    await setup(app)
    view = await open_preview(app)
    opened = app.fake.calls_to("views.open")[0]
    assert "Working out the pairs" in json.dumps(opened.params)
    assert len(view["blocks"]) <= 100
    first = shown_pairs(view)
    assert len(first) == 2
    assert await count(app.sessions, OutgoingMessageRow) == 0, "nothing reaches anyone yet"

    # Exclude the first pair shown; re-run happens in the same modal.
    block = pair_blocks(view)[0]
    excluded = tuple(re.findall(r"<@(U\w+)>", block["text"]["text"]))
    pair_id = block["block_id"].removeprefix("pair_")
    response = await app.slack.action(
        ids.ROUND_PAIR_MENU, user_id=ADMIN, view_id=view["id"], action_type="overflow",
        block_id=block["block_id"],
        action_fields={"selected_option": {"text": {"type": "plain_text", "text": "x"},
                                           "value": f"exclude:{pair_id}"}},
    )  # fmt: skip
    assert response.status == 200
    view = await wait_for_view(
        app, view["id"], lambda v: v.get("callback_id") == ids.ROUND_PREVIEW_VIEW
        and pair_blocks(v) and excluded not in shown_pairs(v),
    )  # fmt: skip
    assert len(shown_pairs(view)) == 2 and excluded not in shown_pairs(view)
    async with app.sessions() as session:
        round_ = await session.scalar(select(RoundRow))
    assert round_ is not None and round_.status == "draft"
    assert round_.adjustments and round_.adjustments["excluded_pairs"] == [list(excluded)]

    response = await confirm(app, view)
    assert response.status == 200
    await app.fake.await_until(
        lambda: "confirmed" in json.dumps((app.fake.view(view["id"]) or {}).get("blocks")),
        timeout=10,
    )
    await deliver_all(app)
    async with app.sessions() as session:
        pairs = list(await session.scalars(select(PairRow)))
    assert {p.status for p in pairs} == {"active"} and len(pairs) == 2
    assert all(p.introduced_at is not None and p.fit_due_at is not None for p in pairs)
    intros = [m for k, m in _posted(app).items() if k.startswith("intro:")]
    assert len(intros) == 2
    for message in intros:
        text = json.dumps(message["blocks"])
        assert "you book the first 30 minutes" in text
        assert text.count("<!date^") == 3, "three suggested times, each in the reader's zone"
        assert SKILL in text and GIVE_BACK in text
        members = app.fake.conversation_members(message["channel"])
        assert len(members) == 3  # the pair and the bot


def _posted(app: RunningApp) -> dict[str, Any]:
    found = {}
    for message in app.fake.messages():
        key = ((message.get("metadata") or {}).get("event_payload") or {}).get("outbox_key")
        if key:
            found[key] = message
    return found


async def test_confirm_twice_or_retried_by_slack_pairs_once(app: RunningApp) -> None:
    await setup(app)
    view = await open_preview(app)
    stored = dict(view)
    first = await confirm(app, view)
    assert first.status == 200
    await app.fake.await_until(
        lambda: "is confirmed" in json.dumps((app.fake.view(view["id"]) or {}).get("blocks")),
        timeout=10,
    )
    # The same submission again, as Slack retries it (the modal it saw, same metadata).
    retry = await app.slack.submit_view(
        {}, user_id=ADMIN, view_id=view["id"], callback_id=ids.ROUND_PREVIEW_VIEW,
        private_metadata=stored["private_metadata"],
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )  # fmt: skip
    assert retry.status == 200
    await app.fake.await_until(
        lambda: "Nothing to confirm" in json.dumps((app.fake.view(view["id"]) or {}).get("blocks")),
        timeout=10,
    )
    await deliver_all(app)
    assert await count(app.sessions, RoundRow) == 1
    assert await count(app.sessions, RoundRow, RoundRow.status == "confirmed") == 1
    counts = app.fake.posted_count_by_key()
    intros = {k: n for k, n in counts.items() if k.startswith("intro:")}
    assert len(intros) == 2 and set(intros.values()) == {1}


async def test_non_admins_are_refused_on_the_command_and_every_button_and_submission(
    app: RunningApp,
) -> None:
    await setup(app)
    refused = await app.slack.command("pair", user_id=MEMBER)
    assert refused.status == 200 and "program admins" in refused.text
    assert app.fake.calls_to("views.open") == []

    view = await open_preview(app)  # the admin's preview: the forger reuses its ids
    pair_id = pair_blocks(view)[0]["block_id"].removeprefix("pair_")
    app.fake.clear_calls()
    pin = {
        "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": f"pin:{pair_id}"}
    }
    forged = [
        (ids.ROUND_RERUN, "1", "button", None),
        (ids.ROUND_PAGE, "1", "button", None),
        (ids.ROUND_CHOOSE_PROGRAM, "1", "button", None),
        (ids.ROUND_PAIR_MENU, None, "overflow", pin),
        (ids.ROUND_EXCLUDE_PERSON.action_id, None, "users_select", {"selected_user": MENTORS[0]}),
    ]  # fmt: skip
    for action_id, value, kind, fields in forged:
        response = await app.slack.action(
            action_id, value, user_id=MEMBER, view_id=view["id"], action_type=kind,
            action_fields=fields,
        )  # fmt: skip
        assert response.status == 200 and response.text == ""
    home = await app.slack.action(ids.PAIR_PREVIEW_BUTTON, "1", user_id=MEMBER)
    assert home.status == 200
    submitted = await app.slack.submit_view(
        {}, user_id=MEMBER, callback_id=ids.ROUND_PREVIEW_VIEW,
        private_metadata=view["private_metadata"],
    )  # fmt: skip
    assert submitted.json()["response_action"] == "errors"
    assert app.fake.calls_to("views.open") == [] and app.fake.calls_to("views.update") == []
    async with app.sessions() as session:
        round_ = await session.scalar(select(RoundRow))
    assert round_ is not None and round_.status == "draft"
    assert round_.adjustments == {"pinned": [], "excluded_pairs": [], "excluded_people": []}
    assert await count(app.sessions, OutgoingMessageRow) == 0


async def test_the_manager_rule_holds_in_a_slack_round(app: RunningApp) -> None:
    await setup(app)
    # Each mentor's manager is one leader: the only pairs left are the crossed ones.
    async with app.sessions() as session, session.begin():
        people = {p.slack_user_id: p for p in await session.scalars(select(PersonRow))}
        people[MENTORS[0]].manager_slack_id = LEADERS[0]
        people[LEADERS[1]].manager_slack_id = None
        people[MENTORS[1]].manager_slack_id = LEADERS[1]
    view = await open_preview(app)
    assert shown_pairs(view) == {(MENTORS[0], LEADERS[1]), (MENTORS[1], LEADERS[0])}


async def test_the_channel_announcement_has_counts_and_no_private_detail(app: RunningApp) -> None:
    await setup(app)
    view = await open_preview(app)
    await confirm(app, view)
    await app.fake.await_until(lambda: app.fake.messages(CHANNEL), timeout=10)
    [announcement] = app.fake.messages(CHANNEL)
    text = json.dumps(announcement)
    assert "2 pairs" in text
    private = [*LEADERS, *MENTORS, "Sam", "Dana", "Kim", "Lee", SKILL, GIVE_BACK, "department"]
    assert not [word for word in private if word.casefold() in text.casefold()]
    assert "<@" not in text


async def test_several_programs_ask_which_one_first(app: RunningApp) -> None:
    program_id = await setup(app)
    async with app.sessions() as session, session.begin():
        other = ProgramRow(
            team_id=app.fake.team_id, name="Second program", created_at=app.clock.now(),
            updated_at=app.clock.now(),
        )  # fmt: skip
        session.add(other)
    response = await app.slack.command("pair", user_id=ADMIN)
    assert response.status == 200
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(ADMIN) or {}).get("callback_id") == ids.ROUND_PROGRAM_VIEW
    )
    chooser = app.fake.last_view_for(ADMIN)
    assert chooser is not None
    await app.slack.action(
        ids.ROUND_CHOOSE_PROGRAM, str(program_id), user_id=ADMIN, view_id=chooser["id"]
    )
    view = await wait_for_view(
        app, chooser["id"], lambda v: v.get("callback_id") == ids.ROUND_PREVIEW_VIEW
    )
    assert len(shown_pairs(view)) == 2


async def test_a_large_round_pages_twenty_pairs_at_a_time_within_slacks_limits(
    app: RunningApp,
) -> None:
    members = []
    for n in range(45):
        members += [mentor(f"U0M{n:04d}"), leader(f"U0L{n:04d}")]
    members.append(leader("U0LALONE1", tz="Pacific/Kiritimati"))
    for member in members:
        app.fake.add_user(member.slack_id, name=member.slack_id.lower(), tz=member.tz)
    await seed(app.sessions, members, team_id=app.fake.team_id, now=app.clock.now())
    view = await open_preview(app)
    assert len(view["blocks"]) <= 100 and len(pair_blocks(view)) == 20
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in view["blocks"])
    header = view["blocks"][0]["text"]["text"]
    assert "45 pairs" in header and "1 without a partner" in header
    nav = [b for b in view["blocks"] if b.get("block_id") == "round_next"]
    assert nav and nav[0]["elements"][0]["value"] == "1"
    await app.slack.action(ids.ROUND_PAGE, "1", user_id=ADMIN, view_id=view["id"])
    page = await wait_for_view(
        app, view["id"], lambda v: "Pairs 21–40 of 45" in json.dumps(v, ensure_ascii=False)
    )
    assert len(pair_blocks(page)) == 20
    assert not shown_pairs(page) & shown_pairs(view)

    await confirm(app, page)
    await app.fake.await_until(lambda: app.fake.messages("DU0LALONE1"), timeout=10)
    [note] = app.fake.messages("DU0LALONE1")
    text = json.dumps(note)
    assert "No partner for you" in text and "next round starts" in text
    assert "<@" not in text, "nobody else is named"
