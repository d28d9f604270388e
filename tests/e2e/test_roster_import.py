"""Roster import (issue 9, point 2) through signed HTTP and the fake Slack."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select

from bot.db.tables import MembershipRow, OutgoingMessageRow, PersonRow, RosterEntryRow
from bot.slack import ids
from tests.e2e.conftest import ADMIN, MEMBER, RunningApp, open_modal
from tests.e2e.test_enrollment import _some_skill, count, enroll
from tests.support.fake_slack import FILE_DOWNLOAD

DANA = "U0DANA001"  # enrolled leader, found by e-mail
BOSS = "U0BOSS001"  # a manager, found by e-mail; never enrolled
KIM = "U0KIM0001"  # on the roster by id, not enrolled
HEADER = "id,name,role,career_stage,department,manager_id,previous_partners\n"


def add_people(app: RunningApp) -> None:
    app.fake.add_user(DANA, name="dana", real_name="Dana Leader", email="dana@example.com")
    app.fake.add_user(BOSS, name="bo", real_name="Bo Boss", email="Bo.Boss@Example.com")
    app.fake.add_user(KIM, name="kim", real_name="Kim New")


def file_value(file: dict[str, Any]) -> dict[str, Any]:
    return {ids.ROSTER_FILE.block_id: {ids.ROSTER_FILE.action_id: {
        "type": "file_input", "files": [file]}}}  # fmt: skip


def shown_after(app: RunningApp, view_id: str, since: int) -> dict[str, Any] | None:
    """What the app last put in the modal with views.update after call number `since`.

    Read from the calls, not the fake's view: the harness applies a submission's ack
    after the app's answer returns, so a quick views.update may land before it."""
    for call in reversed(app.fake.calls[since:]):
        if call.method == "views.update" and call.params.get("view_id") == view_id:
            view: dict[str, Any] = call.params["view"]
            return view
    return None


async def submit_file(
    app: RunningApp, view: dict[str, Any], file: dict[str, Any], *, user_id: str = ADMIN
) -> dict[str, Any]:
    """Submit the import modal with `file`: the modal the app shows once the import is done."""
    since = len(app.fake.calls)
    # The import modal as the app last showed it (callback id and metadata given: the
    # fake may still hold the "Reading…" view, applied after the app's quicker update).
    response = await app.slack.submit_view(
        file_value(file), user_id=user_id, view_id=view["id"], callback_id=ids.ROSTER_VIEW,
        private_metadata=view["private_metadata"],
    )  # fmt: skip
    ack = response.json()
    assert ack["response_action"] == "update", ack
    assert ack["view"]["callback_id"] == ids.ROSTER_RESULT_VIEW  # "Reading…" at once
    await app.fake.await_until(lambda: shown_after(app, view["id"], since), timeout=10)
    shown = shown_after(app, view["id"], since)
    assert shown is not None
    return {"private_metadata": "", **shown, "id": view["id"]}


async def import_csv(app: RunningApp, text: str, *, user_id: str = ADMIN) -> dict[str, Any]:
    """`/mentor admin import`, upload `text`, submit: the modal once the import is done."""
    view = await open_modal(app, "admin import", user_id, ids.ROSTER_VIEW)
    file = app.fake.add_file(text.encode(), user=user_id)
    return await submit_file(app, view, file, user_id=user_id)


def invite_value(view: dict[str, Any]) -> str:
    """The program id the result modal's Invite button carries."""
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == ids.ROSTER_INVITE:
                return str(element["value"])
    raise AssertionError("no Invite button")


async def enroll_two(app: RunningApp) -> None:
    teaches = await _some_skill(app)
    await enroll(app, MEMBER, role="mentor", stage="1", teaches=teaches, learns=[])
    await enroll(app, DANA, role="mentee", stage="3", teaches=[], learns=teaches)
    await app.fake.await_until(lambda: app.fake.home_view(DANA) is not None)


async def test_good_rows_fill_in_profiles_and_list_who_has_not_joined(app: RunningApp) -> None:
    add_people(app)
    await enroll_two(app)
    memberships = await count(app, MembershipRow)
    roster = (
        HEADER
        + f"{MEMBER},Sam,mentor,1,Growth,bo.boss@example.com,dana@example.com\n"
        + "DANA@example.com,Dana,mentee,5,Brand,bo.boss@example.com,\n"
        + f"{KIM},Kim,mentor,2,Sales,,\n"
    )
    shown = await import_csv(app, roster)
    assert shown["callback_id"] == ids.ROSTER_RESULT_VIEW
    text = str(shown["blocks"])
    assert "Imported 3 people" in text and "2 enrolled profiles filled in" in text
    assert f"<@{KIM}>" in text and f"<@{MEMBER}>" not in text  # only who hasn't joined
    assert ids.ROSTER_INVITE in text

    # The file was fetched from its private URL with the bot token.
    fetches = app.fake.calls_to(FILE_DOWNLOAD)
    assert len(fetches) == 1 and fetches[0].status == 200
    assert fetches[0].headers["Authorization"] == f"Bearer {app.fake.token}"
    assert len(app.fake.calls_to("users.lookupByEmail")) == 2  # bo.boss, dana: once each

    async with app.sessions() as session:
        entries = {e.slack_user_id: e for e in await session.scalars(select(RosterEntryRow))}
        people = {p.slack_user_id: p for p in await session.scalars(select(PersonRow))}
    assert set(entries) == {MEMBER, DANA, KIM}
    assert entries[MEMBER].manager_slack_id == BOSS
    assert entries[MEMBER].previous_partners == [DANA]
    assert (entries[KIM].role, entries[KIM].career_stage, entries[KIM].invited_at) == (
        "mentor", 2, None,
    )  # fmt: skip
    sam, dana = people[MEMBER], people[DANA]
    assert (sam.manager_slack_id, sam.department, sam.career_stage) == (BOSS, "Growth", 1)
    assert (dana.manager_slack_id, dana.department, dana.career_stage) == (BOSS, "Brand", 5)
    assert KIM not in people  # never enrolled silently
    assert await count(app, MembershipRow) == memberships


async def test_bad_rows_come_back_with_line_numbers_and_nothing_is_written(
    app: RunningApp,
) -> None:
    add_people(app)
    await enroll_two(app)
    roster = (
        HEADER
        + f"{MEMBER},Sam,mentor,1,Growth,bo.boss@example.com,\n"
        + f"{KIM},Kim,teacher,2,,,\n"  # line 3: bad role
        + "nobody@example.com,Who,mentor,1,,,\n"  # line 4: no such member
        + f"{DANA},Dana,mentee,7,,,\n"  # line 5: bad stage
    )
    shown = await import_csv(app, roster)
    assert shown["callback_id"] == ids.ROSTER_VIEW  # shown again, to upload a fixed file
    text = str(shown["blocks"])
    assert "Nothing was imported" in text
    for line in ("Line 3: role", "Line 4: no Slack member has the e-mail", "Line 5: career_stage"):
        assert line in text, line
    assert "Line 2" not in text
    assert await count(app, RosterEntryRow) == 0
    async with app.sessions() as session:
        sam = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == MEMBER))
    assert sam is not None and (sam.manager_slack_id, sam.department) == (None, "Marketing")


async def test_invitations_go_once_to_people_who_have_not_joined(app: RunningApp) -> None:
    add_people(app)
    await enroll_two(app)
    shown = await import_csv(app, HEADER + f"{KIM},Kim,mentor,2,,,\n{MEMBER},Sam,mentor,1,,,\n")
    since = len(app.fake.calls)
    for _ in range(2):  # a double click
        response = await app.slack.action(
            ids.ROSTER_INVITE, invite_value(shown), user_id=ADMIN, view_id=shown["id"]
        )
        assert response.status == 200
    await app.fake.await_until(lambda: app.fake.messages(f"D{KIM}"))

    def updates() -> str:
        return str([c.params for c in app.fake.calls[since:] if c.method == "views.update"])

    await app.fake.await_until(lambda: "joined or been invited already" in updates())
    assert "Invitations sent* to 1 person" in updates()  # one click sent, the other found none
    invitations = app.fake.messages(f"D{KIM}")
    assert len(invitations) == 1
    assert "/mentor join" in invitations[0]["text"]
    assert not [m for m in app.fake.messages(f"D{MEMBER}") if "invited" in m["text"]]
    async with app.sessions() as session:
        invited = await session.scalar(
            select(RosterEntryRow.invited_at).where(RosterEntryRow.slack_user_id == KIM)
        )
    assert invited is not None
    assert await count(app, OutgoingMessageRow, OutgoingMessageRow.channel == KIM) == 1
    # A later import remembers the invitation: no button to send it again.
    again = await import_csv(app, HEADER + f"{KIM},Kim,mentor,2,,,\n")
    assert ids.ROSTER_INVITE not in str(again["blocks"])
    assert "invited already" in str(again["blocks"])


async def test_non_admins_are_refused_the_command_the_button_the_submission_and_invites(
    app: RunningApp,
) -> None:
    add_people(app)
    refused = (await app.slack.command("admin import", user_id=MEMBER)).json()
    assert "program admins" in refused["text"]
    click = await app.slack.action(ids.ROSTER_IMPORT_BUTTON, user_id=MEMBER)
    assert click.status == 200
    assert app.fake.calls_to("views.open") == []

    file = app.fake.add_file((HEADER + f"{KIM},Kim,mentor,2,,,\n").encode(), user=MEMBER)
    forged = await app.slack.submit_view(
        file_value(file), user_id=MEMBER, callback_id=ids.ROSTER_VIEW,
        private_metadata='{"program_id": 1}',
    )  # fmt: skip
    assert forged.json() == {
        "response_action": "errors",
        "errors": {ids.ROSTER_FILE.block_id: "Only program admins can do this."},
    }
    assert app.fake.calls_to(FILE_DOWNLOAD) == []
    invite = await app.slack.action(ids.ROSTER_INVITE, "1", user_id=MEMBER, view_id="V0FORGED")
    assert invite.status == 200
    assert await count(app, RosterEntryRow) == 0
    assert await count(app, OutgoingMessageRow) == 0


async def test_the_file_host_refuses_a_fetch_without_the_bot_token(app: RunningApp) -> None:
    file = app.fake.add_file(b"id,role,career_stage\n", user=ADMIN)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer xoxb-wrong"}):
            async with http.get(
                file["url_private_download"], headers=headers, allow_redirects=False
            ) as response:
                assert response.status == 302
        async with http.get(
            file["url_private_download"], headers={"Authorization": f"Bearer {app.fake.token}"}
        ) as response:
            assert response.status == 200 and await response.read() == b"id,role,career_stage\n"


async def test_a_file_slack_will_not_hand_over_is_reported_and_nothing_is_written(
    app: RunningApp,
) -> None:
    view = await open_modal(app, "admin import", ADMIN, ids.ROSTER_VIEW)
    file = app.fake.add_file((HEADER + f"{KIM},Kim,mentor,2,,,\n").encode(), user=ADMIN)
    file["url_private_download"] = file["url_private_download"].replace(
        app.fake.team_id, "TOTHER"
    )  # another workspace's file: not served
    shown = await submit_file(app, view, file)
    assert "Nothing was imported" in str(shown["blocks"])
    assert "didn't hand the file over" in str(shown["blocks"])
    assert await count(app, RosterEntryRow) == 0

    # A forged submission naming another host never gets the bot token: no request at all.
    forged = app.fake.add_file(b"x", user=ADMIN)
    forged["url_private_download"] = "https://collector.example/steal"
    fetches = len(app.fake.calls_to(FILE_DOWNLOAD))
    shown = await submit_file(app, view, forged)
    assert "isn't on Slack" in str(shown["blocks"])
    assert len(app.fake.calls_to(FILE_DOWNLOAD)) == fetches


async def test_admin_help_lists_the_import_and_other_admin_subcommands_still_work(
    app: RunningApp,
) -> None:
    help_text = str((await app.slack.command("help", user_id=ADMIN)).json())
    assert "/mentor admin [import]" in help_text and "HR roster" in help_text
    assert "HR roster" not in str((await app.slack.command("help", user_id=MEMBER)).json())
    await open_modal(app, "admin", ADMIN, ids.PROGRAMS_VIEW)  # plain `admin`: the programs


async def test_the_import_button_opens_the_modal_from_home_and_stacks_it_over_a_modal(
    app: RunningApp,
) -> None:
    opened = await app.slack.action(ids.ROSTER_IMPORT_BUTTON, user_id=ADMIN)
    assert opened.status == 200
    await app.fake.await_until(
        lambda: (app.fake.last_view_for(ADMIN) or {}).get("callback_id") == ids.ROSTER_VIEW
    )
    # From the program list's "Import roster" button: pushed on top of it.
    listed = await open_modal(app, "admin", ADMIN, ids.PROGRAMS_VIEW)
    pushed = await app.slack.action(
        ids.ROSTER_IMPORT_BUTTON, "1", user_id=ADMIN, view_id=listed["id"]
    )
    assert pushed.status == 200
    await app.fake.await_until(
        lambda: (
            [v.get("callback_id") for v in app.fake.view_stack(ADMIN)]
            == [ids.PROGRAMS_VIEW, ids.ROSTER_VIEW]
        )
    )
