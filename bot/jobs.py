"""The periodic sweeps, and the only place APScheduler is imported.

The database decides what is due; the scheduler only ticks (ARCHITECTURE.md §1).
`mentorbot tick`, `serve`, `socket` and `clock` all run these same functions, so a
double tick or two processes cannot do anything twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import SweepStats
from bot.runtime import Runtime
from bot.services.admin_digest import sweep_admin_digest
from bot.services.celebrations import sweep_digest
from bot.services.checkins import (
    plan_unplanned_pairs,
    sweep_checkin_reminders,
    sweep_checkins,
)
from bot.services.consent import sweep_consent
from bot.services.erasure import purge_delivered_payloads
from bot.services.events import purge_processed_events
from bot.services.fitcheck import sweep_fit_checks
from bot.services.lifecycle import sweep_round_ends
from bot.services.participation import resume_due_pauses
from bot.services.profiles import refresh_unsynced_profiles
from bot.services.rounds import list_due_automatic_programs, run_automatic_round
from bot.services.stalled import sweep_risk_digest, sweep_stalled_pairs
from bot.services.stories import sweep_story_removals
from bot.services.workspaces import lift_uninstall_for_working_token

logger = logging.getLogger(__name__)

# A decision sweep looks at what is due at `now`, writes its rows and outbox messages in
# one transaction, and returns how many things it did.
DecisionSweep = Callable[[Runtime, datetime], Awaitable[int]]

DELIVERY_INTERVAL_SECONDS = 3
DECISION_INTERVAL_SECONDS = 60


async def _purge_events(runtime: Runtime, now: datetime) -> int:
    return await purge_processed_events(runtime.sessions, now=now)


async def _resume_pauses(runtime: Runtime, now: datetime) -> int:
    return await resume_due_pauses(runtime.sessions, now=now)


async def _purge_payloads(runtime: Runtime, now: datetime) -> int:
    return await purge_delivered_payloads(runtime.sessions, now=now)


async def _reinstalled(runtime: Runtime, now: datetime) -> int:
    # OAuth mode: a reinstall is recorded by the OAuth callback (record_install).
    if runtime.installations is not None:
        return 0
    return await lift_uninstall_for_working_token(runtime.sessions, runtime.client, now=now)


async def _refresh_profiles(runtime: Runtime, now: datetime) -> int:
    report = await refresh_unsynced_profiles(
        runtime.sessions, runtime.client, now=now, tokens=runtime.tokens
    )
    return report.done


# --- Automatic pairing rounds (issue 9) ---------------------------------------------
async def _automatic_rounds(runtime: Runtime, now: datetime) -> int:
    """Programs that pair themselves, whose round is due: pair and confirm each (the
    confirm is conditional, so a second process or tick confirms nothing twice)."""
    done = 0
    for program in await list_due_automatic_programs(runtime.sessions, now=now):
        confirmed = await run_automatic_round(
            runtime.sessions,
            program=program,
            admin_ids=runtime.settings.MENTORBOT_ADMIN_IDS,
            now=now,
        )
        done += confirmed.round_ is not None
    return done


# --- Consent, fit check and round end (issue 9 points 4, 6, 7) ---------------------


async def _consent(runtime: Runtime, now: datetime) -> int:
    return await sweep_consent(runtime.sessions, now=now)


async def _fit_checks(runtime: Runtime, now: datetime) -> int:
    return await sweep_fit_checks(runtime.sessions, now=now)


async def _round_ends(runtime: Runtime, now: datetime) -> int:
    return await sweep_round_ends(runtime.sessions, now=now)


# --- Check-ins (issue 10, part A1: sending) -------------------------------------------


async def _plan_checkins(runtime: Runtime, now: datetime) -> int:
    return await plan_unplanned_pairs(runtime.sessions, now=now)


async def _checkins(runtime: Runtime, now: datetime) -> int:
    return await sweep_checkins(runtime.sessions, now=now)


async def _checkin_reminders(runtime: Runtime, now: datetime) -> int:
    return await sweep_checkin_reminders(runtime.sessions, now=now)


# --- Stalled pairs and the admins' weekly digest (issue 10 point 5) -----------------


async def _stalled_pairs(runtime: Runtime, now: datetime) -> int:
    return await sweep_stalled_pairs(runtime.sessions, now=now)


# --- Success stories (issue 11) -------------------------------------------------------


async def _story_removals(runtime: Runtime, now: datetime) -> int:
    return await sweep_story_removals(
        runtime.sessions, runtime.client, now=now,
        configured_admins=runtime.settings.MENTORBOT_ADMIN_IDS, tokens=runtime.tokens,
    )  # fmt: skip


async def _risk_digest(runtime: Runtime, now: datetime) -> int:
    return await sweep_risk_digest(
        runtime.sessions, now=now, configured_admins=runtime.settings.MENTORBOT_ADMIN_IDS
    )


# The monthly digest (issue 11). Milestones and completed rounds are decided where a
# meeting is recorded and where a round ends (bot/services/celebrations.py).


async def _digest(runtime: Runtime, now: datetime) -> int:
    return await sweep_digest(runtime.sessions, now=now)


async def _admin_digest(runtime: Runtime, now: datetime) -> int:
    return await sweep_admin_digest(
        runtime.sessions, now=now, configured_admins=runtime.settings.MENTORBOT_ADMIN_IDS
    )


DECISION_SWEEPS: list[tuple[str, DecisionSweep]] = [
    ("purge-events", _purge_events),
    ("resume-pauses", _resume_pauses),
    ("purge-payloads", _purge_payloads),
    ("reinstalled", _reinstalled),  # single-token mode: a working token lifts an uninstall
    ("refresh-profiles", _refresh_profiles),
    # Round ends first: a round due when the last one ends pairs the people it freed.
    ("round-ends", _round_ends),
    ("digest", _digest),
    ("automatic-rounds", _automatic_rounds),
    ("consent", _consent),
    ("fit-checks", _fit_checks),
    ("plan-checkins", _plan_checkins),
    ("checkins", _checkins),
    ("checkin-reminders", _checkin_reminders),
    # Stalled pairs before the digest, so it lists this tick's newly at-risk pairs too.
    ("stalled-pairs", _stalled_pairs),
    ("risk-digest", _risk_digest),
    ("admin-digest", _admin_digest),
    ("story-removals", _story_removals),
]


@dataclass
class TickReport:
    decisions: dict[str, int | None] = field(default_factory=dict)
    delivery: SweepStats = field(default_factory=SweepStats)


async def run_decisions(runtime: Runtime) -> dict[str, int | None]:
    """Every decision sweep once, each on its own: one that fails is logged (once, with
    its traceback) and reported as None, and the others still run."""
    now = runtime.clock.now()
    done: dict[str, int | None] = {}
    for name, sweep in DECISION_SWEEPS:
        try:
            done[name] = await sweep(runtime, now)
        except Exception:  # isolation is the point: the next sweep must still run
            logger.exception("decision sweep %s failed", name)
            done[name] = None
    return done


async def run_delivery(runtime: Runtime) -> SweepStats:
    return await runtime.deliverer.sweep()


async def tick(runtime: Runtime) -> TickReport:
    """Everything due now, once: decisions first, then the messages they queued."""
    report = TickReport(decisions=await run_decisions(runtime))
    report.delivery = await run_delivery(runtime)
    return report


class Jobs:
    """The scheduler: fixed periodic jobs only (ids fixed, one instance each, missed
    runs coalesced), and a graceful stop that lets running sweeps finish their batch.

    Cancelling a sweep mid-transaction would leave its claim to expire (60 s) and,
    on SQLite, a write lock held while the process winds down.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._running: set[asyncio.Task[object]] = set()
        self._delivery: asyncio.Task[object] | None = None
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        for job_id, job, seconds in (
            ("delivery", self._start_delivery, DELIVERY_INTERVAL_SECONDS),
            ("decisions", run_decisions, DECISION_INTERVAL_SECONDS),
        ):
            self.scheduler.add_job(
                self._run,
                "interval",
                seconds=seconds,
                id=job_id,
                replace_existing=True,
                args=[job],
                next_run_time=datetime.now(UTC),
            )

    async def _start_delivery(self, runtime: Runtime) -> None:
        """The delivery job: start a sweep unless one is still going, and return at once.

        A sweep can outlast the 3 s interval (a round's DMs drained under Slack's rate
        limit, a short 429 hold waited out); awaited here, every tick meanwhile would be
        a skipped run and one "maximum number of running instances" line in the log.
        """
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.create_task(self._run(run_delivery))
            self._delivery.add_done_callback(_log_delivery_failure)

    async def _run(self, job: Callable[[Runtime], Awaitable[object]]) -> object:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            return await job(self._runtime)
        finally:
            self._running.discard(task)

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, *, grace: float = 20.0) -> None:
        """Schedule nothing more; wait up to `grace` s (Heroku kills at 30) for running jobs."""
        # Pause first: APScheduler's shutdown cancels the coroutine jobs still running.
        self.scheduler.pause()
        self._runtime.deliverer.stop()
        running = set(self._running)
        if self._delivery is not None and not self._delivery.done():
            running.add(self._delivery)  # started a moment ago, maybe not yet running
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            if pending:
                logger.warning("%d job(s) still running at shutdown", len(pending))
        self.scheduler.shutdown(wait=False)


def _log_delivery_failure(task: asyncio.Task[object]) -> None:
    # Run outside APScheduler's executor, which used to log a job's exception.
    if not task.cancelled() and task.exception() is not None:
        logger.error("delivery sweep failed", exc_info=task.exception())
