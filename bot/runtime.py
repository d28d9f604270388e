"""What listeners and jobs share in one process, built once at start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from weakref import WeakValueDictionary

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.engine import Sessions, build_engine, build_sessions
from bot.delivery import Deliverer, DeliveryPolicy, limited_history
from bot.slack.admins import AdminDirectory
from bot.slack.tokens import WorkspaceTokens, build_tokens, installation_store


class AckFirst:
    """Acks before the work that follows them.

    Every request counts as waiting for its ack while it is being dispatched
    (`acking`); the work a listener does after its ack enters with `async with`, which
    waits until no ack is due (at most `patience` seconds, so steady traffic cannot
    starve it) and then runs `limit` at a time. Without the wait, the Home tab of the
    first of thirty people joining at once was built while the last still waited for
    its "You're in": 3.1 s on SQLite, past Slack's 3.
    """

    def __init__(self, *, limit: int = 4, patience: float = 2.5) -> None:
        self._waiting = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._slots = asyncio.Semaphore(limit)
        self._patience = patience

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        self._waiting += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._waiting -= 1
            if self._waiting == 0:
                self._idle.set()

    async def __aenter__(self) -> None:
        with contextlib.suppress(TimeoutError):  # acks keep coming: go on, a few at a time
            await asyncio.wait_for(self._idle.wait(), self._patience)
        await self._slots.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        self._slots.release()


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: Sessions
    clock: Clock
    client: AsyncWebClient  # for replies inside a request (views.open, users.info)
    deliverer: Deliverer
    admins: AdminDirectory
    # Each workspace's bot token (issue 13); `installations` is slack-sdk's store in
    # OAuth mode and None with one configured SLACK_BOT_TOKEN.
    tokens: WorkspaceTokens
    installations: AsyncInstallationStore | None
    _sweep: asyncio.Task[object] | None = field(default=None, init=False, repr=False)
    _more_queued: bool = field(default=False, init=False, repr=False)
    _closing: bool = field(default=False, init=False, repr=False)
    # Work done after an ack (a status reply through response_url) waits its turn here,
    # so a burst of it never delays the acks that Slack needs within 3 seconds.
    after_ack: AckFirst = field(default_factory=lambda: AckFirst())
    _home_locks: WeakValueDictionary[tuple[str, str], asyncio.Lock] = field(
        default_factory=WeakValueDictionary, init=False, repr=False
    )

    def home_lock(self, team_id: str, user_id: str) -> asyncio.Lock:
        """One person's Home is rendered and published one at a time: of two clicks close
        together, the Home rendered first could otherwise land last and undo the second."""
        lock = self._home_locks.get((team_id, user_id))
        if lock is None:
            lock = self._home_locks[(team_id, user_id)] = asyncio.Lock()
        return lock

    def deliver_soon(self) -> None:
        """Send what a handler just queued now, not at the next tick.

        A sweep under way may already have made its last claim, so it is asked to
        sweep once more rather than trusted to see the new rows.
        """
        self._more_queued = True
        if self._closing:
            return  # the rows wait in the outbox for the next process's first sweep
        if self._sweep is None or self._sweep.done():
            self._sweep = asyncio.get_running_loop().create_task(self._sweep_while_queued())
            self._sweep.add_done_callback(_log_failure)

    async def _sweep_while_queued(self) -> None:
        while self._more_queued:
            self._more_queued = False
            await self.deliverer.sweep()

    async def close(self, *, grace: float = 5.0) -> None:
        """Let work still running finish (up to `grace` s), then close the database.

        Listeners go on after their ack (process_before_response=False) in tasks of their
        own, and so does `deliver_soon`'s sweep; closing the pool under them would cut a
        write in half.
        """
        self._closing = True
        current = asyncio.current_task()
        deadline = asyncio.get_running_loop().time() + grace
        # Until nothing is left: a listener finishing meanwhile may have started more
        # work (its own follow-up writes), and a task still holding a connection when
        # the pool closes would leave that connection to the garbage collector.
        while running := {t for t in asyncio.all_tasks() if t is not current and not t.done()}:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                logging.getLogger(__name__).warning(
                    "%d task(s) still running at shutdown", len(running)
                )
                break
            await asyncio.wait(running, timeout=left)
        await self.engine.dispose()


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger(__name__).error("delivery sweep failed", exc_info=task.exception())


def build_web_client(settings: Settings, *, for_delivery: bool = False) -> AsyncWebClient:
    """A Web API client for our Slack (or the fake one in tests).

    Replies retry a dropped connection or one 429 in place. The delivery client retries
    nothing itself: the outbox owns retries, so a retry can never post a message twice.
    """
    handlers = (
        []
        if for_delivery
        else [
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
        ]
    )
    return AsyncWebClient(
        token=settings.SLACK_BOT_TOKEN or None,
        base_url=settings.SLACK_API_URL,
        timeout=10,
        retry_handlers=handlers,
    )


def build_runtime(
    settings: Settings, *, clock: Clock | None = None, policy: DeliveryPolicy | None = None
) -> Runtime:
    engine = build_engine(settings.DATABASE_URL)
    sessions = build_sessions(engine)
    clock = clock or SystemClock()
    client = build_web_client(settings)
    installations = installation_store(settings, engine) if settings.oauth else None
    tokens = build_tokens(settings, installations, client)
    if settings.oauth:
        # A distributed app outside the Marketplace: Slack's 2025 conversations.history
        # limits (1 a minute, 15 a page) apply to crash recovery's lookups.
        policy = limited_history(policy or DeliveryPolicy())
    # One SLACK_BOT_TOKEN: the delivery client carries it, as before issue 13.
    deliverer = Deliverer(
        sessions, build_web_client(settings, for_delivery=True), clock, policy=policy,
        tokens=tokens if settings.oauth else None,
    )  # fmt: skip
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        client=client,
        deliverer=deliverer,
        admins=AdminDirectory(settings.MENTORBOT_ADMIN_IDS, client, clock=clock, tokens=tokens),
        tokens=tokens,
        installations=installations,
    )
