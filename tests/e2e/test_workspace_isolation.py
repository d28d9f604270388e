"""Two workspaces side by side (issue 13, point 4), in OAuth mode on one server.

Both have the SAME user ids (Slack user ids are per workspace) but different people,
programs, skills and channels. Driven over signed HTTP through a whole program: set-up,
enrollment, a round, check-ins (answered, help asked), a story, a report and Home.
Then everything is scanned: each workspace's Slack calls carry its own token only and
mention nothing of the other, the database rows of a team reference only that team's
rows, and no pair crosses teams.
A request signed for one workspace naming the other's ids changes nothing there.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Bot
from sqlalchemy import select

from bot.clock import ShiftedClock
from bot.config import load_settings
from bot.db.engine import Sessions
from bot.db.tables import (
    Base,
    CheckinRow,
    PairRow,
    PersonRow,
    ProgramRow,
    SkillRow,
    StoryRow,
)
from bot.delivery import DeliveryPolicy
from bot.jobs import tick
from bot.runtime import build_runtime
from bot.slack import ids
from bot.slack.listeners.commands import CommandRouter
from tests.e2e.conftest import SIGNING_SECRET, RunningApp, open_modal, open_skills_admin, serve
from tests.e2e.test_checkin_answers import note_values
from tests.e2e.test_consent import click, dms, eventually, settle
from tests.e2e.test_enrollment import enroll
from tests.e2e.test_programs_admin import open_form, open_list
from tests.e2e.test_reports import show_report
from tests.e2e.test_rounds import open_preview
from tests.support.fake_slack import RESPONSE_URL, UPLOAD, FakeSlack
from tests.support.program_form import prefilled_values, set_channel, set_rules, set_text
from tests.support.slack_requests import (
    SlackRequester,
    multi_static_value,
    plain_value,
    radio_value,
)

ADMIN = "U0ADMIN01"  # the same id in both workspaces: two different people
MENTORS = ("U0MENT001", "U0MENT002")
LEADERS = ("U0LEAD001", "U0LEAD002")
MISSING = 10**9  # an id no row has


@dataclass(frozen=True)
class Side:
    team_id: str
    program: str
    channel: str
    category: str
    skill: str
    names: dict[str, str]  # real name by user id
    zone: str

    @property
    def words(self) -> list[str]:
        """What only this workspace's Slack may ever see."""
        return [self.team_id, self.program, self.channel, self.category, self.skill,
                *self.names.values()]  # fmt: skip


ALPHA = Side(
    team_id="T0FAKE01",
    program="Alpha Circle",
    channel="C0ALPHA01",
    category="Aurelian arts",
    skill="Amber glassblowing",
    names={
        ADMIN: "Aurelia Admin",
        MENTORS[0]: "Augustin Amsel",
        MENTORS[1]: "Amadea Auer",
        LEADERS[0]: "Anselm Arden",
        LEADERS[1]: "Ariadne Ashby",
    },
    zone="Europe/Berlin",
)
BETA = Side(
    team_id="T0OTHER02",
    program="Beta Guild",
    channel="C0BETA002",
    category="Byzantine crafts",
    skill="Bronze mosaics",
    names={
        ADMIN: "Bartholomew Boss",
        MENTORS[0]: "Berenike Brandt",
        MENTORS[1]: "Bonifaz Bauer",
        LEADERS[0]: "Brunhilde Birch",
        LEADERS[1]: "Balthasar Blum",
    },
    zone="America/New_York",
)


@dataclass
class Two:
    a: RunningApp
    b: RunningApp

    @property
    def sessions(self) -> Sessions:
        return self.a.runtime.sessions


@pytest.fixture
async def two(database_url: str, sessions: Sessions) -> AsyncIterator[Two]:
    """The app in OAuth mode with both workspaces installed (saved straight into the
    installation store, as the OAuth redirect would), each with its own bot token."""
    with FakeSlack(team_id=ALPHA.team_id) as fake:
        other = fake.add_workspace(BETA.team_id)
        for workspace, side in ((fake, ALPHA), (other, BETA)):
            for user, real_name in side.names.items():
                workspace.add_user(user, name=real_name.split()[0].lower(), real_name=real_name,
                                   tz=side.zone)  # fmt: skip
            workspace.add_channel(side.channel, side.program.lower().replace(" ", "-"),
                                  bot_member=False)  # fmt: skip
        settings = load_settings(
            SLACK_CLIENT_ID="1.2",
            SLACK_CLIENT_SECRET="client-secret",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.base_url,
            DATABASE_URL=database_url,
            MENTORBOT_ADMIN_IDS=f"{ALPHA.team_id}:{ADMIN},{BETA.team_id}:{ADMIN}",
        )
        clock = ShiftedClock(datetime.now(UTC))
        policy = DeliveryPolicy(backoff_factor=0.01, backoff_cap=0.1)
        runtime = build_runtime(settings, clock=clock, policy=policy)
        assert runtime.installations is not None
        for workspace in (fake, other):
            await runtime.installations.async_save_bot(
                Bot(app_id="A0MENTOR", team_id=workspace.team_id, bot_token=workspace.token,
                    bot_id="B0MENTOR", bot_user_id="UBOT", installed_at=time.time())
            )  # fmt: skip
        router = CommandRouter()
        runner, url = await serve(runtime, router)
        slack_a = SlackRequester(url, SIGNING_SECRET, fake)
        slack_b = SlackRequester(url, SIGNING_SECRET, other)
        try:
            yield Two(
                RunningApp(url, fake, runtime, slack_a, clock, router),
                RunningApp(url, other, runtime, slack_b, clock, router),
            )
        finally:
            await slack_a.close()
            await slack_b.close()
            await runner.cleanup()
            await runtime.close()


# --- driving one workspace over signed HTTP ---------------------------------------------


async def team_program(app: RunningApp) -> ProgramRow:
    async with app.sessions() as session:
        program = await session.scalar(
            select(ProgramRow).where(ProgramRow.team_id == app.slack.team_id)
        )
    assert program is not None
    return program


async def set_up_program(app: RunningApp, side: Side) -> int:
    """The admin names the workspace's program, gives it its channel (no consent step,
    no automatic rounds) and adds the workspace's own skill."""
    listed = await open_list(app)
    default = await team_program(app)
    form = await open_form(app, listed, program_id=default.id)
    values = prefilled_values(form)
    set_text(values, ids.PROGRAM_NAME, side.program)
    set_channel(values, side.channel)
    set_rules(values)
    saved = await app.slack.submit_view(values, user_id=ADMIN, view_id=form["id"])
    assert saved.json()["response_action"] == "update", saved.text
    skills = await open_skills_admin(app, ADMIN)
    added = await app.slack.submit_view(
        {ids.SKILLS_ADD.block_id: {ids.SKILLS_ADD.action_id: plain_value(
            f"{side.category}: {side.skill}")}},
        user_id=ADMIN, view_id=skills["id"],
    )  # fmt: skip
    assert added.status == 200 and "errors" not in added.text, added.text
    program = await team_program(app)
    assert (program.name, program.channel_id) == (side.program, side.channel)
    return program.id


async def enroll_everyone(app: RunningApp, side: Side) -> None:
    async with app.sessions() as session:
        skill_id = await session.scalar(
            select(SkillRow.id).where(SkillRow.team_id == side.team_id, SkillRow.name == side.skill)
        )
    assert skill_id is not None
    for user in MENTORS:
        saved = await enroll(app, user, role="mentor", stage="1", teaches=[str(skill_id)],
                             learns=[], goals=f"Share {side.skill}")  # fmt: skip
        assert saved.status == 200 and "errors" not in saved.text, saved.text
    for user in LEADERS:
        saved = await enroll(app, user, role="mentee", stage="4", teaches=[],
                             learns=[str(skill_id)], goals=f"Learn {side.skill}")  # fmt: skip
        assert saved.status == 200 and "errors" not in saved.text, saved.text

    async def profiles_read() -> bool:  # matching pairs only people whose profile was read
        async with app.sessions() as session:
            unread = await session.scalar(
                select(PersonRow.id).where(
                    PersonRow.team_id == side.team_id, PersonRow.profile_synced_at.is_(None)
                )
            )
        return unread is None

    await eventually(profiles_read)


async def run_round(app: RunningApp) -> None:
    """`/mentor pair`: the preview, then the admin confirms it."""
    view = await open_preview(app)
    confirmed = await app.slack.submit_view({}, user_id=ADMIN, view_id=view["id"])
    assert confirmed.status == 200
    await app.fake.await_until(
        lambda: "confirmed" in json.dumps((app.fake.view(view["id"]) or {}).get("blocks")),
        timeout=10,
    )


async def open_home(app: RunningApp, user: str) -> dict[str, Any]:
    """The app_home_opened event → the Home the app published for `user`."""

    def published() -> int:
        return sum(c.params.get("user_id") == user for c in app.fake.calls_to("views.publish"))

    before = published()
    await app.slack.event({"type": "app_home_opened", "user": user, "tab": "home",
                           "channel": f"D{user}"})  # fmt: skip
    await app.fake.await_until(lambda: published() > before, timeout=10)
    home = app.fake.home_view(user)
    assert home is not None
    return home


async def checkin_dm(app: RunningApp, user: str) -> tuple[int, dict[str, Any]]:
    """`user`'s latest check-in, and its DM as their Slack holds it."""
    async with app.sessions() as session:
        checkin_id = await session.scalar(
            select(CheckinRow.id)
            .join(PersonRow, PersonRow.id == CheckinRow.person_id)
            .where(CheckinRow.team_id == app.slack.team_id, PersonRow.slack_user_id == user,
                   CheckinRow.status == "sent")
            .order_by(CheckinRow.id.desc())
        )  # fmt: skip
    assert checkin_id is not None
    button = (ids.CHECKIN_MET, str(checkin_id))
    [dm] = [m for m in dms(app, user) if button in _buttons(m.get("blocks"))]
    return checkin_id, dm


async def answer_checkin(app: RunningApp, user: str) -> None:
    """`user` clicks "We've met" on their check-in DM."""
    checkin_id, dm = await checkin_dm(app, user)
    await click(app, ids.CHECKIN_MET, user, dm)

    async def answered() -> bool:
        async with app.sessions() as session:
            row = await session.get(CheckinRow, checkin_id, populate_existing=True)
        return row is not None and row.answer is not None

    await eventually(answered)


async def ask_for_help(app: RunningApp, side: Side, user: str) -> None:
    """ "I need help" on the check-in: the workspace's own configured admin is told."""
    _checkin_id, dm = await checkin_dm(app, user)
    await click(app, ids.CHECKIN_HELP, user, dm)
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(user) or {}).get("callback_id") == ids.CHECKIN_HELP_VIEW
    )
    view = app.fake.last_view_for(user)
    assert view is not None
    note = f"Could we talk about {side.skill}?"
    sent = await app.slack.submit_view(note_values(note), user_id=user, view_id=view["id"])
    assert sent.status == 200
    await app.fake.await_until(lambda: note in json.dumps(dms(app, ADMIN), ensure_ascii=False))


def _buttons(blocks: object) -> set[tuple[str, str]]:
    """The (action_id, value) of every button in these blocks."""
    return {
        (element["action_id"], str(element.get("value")))
        for block in (blocks if isinstance(blocks, list) else [])
        for element in [block.get("accessory") or {}, *block.get("elements", [])]
        if element.get("type") == "button"
    }


async def write_story(app: RunningApp, side: Side, user: str) -> None:
    """`/mentor story`: the author's story, now waiting for the partner's approval."""
    view = await open_modal(app, "story", user, ids.STORY_VIEW)
    values = {
        ids.STORY_TITLE.block_id: {ids.STORY_TITLE.action_id: plain_value(f"{side.skill}!")},
        ids.STORY_TEXT.block_id: {ids.STORY_TEXT.action_id: plain_value(
            f"{side.names[user]} showed us {side.skill}.")},
        ids.STORY_SKILLS.block_id: {ids.STORY_SKILLS.action_id: multi_static_value([])},
        ids.STORY_CREDIT.block_id: {ids.STORY_CREDIT.action_id: radio_value("named")},
    }  # fmt: skip
    sent = await app.slack.submit_view(values, user_id=user, view_id=view["id"])
    assert sent.status == 200 and "errors" not in sent.text, sent.text


async def run_program(two: Two) -> None:
    """Both workspaces, interleaved: set-up, enrollment, a round, four weeks of ticks,
    then a check-in answered, help asked for and a story written in each."""
    for app, side in ((two.a, ALPHA), (two.b, BETA)):
        await set_up_program(app, side)
    for app, side in ((two.a, ALPHA), (two.b, BETA)):
        await enroll_everyone(app, side)
    for app in (two.a, two.b):
        await run_round(app)
    # Intros, then four weeks of check-ins (and reminders), ticked at a quarter to ten
    # on the morning clocks of Berlin (08:45 UTC) and New York (14:45 UTC).
    clock = two.a.clock
    await tick(two.a.runtime)
    start = clock.now().replace(hour=0, minute=45, second=0, microsecond=0)
    for when in (start + timedelta(days=d, hours=h) for d in range(1, 29) for h in (8, 14)):
        clock.advance(when - clock.now())
        await tick(two.a.runtime)
    for app, side in ((two.a, ALPHA), (two.b, BETA)):
        await ask_for_help(app, side, LEADERS[0])
        await answer_checkin(app, MENTORS[1])
        await write_story(app, side, MENTORS[0])
    await tick(two.a.runtime)


# --- scanning ---------------------------------------------------------------------------


def call_texts(app: RunningApp) -> list[tuple[str, str, str | None]]:
    """(method, everything sent, bearer token) for every call this workspace's Slack got."""
    found = []
    for call in app.fake.calls:
        auth = call.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        found.append((call.method, json.dumps(call.params, ensure_ascii=False), token))
    return found


async def team_rows(sessions: Sessions, team_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table with a team_id, of this team: a snapshot."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            if "team_id" not in table.c:
                continue
            rows = await session.execute(
                select(table).where(table.c.team_id == team_id).order_by(*table.primary_key)
            )
            snapshot[table.name] = [dict(row._mapping) for row in rows]
    return snapshot


async def cross_team_references(sessions: Sessions) -> list[str]:
    """Rows whose teams disagree, over every foreign key to a table with a team_id: a
    row's own team_id against each row it references (a pair's people, a membership's
    program, a check-in's pair…), and for a table without one (a story's skills, a
    reflection's topics) the teams of the rows it references, against each other."""
    crossed = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            targets = [fk for fk in table.foreign_keys if "team_id" in fk.column.table.c]
            teams = [(table.name, table.c.team_id, None)] if "team_id" in table.c else []
            for fk in targets:
                target = fk.column.table.alias()
                teams.append((f"{table.name}.{fk.parent.name}", target.c.team_id,
                              (target, fk.parent == target.c[fk.column.name])))  # fmt: skip
            first_name, first, first_join = teams[0] if teams else ("", None, None)
            for name, team, join in teams[1:]:
                joined = table
                for found in (first_join, join):
                    joined = joined.join(*found) if found else joined
                query = select(first, team).select_from(joined).where(first != team)
                crossed += [
                    f"{first_name} {x} / {name} {y}" for x, y in await session.execute(query)
                ]
    return crossed


def ids_of(rows: dict[str, list[dict[str, Any]]], table: str) -> set[int]:
    return {row["id"] for row in rows.get(table, [])}


# --- the side-by-side run ----------------------------------------------------------------


async def test_two_workspaces_with_the_same_user_ids_never_cross(two: Two) -> None:
    await run_program(two)
    for app, side in ((two.a, ALPHA), (two.b, BETA)):
        report = await show_report(app, ADMIN, (await team_program(app)).id)
        assert side.program in json.dumps(report["blocks"], ensure_ascii=False)
        for user in (ADMIN, MENTORS[0], LEADERS[0]):
            home = await open_home(app, user)
            assert side.program in json.dumps(home, ensure_ascii=False), (side.team_id, user)

    # Each program ran in full, in both: pairs introduced, the channel told, check-ins
    # sent and answered, a request for help passed to the workspace's own admin.
    for app, side in ((two.a, ALPHA), (two.b, BETA)):
        async with two.sessions() as session:
            pairs = list(
                await session.scalars(select(PairRow).where(PairRow.team_id == side.team_id))
            )
            answers = set(
                await session.scalars(
                    select(CheckinRow.answer).where(
                        CheckinRow.team_id == side.team_id, CheckinRow.status == "sent"
                    )
                )
            )
        assert [(p.status, p.introduced_at is not None) for p in pairs] == [("active", True)] * 2
        assert "met" in answers, side.team_id
        posted = {key.split(":")[0] for key in app.fake.posted_count_by_key()}
        assert {"intro", "announce", "checkin", "checkin-help"} <= posted, side.team_id

    # Matching never paired people across teams; no row points at another team's row.
    assert await cross_team_references(two.sessions) == []
    async with two.sessions() as session:
        people = {p.id: p.team_id for p in await session.scalars(select(PersonRow))}
        for pair in await session.scalars(select(PairRow)):
            assert people[pair.mentor_id] == people[pair.mentee_id] == pair.team_id

    # Each workspace's Slack got calls made with its own token only, mentioning nothing
    # of the other workspace: not its people, program, skill, channel, nor its row ids.
    rows = {side.team_id: await team_rows(two.sessions, side.team_id) for side in (ALPHA, BETA)}
    for app, side, other in ((two.a, ALPHA, BETA), (two.b, BETA, ALPHA)):
        calls = call_texts(app)
        assert calls, side.team_id
        # Uploads and response_url posts go to URLs Slack made for the call: no token.
        tokens = {token for method, _, token in calls if method not in (UPLOAD, RESPONSE_URL)}
        assert tokens == {app.fake.token}, side.team_id
        sent = "\n".join(text for _, text, _ in calls)
        for word in (side.program, side.skill, side.channel):  # the scan sees what is sent
            assert word in sent, f"{word!r} never reached {side.team_id}"
        for word in other.words:
            assert word not in sent, f"{other.team_id}'s {word!r} reached {side.team_id}"
        named = named_ids(app)
        assert named["program"] and named["pair"] and named["checkin"] and named["story"], (
            f"ids missing in {side.team_id}'s calls"
        )
        for kind, found in named.items():
            own = ids_of(rows[side.team_id], "stories" if kind == "story" else f"{kind}s")
            assert found <= own, f"{kind} ids {found - own} in {side.team_id}'s values"


# Which kind of id a button or option value carries, by action id.
_VALUE_KINDS = {
    "checkin": {ids.CHECKIN_MET, ids.CHECKIN_NOT_YET, ids.CHECKIN_SNOOZE, ids.CHECKIN_REFLECT,
                ids.CHECKIN_HELP},
    "pair": {ids.CONSENT_ACCEPT, ids.CONSENT_DECLINE, ids.FIT_GOOD, ids.FIT_DECIDING,
             ids.FIT_NOT_A_FIT, ids.CLOSEOUT_SURVEY, ids.CLOSEOUT_REJOIN, ids.STORY_WRITE,
             ids.RISK_NEW_MATCH, ids.RISK_PAUSE, ids.RISK_KEEP_GOING, ids.ROUND_PAIR_MENU},
    "story": {ids.STORY_APPROVE, ids.STORY_DECLINE, ids.STORY_ADMIN_APPROVE,
              ids.STORY_ADMIN_DECLINE, ids.STORY_EDIT, ids.STORY_WITHDRAW},
    "program": {ids.PROGRAM_EDIT, ids.HOME_MANAGE_SKILLS, ids.PAIR_PREVIEW_BUTTON,
                ids.HOME_EDIT_PROFILE, ids.ROUND_CHOOSE_PROGRAM, ids.REPORT_EXPORT,
                ids.REPORT_PROGRAM.action_id},
}  # fmt: skip
_METADATA_KINDS = {"program_id": "program", "round_id": "round", "pair_id": "pair",
                   "checkin_id": "checkin", "story_id": "story"}  # fmt: skip


def named_ids(app: RunningApp) -> dict[str, set[int]]:
    """The program / round / pair / check-in / story ids this workspace's Slack was sent in
    button and option values and in private_metadata."""
    found: dict[str, set[int]] = {kind: set() for kind in ("program", "round", "pair", "checkin",
                                                           "story")}  # fmt: skip

    def value_kind(action_id: str) -> str | None:
        return next((k for k, actions in _VALUE_KINDS.items() if action_id in actions), None)

    def note(kind: str | None, value: object) -> None:
        numbers = re.findall(r"\d+", value) if isinstance(value, str) else []
        if kind is not None and numbers:
            # "<kind>:<pair id>" in the round menu; "<program id>:<period>" on export.
            found[kind].add(int(numbers[-1] if kind == "pair" else numbers[0]))

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kind = value_kind(str(node.get("action_id", "")))
        note(kind, node.get("value"))
        for option in [*node.get("options", []), *node.get("initial_options", [])]:
            note(kind, option.get("value") if isinstance(option, dict) else None)
        metadata = node.get("private_metadata")
        if isinstance(metadata, str) and metadata.startswith("{"):
            for key, value in json.loads(metadata).items():
                if key in _METADATA_KINDS and type(value) is int:
                    found[_METADATA_KINDS[key]].add(value)
        for child in node.values():
            walk(child)

    for call in app.fake.calls:
        walk(call.params)
    return found


# --- forged requests: workspace A's users naming workspace B's ids ------------------------


async def button_reply(app: RunningApp, action_id: str, value: str, user: str) -> str:
    """A click on a DM button; what the app answered through the click's response_url."""
    url = app.fake.new_response_url()
    response_id = url.rsplit("/", 1)[-1]
    clicked = await app.slack.action(action_id, value, user_id=user, response_url=url)
    assert clicked.status == 200
    await app.fake.await_until(lambda: app.fake.responses(response_id), timeout=10)
    return json.dumps(app.fake.responses(response_id), ensure_ascii=False)


async def modal_reply(app: RunningApp, action_id: str, value: str, user: str) -> str:
    """A click that opens a modal; the modal as the app filled it in."""
    updates = len(app.fake.calls_to("views.update"))
    clicked = await app.slack.action(action_id, value, user_id=user)
    assert clicked.status == 200
    await app.fake.await_until(lambda: len(app.fake.calls_to("views.update")) > updates)
    view = app.fake.last_view_for(user)
    assert view is not None
    return json.dumps(view["blocks"], ensure_ascii=False)


async def submit_reply(
    app: RunningApp, callback_id: str, metadata: str, user: str = ADMIN, values: Any = None
) -> str:
    """A modal submitted with forged private_metadata; the app's ack."""
    submitted = await app.slack.submit_view(
        values or {}, user_id=user, callback_id=callback_id, private_metadata=metadata,
        view_id=f"V0FORGED{len(app.fake.calls)}",
    )  # fmt: skip
    assert submitted.status == 200
    return submitted.text


async def list_then_edit(app: RunningApp, program_id: int) -> str:
    """ "Edit" on a program in the admin's list: what the list turned into."""
    listed = await open_list(app)
    await app.slack.action(ids.PROGRAM_EDIT, str(program_id), user_id=ADMIN, view_id=listed["id"])
    await app.fake.await_until(
        lambda: (app.fake.view(listed["id"]) or {}).get("blocks") != listed["blocks"]
    )
    return json.dumps((app.fake.view(listed["id"]) or {}).get("blocks"), ensure_ascii=False)


async def confirm_other_round(app: RunningApp, program_id: int, round_id: int) -> str:
    """Confirm a preview whose metadata names another round: what the modal then says."""
    view = await open_preview(app)
    metadata = json.dumps({"program_id": program_id, "round_id": round_id, "page": 0})
    await app.slack.submit_view({}, user_id=ADMIN, view_id=view["id"], private_metadata=metadata)
    await app.fake.await_until(lambda: "⏳" not in json.dumps(app.fake.view(view["id"])))
    return json.dumps((app.fake.view(view["id"]) or {}).get("blocks"), ensure_ascii=False)


def report_values(program_id: int) -> dict[str, Any]:
    return {
        ids.REPORT_PROGRAM.block_id: {ids.REPORT_PROGRAM.action_id: {
            "type": "static_select", "selected_option": {"value": str(program_id)}}},
        ids.REPORT_PERIOD.block_id: {ids.REPORT_PERIOD.action_id: {
            "type": "static_select", "selected_option": {"value": "all"}}},
    }  # fmt: skip


async def test_a_request_signed_for_one_workspace_cannot_touch_the_others_programs(
    two: Two,
) -> None:
    await run_program(two)
    a = two.a
    async with two.sessions() as session:
        program = await team_program(two.b)
        pair = await session.scalar(
            select(PairRow).where(PairRow.team_id == BETA.team_id).order_by(PairRow.id)
        )
        assert pair is not None
        round_id, pair_id = pair.round_id, pair.id
        mentor = await session.get(PersonRow, pair.mentor_id)
        checkin_id = await session.scalar(
            select(CheckinRow.id).where(CheckinRow.team_id == BETA.team_id).limit(1)
        )
        story_id = await session.scalar(select(StoryRow.id).where(StoryRow.team_id == BETA.team_id))
        assert mentor is not None and checkin_id is not None and story_id is not None
    # The same user id is in B's pair and in A: A's person clicks on B's pair.
    user = mentor.slack_user_id
    assert user in ALPHA.names
    await settle(two.a)  # B's own messages all out: nothing of B's is in motion
    before = await team_rows(two.sessions, BETA.team_id)

    forgeries: list[tuple[str, Callable[[int], Awaitable[str]], int]] = [
        ("check-in", lambda i: button_reply(a, ids.CHECKIN_MET, str(i), user), checkin_id),
        ("consent", lambda i: button_reply(a, ids.CONSENT_ACCEPT, str(i), user), pair_id),
        ("fit check", lambda i: button_reply(a, ids.FIT_GOOD, str(i), user), pair_id),
        ("at risk", lambda i: button_reply(a, ids.RISK_KEEP_GOING, str(i), user), pair_id),
        ("close-out", lambda i: modal_reply(a, ids.CLOSEOUT_SURVEY, str(i), user), pair_id),
        ("story", lambda i: modal_reply(a, ids.STORY_WRITE, str(i), user), pair_id),
        ("story approve", lambda i: button_reply(a, ids.STORY_APPROVE, f"{i}:1", user), story_id),
        ("story withdraw", lambda i: button_reply(a, ids.STORY_WITHDRAW, f"{i}:1", user),
         story_id),
        ("story admin", lambda i: button_reply(a, ids.STORY_ADMIN_APPROVE, f"{i}:1", ADMIN),
         story_id),
        ("story edit", lambda i: modal_reply(a, ids.STORY_EDIT, f"{i}:1", user), story_id),
        ("program edit", lambda i: list_then_edit(a, i), program.id),
        ("program save", lambda i: submit_reply(
            a, ids.PROGRAM_EDIT_VIEW, json.dumps({"program_id": i})), program.id),
        ("skills save", lambda i: submit_reply(
            a, ids.SKILLS_VIEW, json.dumps({"program_id": i})), program.id),
        ("report", lambda i: submit_reply(
            a, ids.REPORT_PICK_VIEW, "", values=report_values(i)), program.id),
        ("round confirm", lambda i: confirm_other_round(a, program.id, i), round_id),
    ]  # fmt: skip
    for name, forge, their_id in forgeries:
        missing = await forge(MISSING)
        assert missing, name
        forged = await forge(their_id)
        assert forged == missing, f"{name}: B's id is answered unlike a missing one"
        for word in BETA.words:
            assert word not in forged, f"{name} showed B's {word!r}"

    await tick(two.a.runtime)
    assert await team_rows(two.sessions, BETA.team_id) == before


async def test_a_user_change_event_changes_only_the_workspace_it_came_for(two: Two) -> None:
    for app, side in ((two.a, ALPHA), (two.b, BETA)):
        await set_up_program(app, side)
        await enroll_everyone(app, side)
    await settle(two.a)  # the welcomes all out: nothing of B's is in motion
    before = await team_rows(two.sessions, BETA.team_id)
    # Workspace A's event about the user, whose object names workspace B (as a shared
    # channel's or an Enterprise user's does): the account is gone, seen from A.
    user = {**two.a.fake.update_user(MENTORS[0], deleted=True), "team_id": BETA.team_id}
    sent = await two.a.slack.event({"type": "user_change", "user": user}, event_id="EvGONE01")
    assert sent.status == 200

    async def taken_out_in_a() -> bool:
        async with two.sessions() as session:
            person = await session.scalar(
                select(PersonRow).where(
                    PersonRow.team_id == ALPHA.team_id, PersonRow.slack_user_id == MENTORS[0]
                )
            )
        return person is not None and not person.is_active

    await eventually(taken_out_in_a)  # in the same transaction as anything it changes
    assert await team_rows(two.sessions, BETA.team_id) == before
