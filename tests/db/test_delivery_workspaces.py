"""Many workspaces (issue 13): the outbox and the sweeps call Slack with each workspace's
own token, a workspace whose token fails (or that has no installation) waits alone, and
crash recovery finds a post within the conversations.history limits of OAuth mode."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk.oauth.installation_store import Bot
from sqlalchemy import select, update

from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions
from bot.db.people import get_or_create_person
from bot.db.programs import ensure_workspace
from bot.db.tables import DeliveryHoldRow, OutgoingMessageRow, PersonRow
from bot.delivery import NO_INSTALLATION, TOKEN_SCOPE, Deliverer, enqueue_message, limited_history
from bot.runtime import Runtime, build_runtime, build_web_client
from bot.services.profiles import refresh_unsynced_profiles
from bot.services.workspaces import record_install
from tests.db.test_delivery import FAST, expire_leases
from tests.support.fake_slack import Call, FakeSlack

OTHER = "T0OTHER02"
MEMBER = "U000001"


@dataclass
class Two:
    """One OAuth-mode runtime and the two workspaces installed in it."""

    runtime: Runtime
    fake: FakeSlack  # workspace T0FAKE01
    other: FakeSlack  # workspace T0OTHER02, the same user ids
    clock: ShiftedClock


async def install(runtime: Runtime, workspace: FakeSlack) -> None:
    assert runtime.installations is not None
    bot = Bot(
        app_id="A0MENTOR", team_id=workspace.team_id, bot_token=workspace.token,
        bot_id="BBOT", bot_user_id="UBOT", installed_at=time.time(),
    )  # fmt: skip
    await runtime.installations.async_save_bot(bot)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def two(database_url: str, sessions: Sessions, fake: FakeSlack) -> AsyncIterator[Two]:
    other = fake.add_workspace(OTHER)
    for workspace in (fake, other):
        for n in range(1, 4):
            workspace.add_user(f"U00000{n}", name=f"{workspace.team_id}-user{n}")
    settings = load_settings(
        SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="secret", SLACK_SIGNING_SECRET="signing",
        SLACK_API_URL=fake.base_url, DATABASE_URL=database_url,
    )  # fmt: skip
    clock = ShiftedClock(datetime.now(UTC))
    runtime = build_runtime(settings, clock=clock, policy=FAST)
    for workspace in (fake, other):
        await install(runtime, workspace)
    try:
        yield Two(runtime, fake, other, clock)
    finally:
        await runtime.close()


async def enqueue(two: Two, team_id: str, key: str, channel: str = MEMBER) -> None:
    async with two.runtime.sessions() as session, session.begin():
        await enqueue_message(
            session, team_id=team_id, key=key, channel=channel,
            payload={"text": f"hello {key}"}, due_at=two.clock.now(),
        )  # fmt: skip


async def outbox(two: Two) -> dict[str, OutgoingMessageRow]:
    async with two.runtime.sessions() as session:
        return {r.key: r for r in (await session.scalars(select(OutgoingMessageRow))).all()}


async def holds(two: Two) -> dict[tuple[str, str], str]:
    async with two.runtime.sessions() as session:
        found = (await session.scalars(select(DeliveryHoldRow))).all()
    return {(h.team_id, h.scope): h.reason for h in found}


async def probe_now(two: Two) -> None:
    """Make every token hold's next probe due (a minute of the database's clock)."""
    async with two.runtime.sessions() as session, session.begin():
        await session.execute(
            update(DeliveryHoldRow).values(until=datetime(2000, 1, 1, tzinfo=UTC))
        )


def bearer(call: Call) -> str:
    return call.headers.get("Authorization", "")


def tokens_used(workspace: FakeSlack) -> set[str]:
    return {bearer(c) for c in workspace.calls}


class CountingTokens:
    """The runtime's tokens, counting how often each workspace's was asked for."""

    def __init__(self, tokens: object) -> None:
        self._tokens = tokens
        self.asked: Counter[str] = Counter()

    async def bot_token(self, team_id: str) -> str | None:
        self.asked[team_id] += 1
        return await self._tokens.bot_token(team_id)  # type: ignore[attr-defined, no-any-return]


# ---------------------------------------------------------------- delivery per workspace


async def test_each_workspace_rows_are_sent_with_that_workspace_token(two: Two) -> None:
    for n in range(3):
        await enqueue(two, two.fake.team_id, f"a:{n}", channel=f"U00000{n + 1}")
        await enqueue(two, OTHER, f"b:{n}", channel=f"U00000{n + 1}")
    stats = await two.runtime.deliverer.sweep()
    assert stats.sent == 6
    assert sorted(two.fake.posted_count_by_key()) == ["a:0", "a:1", "a:2"]
    assert sorted(two.other.posted_count_by_key()) == ["b:0", "b:1", "b:2"]
    # Every call (conversations.open for the DM, chat.postMessage) carried its own token.
    assert tokens_used(two.fake) == {f"Bearer {two.fake.token}"}
    assert tokens_used(two.other) == {f"Bearer {two.other.token}"}


async def test_a_sweep_asks_for_each_workspace_token_once_and_the_next_sweep_asks_again(
    two: Two,
) -> None:
    counting = CountingTokens(two.runtime.tokens)
    deliverer = Deliverer(
        two.runtime.sessions, build_web_client(two.runtime.settings, for_delivery=True),
        two.clock, FAST, tokens=counting,
    )  # fmt: skip
    for n in range(40):
        await enqueue(two, two.fake.team_id, f"a:{n}", channel=f"U00000{n % 3 + 1}")
    await enqueue(two, OTHER, "b:0")
    assert (await deliverer.sweep()).sent == 41
    assert counting.asked == {two.fake.team_id: 1, OTHER: 1}
    # The other workspace reinstalls with a new token between sweeps: the next sweep uses it.
    two.other.token = "xoxb-other-reinstalled"
    await install(two.runtime, two.other)
    await enqueue(two, OTHER, "b:1")
    assert (await deliverer.sweep()).sent == 1
    assert bearer(two.other.calls_to("chat.postMessage")[-1]) == "Bearer xoxb-other-reinstalled"


async def test_a_revoked_token_holds_only_its_workspace_until_a_probe_with_its_token_passes(
    two: Two,
) -> None:
    two.other.break_token("token_revoked")
    for n in range(3):
        await enqueue(two, two.fake.team_id, f"a:{n}")
        await enqueue(two, OTHER, f"b:{n}")
    stats = await two.runtime.deliverer.sweep()
    assert stats.sent == 3 and stats.failed == 0
    state = await outbox(two)
    assert {k: r.status for k, r in state.items() if k.startswith("b:")} == dict.fromkeys(
        ("b:0", "b:1", "b:2"), "pending"
    )
    assert (await holds(two)) == {(OTHER, TOKEN_SCOPE): "token_revoked"}
    # Still revoked: the probe (auth.test with the other's token) keeps the hold.
    await probe_now(two)
    assert (await two.runtime.deliverer.sweep()).sent == 0
    probes = two.other.calls_to("auth.test")
    assert len(probes) == 1 and bearer(probes[0]) == f"Bearer {two.other.token}"
    assert two.fake.calls_to("auth.test") == []
    # Mended: the next due probe lifts the hold and the rows go, nothing lost or doubled.
    two.other.mend_token()
    await probe_now(two)
    assert (await two.runtime.deliverer.sweep()).sent == 3
    assert await holds(two) == {}
    assert two.other.posted_count_by_key() == {"b:0": 1, "b:1": 1, "b:2": 1}
    assert two.fake.posted_count_by_key() == {"a:0": 1, "a:1": 1, "a:2": 1}


async def test_a_workspace_with_no_installation_is_held_and_loses_nothing(two: Two) -> None:
    late = two.fake.add_workspace("T0LATE03")
    late.add_user(MEMBER, name="late-user")
    await enqueue(two, "T0LATE03", "c:0")
    await enqueue(two, "T0LATE03", "c:1")
    await enqueue(two, two.fake.team_id, "a:0")
    stats = await two.runtime.deliverer.sweep()
    assert (stats.sent, stats.held, stats.failed) == (1, 2, 0)
    assert await holds(two) == {("T0LATE03", TOKEN_SCOPE): NO_INSTALLATION}
    # No Slack call went out without a token, nor to the workspace that has none.
    assert late.calls == []
    assert all(bearer(c).startswith("Bearer xoxb-") for c in two.fake.calls + two.other.calls)
    # A probe while it is still not installed calls nobody and keeps the hold.
    await probe_now(two)
    assert (await two.runtime.deliverer.sweep()).sent == 0
    assert late.calls == [] and two.fake.calls_to("auth.test") == []
    # Installed: record_install lifts the hold and the rows go with the new token.
    await install(two.runtime, late)
    await record_install(two.runtime.sessions, team_id="T0LATE03", name="Late", now=two.clock.now())
    assert (await two.runtime.deliverer.sweep()).sent == 2
    assert late.posted_count_by_key() == {"c:0": 1, "c:1": 1}
    assert tokens_used(late) == {f"Bearer {late.token}"}


# ---------------------------------------------------------------- crash recovery, OAuth mode


async def crash_after_posting(two: Two, workspace: FakeSlack, key: str) -> None:
    """Slack posts the row, and the worker dies before it hears back: the row is left
    `sending` until its lease runs out."""
    loop = asyncio.get_running_loop()
    posted = asyncio.Event()
    workspace.hook_after("chat.postMessage", lambda *_: loop.call_soon_threadsafe(posted.set))
    workspace.latency("chat.postMessage", 0.3)  # posted; the answer is still on its way
    doomed = asyncio.create_task(two.runtime.deliverer.sweep())
    await asyncio.wait_for(posted.wait(), 5)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    workspace.clear_faults()
    assert (await outbox(two))[key].status == "sending"
    await expire_leases(two.runtime.sessions)


def lose_the_answers(workspace: FakeSlack) -> None:
    """Slack posts, and the answer never arrives (a 500 after the fact): outcome unknown."""

    def lose(_call: Call, _response: object) -> None:
        raise ConnectionResetError("the answer is lost")

    workspace.hook_after("chat.postMessage", lose)


async def test_crash_recovery_in_oauth_mode_finds_two_posts_of_a_channel_with_one_lookup(
    two: Two,
) -> None:
    """Under Slack's limits for distributed apps (1 history call a minute, 15 a page),
    two rows of one DM whose outcome is unknown share one lookup read from the attempt's
    start, with the program clock a day ahead (`tick --at`)."""
    await enqueue(two, OTHER, "before")  # an older post of the same DM, delivered first
    assert (await two.runtime.deliverer.sweep()).sent == 1
    await enqueue(two, OTHER, "lost:1")
    await enqueue(two, OTHER, "lost:2")
    lose_the_answers(two.other)
    assert (await two.runtime.deliverer.sweep()).retried == 2
    two.other.clear_faults()
    two.other.limit_history(per_minute=1, page=15)
    two.clock.advance(timedelta(days=1))

    stats = await two.runtime.deliverer.sweep()
    assert (stats.recovered, stats.sent, stats.rate_limited) == (2, 0, 0)
    lookups = two.other.calls_to("conversations.history")
    assert len(lookups) == 1 and two.other.rate_limited_count("conversations.history") == 0
    params = lookups[0].params
    assert int(params["limit"]) <= 15
    assert bearer(lookups[0]) == f"Bearer {two.other.token}"
    # `oldest` is Slack's wall clock a little before the lost attempt, not the shifted clock.
    lost = {m["ts"] for m in two.other.messages() if m["text"].startswith("hello lost")}
    assert Decimal(params["oldest"]) < min(Decimal(ts) for ts in lost)
    assert Decimal(params["oldest"]) > min(Decimal(ts) for ts in lost) - 120
    state = await outbox(two)
    assert {state["lost:1"].sent_ts, state["lost:2"].sent_ts} == lost
    assert two.other.posted_count_by_key() == {"before": 1, "lost:1": 1, "lost:2": 1}


async def test_a_lookup_that_meets_a_full_page_reads_on_from_it_at_the_next_sweep(
    two: Two,
) -> None:
    """More than 15 messages after the attempt's start (less the minute's slack): the
    first lookup reads 15, the row waits, and the next reads on after the newest of them."""
    for n in range(20):  # the same DM was busy just before the crash
        await enqueue(two, OTHER, f"chatter:{n:02}")
    assert (await two.runtime.deliverer.sweep()).sent == 20
    await enqueue(two, OTHER, "lost")
    await crash_after_posting(two, two.other, "lost")
    two.other.limit_history(per_minute=600, page=15)

    stats = await two.runtime.deliverer.sweep()
    assert (stats.recovered, stats.sent, stats.deferred) == (0, 0, 1)
    assert (await outbox(two))["lost"].status == "pending"
    two.clock.advance(timedelta(minutes=1, seconds=1))
    stats = await two.runtime.deliverer.sweep()
    assert (stats.recovered, stats.sent) == (1, 0)
    pages = [c for c in two.other.calls_to("conversations.history") if c.status == 200]
    first_page, second_page = pages
    assert Decimal(second_page.params["oldest"]) > Decimal(first_page.params["oldest"])
    assert two.other.posted_count_by_key()["lost"] == 1


async def test_a_row_claimed_after_its_channel_was_read_is_not_judged_by_that_page(
    two: Two,
) -> None:
    """A page read for one claim proves nothing absent for a row claimed later in the
    sweep (its dead worker may have posted after the read): that row waits for the next
    sweep, and the channel is still read once a sweep."""
    await enqueue(two, OTHER, "lost")
    lose_the_answers(two.other)
    assert (await two.runtime.deliverer.sweep()).retried == 1
    two.other.clear_faults()
    await enqueue(two, OTHER, "unposted")
    lost = (await outbox(two))["lost"]
    async with two.runtime.sessions() as session, session.begin():
        # Its outcome unknown too (a 500 before Slack did anything), due with "lost".
        await session.execute(
            update(OutgoingMessageRow)
            .where(OutgoingMessageRow.key == "unposted")
            .values(outcome_unknown=True, attempts=1, attempt_started_at=lost.attempt_started_at)
        )
        await session.execute(update(OutgoingMessageRow).values(next_attempt_at=two.clock.now()))
    one_at_a_time = Deliverer(
        two.runtime.sessions, build_web_client(two.runtime.settings, for_delivery=True),
        two.clock, replace(limited_history(FAST), concurrency=1), tokens=two.runtime.tokens,
    )  # fmt: skip
    stats = await one_at_a_time.sweep()
    assert (stats.recovered, stats.deferred, stats.sent) == (1, 1, 0)
    assert len(two.other.calls_to("conversations.history")) == 1
    two.clock.advance(timedelta(minutes=1, seconds=1))
    stats = await one_at_a_time.sweep()
    assert (stats.recovered, stats.sent) == (0, 1)
    assert two.other.posted_count_by_key() == {"lost": 1, "unposted": 1}


async def test_a_rate_limited_lookup_holds_history_for_that_workspace_only(two: Two) -> None:
    await enqueue(two, OTHER, "lost")
    await crash_after_posting(two, two.other, "lost")
    two.other.fail_next("conversations.history", status=429, retry_after=30)
    await enqueue(two, two.fake.team_id, "a:0")
    await enqueue(two, OTHER, "b:0")
    stats = await two.runtime.deliverer.sweep()
    assert (stats.rate_limited, stats.sent) == (1, 2)
    assert set(await holds(two)) == {(OTHER, "conversations.history")}
    assert (await outbox(two))["lost"].status == "pending"
    assert two.other.posted_count_by_key()["lost"] == 1


# ---------------------------------------------------------------- other calls outside requests


async def test_profile_refresh_reads_each_person_with_their_workspace_token(two: Two) -> None:
    now = two.clock.now()
    async with two.runtime.sessions() as session, session.begin():
        for team in (two.fake.team_id, OTHER, "T0GONE04"):
            await ensure_workspace(session, team, now=now)
            await get_or_create_person(session, team, MEMBER, now=now)
    report = await refresh_unsynced_profiles(
        two.runtime.sessions, two.runtime.client, now=now, tokens=two.runtime.tokens
    )
    assert (report.synced, report.postponed) == (2, 1)  # T0GONE04 has no installation
    for workspace in (two.fake, two.other):
        (call,) = workspace.calls_to("users.info")
        assert bearer(call) == f"Bearer {workspace.token}"
    async with two.runtime.sessions() as session:
        found = await session.execute(select(PersonRow.team_id, PersonRow.name))
        names = {team: name for team, name in found}
    assert names[two.fake.team_id] != names[OTHER]  # each read from its own workspace


async def test_admin_checks_ask_users_info_with_the_workspace_token(two: Two) -> None:
    two.other.update_user("U000002", is_admin=True)
    assert await two.runtime.admins.is_admin(OTHER, "U000002") is True
    assert await two.runtime.admins.is_admin(two.fake.team_id, "U000002") is False
    (other_call,) = two.other.calls_to("users.info")
    (fake_call,) = two.fake.calls_to("users.info")
    assert bearer(other_call) == f"Bearer {two.other.token}"
    assert bearer(fake_call) == f"Bearer {two.fake.token}"
    # A workspace without an installation has no admins, and no call goes out for it.
    assert await two.runtime.admins.is_admin("T0GONE04", "U000002") is False
    assert len(two.fake.calls + two.other.calls) == 2


async def test_single_token_mode_still_reads_the_newest_200_messages(
    sessions: Sessions, fake: FakeSlack, database_url: str
) -> None:
    """With one SLACK_BOT_TOKEN (an internal app, Tier 3 history) the lookup is as before
    issue 13: the newest page of 200, no `oldest`, with the client's own token."""
    fake.add_user(MEMBER, name="member")
    settings = load_settings(
        SLACK_BOT_TOKEN=fake.token, SLACK_SIGNING_SECRET="signing",
        SLACK_API_URL=fake.base_url, DATABASE_URL=database_url,
    )  # fmt: skip
    clock = ShiftedClock(datetime.now(UTC))
    runtime = build_runtime(settings, clock=clock, policy=FAST)
    try:
        async with runtime.sessions() as session, session.begin():
            await enqueue_message(
                session, team_id=fake.team_id, key="lost", channel=MEMBER,
                payload={"text": "hello"}, due_at=clock.now(),
            )  # fmt: skip
        lose_the_answers(fake)
        assert (await runtime.deliverer.sweep()).retried == 1
        fake.clear_faults()
        clock.advance(timedelta(seconds=1))
        assert (await runtime.deliverer.sweep()).recovered == 1
        (lookup,) = fake.calls_to("conversations.history")
        assert int(lookup.params["limit"]) == 200 and "oldest" not in lookup.params
        assert bearer(lookup) == f"Bearer {fake.token}"
    finally:
        await runtime.close()
