"""A three-month program, time-travelled through the app's own `tick` (the sweeps
`mentorbot tick --at` runs) with real delivery to the fake Slack over HTTP: exactly
the expected check-in DMs, at 09:30 on each reader's own clock, on weekdays only,
right across the daylight-saving changes of Europe, the US and Australia."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.db.tables import (
    CheckinRow,
    MembershipRow,
    OutgoingMessageRow,
    PairRow,
    PersonRow,
    ProgramRow,
    RoundRow,
    WorkspaceRow,
)
from bot.domain import MembershipStatus, PairStatus, Role, RoundStatus
from bot.services.introductions import enqueue_introductions
from bot.services.reports import Period, build_report
from bot.slack import ids
from tests.e2e.conftest import RunningApp
from tests.e2e.test_consent import buttons, click, dms, eventually, set_clock, settle

# Monday 1 February 2027, 00:30 UTC: the intros. On the readers' calendars that is
# Monday in Tokyo, Berlin and Sydney, but still Sunday evening in New York.
INTRO = datetime(2027, 2, 1, 0, 30, tzinfo=UTC)
ROUND_ENDS = datetime(2027, 5, 1, tzinfo=UTC)
TOKYO, BERLIN, NEW_YORK, SYDNEY = (
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
)
# (user, zone, role); pairs: Tokyo with New York, Berlin with Sydney, and a paused
# reverse mentor in Berlin with a leader in Tokyo.
PEOPLE = {
    "U0TOKYO01": (TOKYO, Role.MENTOR),
    "U0NEWYRK1": (NEW_YORK, Role.MENTEE),
    "U0BERLIN1": (BERLIN, Role.MENTOR),
    "U0SYDNEY1": (SYDNEY, Role.MENTEE),
    "U0PAUSED1": (BERLIN, Role.MENTOR),
    "U0TOKYO02": (TOKYO, Role.MENTEE),
}
PAIRS = [("U0TOKYO01", "U0NEWYRK1"), ("U0BERLIN1", "U0SYDNEY1"), ("U0PAUSED1", "U0TOKYO02")]
PAUSED = "U0PAUSED1"

# Worked out by hand: weekly from the intro's local date, on the first weekday from
# there, at 09:30 local. Everyone's intro day is a Monday except New York's (Sunday
# 31 Jan), whose Sundays move to the Monday after. Twelve Mondays, 8 Feb .. 26 Apr.
MONDAYS = [date(2027, 2, 8) + timedelta(weeks=n) for n in range(12)]
EXPECTED_LOCAL = {
    user: [datetime.combine(d, time(9, 30)) for d in MONDAYS] for user in PEOPLE if user != PAUSED
}
# The same instants in UTC around each change, also by hand (offsets before -> after).
DST_INSTANTS = {
    # US: clocks forward on Sunday 14 March; EST -5 -> EDT -4.
    "U0NEWYRK1": ["2027-03-08T14:30", "2027-03-15T13:30"],
    # Europe: forward on Sunday 28 March; CET +1 -> CEST +2.
    "U0BERLIN1": ["2027-03-22T08:30", "2027-03-29T07:30"],
    # Australia: back on Sunday 4 April; AEDT +11 -> AEST +10 (Monday 09:30 is Sunday in UTC).
    "U0SYDNEY1": ["2027-03-28T22:30", "2027-04-04T23:30"],
}
# Every 30 minutes through the local Monday after each change, where it falls in UTC.
DST_MONDAYS = {NEW_YORK: date(2027, 3, 15), BERLIN: date(2027, 3, 29), SYDNEY: date(2027, 4, 5)}


async def build_program(app: RunningApp) -> dict[str, int]:
    """Workspace, a weekly program with default check-ins, its round and people; the
    pairs introduced as a confirmed round does it. Person ids by user."""
    team = app.slack.team_id
    for user, (zone, _role) in PEOPLE.items():
        app.fake.add_user(user, name=user.lower(), real_name=user, tz=zone)
    people: dict[str, int] = {}
    async with app.sessions() as session, session.begin():
        session.add(WorkspaceRow(team_id=team, name="", created_at=INTRO))
        await session.flush()
        program = ProgramRow(team_id=team, name="Reverse Mentoring Pilot", cadence_days=7,
                             created_at=INTRO, updated_at=INTRO)  # fmt: skip
        session.add(program)
        await session.flush()
        round_ = RoundRow(team_id=team, program_id=program.id, number=1,
                          status=RoundStatus.ANNOUNCED.value, starts_at=INTRO,
                          ends_at=ROUND_ENDS, created_at=INTRO, confirmed_at=INTRO)  # fmt: skip
        session.add(round_)
        await session.flush()
        for user, (zone, role) in PEOPLE.items():
            person = PersonRow(team_id=team, slack_user_id=user, name=user, timezone=zone,
                               profile_synced_at=INTRO, created_at=INTRO,
                               updated_at=INTRO)  # fmt: skip
            session.add(person)
            await session.flush()
            people[user] = person.id
            paused = MembershipStatus.PAUSED if user == PAUSED else MembershipStatus.ACTIVE
            session.add(MembershipRow(team_id=team, program_id=program.id, person_id=person.id,
                                      role=role.value, status=paused.value,
                                      joined_at=INTRO))  # fmt: skip
        pairs = [
            PairRow(
                team_id=team,
                program_id=program.id,
                round_id=round_.id,
                mentor_id=people[mentor],
                mentee_id=people[leader],
                status=PairStatus.PROPOSED.value,
                created_at=INTRO,
            )
            for mentor, leader in PAIRS
        ]
        session.add_all(pairs)
        await session.flush()
        await enqueue_introductions(session, program=program, round_=round_, pairs=pairs, now=INTRO)
    return people


async def answer_everything(app: RunningApp) -> None:
    """Everyone answers what they got (as the buttons do), so nobody is paused as a ghost."""
    async with app.sessions() as session, session.begin():
        await session.execute(
            update(CheckinRow)
            .where(CheckinRow.status == "sent", CheckinRow.answer.is_(None))
            .values(answer="met", answered_at=app.clock.now(), answered_by=CheckinRow.person_id)
        )


def tick_times() -> list[datetime]:
    """Every expected instant, every twelve hours throughout (what falls due between
    them is decided at the next one), and every 30 minutes through the morning of the
    Monday after each daylight-saving change, 06:00 to 12:00 local, where a check-in an
    hour early or late would show."""
    times = {INTRO + timedelta(hours=12 * n) for n in range(2 * 90)}
    for user, local in EXPECTED_LOCAL.items():
        zone = ZoneInfo(PEOPLE[user][0])
        times.update(t.replace(tzinfo=zone).astimezone(UTC) for t in local)
    for zone_name, monday in DST_MONDAYS.items():
        start = datetime.combine(monday, time(6), tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
        times.update(start + timedelta(minutes=30 * n) for n in range(13))
    return sorted(t for t in times if INTRO < t < ROUND_ENDS)


async def test_a_three_month_program_sends_exactly_the_expected_checkins_at_local_times(
    app: RunningApp,
) -> None:
    set_clock(app, INTRO)
    people = await build_program(app)
    await settle(app)  # the intros
    for at in tick_times():
        set_clock(app, at)
        await settle(app)
        await answer_everything(app)
    async with app.sessions() as session:
        queued = list(
            await session.scalars(
                select(OutgoingMessageRow)
                .where(OutgoingMessageRow.key.startswith("checkin:"))
                .order_by(OutgoingMessageRow.next_attempt_at, OutgoingMessageRow.id)
            )
        )
    assert all(m.status == "sent" for m in queued)
    got: dict[str, list[datetime]] = {}
    for message in queued:
        assert message.channel is not None
        zone = ZoneInfo(PEOPLE[message.channel][0])
        local = message.next_attempt_at.astimezone(zone)
        assert local.weekday() < 5, (message.channel, local)  # never at a weekend
        got.setdefault(message.channel, []).append(
            local.replace(tzinfo=None, second=0, microsecond=0)
        )
    assert got == EXPECTED_LOCAL  # exactly these, nothing for the paused person
    for user, instants in DST_INSTANTS.items():
        sent = [m.next_attempt_at.replace(microsecond=0) for m in queued if m.channel == user]
        for text in instants:
            instant = datetime.fromisoformat(text).replace(tzinfo=UTC)
            assert any(abs(s - instant) < timedelta(seconds=5) for s in sent), (user, instant)
    # What Slack received: the same DMs, one per period, each naming the partner.
    partner_of = {a: b for pair in PAIRS for a, b in (pair, pair[::-1])}
    for user in PEOPLE:
        received = [m for m in dms(app, user) if ids.CHECKIN_MET in buttons(m)]
        assert len(received) == len(EXPECTED_LOCAL.get(user, [])), user
        assert all(f"<@{partner_of[user]}>" in str(m["blocks"]) for m in received), user
    # The paused person's periods are on record as skipped, one per Monday.
    async with app.sessions() as session:
        skipped = list(
            await session.scalars(
                select(CheckinRow.skip_reason).where(CheckinRow.person_id == people[PAUSED])
            )
        )
    assert skipped == ["paused"] * 12
    # The program's report after three months of ticks, against the same hand count:
    # five people checked in on twelve times each, every one answered (by the stand-in
    # above, which records no meeting); three pairs of six people.
    async with app.sessions() as session:
        program_id = await session.scalar(select(ProgramRow.id))
    assert program_id is not None
    report = await build_report(app.sessions, team_id=None, program_id=program_id,
                                period=Period.ALL, now=app.clock.now())  # fmt: skip
    assert report is not None
    assert (report.checkins.sent, report.checkins.answered) == (5 * 12, 5 * 12)
    assert (report.meetings.pairs, report.meetings.matched_people) == (3, 6)
    assert (report.meetings.meetings, report.meetings.pairs_met) == (0, 0)
    assert report.enrollment.total == 6
    assert report.enrollment.by_role == {"Leaders": None, "Reverse mentors": None}  # 3 and 3


async def test_three_ignored_checkins_pause_and_one_click_resumes_in_place(
    app: RunningApp,
) -> None:
    set_clock(app, INTRO)
    people = await build_program(app)
    user = "U0BERLIN1"
    for monday in MONDAYS[:4]:  # three check-ins nobody answers; the fourth is not sent
        set_clock(app, datetime.combine(monday, time(8, 30), tzinfo=UTC))
        await settle(app)
    assert len([m for m in dms(app, user) if ids.CHECKIN_MET in buttons(m)]) == 3
    [notice] = [m for m in dms(app, user) if ids.CHECKIN_RESUME in buttons(m)]
    assert "paused" in notice["text"]

    async def status() -> str:
        async with app.sessions() as session:
            found = await session.scalar(
                select(MembershipRow.status).where(MembershipRow.person_id == people[user])
            )
            return str(found)

    assert await status() == "paused"
    await click(app, ids.CHECKIN_RESUME, user, notice)
    await eventually(lambda: _is(status, "active"))
    await app.fake.await_until(
        lambda: not any(ids.CHECKIN_RESUME in buttons(m) for m in dms(app, user))
    )
    [updated] = [m for m in dms(app, user) if m["ts"] == notice["ts"]]
    assert "on again" in updated["text"]
    await click(app, ids.CHECKIN_RESUME, user, notice)  # a double click changes nothing
    await settle(app)
    assert await status() == "active"
    # The next Monday's check-in comes again.
    set_clock(app, datetime.combine(MONDAYS[4], time(8, 30), tzinfo=UTC))
    await settle(app)
    assert len([m for m in dms(app, user) if ids.CHECKIN_MET in buttons(m)]) == 4


async def _is(read: Callable[[], Awaitable[str]], wanted: str) -> bool:
    return await read() == wanted
