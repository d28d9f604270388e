"""The outbox: every message the bot decides to send is a row first.

`enqueue_message` writes the row in the caller's transaction, so a decision and its
messages commit together; `drop_messages` is how a later decision (a pause, a leave)
takes back what no longer applies. `Deliverer.sweep` claims due rows, sends them, and
records the outcome. The transport never gives up on a message Slack could still take:

- the recipient's permanent errors (`user_not_found`, `channel_not_found`, `is_archived`,
  …) and a payload Slack rejects as written fail the row, with the reason;
- 5xx, Slack's transient errors, timeouts and any error we do not know: capped exponential
  backoff with jitter, for `give_up_after` (two days) of trouble, not a number of tries;
- 429: a hold on that method for the workspace until `Retry-After`, kept in the database
  (`delivery_holds`) so every process honours it; the row keeps its place, no attempt spent;
- a token that stopped working (`invalid_auth`, `token_revoked`, `account_inactive`): a
  hold on the whole workspace, logged once, lifted by an `auth.test` probe (at most one a
  minute, by whichever process) once the token works; nothing is failed meanwhile.

Claims are leases, set and judged by the database's clock alone (PostgreSQL
`clock_timestamp()`, SQLite's `'now'`), so a skewed host or `tick --at` a day ahead
cannot take a row another worker is sending. A sweep claims only what it sends at once,
renews a row's lease (fenced by its token) before each Slack call and every third of the
lease while a call is in flight, and stops touching a row whose renewal fails. Claiming is
one UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, which PostgreSQL runs
without two workers taking the same row, and SQLite runs as one atomic write.

Exactly once across a crash: a worker may die after Slack posted the message but before we
committed `sent`. Every chat.postMessage therefore carries the row key in message
`metadata`; when a row comes back with an unknown outcome (expired lease, timeout, dropped
connection, a 500 or `fatal_error`), the worker first looks for that key in the channel's
recent `conversations.history` and, when found, records that message instead of posting
again. A lookup that fails is tried again later, never taken as "not posted". Idempotent
methods (chat.update, views.publish) are simply sent again.

Many workspaces (issue 13): every call of a row carries its own workspace's token
(`WorkspaceTokens`, looked up once per workspace per sweep). A workspace with no
installation is held like one whose token Slack refused. In OAuth mode a commercially
distributed app gets conversations.history at about one request a minute and 15 messages
a page, so a lookup reads from the unknown attempt's start (`attempt_started_at`, the
database's wall clock, a little before it) and each channel is read at most once a sweep.

`next_attempt_at` stays on the app's clock: decisions (and `tick --at`) say when a
message is due.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import (
    ColumnElement,
    DateTime,
    String,
    Table,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.tables import DeliveryHoldRow, OutgoingMessageRow, UTCDateTime
from bot.domain import DeliveryStatus
from bot.slack.tokens import WorkspaceTokens

logger = logging.getLogger(__name__)

METADATA_EVENT = "mentorbot_outbox"
# A row that uploads one file (files v2) instead of calling a Web API method: payload
# {"filename", "title", "initial_comment", "content_base64"} (see `file_upload`).
FILE_UPLOAD = "files.upload_v2"

# The hold scope for a workspace whose token stopped working (other scopes are methods).
TOKEN_SCOPE = "token"
# Why a workspace with no installation (never installed, or uninstalled) is held.
NO_INSTALLATION = "no_installation"

# Slack refused the token itself: nothing can be sent to this workspace until it works.
TOKEN_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
)
# The recipient cannot take the message, and no retry will change that.
RECIPIENT_ERRORS = frozenset(
    {
        "channel_not_found", "not_in_channel", "is_archived", "cannot_dm_bot",
        "user_not_found", "users_not_found", "user_disabled", "user_not_visible",
        "user_not_in_channel", "messages_tab_disabled", "team_access_not_granted",
        "restricted_action", "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
        "message_not_found", "cant_update_message", "edit_window_closed",
        "cant_delete_message", "compliance_exports_prevent_deletion",
    }
)  # fmt: skip
# Slack rejects the request as written: resending the same payload cannot succeed (a bug
# to fix, not an outage to wait out), so these fail too.
REQUEST_ERRORS = frozenset(
    {
        "invalid_arguments", "invalid_arg_name", "invalid_array_arg", "invalid_form_data",
        "invalid_json", "json_not_object", "invalid_blocks", "invalid_blocks_format",
        "invalid_attachments", "too_many_attachments", "msg_too_long", "no_text",
        "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
        "too_many_users", "users_list_not_supplied",
    }
)  # fmt: skip
# Slack errors that say "try again later". The first set may come after part of the work
# was done, the second before any.
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error"})
UNPROCESSED_ERRORS = frozenset({"service_unavailable", "request_timeout", "ratelimited"})


class Verdict(enum.Enum):
    """What an error from Slack means for the row that met it."""

    FAIL = "fail"  # permanent: record the reason
    RETRY = "retry"  # Slack did nothing: back off and send again
    RETRY_LOOK_FIRST = "retry_look_first"  # Slack may have acted: look before posting again
    RATE_LIMITED = "rate_limited"  # hold the method for Retry-After
    TOKEN = "token"  # hold the workspace until its token works


def classify(status: int, error: str, *, lookup: bool) -> Verdict:
    """The one place Slack's errors are sorted. `lookup`: the call guarded a post whose
    outcome is unknown, so failing would lose a message that may never have been posted."""
    if status == 429:
        return Verdict.RATE_LIMITED
    if error in TOKEN_ERRORS:
        return Verdict.TOKEN
    if lookup:
        return Verdict.RETRY
    if status == 503 or error in UNPROCESSED_ERRORS:
        return Verdict.RETRY
    if status >= 500 or error in TRANSIENT_ERRORS:
        # "Some aspect of the operation may have succeeded", says Slack of fatal_error.
        return Verdict.RETRY_LOOK_FIRST
    if error in RECIPIENT_ERRORS or error in REQUEST_ERRORS:
        return Verdict.FAIL
    # An error we do not know (missing_scope, a new one): waiting costs little, failing
    # loses the message. It fails by age like any other trouble.
    return Verdict.RETRY


class EqualJitter:
    """Half the backoff plus a random share of the other half (AWS "equal jitter").

    slack-sdk's RandomJitter adds up to a whole second whatever the backoff, which
    dwarfs short backoffs; this spreads retries in proportion instead.
    """

    def recalculate(self, duration: float) -> float:
        return duration / 2 + random.uniform(0, duration / 2)


@dataclass(frozen=True)
class DeliveryPolicy:
    # How long a claim lasts without renewal: how soon a dead worker's rows are taken
    # again. Also how long a request we gave up on may still reach Slack (see _retry).
    lease: timedelta = timedelta(seconds=60)
    # Retries stop only after this much trouble since the row was due; a message that is
    # no longer timely is dropped by the decision that queued it, not here.
    give_up_after: timedelta = timedelta(hours=48)
    backoff_factor: float = 2.0  # seconds; doubled each attempt, then jittered (EqualJitter)
    backoff_cap: float = 300.0
    concurrency: int = 8  # rows in flight; also the most a sweep holds claimed
    # A sweep waits for a rate-limit hold this short to end; a longer one is left to a
    # later sweep, so no sweep (or scheduler job) sleeps through a long pause.
    max_hold_wait: float = 5.0
    token_probe_interval: timedelta = timedelta(minutes=1)
    # Crash recovery's conversations.history lookup. Single-token mode reads the newest
    # 200 messages; OAuth mode (`limited_history`) reads at most 15 from the unknown
    # attempt's start, less `history_slack` for the database's and Slack's clocks.
    history_page: int = 200
    history_from_attempt: bool = False
    history_slack: timedelta = timedelta(seconds=60)
    history_interval: timedelta = timedelta(0)  # between one channel's lookups


def limited_history(policy: DeliveryPolicy) -> DeliveryPolicy:
    """`policy` under the conversations.history limits Slack set in 2025 for commercially
    distributed apps outside the Marketplace (1 request a minute, 15 messages a page)."""
    return replace(
        policy, history_page=15, history_from_attempt=True, history_interval=timedelta(minutes=1)
    )


@dataclass
class SweepStats:
    sent: int = 0
    recovered: int = 0  # found already posted, not sent again
    retried: int = 0
    rate_limited: int = 0  # put back by a 429 hold, no attempt spent
    held: int = 0  # put back because the workspace's token stopped working
    deferred: int = 0  # an unknown outcome whose lookup waits for a later sweep
    failed: int = 0

    def add(self, other: SweepStats) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class DatabaseClock:
    """SQL for the database's own time, which alone judges leases and holds."""

    def __init__(self, dialect: str) -> None:
        self._postgresql = dialect == "postgresql"

    def now(self, offset: timedelta = timedelta()) -> ColumnElement[Any]:
        if self._postgresql:
            # clock_timestamp(), not now(): now() stands still at the transaction's start.
            current = func.clock_timestamp(type_=DateTime(timezone=True))
            return current + offset if offset else current
        # SQLAlchemy keeps UTCDateTime on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff' text and
        # SQLite compares it as text. strftime's %f has milliseconds only: pad it to six
        # digits, so both sides have one width and order as the times they spell.
        modifier = f"{offset.total_seconds():+.3f} seconds"
        text = type_coerce(func.strftime("%Y-%m-%d %H:%M:%f", "now", modifier), String)
        return text + "000"


def database_clock(session: AsyncSession) -> DatabaseClock:
    return DatabaseClock(session.get_bind().dialect.name)


async def get_database_now(session: AsyncSession) -> datetime:
    """The database's current time (aware UTC), as leases and holds see it."""
    now = type_coerce(database_clock(session).now(), UTCDateTime())
    value: datetime | None = await session.scalar(select(now))
    assert value is not None
    return value


@dataclass(frozen=True)
class Outgoing:
    """One message to queue (see `enqueue_message`)."""

    team_id: str
    key: str
    payload: dict[str, Any]
    due_at: datetime
    channel: str | None = None
    users: tuple[str, ...] = ()
    method: str = "chat.postMessage"
    membership_id: int | None = None
    pair_id: int | None = None

    def __post_init__(self) -> None:
        if (self.channel is None) == (not self.users):
            raise ValueError("give either a channel or the users of a group DM")

    def values(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "key": self.key,
            "method": self.method,
            "channel": self.channel,
            "users": ",".join(sorted(self.users)) or None,
            "membership_id": self.membership_id,
            "pair_id": self.pair_id,
            "payload": self.payload,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "outcome_unknown": False,
            "next_attempt_at": self.due_at,
            "created_at": self.due_at,
        }


def file_upload(*, filename: str, title: str, content: bytes, comment: str = "") -> dict[str, Any]:
    """The payload of a FILE_UPLOAD row."""
    return {
        "filename": filename,
        "title": title,
        "initial_comment": comment,
        "content_base64": base64.b64encode(content).decode("ascii"),
    }


async def enqueue_message(
    session: AsyncSession,
    *,
    team_id: str,
    key: str,
    payload: dict[str, Any],
    due_at: datetime,
    channel: str | None = None,
    users: tuple[str, ...] = (),
    method: str = "chat.postMessage",
    membership_id: int | None = None,
    pair_id: int | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction.

    `key` makes the decision idempotent: a second enqueue with the same key (a retried
    event, a second clock process) is ignored. Returns whether a row was added.
    `membership_id` and `pair_id` say what the message is about, so a decision that
    makes it moot (a pause, a leave) can drop it with `drop_messages`.
    """
    message = Outgoing(
        team_id=team_id, key=key, payload=payload, due_at=due_at, channel=channel,
        users=users, method=method, membership_id=membership_id, pair_id=pair_id,
    )  # fmt: skip
    result = await session.execute(_insert_new(session).values(message.values()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def enqueue_messages(session: AsyncSession, messages: Sequence[Outgoing]) -> None:
    """`enqueue_message` for many at once (a sweep's batch): one executemany, which
    SQLAlchemy sends as a few multi-row INSERTs, not one statement per message."""
    if messages:
        await session.execute(_insert_new(session), [m.values() for m in messages])


def _insert_new(session: AsyncSession) -> Any:
    """INSERT into the outbox that skips a key already there. On the table, not the
    mapped class: a batch of thousands skips the ORM's per-row bookkeeping."""
    table = cast(Table, OutgoingMessageRow.__table__)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table)  # pragma: no cover - only the two supported databases


async def drop_messages(
    session: AsyncSession,
    *,
    team_id: str,
    reason: str,
    membership_ids: Collection[int] = (),
    pair_ids: Collection[int] = (),
    whole_workspace: bool = False,
) -> int:
    """Drop unsent messages about these memberships or pairs (or, `whole_workspace`,
    every one of the workspace's: it uninstalled the app), recording why.

    Only the decision that made a message moot drops it (a pause, a leave, an account
    gone), in its own transaction; the transport never gives up on a timely message.
    A row being sent right now (a live lease) is left to finish; one whose worker died
    mid-send is dropped like a pending one, and its token cleared to fence that worker out.
    """
    about: list[ColumnElement[bool]] = []
    if membership_ids:
        about.append(OutgoingMessageRow.membership_id.in_(list(membership_ids)))
    if pair_ids:
        about.append(OutgoingMessageRow.pair_id.in_(list(pair_ids)))
    if whole_workspace:
        about = [true()]
    if not about:
        return 0
    db_now = database_clock(session).now()
    result = await session.execute(
        update(OutgoingMessageRow)
        .where(
            OutgoingMessageRow.team_id == team_id,
            or_(
                OutgoingMessageRow.status == DeliveryStatus.PENDING.value,
                (OutgoingMessageRow.status == DeliveryStatus.SENDING.value)
                & (OutgoingMessageRow.lease_until < db_now),
            ),
            or_(*about),
        )
        .values(
            status=DeliveryStatus.DROPPED.value,
            last_error=reason[:200],
            lease_token=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


class _LeaseLost(Exception):
    """Another worker holds the row now: touch it no more."""


@dataclass
class _Outcome:
    status: DeliveryStatus
    error: str | None = None
    channel: str | None = None
    ts: str | None = None
    retry_in: float = 0.0  # seconds, when PENDING without a hold
    outcome_unknown: bool = False
    # (scope, seconds): hold the workspace's delivery; the row keeps its due time.
    hold: tuple[str, float] | None = None
    recovered: bool = False  # found already posted, recorded without sending again
    # Not tried this sweep (a lookup left to the next one): no attempt spent.
    requeue: bool = False
    # Where the next lookup reads from: history up to here was read and the post not in it.
    look_from: datetime | None = None


@dataclass
class _Page:
    """One conversations.history page read for crash recovery."""

    oldest: Decimal | None  # the `oldest` asked for; None: the newest messages
    messages: list[dict[str, Any]]
    has_more: bool
    # The claim of the row that read it. Only rows of that claim may share it: a row
    # claimed later may be one whose dead worker posted after the page was read.
    claim: str | None


class _Sweep:
    """What one sweep looks up once and its rows share: each workspace's token, and each
    channel's history page (one lookup per channel per sweep)."""

    def __init__(self, tokens: WorkspaceTokens | None) -> None:
        self._tokens = tokens
        self._token_lookups: dict[str, asyncio.Task[str | None]] = {}
        self.pages: dict[tuple[str, str], asyncio.Future[_Page | None]] = {}

    async def token(self, team_id: str) -> str | None:
        """The workspace's token, or None when it has no installation."""
        if self._tokens is None:
            return None
        lookup = self._token_lookups.get(team_id)
        if lookup is None:
            lookup = asyncio.ensure_future(self._tokens.bot_token(team_id))
            self._token_lookups[team_id] = lookup
        return await asyncio.shield(lookup)

    def close(self) -> None:
        for lookup in self._token_lookups.values():
            if not lookup.done():
                lookup.cancel()
            elif not lookup.cancelled():
                lookup.exception()  # read, so a failed lookup is not reported as unretrieved
        for page in self.pages.values():
            if not page.done():
                page.set_result(None)


class _NoInstallation(Exception):
    """The row's workspace has no installation: hold it like a refused token."""


class _Lease:
    """One claimed row's lease, kept alive while the row is being sent."""

    def __init__(self, deliverer: Deliverer, row: OutgoingMessageRow) -> None:
        self._deliverer = deliverer
        self._row = row
        self.lost = False

    async def renew(self) -> bool:
        if not self.lost:
            self.lost = not await self._deliverer._renew(self._row)
        return not self.lost

    async def keep_alive(self, done: asyncio.Event) -> None:
        """Renew every third of the lease until `done`: a call slower than the lease (a
        slow Slack, several 10 s timeouts in a row) must not let another worker in."""
        every = self._deliverer._policy.lease.total_seconds() / 3
        while True:
            try:
                async with asyncio.timeout(every):
                    await done.wait()
                return
            except TimeoutError:
                pass
            try:
                if not await self.renew():
                    logger.warning("outbox %s: lease lost while sending", self._row.id)
                    return
            except Exception:  # the database blinked: the next renewal may get through
                logger.warning("outbox %s: could not renew the lease", self._row.id, exc_info=True)


class Deliverer:
    """Sends due outbox rows. One per process; safe beside others on the same database."""

    def __init__(
        self,
        sessions: Sessions,
        client: AsyncWebClient,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        *,
        tokens: WorkspaceTokens | None = None,
    ) -> None:
        """`tokens`: each row's workspace token, passed on every call; without it every
        call goes with `client`'s own token (one workspace, and the tests of one)."""
        self._sessions = sessions
        self._client = client
        self._tokens = tokens
        self._clock = clock
        self._policy = policy or DeliveryPolicy()
        self._jitter = EqualJitter()
        self._stopping = False

    async def sweep(self) -> SweepStats:
        """Send every row due now; return what happened.

        Rows rescheduled during the sweep wait for a later one, so a sweep ends. A short
        rate-limit hold is waited out; a long one (or a token hold) ends the sweep, and a
        later sweep carries on when it lifts.
        """
        stats = SweepStats()
        due_by = self._clock.now()
        await self._probe_token_holds()
        # Tokens and history pages are looked up once a sweep: a rotated or revoked token
        # is seen by the next one.
        shared = _Sweep(self._tokens)
        in_flight: set[asyncio.Task[None]] = set()
        more = True
        try:
            while True:
                free = self._policy.concurrency - len(in_flight)
                if more and free > 0 and not self._stopping:
                    rows = await self._claim(free, due_by=due_by)
                    more = len(rows) == free
                    for row in rows:
                        in_flight.add(asyncio.create_task(self._deliver(row, stats, shared)))
                if not in_flight:
                    wait = None if self._stopping else await self._short_hold(due_by)
                    if wait is None:
                        return stats
                    await asyncio.sleep(wait)
                    more = True
                    continue
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
                more = True  # a lease may have run out or a hold ended meanwhile
        finally:
            # Cancelled (the process is going down): cancel the sends with us.
            for task in in_flight:
                task.cancel()
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            shared.close()

    def stop(self) -> None:
        """Finish the rows in hand, then claim no more (a graceful shutdown)."""
        self._stopping = True

    # ------------------------------------------------------------------ claiming

    def _claimable(self, due_by: datetime, db_now: ColumnElement[Any]) -> ColumnElement[bool]:
        row, hold = OutgoingMessageRow, DeliveryHoldRow
        due = or_(
            (row.status == DeliveryStatus.PENDING.value) & (row.next_attempt_at <= due_by),
            (row.status == DeliveryStatus.SENDING.value) & (row.lease_until < db_now),
        )
        # Mirrors what _send calls: the method itself; a lookup (outcome unknown, which an
        # expired lease is too) calls conversations.history, and conversations.open for a
        # user's DM; a group DM always opens first.
        unknown = row.outcome_unknown | (row.status == DeliveryStatus.SENDING.value)
        looks_up = (row.method == "chat.postMessage") & unknown
        opens = row.channel.is_(None) | (looks_up & func.substr(row.channel, 1, 1).in_(("U", "W")))
        held = exists().where(
            hold.team_id == row.team_id,
            or_(
                hold.scope == TOKEN_SCOPE,  # until a probe finds the token working
                (hold.until > db_now)
                & or_(
                    hold.scope == row.method,
                    (hold.scope == "conversations.history") & looks_up,
                    (hold.scope == "conversations.open") & opens,
                ),
            ),
        )
        return due & ~held

    async def _claim(self, limit: int, *, due_by: datetime) -> list[OutgoingMessageRow]:
        row = OutgoingMessageRow
        token = uuid.uuid4().hex
        async with self._sessions() as session, session.begin():
            db = database_clock(session)
            claimable = self._claimable(due_by, db.now())
            unknown = row.outcome_unknown | (row.status == DeliveryStatus.SENDING.value)
            looks_up = (row.method == "chat.postMessage") & unknown
            # One start for the whole claim (an uncorrelated subquery is evaluated once), so
            # rows of one channel claimed together can share one history page.
            started = select(type_coerce(db.now(), UTCDateTime())).scalar_subquery()
            # A CTE, not `id IN (subquery)`: PostgreSQL may rescan a subquery once per row,
            # locking past its LIMIT; a locking CTE is evaluated exactly once.
            due = (
                select(row.id)
                .where(claimable)
                .order_by(row.next_attempt_at, row.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=row)
                .cte("due")
            )
            claim = (
                update(row)
                .where(row.id == due.c.id)
                .where(claimable)  # re-checked on the locked row
                .values(
                    status=DeliveryStatus.SENDING.value,
                    lease_until=db.now(self._policy.lease),
                    lease_token=token,
                    # The database's wall clock (Slack's, near enough; not `tick --at`'s),
                    # kept while the outcome stays unknown: a lookup reads from here.
                    attempt_started_at=case(
                        (looks_up & row.attempt_started_at.is_not(None), row.attempt_started_at),
                        else_=started,
                    ),
                    attempts=row.attempts + 1,
                    # A lease that ran out means its worker died mid-send: outcome unknown.
                    outcome_unknown=case(
                        (row.status == DeliveryStatus.SENDING.value, True),
                        else_=row.outcome_unknown,
                    ),
                )
                .returning(row)
                .execution_options(synchronize_session=False)
            )
            rows = list((await session.scalars(claim)).all())
        return sorted(rows, key=lambda r: (r.next_attempt_at, r.id))

    async def _renew(self, claimed: OutgoingMessageRow) -> bool:
        """Extend our lease, fenced by its token; False if another worker has the row."""
        row = OutgoingMessageRow
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(row)
                .where(
                    row.id == claimed.id,
                    row.lease_token == claimed.lease_token,
                    row.status == DeliveryStatus.SENDING.value,
                )
                .values(lease_until=database_clock(session).now(self._policy.lease))
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _short_hold(self, due_by: datetime) -> float | None:
        """Seconds until the first rate-limit hold keeping due rows back ends, if soon."""
        row, hold = OutgoingMessageRow, DeliveryHoldRow
        async with self._sessions() as session:
            db_now = database_clock(session).now()
            waiting = exists().where(
                row.team_id == hold.team_id,
                row.status == DeliveryStatus.PENDING.value,
                row.next_attempt_at <= due_by,
            )
            found = (
                await session.execute(
                    select(func.min(hold.until), type_coerce(db_now, UTCDateTime())).where(
                        hold.scope != TOKEN_SCOPE, hold.until > db_now, waiting
                    )
                )
            ).one()
        # min() over no rows is NULL, whatever the column's type says.
        ends, now = cast(tuple[datetime | None, datetime | None], tuple(found))
        if ends is None or now is None:
            return None
        wait = (ends - now).total_seconds()
        return wait + 0.01 if wait <= self._policy.max_hold_wait else None

    # ------------------------------------------------------------------ holds

    async def _write_hold(
        self, session: AsyncSession, team_id: str, scope: str, seconds: float, reason: str
    ) -> bool:
        """Hold a workspace's delivery for `scope`; True if this started a token hold."""
        hold = DeliveryHoldRow
        postgresql = session.get_bind().dialect.name == "postgresql"
        insert_into = pg_insert if postgresql else sqlite_insert
        statement: Any = insert_into(hold).values(
            team_id=team_id,
            scope=scope,
            until=database_clock(session).now(timedelta(seconds=seconds)),
            reason=reason[:200],
        )
        if scope == TOKEN_SCOPE:
            # Kept until a probe lifts it; `until` is when the next probe is due.
            statement = statement.on_conflict_do_nothing()
        else:
            # Requests in flight bring more 429s: the hold ends at the latest Retry-After.
            latest = func.greatest if postgresql else func.max
            statement = statement.on_conflict_do_update(
                index_elements=[hold.team_id, hold.scope],
                set_={
                    "until": latest(hold.until, statement.excluded.until),
                    "reason": statement.excluded.reason,
                },
            )
        result = await session.execute(statement)
        return scope == TOKEN_SCOPE and bool(result.rowcount)  # type: ignore[attr-defined]

    async def _probe_token_holds(self) -> None:
        """Try auth.test for each token hold whose probe is due; lift those that pass."""
        hold = DeliveryHoldRow
        async with self._sessions() as session, session.begin():
            db = database_clock(session)
            # Taking the probe moves it a minute on: one process probes, the others wait.
            teams = (
                await session.scalars(
                    update(hold)
                    .where(hold.scope == TOKEN_SCOPE, hold.until <= db.now())
                    .values(until=db.now(self._policy.token_probe_interval))
                    .returning(hold.team_id)
                )
            ).all()
        for team_id in teams:
            try:
                token = await self._tokens.bot_token(team_id) if self._tokens else None
                if self._tokens and token is None:
                    continue  # still no installation: installing lifts the hold too
                await self._client.auth_test(**_auth(token))
            except (SlackApiError, TimeoutError, aiohttp.ClientError):
                continue  # still refused, or Slack is unreachable: the next probe will tell
            async with self._sessions() as session, session.begin():
                await session.execute(
                    delete(hold).where(hold.team_id == team_id, hold.scope == TOKEN_SCOPE)
                )
            logger.info("delivery to workspace %s resumed: the bot token works again", team_id)

    # ------------------------------------------------------------------ sending

    async def _deliver(self, row: OutgoingMessageRow, stats: SweepStats, shared: _Sweep) -> None:
        lease = _Lease(self, row)
        done = asyncio.Event()
        heartbeat = asyncio.create_task(lease.keep_alive(done))
        try:
            outcome = await self._send(row, lease, shared)
        except _LeaseLost:
            logger.info("outbox %s: taken by another worker before a call; left to it", row.id)
            return
        finally:
            done.set()
            await heartbeat
        await self._record(row, outcome, stats)

    async def _call(
        self, lease: _Lease, call: Callable[[], Awaitable[AsyncSlackResponse]]
    ) -> AsyncSlackResponse:
        """A Slack call made only while the row is still ours."""
        if not await lease.renew():
            raise _LeaseLost
        return await call()

    async def _send(self, row: OutgoingMessageRow, lease: _Lease, shared: _Sweep) -> _Outcome:
        lookup = row.method == "chat.postMessage" and row.outcome_unknown
        try:
            token = await shared.token(row.team_id)
            if self._tokens is not None and token is None:
                raise _NoInstallation
            auth = _auth(token)
            channel = row.channel
            if row.users and not channel:
                channel = await self._open(lease, row.users, auth)
            if lookup:
                found = await self._find_posted(lease, row, channel, auth, shared)
                if isinstance(found, _Outcome):
                    return found
        except _NoInstallation:
            probe = self._policy.token_probe_interval.total_seconds()
            return _Outcome(
                DeliveryStatus.PENDING, NO_INSTALLATION, outcome_unknown=row.outcome_unknown,
                hold=(TOKEN_SCOPE, probe),
            )  # fmt: skip
        except SlackApiError as exc:
            return self._on_error(row, exc, lookup=lookup)
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Nothing was posted by this attempt; the row's outcome stays as it was.
            return self._retry(row, f"network: {type(exc).__name__}", unknown=row.outcome_unknown)
        try:
            if row.method == FILE_UPLOAD:
                response = await self._upload(lease, row, channel, auth)
            else:
                body = self._body(row, channel) | auth  # slack-sdk takes `token` from the body
                response = await self._call(
                    lease, lambda: self._client.api_call(row.method, json=body)
                )
        except SlackApiError as exc:
            return self._on_error(row, exc, lookup=False)
        except aiohttp.ClientConnectorError as exc:
            # Never connected: Slack cannot have acted.
            return self._retry(row, f"network: {type(exc).__name__}", unknown=row.outcome_unknown)
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Slack may or may not have acted, and may yet: look before posting again.
            return self._retry(row, f"network: {type(exc).__name__}", unknown=True, sent=True)
        data = response.data if isinstance(response.data, dict) else {}
        return _Outcome(
            DeliveryStatus.SENT,
            channel=str(data.get("channel") or channel or ""),
            ts=str(data["ts"]) if data.get("ts") else None,
        )

    async def _upload(
        self, lease: _Lease, row: OutgoingMessageRow, channel: str | None, auth: dict[str, Any]
    ) -> AsyncSlackResponse:
        """A FILE_UPLOAD row: the files v2 steps, shared into a channel or a person's DM
        (completeUploadExternal takes a conversation id, not a user id). Unlike a post
        it carries no metadata to look for after a crash: an unknown outcome uploads
        again, so a file may come twice but is never lost."""
        if channel and channel[0] in "UW":
            channel = await self._open(lease, channel, auth)
        payload = row.payload
        return await self._call(
            lease,
            lambda: self._client.files_upload_v2(
                channel=channel,
                content=base64.b64decode(payload["content_base64"]),
                filename=payload["filename"],
                title=payload.get("title") or payload["filename"],
                initial_comment=payload.get("initial_comment") or None,
                request_file_info=False,
                **auth,
            ),
        )

    async def _open(self, lease: _Lease, users: str, auth: dict[str, Any]) -> str:
        response = await self._call(
            lease, lambda: self._client.conversations_open(users=users, **auth)
        )
        return str(response["channel"]["id"])

    def _body(self, row: OutgoingMessageRow, channel: str | None) -> dict[str, Any]:
        body = dict(row.payload)
        if row.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            body["channel"] = channel
        if row.method == "chat.postMessage":
            body["metadata"] = {
                "event_type": METADATA_EVENT,
                "event_payload": {"outbox_key": row.key},
            }
        return body

    async def _find_posted(
        self,
        lease: _Lease,
        row: OutgoingMessageRow,
        channel: str | None,
        auth: dict[str, Any],
        shared: _Sweep,
    ) -> _Outcome | None:
        """Look in Slack's own history for an earlier post of this row: the outcome when
        it is there (or when the lookup has to wait for a later sweep), None when it was
        not posted. A channel's history is read once a sweep; its other rows share it."""
        if channel and channel[0] in "UW":
            channel = await self._open(lease, channel, auth)
        conversation = channel or ""
        oldest = self._lookup_oldest(row)
        page: _Page | None
        pending = shared.pages.get((row.team_id, conversation))
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            shared.pages[(row.team_id, conversation)] = pending
            try:
                page = await self._read_history(lease, row, conversation, oldest, auth)
            except BaseException:
                # Nothing read: the rows waiting on it wait for a later sweep, and this
                # one may read again once its hold (a 429's Retry-After) is over.
                del shared.pages[(row.team_id, conversation)]
                pending.set_result(None)
                raise
            pending.set_result(page)
        else:
            page = await pending
        return self._judge(row, conversation, page, oldest)

    def _lookup_oldest(self, row: OutgoingMessageRow) -> Decimal | None:
        """Slack timestamp a lookup reads from: the unknown attempt's start (database
        time), a little before; None in single-token mode, which reads the newest page."""
        if not self._policy.history_from_attempt or row.attempt_started_at is None:
            return None
        return _slack_ts(row.attempt_started_at - self._policy.history_slack)

    async def _read_history(
        self,
        lease: _Lease,
        row: OutgoingMessageRow,
        conversation: str,
        oldest: Decimal | None,
        auth: dict[str, Any],
    ) -> _Page:
        # With `oldest` and no `latest`, Slack returns the messages closest to `oldest`:
        # the ones after the unknown attempt, not the newest.
        bounds: dict[str, Any] = {"oldest": f"{oldest:.6f}"} if oldest is not None else {}
        history = await self._call(
            lease,
            lambda: self._client.conversations_history(
                channel=conversation,
                include_all_metadata=True,
                limit=self._policy.history_page,
                **bounds,
                **auth,
            ),
        )
        messages = list(history.get("messages") or [])
        return _Page(oldest, messages, bool(history.get("has_more")), claim=row.lease_token)

    def _judge(
        self, row: OutgoingMessageRow, conversation: str, page: _Page | None, oldest: Decimal | None
    ) -> _Outcome | None:
        later = _Outcome(
            DeliveryStatus.PENDING, "lookup: waits for the next sweep", outcome_unknown=True,
            requeue=True, retry_in=max(1.0, self._policy.history_interval.total_seconds()),
        )  # fmt: skip
        if page is None:
            return later
        for message in page.messages:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("outbox_key") == row.key
            ):
                return _Outcome(
                    DeliveryStatus.SENT, channel=conversation, ts=str(message["ts"]), recovered=True
                )
        # Not there. That proves nothing for a row of a later claim (its dead worker may
        # have posted since the page was read), nor from a later `oldest` than this row's.
        covers = page.oldest is None or (oldest is not None and oldest >= page.oldest)
        if page.claim != row.lease_token or not covers:
            return later
        if not page.has_more or page.oldest is None:
            return None  # all of it read (single-token mode: the newest page, as ever)
        # 15 messages read and more after them: the next lookup reads on from the newest.
        newest = max((Decimal(str(m["ts"])) for m in page.messages), default=None)
        if newest is not None:
            later.look_from = _from_slack_ts(newest) + self._policy.history_slack
        return later

    def _on_error(self, row: OutgoingMessageRow, exc: SlackApiError, *, lookup: bool) -> _Outcome:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        verdict = classify(status, error, lookup=lookup)
        if verdict is Verdict.RATE_LIMITED:
            # Limits are per method: hold the one that answered 429 (maybe a lookup).
            method = exc.response.api_url.rstrip("/").rsplit("/", 1)[-1] or row.method
            return _Outcome(
                DeliveryStatus.PENDING, "ratelimited", outcome_unknown=row.outcome_unknown,
                hold=(method, _retry_after(exc.response.headers)),
            )  # fmt: skip
        if verdict is Verdict.TOKEN:
            probe = self._policy.token_probe_interval.total_seconds()
            return _Outcome(
                DeliveryStatus.PENDING, error, outcome_unknown=row.outcome_unknown,
                hold=(TOKEN_SCOPE, probe),
            )  # fmt: skip
        if verdict is Verdict.FAIL:
            return _Outcome(DeliveryStatus.FAILED, error)
        reason = f"lookup: {error}" if lookup else error
        unknown = verdict is Verdict.RETRY_LOOK_FIRST or row.outcome_unknown
        return self._retry(row, reason, unknown=unknown)

    def _retry(
        self, row: OutgoingMessageRow, error: str, *, unknown: bool, sent: bool = False
    ) -> _Outcome:
        """Back off and try again, unless Slack has been failing this row for too long.

        `sent`: the request left and we stopped waiting for it. It may still land, so the
        lookup that guards the next try waits a lease's length, as after a crash.
        """
        trouble = self._clock.now() - row.created_at
        if trouble >= self._policy.give_up_after:
            hours = trouble.total_seconds() / 3600
            reason = f"gave up after {hours:.0f} h and {row.attempts} attempts: {error}"
            return _Outcome(DeliveryStatus.FAILED, reason)
        exponent = min(row.attempts - 1, 32)  # 2**32 s is past any cap
        delay = self._jitter.recalculate(
            min(self._policy.backoff_cap, self._policy.backoff_factor * 2.0**exponent)
        )
        if sent:
            delay = max(delay, self._policy.lease.total_seconds())
        return _Outcome(DeliveryStatus.PENDING, error, retry_in=delay, outcome_unknown=unknown)

    async def _record(self, row: OutgoingMessageRow, outcome: _Outcome, stats: SweepStats) -> None:
        now = self._clock.now()
        values: dict[str, Any] = {
            "status": outcome.status.value,
            "last_error": outcome.error[:200] if outcome.error else None,
            "lease_until": None,
            "lease_token": None,
            "outcome_unknown": outcome.outcome_unknown,
        }
        if outcome.status is DeliveryStatus.SENT:
            values |= {"sent_at": now, "sent_ts": outcome.ts, "sent_channel": outcome.channel}
        elif outcome.hold is not None:
            # Held back, not tried: no attempt spent, and the row keeps its due time.
            values["attempts"] = OutgoingMessageRow.attempts - 1
        elif outcome.status is DeliveryStatus.PENDING:
            values["next_attempt_at"] = now + timedelta(seconds=outcome.retry_in)
            if outcome.requeue:
                values["attempts"] = OutgoingMessageRow.attempts - 1
        if outcome.look_from is not None:
            values["attempt_started_at"] = outcome.look_from
        fenced = (
            update(OutgoingMessageRow)
            .where(OutgoingMessageRow.id == row.id)
            .where(OutgoingMessageRow.lease_token == row.lease_token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        started_token_hold = False
        async with self._sessions() as session, session.begin():
            if outcome.hold is not None:
                scope, seconds = outcome.hold
                reason = outcome.error or scope
                started_token_hold = await self._write_hold(
                    session, row.team_id, scope, seconds, reason
                )
            result = await session.execute(fenced)
        if started_token_hold and outcome.error == NO_INSTALLATION:
            logger.warning(
                "delivery to workspace %s paused: the app is not installed there. Nothing is "
                "lost; delivery resumes once it is installed again",
                row.team_id,
            )
        elif started_token_hold:
            logger.warning(
                "delivery to workspace %s paused: Slack refused the bot token (%s). Nothing is "
                "lost; delivery resumes once auth.test accepts the token (tried every %.0f s)",
                row.team_id, outcome.error, self._policy.token_probe_interval.total_seconds(),
            )  # fmt: skip
        if not result.rowcount:  # type: ignore[attr-defined]
            logger.warning("outbox %s: lease lost before recording %s", row.id, outcome.status)
            return
        if outcome.status is DeliveryStatus.SENT:
            if outcome.recovered:
                stats.recovered += 1
            else:
                stats.sent += 1
        elif outcome.status is DeliveryStatus.FAILED:
            stats.failed += 1
            logger.warning("outbox %s (%s) failed: %s", row.id, row.method, outcome.error)
        elif outcome.requeue:
            stats.deferred += 1
        elif outcome.hold is None:
            stats.retried += 1
        elif outcome.hold[0] == TOKEN_SCOPE:
            stats.held += 1
        else:
            stats.rate_limited += 1


def _retry_after(headers: Any) -> float:
    """Seconds from a Retry-After header (aiohttp headers, or lists as slack-sdk keeps them)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(float(raw), 0.0)
            except ValueError:
                break
    return 1.0


def _auth(token: str | None) -> dict[str, Any]:
    """The `token=` of a call: the workspace's, or none (the client's own)."""
    return {"token": token} if token else {}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _slack_ts(moment: datetime) -> Decimal:
    """A moment as Slack's "seconds.micros" timestamp, exactly (a float loses micros)."""
    return Decimal((moment - _EPOCH) // _MICROSECOND).scaleb(-6)


def _from_slack_ts(ts: Decimal) -> datetime:
    return _EPOCH + int(ts.scaleb(6)) * _MICROSECOND
