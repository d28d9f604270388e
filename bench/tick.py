"""One decision tick at scale on PostgreSQL: idle (nothing due) and busy (5,000 due).

Builds a workspace of N participants (people and memberships in four programs, a tenth
also in a second one) in N / 2 active introduced pairs, each partner with their next
check-in written ahead (SCHEDULED, due over the coming two weeks at their local
check-in time, as `checkin_plan` computes it) and a history: an ended earlier round,
meetings, last period's sent check-ins, and five outbox rows a person (old ones
purged). Bulk loaded with COPY; schema by `upgrade_to_head`.

Then `bot.jobs.run_decisions` (every sweep in DECISION_SWEEPS) at a moment when
nothing is due: the median wall time of a few runs and the SQL statements it sends
(counted by a `before_cursor_execute` event on the engine), per sweep and in all, at
each size, so that a count that grows with the data shows. The reference beside it:
one indexed `SELECT count(*)` on the check-ins' due index, in the same run.
Then 5,000 check-ins are made due and one tick queues them (needs the "checkins"
sweep): time, statements, outbox rows written.

    python bench/tick.py [--people 10000 --people 100000] [--due 5000] [--database-url URL]

The URL is a PostgreSQL server on which the bench creates (and drops) its own
databases; default $MENTORBOT_BENCH_POSTGRES_URL or
postgresql://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import jobs
from bot.config import Settings, parse_database_url
from bot.db.engine import build_engine, build_sessions
from bot.db.migrate import upgrade_to_head
from bot.db.tables import CheckinRow, OutgoingMessageRow
from bot.delivery import Deliverer
from bot.domain import ALL_WEEKDAYS_MASK, CheckinStatus
from bot.runtime import Runtime
from bot.slack.admins import AdminDirectory
from bot.slack.tokens import SingleToken
from bot.worktime import checkin_due_at, local_instant

DEFAULT_URL = os.environ.get(
    "MENTORBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEAM = "T0BENCH"
# A Wednesday, 10:00 UTC: working hours in the zones BUSY_ZONES, before DST changes.
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
PROGRAMS = 4
CADENCE = 14
CHECKIN_MINUTE = 9 * 60 + 30
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
]
# Where NOW is between 09:30 and 17:00 local: a check-in due today at 09:30 is timely.
BUSY_ZONES = {
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
}
IDLE_RUNS = 5


class FixedClock:
    def now(self) -> datetime:
        return NOW


# --- building the data ---------------------------------------------------------------


@dataclass
class Built:
    people: int
    pairs: int
    checkins_scheduled: int
    rows: dict[str, int]
    seconds: float


def _json(value: object) -> str:
    return json.dumps(value)


async def build(dsn: str, people: int, *, seed: int) -> Built:
    """Everything by COPY through asyncpg, ids chosen here (sequences set after)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO workspaces (team_id, name, created_at) VALUES ($1, 'Bench', $2)",
            TEAM,
            NOW - timedelta(days=400),
        )
        for p in range(1, PROGRAMS + 1):
            await conn.execute(
                """INSERT INTO programs (id, team_id, name, objectives, cadence_days, round_weeks,
                    starts_on, min_stage_gap, min_leader_stage, priority, is_default, is_open,
                    pairs_automatically, created_at, updated_at)
                VALUES ($1, $2, $3, '', $4, 12, $5, 1, 3, 'most_matched', $6, true, $7, $8, $8)""",
                p, TEAM, f"Program {p}", CADENCE, (NOW - timedelta(days=120)).date(),
                p == 1, p == 2, NOW - timedelta(days=130),
            )  # fmt: skip
            # Round 1 ended a month ago; round 2 (its pairs active) runs for 8 more weeks.
            for number, starts, ends, status in (
                (1, NOW - timedelta(days=114), NOW - timedelta(days=30), "announced"),
                (2, NOW - timedelta(days=28), NOW + timedelta(days=56), "confirmed"),
            ):
                await conn.execute(
                    """INSERT INTO rounds (id, team_id, program_id, number, status, seed,
                        starts_at, ends_at, created_at, confirmed_at)
                    VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $6, $6)""",
                    2 * p - 2 + number, TEAM, p, number, status, starts, ends,
                )  # fmt: skip

        zones = [rng.choice(ZONES) for _ in range(people)]
        person_rows = [
            (
                i,
                TEAM,
                f"U{i:010d}",
                f"Person {i}",
                "",
                1 + i % 5,
                f"Dept {i % 12}",
                "",
                zones[i - 1],
                i % 97 == 0,
                i % 100 != 0,
                NOW - timedelta(days=100),
                0,
                NOW - timedelta(days=100),
                NOW - timedelta(days=100),
            )
            for i in range(1, people + 1)
        ]
        await conn.copy_records_to_table(
            "people",
            records=person_rows,
            columns=[
                "id", "team_id", "slack_user_id", "name", "title", "career_stage",
                "department", "goals", "timezone", "is_workspace_admin", "is_active",
                "profile_synced_at", "ignored_checkins", "created_at", "updated_at",
            ],
        )  # fmt: skip

        # Person 2k-1 mentors person 2k, in program k % PROGRAMS + 1.
        memberships = []
        membership_of: dict[tuple[int, int], int] = {}
        for i in range(1, people + 1):
            program = ((i + 1) // 2) % PROGRAMS + 1
            status, until = "active", None
            if i % 50 == 7:
                status, until = "paused", NOW + timedelta(days=7 + i % 20)
            memberships.append((program, i, "mentor" if i % 2 else "mentee", status, until))
            if i % 10 == 3:  # a tenth also belong to a second program, unpaired there
                memberships.append((program % PROGRAMS + 1, i, "either", "active", None))
        membership_rows = []
        for mid, (program, person, role, status, until) in enumerate(memberships, start=1):
            membership_of[(program, person)] = mid
            membership_rows.append(
                (mid, TEAM, program, person, role, 1, status, until,
                 NOW - timedelta(days=100), False)
            )  # fmt: skip
        await conn.copy_records_to_table(
            "memberships",
            records=membership_rows,
            columns=[
                "id", "team_id", "program_id", "person_id", "role", "max_mentees", "status",
                "paused_until", "joined_at", "wants_rematch",
            ],
        )  # fmt: skip

        pair_rows, checkin_rows, meeting_rows, outbox_rows = [], [], [], []
        pair_id = checkin_id = meeting_id = outbox_id = 0

        def outbox(key: str, channel: str, *, at: datetime, membership: int | None,
                   pair: int | None, payload: dict[str, Any]) -> None:  # fmt: skip
            nonlocal outbox_id
            outbox_id += 1
            old = at < NOW - timedelta(days=30)
            outbox_rows.append(
                (outbox_id, TEAM, key, "chat.postMessage", channel, membership, pair,
                 _json({} if old else payload), "sent", 1, at, False, f"D{channel[1:]}",
                 f"{at.timestamp():.6f}", at, at, at + timedelta(days=30) if old else None)
            )  # fmt: skip

        # Round 1: a fifth of the people were paired then, and met three times.
        for k in range(1, people // 10 + 1):
            mentor, mentee = 4 * k - 3, 4 * k
            program = ((mentor + 1) // 2) % PROGRAMS + 1
            pair_id += 1
            intro = NOW - timedelta(days=113)
            pair_rows.append(
                (pair_id, TEAM, program, 2 * program - 1, mentor, mentee, 0.5, "[]", "[]",
                 "ended", False, intro, intro, None, "good", "good", "accepted", "accepted",
                 CADENCE, NOW - timedelta(days=30), f"G{pair_id:09d}")
            )  # fmt: skip
            for n in range(3):
                meeting_id += 1
                met = intro + timedelta(days=20 + 25 * n)
                meeting_rows.append((meeting_id, TEAM, pair_id, met.date(), n + 1, mentor, met))
            for person in (mentor, mentee):
                member = membership_of.get((program, person))
                outbox(f"intro:{pair_id}:{person}", f"U{person:010d}", at=intro,
                       membership=member, pair=pair_id, payload={"text": "intro"})  # fmt: skip
                outbox(f"closing:{pair_id}:{person}", f"U{person:010d}",
                       at=NOW - timedelta(days=30), membership=member, pair=pair_id,
                       payload={"text": "closing"})  # fmt: skip

        # Round 2: everyone, introduced 8 to 27 days ago.
        scheduled = 0
        for k in range(1, people // 2 + 1):
            mentor, mentee = 2 * k - 1, 2 * k
            program = k % PROGRAMS + 1
            pair_id += 1
            intro = NOW - timedelta(days=8, minutes=rng.randrange(19 * 24 * 60))
            met_at = intro + timedelta(days=rng.randint(3, 7)) if rng.random() < 0.7 else None
            met_at = met_at if met_at is not None and met_at < NOW - timedelta(hours=2) else None
            # Asked the fit check after the first meeting; otherwise it is due 2 weeks in.
            fit_due = intro + timedelta(days=14) if met_at is None else None
            if fit_due is not None and fit_due <= NOW:
                fit_due = None  # asked already: no answer
            pair_rows.append(
                (pair_id, TEAM, program, 2 * program, mentor, mentee, 0.6, "[]", "[]",
                 "active", False, intro, intro, fit_due, None, None, "accepted", "accepted",
                 CADENCE, None, f"G{pair_id:09d}")
            )  # fmt: skip
            if met_at is not None:
                meeting_id += 1
                meeting_rows.append((meeting_id, TEAM, pair_id, met_at.date(), 1, mentor, met_at))
            for person in (mentor, mentee):
                member = membership_of.get((program, person))
                channel = f"U{person:010d}"
                outbox(f"intro:{pair_id}:{person}", channel, at=intro, membership=member,
                       pair=pair_id, payload={"text": "intro"})  # fmt: skip
                if met_at is not None:
                    outbox(f"fit:{pair_id}:{person}:1", channel, at=met_at, membership=member,
                           pair=pair_id, payload={"text": "fit"})  # fmt: skip
                zone = zones[person - 1]
                anchor = intro.astimezone(ZoneInfo(zone)).date()
                sequence = 1
                while True:
                    due = checkin_due_at(
                        anchor=anchor, sequence=sequence, cadence_days=CADENCE,
                        days_mask=ALL_WEEKDAYS_MASK, minute=CHECKIN_MINUTE, timezone=zone,
                    )  # fmt: skip
                    if due > NOW + timedelta(hours=1):
                        break
                    # Last period's check-in: sent, maybe answered.
                    checkin_id += 1
                    key = f"checkin:{person}:{checkin_id}"
                    answered = met_at is not None and met_at <= due + timedelta(days=3)
                    checkin_rows.append(
                        (checkin_id, TEAM, pair_id, person, sequence, due, "sent", due, key,
                         "met" if answered else None, due + timedelta(hours=2) if answered
                         else None, 0)
                    )  # fmt: skip
                    outbox(key, channel, at=due, membership=member, pair=pair_id,
                           payload={"text": "check-in"})  # fmt: skip
                    sequence += 1
                checkin_id += 1
                checkin_rows.append(
                    (checkin_id, TEAM, pair_id, person, sequence, due, "scheduled", None, None,
                     None, None, 0)
                )  # fmt: skip
                scheduled += 1

        await conn.copy_records_to_table(
            "pairs",
            records=pair_rows,
            columns=[
                "id", "team_id", "program_id", "round_id", "mentor_id", "mentee_id", "score",
                "shared_skills", "reasons", "status", "pinned", "created_at", "introduced_at",
                "fit_due_at", "mentor_fit", "mentee_fit", "mentor_consent", "mentee_consent",
                "cadence_days", "ended_at", "conversation_id",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "meetings",
            records=meeting_rows,
            columns=["id", "team_id", "pair_id", "met_on", "sequence", "recorded_by", "created_at"],
        )
        await conn.copy_records_to_table(
            "checkins",
            records=checkin_rows,
            columns=[
                "id", "team_id", "pair_id", "person_id", "sequence", "due_at", "status",
                "sent_at", "message_key", "answer", "answered_at", "reminders",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "outgoing_messages",
            records=outbox_rows,
            columns=[
                "id", "team_id", "key", "method", "channel", "membership_id", "pair_id",
                "payload", "status", "attempts", "next_attempt_at", "outcome_unknown",
                "sent_channel", "sent_ts", "created_at", "sent_at", "purged_at",
            ],
        )  # fmt: skip
        events = [
            (f"Ev{n:012d}", TEAM, NOW - timedelta(minutes=n % (23 * 60)))
            for n in range(people // 20)
        ]
        await conn.copy_records_to_table(
            "processed_events", records=events, columns=["event_id", "team_id", "received_at"]
        )
        for table in ("programs", "rounds", "people", "memberships", "pairs", "meetings",
                      "checkins", "outgoing_messages"):  # fmt: skip
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
        counts = {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
            for table in (
                "people",
                "memberships",
                "pairs",
                "meetings",
                "checkins",
                "outgoing_messages",
                "processed_events",
            )
        }
    finally:
        await conn.close()
    return Built(people, people // 2, scheduled, counts, time.perf_counter() - started)


# --- measuring -----------------------------------------------------------------------


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[list[int]]:
        start = self.count
        out = [0]
        try:
            yield out
        finally:
            out[0] = self.count - start


def build_runtime(url: str) -> tuple[Runtime, StatementCounter]:
    engine = build_engine(url)
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    sessions = build_sessions(engine)
    clock = FixedClock()
    # No Slack is called: every profile is synced, and the bench never delivers.
    client = AsyncWebClient(token="xoxb-bench", base_url="http://127.0.0.1:9/api/")
    runtime = Runtime(
        settings=Settings(DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-bench"),
        engine=engine,
        sessions=sessions,
        clock=clock,
        client=client,
        deliverer=Deliverer(sessions, client, clock),
        admins=AdminDirectory(frozenset(), client, clock=clock),
        tokens=SingleToken("xoxb-bench"),
        installations=None,
    )
    return runtime, counter


async def reference(runtime: Runtime, counter: StatementCounter) -> tuple[float, int]:
    """One indexed count of the due check-ins: the least a tick must do."""
    times = []
    for _ in range(IDLE_RUNS + 1):
        started = time.perf_counter()
        async with runtime.sessions() as session:
            await session.scalar(
                select(func.count())
                .select_from(CheckinRow)
                .where(CheckinRow.status == CheckinStatus.SCHEDULED.value, CheckinRow.due_at <= NOW)
            )
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:]), 1


async def idle_tick(runtime: Runtime, counter: StatementCounter) -> dict[str, Any]:
    """run_decisions a few times (after a warm-up), and each sweep on its own."""
    totals, statements, done = [], [], {}
    for run in range(IDLE_RUNS + 1):
        with counter.counting() as counted:
            started = time.perf_counter()
            done = await jobs.run_decisions(runtime)
            elapsed = time.perf_counter() - started
        if run:
            totals.append(elapsed)
            statements.append(counted[0])
    per_sweep = {}
    for name, sweep in jobs.DECISION_SWEEPS:
        times, counts = [], []
        for _ in range(3):
            with counter.counting() as counted:
                started = time.perf_counter()
                await sweep(runtime, NOW)
                times.append(time.perf_counter() - started)
            counts.append(counted[0])
        per_sweep[name] = (statistics.median(times), max(counts))
    return {
        "median": statistics.median(totals),
        "runs": totals,
        "statements": statements,
        "done": done,
        "per_sweep": per_sweep,
    }


async def busy_tick(runtime: Runtime, counter: StatementCounter, due: int) -> dict[str, Any]:
    """`due` scheduled check-ins of people where NOW is working time become due today at
    09:30 local (timely), then one run_decisions."""
    async with runtime.sessions() as session, session.begin():
        rows = await session.execute(
            text(
                "SELECT c.id, p.timezone FROM checkins c JOIN people p ON p.id = c.person_id "
                "WHERE c.status = 'scheduled' AND p.is_active AND p.timezone = ANY(:zones) "
                "AND EXISTS (SELECT 1 FROM memberships m "
                "WHERE m.person_id = p.id AND m.status = 'active') "
                "ORDER BY c.id LIMIT :due"
            ),
            {"zones": sorted(BUSY_ZONES), "due": due},
        )
        chosen = rows.all()
        for zone in {z for _, z in chosen}:
            ids = [i for i, z in chosen if z == zone]
            await session.execute(
                text("UPDATE checkins SET due_at = :at WHERE id = ANY(:ids)"),
                {"at": local_instant(NOW.date(), CHECKIN_MINUTE, timezone=zone), "ids": ids},
            )
        before = await session.scalar(select(func.count()).select_from(OutgoingMessageRow))
    await runtime.engine.dispose()  # fresh statistics are the planner's, not ours
    with counter.counting() as counted:
        started = time.perf_counter()
        done = await jobs.run_decisions(runtime)
        elapsed = time.perf_counter() - started
    async with runtime.sessions() as session:
        after = await session.scalar(select(func.count()).select_from(OutgoingMessageRow))
        sent = await session.scalar(
            select(func.count())
            .select_from(CheckinRow)
            .where(CheckinRow.id.in_([i for i, _ in chosen]), CheckinRow.status != "scheduled")
        )
    return {
        "made_due": len(chosen),
        "seconds": elapsed,
        "statements": counted[0],
        "outbox_rows": int(after or 0) - int(before or 0),
        "left_scheduled": len(chosen) - int(sent or 0),
        "done": done,
    }


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_size(server: str, people: int, *, due: int | None, seed: int) -> dict[str, Any]:
    name = f"mentorbot_bench_{uuid.uuid4().hex[:8]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    async_url = make_url(parse_database_url(server)).set(database=name)
    url = async_url.render_as_string(hide_password=False)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        built = await build(dsn, people, seed=seed)
        runtime, counter = build_runtime(url)
        try:
            ref = await reference(runtime, counter)
            idle = await idle_tick(runtime, counter)
            busy = None
            if due is not None:
                busy = await busy_tick(runtime, counter, due)
        finally:
            await runtime.engine.dispose()
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {"built": built, "reference": ref, "idle": idle, "busy": busy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append", help="participants (repeatable)")
    parser.add_argument("--due", type=int, default=5000, help="check-ins due in the busy tick")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server")
    parser.add_argument("--seed", type=int, default=20261210)
    args = parser.parse_args()
    sizes = sorted(args.people or [10_000, 100_000])
    has_checkins = any(name == "checkins" for name, _ in jobs.DECISION_SWEEPS)
    server = args.database_url.replace("postgresql+asyncpg://", "postgresql://")
    load = os.getloadavg()
    print(
        f"tick bench (postgresql), {datetime.now(UTC):%Y-%m-%d}, load "
        f"{load[0]:.1f} {load[1]:.1f} on {os.cpu_count()} cores; "
        "sweeps: " + ", ".join(name for name, _ in jobs.DECISION_SWEEPS)
    )
    for people in sizes:
        busy_due = args.due if people == sizes[-1] and has_checkins else None
        result = asyncio.run(run_size(server, people, due=busy_due, seed=args.seed))
        built, ref, idle = result["built"], result["reference"], result["idle"]
        rows = ", ".join(f"{table} {n:,}" for table, n in built.rows.items())
        print(
            f"\n{people:,} participants, {built.pairs:,} active pairs "
            f"({built.seconds:.1f} s to load)"
        )
        print(f"  rows: {rows}; scheduled check-ins {built.checkins_scheduled:,}")
        print(
            f"  reference: indexed count of due check-ins {ref[0] * 1000:7.1f} ms, "
            f"{ref[1]} statement"
        )
        runs = " ".join(f"{t * 1000:.0f}" for t in idle["runs"])
        print(
            f"  idle tick: median {idle['median'] * 1000:7.1f} ms (runs {runs} ms), "
            f"statements {sorted(set(idle['statements']))}, "
            f"done {sum(v or 0 for v in idle['done'].values())}"
        )
        for name, (seconds, count) in idle["per_sweep"].items():
            print(f"    {name:18} {seconds * 1000:7.1f} ms  {count:3d} statements")
        busy = result["busy"]
        if busy is not None:
            print(
                f"  busy tick: {busy['made_due']:,} check-ins due: {busy['seconds']:.2f} s, "
                f"{busy['statements']} statements, {busy['outbox_rows']:,} outbox rows written, "
                f"{busy['left_scheduled']:,} left scheduled; done {busy['done']}"
            )
        elif people == sizes[-1]:
            print('  busy tick: not run, it needs the "checkins" sweep in DECISION_SWEEPS')


if __name__ == "__main__":
    main()
