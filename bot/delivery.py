"""The outbox: every message the bot decides to send is a row first.

`enqueue_message` writes the row in the caller's transaction, so a decision and
its messages commit together. `Deliverer.sweep` claims due rows, sends them, and
records the outcome:

- 429: the method pauses for `Retry-After` and the row waits that long (no attempt spent);
- 5xx, Slack's transient errors, timeouts: capped exponential backoff with jitter;
- Slack's other errors (`user_not_found`, `channel_not_found`, …) are permanent: the row is
  marked failed with the reason.

Claiming is one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, which
PostgreSQL runs without two workers taking the same row, and SQLite runs as one atomic
write. A claim is a lease: if a worker dies, the row becomes due again when the lease ends.

Exactly once across a crash: a worker may die after Slack posted the message but before we
committed `sent`. Every chat.postMessage therefore carries the row key in message
`metadata`; when a row comes back with an unknown outcome (expired lease, timeout, dropped
connection, a 500 or `fatal_error`), the worker first looks for that key in the channel's
recent `conversations.history` and, when found, records that message instead of posting again.
Idempotent methods (chat.update, views.publish) are simply sent again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import case, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.tables import OutgoingMessageRow
from bot.domain import DeliveryStatus

logger = logging.getLogger(__name__)

METADATA_EVENT = "mentorbot_outbox"

# Slack errors that say "try again later"; every other error is about the request itself.
# The first set may come after part of the work was done, the second before any.
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error"})
UNPROCESSED_ERRORS = frozenset({"service_unavailable", "request_timeout", "ratelimited"})


class EqualJitter(Jitter):
    """Half the backoff plus a random share of the other half (AWS "equal jitter").

    slack-sdk's RandomJitter adds up to a whole second whatever the backoff, which
    dwarfs short backoffs; this spreads retries in proportion instead.
    """

    def recalculate(self, duration: float) -> float:
        return duration / 2 + random.uniform(0, duration / 2)


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    backoff_factor: float = 2.0  # seconds; doubled each attempt, then jittered (EqualJitter)
    backoff_cap: float = 300.0
    concurrency: int = 8
    batch_size: int = 32


@dataclass
class SweepStats:
    sent: int = 0
    recovered: int = 0  # found already posted, not sent again
    retried: int = 0
    rate_limited: int = 0
    failed: int = 0

    def add(self, other: SweepStats) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


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
    if (channel is None) == (not users):
        raise ValueError("give either a channel or the users of a group DM")
    values = {
        "team_id": team_id,
        "key": key,
        "method": method,
        "channel": channel,
        "users": ",".join(sorted(users)) or None,
        "membership_id": membership_id,
        "pair_id": pair_id,
        "payload": payload,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "outcome_unknown": False,
        "next_attempt_at": due_at,
        "created_at": due_at,
    }
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = pg_insert(OutgoingMessageRow).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(OutgoingMessageRow).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        statement = insert(OutgoingMessageRow).values(values)
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def drop_messages(
    session: AsyncSession,
    *,
    team_id: str,
    reason: str,
    membership_ids: Collection[int] = (),
    pair_ids: Collection[int] = (),
) -> int:
    """Drop unsent messages about these memberships or pairs, recording why.

    Only the decision that made a message moot drops it (a pause, a leave, an account
    gone), in its own transaction; the transport never gives up on a timely message.
    A row being sent right now is left to finish.
    """
    about = []
    if membership_ids:
        about.append(OutgoingMessageRow.membership_id.in_(list(membership_ids)))
    if pair_ids:
        about.append(OutgoingMessageRow.pair_id.in_(list(pair_ids)))
    if not about:
        return 0
    result = await session.execute(
        update(OutgoingMessageRow)
        .where(
            OutgoingMessageRow.team_id == team_id,
            OutgoingMessageRow.status == DeliveryStatus.PENDING.value,
            or_(*about),
        )
        .values(status=DeliveryStatus.DROPPED.value, last_error=reason[:200])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class _Outcome:
    status: DeliveryStatus
    error: str | None = None
    channel: str | None = None
    ts: str | None = None
    retry_in: float = 0.0  # seconds from `decided`, when the row may be tried again
    outcome_unknown: bool = False
    spent_attempt: bool = True
    recovered: bool = False  # found already posted, recorded without sending again
    decided: float = field(default_factory=time.monotonic)


class Deliverer:
    """Sends due outbox rows. One per process; safe beside others on the same database."""

    def __init__(
        self,
        sessions: Sessions,
        client: AsyncWebClient,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._clock = clock
        self._policy = policy or DeliveryPolicy()
        self._backoff = BackoffRetryIntervalCalculator(
            backoff_factor=self._policy.backoff_factor, jitter=EqualJitter()
        )
        # method -> monotonic time before which Slack asked us not to call it again
        self._paused: dict[str, float] = {}
        self._stopping = False

    async def sweep(self) -> SweepStats:
        """Send every row due now; return what happened.

        Rows held back only by a 429 pause are waited for, so one sweep drains what is
        due even under rate limiting.
        """
        total = SweepStats()
        while not self._stopping:
            rows = await self._claim()
            if not rows:
                pause = self._next_unpause() + 0.01  # just past, so the rows are due
                if pause > 0.01 and await self._has_rows_due_within(pause):
                    await asyncio.sleep(pause)
                    continue
                return total
            total.add(await self._send_all(rows))
        return total

    def stop(self) -> None:
        """Finish the batch in hand, then claim no more (a graceful shutdown)."""
        self._stopping = True

    def _paused_methods(self) -> list[str]:
        now = time.monotonic()
        return [m for m, until in self._paused.items() if until > now]

    def _next_unpause(self) -> float:
        """Seconds until the first paused method may be called again (0: none paused)."""
        now = time.monotonic()
        return min((until - now for until in self._paused.values() if until > now), default=0.0)

    async def _has_rows_due_within(self, seconds: float) -> bool:
        due = self._due_clause(self._clock.now() + timedelta(seconds=seconds))
        async with self._sessions() as session:
            found = await session.scalar(select(OutgoingMessageRow.id).where(due).limit(1))
        return found is not None

    def _due_clause(self, now: datetime | None = None) -> Any:
        now = now or self._clock.now()
        return or_(
            (OutgoingMessageRow.status == DeliveryStatus.PENDING.value)
            & (OutgoingMessageRow.next_attempt_at <= now),
            (OutgoingMessageRow.status == DeliveryStatus.SENDING.value)
            & (OutgoingMessageRow.lease_until < now),
        )

    async def _claim(self) -> list[OutgoingMessageRow]:
        now = self._clock.now()
        due = (
            select(OutgoingMessageRow.id)
            .where(self._due_clause())
            .order_by(OutgoingMessageRow.next_attempt_at, OutgoingMessageRow.id)
            .limit(self._policy.batch_size)
            .with_for_update(skip_locked=True)
        )
        paused = self._paused_methods()
        if paused:
            due = due.where(OutgoingMessageRow.method.not_in(paused))
        # A CTE, not `id IN (subquery)`: PostgreSQL may rescan a subquery once per row,
        # locking past its LIMIT; a locking CTE is evaluated exactly once.
        due_cte = due.cte("due")
        token = uuid.uuid4().hex
        claim = (
            update(OutgoingMessageRow)
            .where(OutgoingMessageRow.id == due_cte.c.id)
            .where(self._due_clause())  # re-checked on the locked row
            .values(
                status=DeliveryStatus.SENDING.value,
                lease_until=now + self._policy.lease,
                lease_token=token,
                attempt_started_at=now,
                attempts=OutgoingMessageRow.attempts + 1,
                # A lease that ran out means its worker died mid-send: outcome unknown.
                outcome_unknown=case(
                    (OutgoingMessageRow.status == DeliveryStatus.SENDING.value, True),
                    else_=OutgoingMessageRow.outcome_unknown,
                ),
            )
            .returning(OutgoingMessageRow)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions() as session, session.begin():
            rows = list((await session.scalars(claim)).all())
        return sorted(rows, key=lambda r: (r.next_attempt_at, r.id))

    async def _send_all(self, rows: list[OutgoingMessageRow]) -> SweepStats:
        stats = SweepStats()
        gate = asyncio.Semaphore(self._policy.concurrency)

        async def one(row: OutgoingMessageRow) -> None:
            async with gate:
                outcome = await self._send(row)
            await self._record(row, outcome, stats)

        await asyncio.gather(*(one(row) for row in rows))
        return stats

    def _methods_needed(self, row: OutgoingMessageRow) -> set[str]:
        """Every Web API method sending this row may call."""
        needed = {row.method}
        if row.users and not row.channel:
            needed.add("conversations.open")
        if row.method == "chat.postMessage" and row.outcome_unknown:
            needed.add("conversations.history")
            if row.channel and row.channel[0] in "UW":
                needed.add("conversations.open")
        return needed

    async def _send(self, row: OutgoingMessageRow) -> _Outcome:
        now = time.monotonic()
        wait = max((self._paused.get(m, now) - now for m in self._methods_needed(row)), default=0)
        if wait > 0:
            # A method this row needs hit a 429: wait without spending an attempt.
            return _Outcome(
                DeliveryStatus.PENDING, "ratelimited", retry_in=wait,
                spent_attempt=False, outcome_unknown=row.outcome_unknown,
            )  # fmt: skip
        try:
            channel = row.channel or await self._open_group(row.users or "")
            if row.method == "chat.postMessage" and row.outcome_unknown:
                found = await self._find_posted(row, channel)
                if found:
                    return _Outcome(DeliveryStatus.SENT, channel=channel, ts=found, recovered=True)
            response = await self._client.api_call(row.method, json=self._body(row, channel))
        except SlackApiError as exc:
            return self._classify(row, exc)
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Slack may or may not have acted: look before posting again.
            return self._retry(row, f"network: {type(exc).__name__}", unknown=True)
        data = response.data if isinstance(response.data, dict) else {}
        return _Outcome(
            DeliveryStatus.SENT,
            channel=str(data.get("channel") or channel or ""),
            ts=str(data["ts"]) if data.get("ts") else None,
        )

    async def _open_group(self, users: str) -> str:
        response = await self._client.conversations_open(users=users)
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

    async def _find_posted(self, row: OutgoingMessageRow, channel: str | None) -> str | None:
        """The ts of an earlier post of this row, from Slack's own history."""
        if channel and channel[0] in "UW":
            channel = str((await self._client.conversations_open(users=channel))["channel"]["id"])
        # The newest 200 messages, not an `oldest` bound: our clock may be shifted
        # (`tick --at`) while Slack stamps real time, and a crashed post is recent.
        history = await self._client.conversations_history(
            channel=channel or "", include_all_metadata=True, limit=200
        )
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("outbox_key") == row.key
            ):
                return str(message["ts"])
        return None

    def _classify(self, row: OutgoingMessageRow, exc: SlackApiError) -> _Outcome:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429:
            # Limits are per method: pause the one that answered 429 (maybe a lookup).
            method = exc.response.api_url.rstrip("/").rsplit("/", 1)[-1] or row.method
            retry_after = _retry_after(exc.response.headers)
            now = time.monotonic()
            # Requests already in flight may bring more 429s; the first one sets the pause.
            if self._paused.get(method, 0.0) <= now:
                self._paused[method] = now + retry_after
            retry_after = self._paused[method] - now
            return _Outcome(
                DeliveryStatus.PENDING, "ratelimited", retry_in=retry_after,
                spent_attempt=False, outcome_unknown=row.outcome_unknown,
            )  # fmt: skip
        if status == 503 or error in UNPROCESSED_ERRORS:
            # Refused before any work was done: nothing to look for next time.
            return self._retry(row, error, unknown=row.outcome_unknown)
        if status >= 500 or error in TRANSIENT_ERRORS:
            # Slack may have acted before failing ("some aspect of the operation may have
            # succeeded", says its doc of fatal_error): look before posting again.
            return self._retry(row, error, unknown=True)
        return _Outcome(DeliveryStatus.FAILED, error)

    def _retry(self, row: OutgoingMessageRow, error: str, *, unknown: bool) -> _Outcome:
        if row.attempts >= self._policy.max_attempts:
            reason = f"gave up after {row.attempts} attempts: {error}"
            return _Outcome(DeliveryStatus.FAILED, reason)
        delay = min(
            self._policy.backoff_cap, self._backoff.calculate_sleep_duration(row.attempts - 1)
        )
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
        elif outcome.status is DeliveryStatus.PENDING:
            # Due exactly when a 429 pause ends, however long recording took.
            retry_in = outcome.retry_in - (time.monotonic() - outcome.decided)
            values["next_attempt_at"] = now + timedelta(seconds=retry_in)
            if not outcome.spent_attempt:
                values["attempts"] = OutgoingMessageRow.attempts - 1
        fenced = (
            update(OutgoingMessageRow)
            .where(OutgoingMessageRow.id == row.id)
            .where(OutgoingMessageRow.lease_token == row.lease_token)
            .values(**values)
        )
        async with self._sessions() as session, session.begin():
            result = await session.execute(fenced)
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
        elif outcome.spent_attempt:
            stats.retried += 1
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
