"""The request gate: only well-signed, Slack-shaped requests reach a listener.

Forged requests name a response_url on the fake Slack, so any outbound call the app
made on their behalf would be recorded there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import select

from bot.app import build_bolt_app
from bot.db.engine import Sessions
from bot.db.tables import Base
from bot.slack import ids
from bot.slack.listeners.commands import CommandRequest
from bot.slack.views.help import Subcommand
from tests.e2e.conftest import MEMBER, SIGNING_SECRET, RunningApp
from tests.support.slack_requests import (
    FORM,
    block_actions_payload,
    event_callback_body,
    plain_value,
    slash_command_body,
    view_submission_payload,
)

MARKER = "zqx-private-words"  # user text that must never appear in a log line


async def snapshot_database(sessions: Sessions) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after a request."""
    async with sessions() as session:
        return {
            table.name: sorted(map(tuple, (await session.execute(select(table))).all()), key=repr)
            for table in Base.metadata.sorted_tables
        }


def _outbound(app: RunningApp) -> list[str]:
    """Everything the app sent to Slack, but Bolt's one-off auth.test."""
    return [call.method for call in app.fake.calls if call.method != "auth.test"]


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def _forged_command(app: RunningApp) -> tuple[bytes, str]:
    response_url = app.fake.new_response_url()
    fields = slash_command_body(
        f"join {MARKER}",
        user_id=MEMBER,
        team_id=app.fake.team_id,
        trigger_id=app.fake.new_trigger_id(MEMBER),
        response_url=response_url,
    )
    return urlencode(fields).encode(), response_url


def _hmac(body: bytes, timestamp: str) -> str:
    """What the real secret gives over any timestamp string: it must still not pass."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def _now() -> str:
    return str(int(time.time()))


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "", "1.5", "NaN", "inf", "-0", " {now}", "+{now}", "{now}.0", "{now}_0", "1e10"],
    ids=["abc", "empty", "float", "nan", "inf", "minus-zero", "space", "plus", "dot-zero",
         "underscore", "exponent"],
)  # fmt: skip
async def test_a_malformed_timestamp_gets_401_and_no_reply_to_the_forged_response_url(
    app: RunningApp, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    caplog.set_level(logging.INFO)
    timestamp = timestamp.replace("{now}", _now())
    body, response_url = _forged_command(app)
    before = await snapshot_database(app.sessions)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": _hmac(body, timestamp)}
    response = await app.slack.post_unsigned(body, FORM, headers)
    assert response.status == 401
    assert app.fake.responses(response_url) == []
    assert _outbound(app) == []
    assert await snapshot_database(app.sessions) == before
    assert MARKER not in _logged(caplog)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "{now}"},
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "v1=abc"},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "v0=" + "é" * 64},
    ],
    ids=["no-headers", "no-signature", "no-timestamp", "empty-signature", "wrong-signature",
         "wrong-scheme", "non-ascii-signature"],
)  # fmt: skip
async def test_missing_or_forged_signatures_get_401_for_every_kind_of_body(
    app: RunningApp, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.INFO)
    headers = {k: v.replace("{now}", _now()) for k, v in headers.items()}
    response_url = app.fake.new_response_url()
    action = block_actions_payload(
        user_id=MEMBER, team_id=app.fake.team_id, action_id=ids.HOME_PAUSE, value=MARKER,
        trigger_id="1.2.3", response_url=response_url, channel_id="C0GENERAL",
    )  # fmt: skip
    command, command_url = _forged_command(app)
    bodies = [
        (command, FORM),
        (urlencode({"payload": json.dumps(action)}).encode(), FORM),
        (json.dumps(event_callback_body({"type": "app_home_opened", "user": MARKER,
                                         "tab": "home"}, team_id=app.fake.team_id)).encode(),
         "application/json"),
        (b"payload=not-json-" + MARKER.encode(), FORM),
        (b"\xff\xfe" + MARKER.encode(), FORM),
    ]  # fmt: skip
    before = await snapshot_database(app.sessions)
    for body, content_type in bodies:
        response = await app.slack.post_unsigned(body, content_type, headers)
        assert response.status == 401, body[:40]
        assert MARKER not in response.text
    assert app.fake.responses(response_url) == [] and app.fake.responses(command_url) == []
    assert _outbound(app) == []
    assert await snapshot_database(app.sessions) == before
    assert MARKER not in _logged(caplog)


async def test_a_stale_or_wrongly_keyed_request_leaves_no_body_text_in_the_info_log(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for options in ({"bad_signature": True}, {"timestamp_offset": -301}):
        response = await app.slack.command(f"join {MARKER}", user_id=MEMBER, **options)  # type: ignore[arg-type]
        assert response.status == 401
    assert _outbound(app) == []
    assert MARKER not in _logged(caplog)
    assert any("rejected" in r.getMessage() for r in caplog.records)


async def test_the_error_handler_never_answers_a_body_that_did_not_come_through_the_gate(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt dispatched directly (as a future adapter might): the error raised by its own
    signature check on a bad timestamp must not make us reply to the forged URL."""
    caplog.set_level(logging.INFO)
    bolt = build_bolt_app(app.runtime)
    body, response_url = _forged_command(app)
    request = AsyncBoltRequest(
        body=body.decode(),
        headers={"content-type": FORM, "x-slack-request-timestamp": "abc",
                 "x-slack-signature": _hmac(body, "abc")},
    )  # fmt: skip
    response = await bolt.async_dispatch(request)
    assert response.status == 401
    assert app.fake.responses(response_url) == []
    assert _outbound(app) == []
    assert MARKER not in _logged(caplog)


# ---------------------------------------------------------------- signed but malformed


def _command_without(field: str) -> dict[str, str]:
    fields = slash_command_body(
        "status", user_id=MEMBER, team_id="T0FAKE01", trigger_id="1.2.3",
        response_url="http://127.0.0.1:9/response/x",
    )  # fmt: skip
    del fields[field]
    return fields


def _payload_body(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _submission_without_state() -> bytes:
    payload = view_submission_payload(
        user_id=MEMBER, team_id="T0FAKE01", callback_id=ids.ENROLL_VIEW,
        values={ids.ENROLL_GOALS.block_id: {ids.ENROLL_GOALS.action_id: plain_value("x")}},
        trigger_id="1.2.3",
    )  # fmt: skip
    del payload["view"]["state"]
    return _payload_body(payload)


def _click(value: str, action_id: str = ids.HOME_PAUSE) -> bytes:
    return _payload_body(
        block_actions_payload(
            user_id=MEMBER,
            team_id="T0FAKE01",
            action_id=action_id,
            value=value,
            trigger_id="1.2.3",
            response_url="http://127.0.0.1:9/response/x",
            channel_id="C0GENERAL",
        )
    )


MALFORMED: dict[str, tuple[bytes, str]] = {
    "payload-not-json": (b"payload=%7Bnot+json", FORM),
    "payload-a-list": (_payload_body([1, 2]), FORM),
    "json-not-an-object": (b'"just a string"', "application/json"),
    "json-broken": (b'{"type": "event_callback", ', "application/json"),
    "not-utf8": (b"command=%2Fmentor&text=\xff\xfe", FORM),
    "view-without-state": (_submission_without_state(), FORM),
    "command-without-user": (urlencode(_command_without("user_id")).encode(), FORM),
    "command-without-team": (urlencode(_command_without("team_id")).encode(), FORM),
    "command-without-trigger": (urlencode(_command_without("trigger_id")).encode(), FORM),
    "oversized-button-value": (_click("1" * 2001), FORM),
    "oversized-manage-value": (_click("9" * 5000, ids.HOME_MANAGE_SKILLS), FORM),
    "actions-not-a-list": (_payload_body({"type": "block_actions", "actions": "x"}), FORM),
    "user-not-an-object": (
        _payload_body({"type": "view_submission", "user": "U1", "team": {"id": "T1"}}),
        FORM,
    ),
    "event-without-event": (
        json.dumps({"type": "event_callback", "team_id": "T0FAKE01", "event_id": "Ev1"}).encode(),
        "application/json",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
async def test_a_signed_but_malformed_request_gets_a_quick_400_and_changes_nothing(
    app: RunningApp, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.INFO)
    body, content_type = MALFORMED[case]
    before = await snapshot_database(app.sessions)
    started = time.perf_counter()
    response = await app.slack.post(body, content_type)
    elapsed = time.perf_counter() - started
    assert response.status == 400
    assert elapsed < 1.0
    assert await snapshot_database(app.sessions) == before
    assert _outbound(app) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_command_whose_text_says_payload_still_reaches_its_listener(
    app: RunningApp,
) -> None:
    # Bolt alone reads any form containing the word "payload" as an interaction.
    response = await app.slack.command("help payload", user_id=MEMBER)
    assert response.status == 200
    assert "/mentor help" in str(response.json()["blocks"])


# ---------------------------------------------------------------- the error handler


async def test_an_error_after_the_ack_is_logged_once_and_the_user_hears_once(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    async def ack_then_explode(request: CommandRequest) -> None:
        await request.ack()
        raise RuntimeError("after the ack")

    app.router.add(Subcommand("late", "late", "fails after acking"), ack_then_explode)
    response_url = app.fake.new_response_url()
    caplog.set_level(logging.INFO)
    response = await app.slack.command("late", user_id=MEMBER, response_url=response_url)
    assert response.status == 200 and response.text == ""
    await app.fake.await_until(lambda: app.fake.responses(response_url))
    await app.fake.await_until(lambda: any(r.name == "bot.app" for r in caplog.records))
    replies = app.fake.responses(response_url)
    assert len(replies) == 1 and "something went wrong on my side" in replies[0]["text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["bot.app"]
    assert "after the ack" in str(errors[0].exc_info[1] if errors[0].exc_info else "")
