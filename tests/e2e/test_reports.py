"""Program reports, end to end: a simulated 3-month program built in the database, its
report through `/mentor report` (numbers equal a hand count), the CSV export through
the fake Slack's files v2 endpoints, the admin guard, and `mentorbot report`."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.engine import Sessions
from bot.db.tables import (
    CheckinRow,
    MeetingRow,
    MembershipRow,
    PairRow,
    PersonRow,
    PersonSkillRow,
    ProgramRow,
    ReflectionRow,
    RoundRow,
    SkillRow,
    StoryRow,
    WorkspaceRow,
)
from bot.domain import PairStatus, Role, RoundStatus, SkillKind, StoryStatus
from bot.jobs import tick
from bot.services.report_weeks import list_weekly_participation
from bot.services.reports import Period, build_report
from bot.slack import ids
from bot.slack.guard import NOT_ADMIN
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, open_modal
from tests.e2e.test_cli import clean_env, run_cli
from tests.e2e.test_consent import set_clock
from tests.support.fake_slack import UPLOAD

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T0TESTTEAM"
START = datetime(2026, 9, 1, 9, tzinfo=UTC)  # the program and its round begin
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)  # three months on
SECRET = "SECRET-REFLECTION"  # in every reflection text: must never show anywhere
EVIL_NAME = "=HYPERLINK(evil)"
STORY_TITLE = "<!channel> We *shipped* & <@U0LEADER1>"

# The program, by hand:
# 6 reverse mentors (5 early career, 1 developing), 5 leaders (senior leaders), 1 "either"
# (experienced): 12 enrolled; "Either role", "Developing" and "Experienced" are under 5.
# Pairs: P1 (M1, L1) met 3 times, check-ins 1-3 (two answered); P2 (M2, L2) met once,
# check-ins 1-2 (one answered), cleared "keep going" yesterday; P3 (M3, L3) never met, one
# unanswered check-in, ended; P4 (M4, L4) declined: not matched. Matched 6 people, 3 pairs,
# 2 met, 4 meetings (mean 1.3, median 1), 6 check-in periods of which 4 had a meeting,
# first meetings 5 and 10 days after the intro (median 7.5), 6 check-ins sent, 3 answered.
# Leaders learned: AI tools 3+1, TikTok 3 (Data dashboards: no meeting); shared back:
# Strategy 3 (L1 teaches it, M1 learns it). Ratings 5, 4, 4, 3, 5, 2 from 5 people:
# average 23/6 = 3.8, histogram 2★1 3★1 4★2 5★2. Fit: good 3, deciding 1, not a fit 1.
# At risk now: P1 (no meeting for 58 days); P2 cleared; P3 ended. One story posted.


@dataclass
class Program:
    program_id: int
    people: dict[str, int]  # label -> person id
    users: dict[str, str]  # label -> Slack id


async def build_program(sessions: Sessions, team: str) -> Program:
    day = timedelta(days=1)
    async with sessions() as session, session.begin():
        session.add(WorkspaceRow(team_id=team, name="", created_at=START))
        await session.flush()
        program = ProgramRow(team_id=team, name="Pilot", cadence_days=14, created_at=START,
                             updated_at=START)  # fmt: skip
        tiny = ProgramRow(team_id=team, name="Tiny", created_at=START, updated_at=START)
        session.add_all([program, tiny])
        await session.flush()
        round_ = RoundRow(team_id=team, program_id=program.id, number=1,
                          status=RoundStatus.CONFIRMED.value, starts_at=START,
                          ends_at=START + timedelta(weeks=14), created_at=START)  # fmt: skip
        session.add(round_)
        skills = {name: SkillRow(team_id=team, program_id=program.id, name=name,
                                 name_key=name.casefold(), created_at=START)
                  for name in ("AI tools", "TikTok", "Strategy", "Budgeting")}  # fmt: skip
        session.add_all(skills.values())
        await session.flush()
        people: dict[str, int] = {}
        users: dict[str, str] = {}
        cast = [(f"M{i}", Role.MENTOR, 1 if i < 6 else 2) for i in range(1, 7)]
        cast += [(f"L{i}", Role.MENTEE, 4) for i in range(1, 6)] + [("E1", Role.EITHER, 3)]
        for label, role, stage in cast:
            person = PersonRow(
                team_id=team, slack_user_id=f"U0PERSON{label}",
                name=EVIL_NAME if label == "M1" else f"Person {label}", career_stage=stage,
                created_at=START, updated_at=START,
            )  # fmt: skip
            session.add(person)
            await session.flush()
            people[label], users[label] = person.id, person.slack_user_id
            session.add(MembershipRow(team_id=team, program_id=program.id, person_id=person.id,
                                      role=role.value, joined_at=START))  # fmt: skip
        for label, kind, skill in [("L1", SkillKind.TEACH, "Strategy"),
                                   ("M1", SkillKind.LEARN, "Strategy"),
                                   ("L2", SkillKind.TEACH, "Budgeting")]:  # fmt: skip
            session.add(PersonSkillRow(person_id=people[label], skill_id=skills[skill].id,
                                       kind=kind.value, team_id=team))  # fmt: skip
        tiny_person = PersonRow(team_id=team, slack_user_id="U0PERSONT1", name="Tiny One",
                                created_at=START, updated_at=START)  # fmt: skip
        session.add(tiny_person)
        await session.flush()
        session.add(MembershipRow(team_id=team, program_id=tiny.id, person_id=tiny_person.id,
                                  role=Role.MENTOR.value, joined_at=START))  # fmt: skip

        async def pair(m: str, l_: str, status: PairStatus, shared: list[str], **extra: Any) -> int:
            row = PairRow(team_id=team, program_id=program.id, round_id=round_.id,
                          mentor_id=people[m], mentee_id=people[l_], shared_skills=shared,
                          status=status.value, created_at=START, **extra)  # fmt: skip
            session.add(row)
            await session.flush()
            return row.id

        p1 = await pair("M1", "L1", PairStatus.ACTIVE, ["AI tools", "TikTok"],
                        introduced_at=START, mentor_fit="good", mentee_fit="good")  # fmt: skip
        p2 = await pair("M2", "L2", PairStatus.ACTIVE, ["AI tools"], introduced_at=START,
                        mentor_fit="good", mentee_fit="deciding",
                        risk_cleared_at=NOW - day)  # fmt: skip
        p3 = await pair("M3", "L3", PairStatus.ENDED, ["Data dashboards"],
                        introduced_at=START + 2 * day, ended_at=START + 40 * day,
                        mentee_fit="not_a_fit")  # fmt: skip
        await pair("M4", "L4", PairStatus.DECLINED, ["AI tools"])
        for pair_id, days, sequence in [(p1, 5, 1), (p1, 19, 2), (p1, 33, 3), (p2, 10, 1)]:
            met_on = (START + days * day).date()
            session.add(MeetingRow(team_id=team, pair_id=pair_id, sequence=sequence,
                                   met_on=met_on, created_at=START))  # fmt: skip
        for pair_id, person, sequence, due_days, answered in [
            (p1, "M1", 1, 14, True), (p1, "M1", 2, 28, True), (p1, "M1", 3, 42, False),
            (p2, "M2", 1, 14, True), (p2, "M2", 2, 28, False), (p3, "M3", 1, 16, False),
        ]:  # fmt: skip
            due = START + due_days * day
            session.add(CheckinRow(
                team_id=team, pair_id=pair_id, person_id=people[person], sequence=sequence,
                due_at=due, status="sent", sent_at=due, answer="met" if answered else None,
                answered_at=due + day if answered else None,
            ))  # fmt: skip
        for author, pair_id, rating in [("M1", p1, 5), ("L1", p1, 4), ("M1", p1, 4),
                                        ("M2", p2, 3), ("L2", p2, 5), ("M3", p3, 2)]:  # fmt: skip
            session.add(ReflectionRow(
                team_id=team, author_id=people[author], pair_id=pair_id, program_id=program.id,
                met_on=START.date(), learned=f"{SECRET} learned", taught=f"{SECRET} taught",
                try_next=f"{SECRET} next", rating=rating, created_at=START + 20 * day,
            ))  # fmt: skip
        session.add(StoryRow(team_id=team, program_id=program.id, pair_id=p1,
                             author_id=people["M1"], title=STORY_TITLE, text=f"{SECRET} story",
                             status=StoryStatus.POSTED.value, posted_at=START + 40 * day,
                             created_at=START + 39 * day))  # fmt: skip
        session.add(StoryRow(team_id=team, program_id=program.id, pair_id=p2,
                             author_id=people["M2"], title="Not approved yet", text="draft",
                             created_at=START + 41 * day))  # fmt: skip
        return Program(program.id, people, users)


def modal_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def show_report(app: RunningApp, user_id: str, program_id: int) -> dict[str, Any]:
    picker = await open_modal(app, "report", user_id, ids.REPORT_PICK_VIEW)
    values = {
        ids.REPORT_PROGRAM.block_id: {ids.REPORT_PROGRAM.action_id: {
            "type": "static_select", "selected_option": {"value": str(program_id)}}},
        ids.REPORT_PERIOD.block_id: {ids.REPORT_PERIOD.action_id: {
            "type": "static_select", "selected_option": {"value": "all"}}},
    }  # fmt: skip
    response = await app.slack.submit_view(values, user_id=user_id, view_id=picker["id"])
    assert response.status == 200
    view = app.fake.last_view_for(user_id)
    assert view is not None and view["callback_id"] == ids.REPORT_VIEW, response.text
    return view


@pytest.fixture
async def program(app: RunningApp) -> Program:
    set_clock(app, NOW)
    return await build_program(app.sessions, app.slack.team_id)


async def test_the_report_shows_the_hand_counted_numbers_and_nothing_private(
    app: RunningApp, program: Program, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    view = await show_report(app, ADMIN, program.program_id)
    text = modal_text(view)
    for expected in [
        "*Enrolled:* 12",
        # One small role group (1): the next smallest (5) is hidden with it.
        "Reverse mentors: 6", "Leaders: hidden (a small group)",
        "Either role: hidden (a small group)",
        "Early career: 5", "Senior leader: 5", "Developing: hidden (a small group)",
        "Experienced: hidden (a small group)",
        "*Matched:* 6 people in 3 pairs",
        "*Pairs that met at least once:* 67% (2 of 3)",
        "*Meetings:* 4 · per pair 1.3 on average, median 1",
        "*Meeting rate by check-in period:* 67% (4 of 6)",
        "*Days from intro to first meeting (median):* 7.5",
        "*Check-ins answered:* 50% (3 of 6)",
        "*What leaders learned:* AI tools (4), TikTok (3)",
        "*What leaders shared back:* Strategy (3)",
        "6 ratings from 5 people · average 3.8 of 5",
        "1★ 0  2★ 1  3★ 1  4★ 2  5★ 2",
        "Good fit: 3, Still deciding: 1, Not a fit: 1",
        "*Pairs at risk now:* 1",
        "*Stories posted:* 1",
        "• &lt;!channel&gt; We *shipped* &amp; &lt;@U0LEADER1&gt;",
    ]:  # fmt: skip
        assert expected in text, expected
    # No reflection text, no story text, and nobody named: no rating can be attributed.
    assert SECRET not in text and "Not approved yet" not in text
    for label, user_id in program.users.items():
        assert user_id not in text and f"Person {label}" not in text
    assert EVIL_NAME not in text
    assert not any(SECRET in record.getMessage() for record in caplog.records)


async def test_export_uploads_both_csvs_to_the_admins_dm_through_files_v2(
    app: RunningApp, program: Program
) -> None:
    view = await show_report(app, ADMIN, program.program_id)
    await app.slack.action(ids.REPORT_EXPORT, f"{program.program_id}:all", user_id=ADMIN,
                           view_id=view["id"])  # fmt: skip
    await app.fake.await_until(lambda: app.fake.calls_to("files.completeUploadExternal"))
    [complete] = app.fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == f"D{ADMIN}"
    assert len(app.fake.calls_to("files.getUploadURLExternal")) == 3
    assert len(app.fake.calls_to(UPLOAD)) == 3
    files = {f["filename"]: f for f in app.fake.uploaded_files.values()}
    assert sorted(files) == [
        "enrollment-2026-12-01.csv", "pairs-2026-12-01.csv", "participation-2026-12-01.png",
    ]  # fmt: skip
    assert files["participation-2026-12-01.png"]["content"].startswith(b"\x89PNG\r\n\x1a\n")
    files.pop("participation-2026-12-01.png")
    assert all(f["completed"] and f["channel_id"] == f"D{ADMIN}" for f in files.values())
    pairs = list(csv.DictReader(io.StringIO(files["pairs-2026-12-01.csv"]["content"].decode())))
    people = list(
        csv.DictReader(io.StringIO(files["enrollment-2026-12-01.csv"]["content"].decode()))
    )
    assert [(p["reverse_mentor"], p["meetings"], p["first_met_on"], p["last_met_on"])
            for p in pairs] == [
        ("'" + EVIL_NAME, "3", "2026-09-06", "2026-10-04"),
        ("Person M2", "1", "2026-09-11", "2026-09-11"),
        ("Person M3", "0", "", ""),
    ]  # fmt: skip
    assert pairs[0]["leader_slack_id"] == program.users["L1"] and pairs[2]["status"] == "ended"
    assert len(people) == 12 and people[0]["person"] == "'" + EVIL_NAME
    assert people[-1] == {
        "person": "Person E1", "slack_id": "U0PERSONE1", "program": "Pilot", "role": "either",
        "career_stage": "Experienced", "status": "active", "joined_on": "2026-09-01",
    }  # fmt: skip
    raw = b"".join(f["content"] for f in files.values()).decode()
    assert SECRET not in raw and "rating" not in raw.lower()
    # The modal says where the files went.
    await app.fake.await_until(
        lambda: "in your DM" in modal_text(app.fake.last_view_for(ADMIN) or {"blocks": []})
    )
    assert not any(SECRET in json.dumps(c.params) for c in app.fake.calls)


async def test_a_non_admin_never_gets_a_report_or_a_file(app: RunningApp, program: Program) -> None:
    response = await app.slack.command("report", user_id=MEMBER)
    assert "is for program admins" in response.text
    assert not app.fake.calls_to("views.open")
    await app.slack.action(ids.REPORT_EXPORT, f"{program.program_id}:all", user_id=MEMBER,
                           view_id="V0FORGED01")  # fmt: skip
    values = {ids.REPORT_PERIOD.block_id: {ids.REPORT_PERIOD.action_id: {
        "type": "static_select", "selected_option": {"value": "all"}}}}  # fmt: skip
    forged = await app.slack.submit_view(
        values, user_id=MEMBER, callback_id=ids.REPORT_PICK_VIEW,
        private_metadata=json.dumps({"program_id": program.program_id}),
    )  # fmt: skip
    assert forged.json() == {
        "response_action": "errors", "errors": {ids.REPORT_PERIOD.block_id: NOT_ADMIN}
    }  # fmt: skip
    assert not app.fake.calls_to("files.getUploadURLExternal")
    assert not app.fake.calls_to("files.completeUploadExternal")
    # A program of another workspace is no program of the admin's.
    await app.slack.action(ids.REPORT_EXPORT, "999999:all", user_id=ADMIN, view_id="V0FORGED02")
    assert not app.fake.calls_to("files.getUploadURLExternal")


async def test_the_cli_prints_csv_and_json_and_refuses_an_unknown_program(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    built = await build_program(sessions, TEAM)
    # This checkout's `bot`, whatever the installed one is (the CLI runs in tmp_path).
    env = clean_env(DATABASE_URL=database_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    code, out, err = run_cli("report", "--program", "Pilot", "--format", "csv", env=env,
                             cwd=tmp_path)  # fmt: skip
    assert (code, err) == (0, "")
    pairs_part, people_part = out.split("\n\n")  # universal newlines: CRLF read as LF
    assert pairs_part.startswith("pair_id,round,reverse_mentor,")
    assert len(pairs_part.splitlines()) == 4 and len(people_part.splitlines()) == 13
    assert f"'{EVIL_NAME}" in out and SECRET not in out
    code, out, err = run_cli("report", "--program", "Pilot", "--format", "json", env=env,
                             cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    report = document["report"]
    assert report["enrollment"]["by_role"] == {
        "Either role": "hidden (a small group)", "Leaders": "hidden (a small group)",
        "Reverse mentors": 6,
    }  # fmt: skip
    assert report["meetings"]["meetings"] == 4 and report["checkins"] == {"sent": 6, "answered": 3}
    assert report["ratings"]["histogram"] == {"1": 0, "2": 1, "3": 1, "4": 2, "5": 2}
    assert report["story_titles"] == [STORY_TITLE]
    assert report["closeout"] == {"answered": 0, "people": 0, "average": None, "again_yes": 0,
                                  "again_no": 0, "would_switch": 0, "rejoined": 0}  # fmt: skip
    assert [p["pair_id"] for p in document["pairs"]] == sorted(
        p["pair_id"] for p in document["pairs"]
    )
    assert len(document["enrollment"]) == 12 and SECRET not in out
    assert built.users["M1"] in out  # names and ids are the export's point; ratings are not
    assert 'rating"' not in out.replace('"ratings"', "")
    code, out, err = run_cli("report", "--program", "Nope", env=env, cwd=tmp_path)
    assert (code, out) == (2, "") and err == "mentorbot: there is no program called 'Nope'\n"


async def _pair_ids(sessions: Sessions, program_id: int) -> set[int]:
    async with sessions() as session:
        query = select(PairRow.id).join(RoundRow, PairRow.round_id == RoundRow.id)
        return set(await session.scalars(query.where(RoundRow.program_id == program_id)))


async def test_the_cli_asks_which_workspace_when_two_have_a_program_of_that_name(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    ours = await build_program(sessions, TEAM)
    theirs = await build_program(sessions, "T0OTHER02")
    env = clean_env(DATABASE_URL=database_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    code, out, err = run_cli("report", "--program", "Pilot", env=env, cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        f"mentorbot: workspaces T0OTHER02, {TEAM} each have a program called 'Pilot': "
        "choose one with --team TEAM_ID\n"
    )
    code, out, err = run_cli("report", "--program", "Pilot", "--team", "T0OTHER02",
                             "--format", "json", env=env, cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    reported = {p["pair_id"] for p in json.loads(out)["pairs"]}
    assert len(reported) == 3 and reported <= await _pair_ids(sessions, theirs.program_id)
    assert not reported & await _pair_ids(sessions, ours.program_id)
    code, out, err = run_cli("report", "--program", "Pilot", "--team", "T0NOSUCH", env=env,
                             cwd=tmp_path)  # fmt: skip
    assert (code, out) == (2, "")
    assert err == "mentorbot: there is no program called 'Pilot' in workspace T0NOSUCH\n"


async def test_the_weekly_participation_behind_the_chart_matches_a_hand_count(
    app: RunningApp, program: Program
) -> None:
    report = await build_report(app.sessions, team_id=None, program_id=program.program_id,
                                period=Period.ALL, now=NOW)  # fmt: skip
    assert report is not None
    weeks = await list_weekly_participation(
        app.sessions, program_id=program.program_id, window=report.window
    )
    # Mondays from the program's first week (it began Tue 1 Sep) to now's (Tue 1 Dec).
    assert [w.week for w in weeks][:2] == [date(2026, 8, 31), date(2026, 9, 7)]
    assert weeks[-1].week == date(2026, 11, 30) and len(weeks) == 14
    by_week = {w.week: (w.enrolled, w.matched, w.met) for w in weeks}
    assert by_week[date(2026, 8, 31)] == (12, 6, 2)  # P1 met on Sun 6 Sep
    assert by_week[date(2026, 9, 7)] == (12, 6, 2)  # P2 met on Fri 11 Sep
    assert by_week[date(2026, 9, 28)] == (12, 6, 2)  # P1 met on Sun 4 Oct
    assert by_week[date(2026, 10, 5)] == (12, 6, 0)  # P3 ended on Sun 11 Oct
    assert by_week[date(2026, 10, 12)] == (12, 4, 0)


async def test_admins_get_last_months_numbers_and_chart_once_on_the_first_working_day(
    app: RunningApp, program: Program
) -> None:
    # Tue 1 Dec 2026, 12:00 UTC: past the program's 09:30 check-in time (its people
    # have no zone: UTC) on December's first check-in day, so November is due.
    set_clock(app, datetime(2026, 12, 1, 9, 29, tzinfo=UTC))
    await tick(app.runtime)
    assert [m for m in app.fake.messages(f"D{ADMIN}") if "November 2026" in m["text"]] == []
    set_clock(app, NOW)
    await tick(app.runtime)
    await tick(app.runtime)  # a second tick (or process) sends nothing more
    [digest] = [m for m in app.fake.messages(f"D{ADMIN}") if "November 2026 in Pilot" in m["text"]]
    shown = json.dumps(digest["blocks"], ensure_ascii=False)
    # November had no meeting (the hand count's were in September and October).
    assert "• 0 meetings; 0% (0 of 2) of pairs met at least once" in shown
    assert "Enrolled: 12" in shown
    assert SECRET not in shown and EVIL_NAME not in shown
    charts = [f for f in app.fake.uploaded_files.values()
              if f["filename"] == "participation-2026-11.png"]  # fmt: skip
    # One chart a program with its DM (Pilot, Tiny), each shared in the admin's DM.
    assert len(charts) == 2
    assert all(f["completed"] and f["channel_id"] == f"D{ADMIN}" for f in charts)
    assert all(f["content"].startswith(b"\x89PNG") for f in charts)
    async with app.sessions() as session:
        covered = await session.scalar(
            select(ProgramRow.admin_digest_for).where(ProgramRow.id == program.program_id)
        )
    assert covered == date(2026, 11, 1)
