"""People's Slack profiles end to end: unread profiles are marked and repaired, guests stay
out, restored accounts come back. Signed requests in; the fake Slack and the rows checked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from bot.db.people import is_schedulable, schedulable
from bot.db.programs import get_or_create_default_program
from bot.db.tables import MembershipRow, PersonRow, ProgramRow
from bot.jobs import run_decisions
from bot.services.profiles import REFRESH_BATCH, refresh_unsynced_profiles
from bot.slack import ids
from bot.slack.views.models import ViewMetadata
from tests.e2e.conftest import MEMBER, RunningApp, ask_status
from tests.e2e.test_enrollment import (
    LEADER,
    _pair_with,
    _some_skill,
    enroll,
    enrollment_values,
    open_join,
)

GUEST_REFUSAL = "guest accounts can't join"
TAKEN_OUT = "can't take part"
NEXT_ROUND = "You'll be paired when the program's admins start the next round"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Await a condition on the database (work the app does after its ack)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


async def person(app: RunningApp, user_id: str) -> PersonRow | None:
    async with app.sessions() as session:
        return await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == user_id))


async def skill(app: RunningApp) -> list[str]:
    return await _some_skill(app)


async def join(app: RunningApp, user_id: str, teaches: list[str]) -> Any:
    return await enroll(app, user_id, role="mentor", stage="1", teaches=teaches, learns=[])


async def program_id(app: RunningApp) -> int:
    async with app.sessions() as session:
        found = await session.scalar(select(ProgramRow.id))
    assert found is not None
    return found


async def stale_submit(
    app: RunningApp, user_id: str, teaches: list[str], view_id: str | None = None
) -> Any:
    """A join form submitted from a modal opened earlier (or forged): no /mentor join first."""
    return await app.slack.submit_view(
        enrollment_values(role="mentor", stage="1", teaches=teaches, learns=[]),
        user_id=user_id,
        view_id=view_id,
        callback_id=ids.ENROLL_VIEW,
        private_metadata=ViewMetadata(await program_id(app)).to_json(),
    )


async def user_change(app: RunningApp, user_id: str, event_id: str, **changes: Any) -> None:
    user = app.fake.update_user(user_id, **changes)
    response = await app.slack.event({"type": "user_change", "user": user}, event_id=event_id)
    assert response.status == 200


async def take_out(app: RunningApp, user_id: str, event_id: str, **changes: Any) -> None:
    """A user_change event that makes the account one that can't take part; back once it
    has taken them out."""
    await user_change(app, user_id, event_id, **changes)

    async def taken_out() -> bool:
        row = await person(app, user_id)
        return row is not None and not row.is_active

    await eventually(taken_out)


async def status_text(app: RunningApp, user_id: str) -> str:
    return str(await ask_status(app, user_id))


# ---------------------------------------------------------------- point 9: unread profiles


async def test_parallel_joins_under_rate_limits_are_marked_unread_and_the_sweep_repairs_all(
    app: RunningApp,
) -> None:
    zones = ["Asia/Tokyo", "America/Chicago", "Europe/Paris", "Australia/Sydney"]
    users = {f"U0JOIN{n:03d}": (f"joiner{n}", zones[n % len(zones)]) for n in range(30)}
    for user_id, (name, tz) in users.items():
        app.fake.add_user(user_id, name=name, real_name=f"Joiner {name}", tz=tz)
    teaches = await skill(app)
    # What was seen: Slack shedding users.info with 429s and the odd 503.
    app.fake.rate_limit("users.info", per_second=2, burst=4)
    app.fake.error_rate("users.info", fraction=0.2, seed=7)

    views = await asyncio.gather(*(open_join(app, user_id) for user_id in users))

    async def submit(user_id: str, view: dict[str, Any]) -> float:
        values = enrollment_values(role="mentor", stage="1", teaches=teaches, learns=[])
        started = time.monotonic()
        response = await app.slack.submit_view(values, user_id=user_id, view_id=view["id"])
        assert "You're in" in str(response.json()["view"]), (response.status, response.text)
        return time.monotonic() - started

    acked_in = await asyncio.gather(*map(submit, users, views))
    assert max(acked_in) < 3.0, "Slack drops a view_submission answered after 3 s"
    # The work after the ack (profile, then Home) is done once Home is published.
    await app.fake.await_until(
        lambda: all(app.fake.home_view(user_id) is not None for user_id in users), timeout=15
    )
    assert app.fake.rate_limited_count("users.info") > 0

    async with app.sessions() as session:
        rows = (await session.scalars(select(PersonRow))).all()
        ready = set(await session.scalars(select(PersonRow.slack_user_id).where(schedulable())))
    assert len(rows) == len(users)
    unread = [p for p in rows if p.profile_synced_at is None]
    assert unread, "the faults made some users.info calls fail"
    for row in rows:
        if row.profile_synced_at is None:  # marked, never passed off as read
            assert not is_schedulable(row) and row.slack_user_id not in ready
        else:
            assert (row.name, row.timezone) == users[row.slack_user_id]
            assert row.slack_user_id in ready

    # Slack recovers: the decision sweep (what `mentorbot tick` runs) repairs every one.
    app.fake.clear_faults()
    runs = []
    while (done := (await run_decisions(app.runtime))["refresh-profiles"]) != 0:
        assert done is not None and done <= REFRESH_BATCH
        runs.append(done)
    assert sum(runs) == len(unread)
    async with app.sessions() as session:
        rows = (await session.scalars(select(PersonRow))).all()
    assert {p.slack_user_id: (p.name, p.timezone) for p in rows} == users
    assert all(is_schedulable(p) for p in rows)


async def test_the_profile_sweep_reads_a_bounded_batch_and_stops_when_slack_fails(
    app: RunningApp,
) -> None:
    count = REFRESH_BATCH + 3
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        await get_or_create_default_program(session, app.fake.team_id, now=now)
        for n in range(count):
            user_id = f"U0SWEEP{n:03d}"
            app.fake.add_user(user_id, name=f"sweep{n}", tz="Asia/Kolkata")
            session.add(
                PersonRow(
                    team_id=app.fake.team_id, slack_user_id=user_id, created_at=now, updated_at=now
                )
            )
    sweep = app.runtime.sessions, app.runtime.client

    app.fake.fail_next("users.info", status=503)
    stopped = await refresh_unsynced_profiles(*sweep, now=now)
    assert (stopped.done, stopped.postponed) == (0, REFRESH_BATCH)
    assert len(app.fake.calls_to("users.info")) == 1, "a failing Slack is not pressed further"

    first = await refresh_unsynced_profiles(*sweep, now=now)
    assert first.synced == REFRESH_BATCH
    assert len(app.fake.calls_to("users.info")) == 1 + REFRESH_BATCH
    second = await refresh_unsynced_profiles(*sweep, now=now)
    assert second.synced == 3
    assert (await refresh_unsynced_profiles(*sweep, now=now)).done == 0
    async with app.sessions() as session:
        zones = set((await session.scalars(select(PersonRow.timezone))).all())
    assert zones == {"Asia/Kolkata"}


async def test_an_unread_profile_is_read_again_on_the_next_join(app: RunningApp) -> None:
    teaches = await skill(app)
    app.fake.fail_next("users.info", status=503, count=2)  # the join's two reads
    await join(app, MEMBER, teaches)
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    before = await person(app, MEMBER)
    assert before is not None and before.profile_synced_at is None
    assert (before.name, before.timezone) == ("", "UTC") and not is_schedulable(before)

    await open_join(app, MEMBER)

    async def repaired() -> bool:
        row = await person(app, MEMBER)
        return row is not None and row.profile_synced_at is not None

    await eventually(repaired)
    after = await person(app, MEMBER)
    assert after is not None and (after.name, after.timezone) == ("sam", "America/New_York")
    assert is_schedulable(after)


async def test_user_change_keeps_name_and_time_zone_current(app: RunningApp) -> None:
    await join(app, MEMBER, await skill(app))
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    first = await person(app, MEMBER)
    assert first is not None and first.profile_synced_at is not None

    await user_change(app, MEMBER, "EvMOVE1", name="samantha", tz="Asia/Singapore")

    async def moved() -> bool:
        row = await person(app, MEMBER)
        return row is not None and row.timezone == "Asia/Singapore"

    await eventually(moved)
    row = await person(app, MEMBER)
    assert row is not None and row.name == "samantha"
    assert row.profile_synced_at is not None and row.profile_synced_at > first.profile_synced_at


# ---------------------------------------------------------------- point 11: guests, restored


async def test_a_guest_taken_out_by_user_change_is_refused_at_join_and_stays_out(
    app: RunningApp,
) -> None:
    teaches = await skill(app)
    await join(app, MEMBER, teaches)
    await app.fake.await_until(lambda: app.fake.messages(f"D{MEMBER}"))
    await take_out(app, MEMBER, "EvGUEST1", is_restricted=True)

    # /mentor join: a kind word instead of the form.
    response = await app.slack.command("join", user_id=MEMBER)
    assert response.status == 200
    await app.fake.await_until(lambda: GUEST_REFUSAL in str(app.fake.last_view_for(MEMBER)))
    assert (app.fake.last_view_for(MEMBER) or {}).get("callback_id") != ids.ENROLL_VIEW

    # A form opened before (or forged) is refused the same way, and nothing changes.
    submitted = await stale_submit(app, MEMBER, teaches)
    assert submitted.json()["response_action"] == "update"
    assert GUEST_REFUSAL in str(submitted.json()["view"])
    row = await person(app, MEMBER)
    assert row is not None and row.is_active is False and not is_schedulable(row)
    async with app.sessions() as session:
        ready = (await session.scalars(select(PersonRow.id).where(schedulable()))).all()
    assert ready == []
    assert len(app.fake.messages(f"D{MEMBER}")) == 1, "no second welcome"

    status = await status_text(app, MEMBER)
    assert NEXT_ROUND not in status and TAKEN_OUT in status


async def test_a_guest_who_never_joined_is_refused_and_a_forged_form_is_taken_out_at_once(
    app: RunningApp,
) -> None:
    app.fake.add_user(LEADER, name="gus", tz="Europe/Berlin", is_ultra_restricted=True)
    teaches = await skill(app)
    await app.slack.command("join", user_id=LEADER)
    await app.fake.await_until(lambda: GUEST_REFUSAL in str(app.fake.last_view_for(LEADER)))
    assert await person(app, LEADER) is None, "looking is not joining"

    # A form submitted anyway is read against Slack right after the ack.
    view_id = "V0FORGED01"
    submitted = await stale_submit(app, LEADER, teaches, view_id)
    assert submitted.status == 200
    await app.fake.await_until(lambda: app.fake.home_view(LEADER) is not None)
    updates = [c.params for c in app.fake.calls_to("views.update")]
    assert any(u.get("view_id") == view_id and GUEST_REFUSAL in str(u) for u in updates)
    row = await person(app, LEADER)
    assert row is not None and row.is_active is False and not is_schedulable(row)
    await app.runtime.deliverer.sweep()
    assert app.fake.messages(f"D{LEADER}") == [], "no welcome for an account that can't join"


async def test_a_restored_account_can_submit_its_form_the_moment_it_shows(
    app: RunningApp,
) -> None:
    """What /mentor join read of the account is kept before the form it built shows: the
    form is submitted from the fake Slack the instant views.update fills it in, before
    Slack has even answered that call."""
    teaches = await skill(app)
    await join(app, MEMBER, teaches)
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    await take_out(app, MEMBER, "EvGUEST3", is_restricted=True)
    app.fake.update_user(MEMBER, is_restricted=False)  # a full member again; event missed
    loop = asyncio.get_running_loop()
    answers: list[Any] = []

    def submit_at_once(call: Any, body: dict[str, Any]) -> None:
        view = body["view"]
        if view.get("callback_id") == ids.ENROLL_VIEW:  # runs in the fake Slack's thread
            submitted = app.slack.submit_view(
                enrollment_values(role="mentor", stage="1", teaches=teaches, learns=[]),
                user_id=MEMBER, view_id=view["id"],
            )  # fmt: skip
            answers.append(asyncio.run_coroutine_threadsafe(submitted, loop).result(10))

    app.fake.hook_after("views.update", submit_at_once)
    await app.slack.command("join", user_id=MEMBER)
    await app.fake.await_until(lambda: answers)
    assert "Profile saved" in str(answers[0].json()["view"])
    row = await person(app, MEMBER)
    assert row is not None and is_schedulable(row)


async def test_a_forged_form_is_refused_even_when_another_handler_took_the_guest_out_first(
    app: RunningApp,
) -> None:
    """The form's own users.info read races whatever else reads the account: here a
    user_change event lands while that read is in flight and takes the guest out first.
    The form must still say why, not only when its own read did the taking out."""
    app.fake.add_user(LEADER, name="gus", tz="Europe/Berlin", is_ultra_restricted=True)
    teaches = await skill(app)
    app.fake.latency("users.info", 1.0, times=1)
    view_id = "V0FORGED02"
    submitted = await stale_submit(app, LEADER, teaches, view_id)
    assert submitted.status == 200
    await app.fake.await_until(lambda: app.fake.calls_to("users.info"))
    await take_out(app, LEADER, "EvGUEST2")
    await app.fake.await_for("users.info")  # the form's read, answered after the event

    def refused() -> bool:
        updates = [c.params for c in app.fake.calls_to("views.update")]
        return any(u.get("view_id") == view_id and GUEST_REFUSAL in str(u) for u in updates)

    await app.fake.await_until(refused)


async def test_a_deleted_then_restored_account_is_back_in_and_status_is_truthful_for_both(
    app: RunningApp,
) -> None:
    teaches = await skill(app)
    await join(app, MEMBER, teaches)
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    async with app.sessions() as session:
        before = await session.scalar(select(MembershipRow))
    assert before is not None

    await user_change(app, MEMBER, "EvDEL1", deleted=True)

    def active_is(expected: bool) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            row = await person(app, MEMBER)
            return row is not None and row.is_active is expected

        return check

    await eventually(active_is(False))
    deleted_status = await status_text(app, MEMBER)
    assert NEXT_ROUND not in deleted_status and TAKEN_OUT in deleted_status

    await user_change(app, MEMBER, "EvRESTORE1", deleted=False)
    await eventually(active_is(True))
    row = await person(app, MEMBER)
    assert row is not None and is_schedulable(row)
    async with app.sessions() as session:
        after = await session.scalar(select(MembershipRow))
    assert after is not None
    # Memberships as they were.
    assert (after.status, after.role, after.joined_at) == (
        before.status, before.role, before.joined_at,
    )  # fmt: skip
    restored_status = await status_text(app, MEMBER)
    assert NEXT_ROUND in restored_status and TAKEN_OUT not in restored_status


async def test_when_slack_cannot_say_a_newcomer_joins_unread_and_a_guest_is_found_by_the_sweep(
    app: RunningApp,
) -> None:
    app.fake.add_user(LEADER, name="dana", real_name="Dana Leader", tz="Europe/Berlin")
    teaches = await skill(app)
    await join(app, LEADER, teaches)  # a partner, to hear about it kindly
    await app.fake.await_until(lambda: app.fake.home_view(LEADER) is not None)
    app.fake.add_user("U0NEWBIE1", name="nia", tz="Europe/Oslo", is_restricted=True)
    app.fake.fail_next("users.info", status=503, count=2)
    response = await join(app, "U0NEWBIE1", teaches)
    assert "You're in" in str(response.json()["view"])
    await app.fake.await_until(lambda: app.fake.home_view("U0NEWBIE1") is not None)
    row = await person(app, "U0NEWBIE1")
    assert row is not None and row.profile_synced_at is None and not is_schedulable(row)
    await _pair_with(app, "U0NEWBIE1", LEADER)  # as if paired anyway; it must not last

    report = await refresh_unsynced_profiles(
        app.runtime.sessions, app.runtime.client, now=app.clock.now()
    )
    assert report.deactivated == 1
    row = await person(app, "U0NEWBIE1")
    assert row is not None and row.is_active is False and not is_schedulable(row)
    assert row.timezone == "Europe/Oslo"
    app.runtime.deliver_soon()
    await app.fake.await_until(
        lambda: any("change to your pairing" in str(m) for m in app.fake.messages(f"D{LEADER}"))
    )
    status = await status_text(app, "U0NEWBIE1")
    assert NEXT_ROUND not in status and TAKEN_OUT in status


async def test_when_slack_cannot_say_someone_taken_out_is_not_let_back_in_on_a_guess(
    app: RunningApp,
) -> None:
    teaches = await skill(app)
    await join(app, MEMBER, teaches)
    await app.fake.await_until(lambda: app.fake.home_view(MEMBER) is not None)
    await take_out(app, MEMBER, "EvGUEST2", is_restricted=True)

    app.fake.fail_next("users.info", status=503)
    await app.slack.command("join", user_id=MEMBER)
    await app.fake.await_until(lambda: "couldn't check" in str(app.fake.last_view_for(MEMBER)))
    refused = await stale_submit(app, MEMBER, teaches)
    assert refused.json()["response_action"] == "update"
    assert TAKEN_OUT in str(refused.json()["view"])
    row = await person(app, MEMBER)
    assert row is not None and row.is_active is False

    # The guest became a full member again, and this workspace missed the event: the
    # next join reads the account, lets them back in and opens the form.
    app.fake.update_user(MEMBER, is_restricted=False)
    view = await open_join(app, MEMBER)
    assert view["callback_id"] == ids.ENROLL_VIEW
    back = await app.slack.submit_view(
        enrollment_values(role="mentor", stage="1", teaches=teaches, learns=[]),
        user_id=MEMBER,
        view_id=view["id"],
    )
    assert "Profile saved" in str(back.json()["view"])
    row = await person(app, MEMBER)
    assert row is not None and is_schedulable(row)
