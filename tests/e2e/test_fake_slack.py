"""The test harness itself: FakeSlack spoken to by the real slack-sdk client, and signed
requests accepted by a real Bolt app."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.fake_slack import DEFAULT_TOKEN, Call, FakeSlack
from tests.support.slack_requests import SlackRequester, plain_value, sign, static_value

SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(trigger_ttl=0.3) as fake:
        fake.add_user("U1", name="alice")
        fake.add_user("U2", name="bob", tz="America/New_York")
        fake.add_user("U3", name="carol", deleted=True)
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=DEFAULT_TOKEN, base_url=fake.base_url)


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


# ---------------------------------------------------------------- Web API


async def test_auth_test_and_token_check(fake: FakeSlack, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0FAKE01", "UBOT", "BBOT")
    assert auth.headers["content-type"] == "application/json; charset=utf-8"

    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert (await slack_error(bad.auth_test())).response["error"] == "invalid_auth"
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake.base_url + "auth.test") as resp,
    ):
        assert (resp.status, await resp.json()) == (200, {"ok": False, "error": "not_authed"})
    assert [c.method for c in fake.calls] == ["auth.test"] * 3


async def test_post_message_history_and_metadata(fake: FakeSlack, client: AsyncWebClient) -> None:
    meta = {"event_type": "reminder", "event_payload": {"outbox_key": "k1"}}
    first = await client.chat_postMessage(channel="U1", text="hi", metadata=meta)
    assert first["channel"] == "DU1"
    second = await client.chat_postMessage(
        channel="DU1", text="again", blocks=[{"type": "divider"}]
    )
    assert second["ts"] > first["ts"]

    history = await client.conversations_history(channel="DU1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["again", "hi"]
    assert history["messages"][1]["metadata"] == meta
    plain = await client.conversations_history(channel="DU1", oldest=first["ts"])
    assert [m["text"] for m in plain["messages"]] == ["again"]
    assert "metadata" not in plain["messages"][0]
    assert fake.posted_count_by_key() == {"k1": 1}

    await client.chat_update(channel="DU1", ts=first["ts"], text="edited")
    assert fake.message("DU1", first["ts"])["text"] == "edited"  # type: ignore[index]

    # Form-encoded calls carry blocks/metadata as JSON strings; the fake decodes them.
    form = {"channel": "C0GENERAL", "text": "f", "blocks": '[{"type": "divider"}]'}
    await client.api_call("chat.postMessage", params={**form, "metadata": json.dumps(meta)})
    assert fake.calls_to("chat.postMessage")[-1].params["blocks"] == [{"type": "divider"}]
    assert fake.posted_count_by_key() == {"k1": 2}

    await client.chat_postEphemeral(channel="C0GENERAL", user="U1", text="psst")
    assert [e["text"] for e in fake.ephemerals("C0GENERAL")] == ["psst"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C404", "channel_not_found"),
        ("U404", "user_not_found"),
        ("U3", "user_disabled"),
        ("CARCHIVE", "is_archived"),
        ("COUTSIDE", "not_in_channel"),
    ],
)
async def test_post_message_errors(
    fake: FakeSlack, client: AsyncWebClient, channel: str, error: str
) -> None:
    fake.add_channel("CARCHIVE", "old", archived=True)
    fake.add_channel("COUTSIDE", "elsewhere", bot_member=False)
    err = await slack_error(client.chat_postMessage(channel=channel, text="x"))
    assert (err.response.status_code, err.response["error"]) == (200, error)
    assert fake.messages() == []


async def test_chat_update_needs_the_conversation_id(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U1", text="x")
    err = await slack_error(client.chat_update(channel="U1", ts=posted["ts"], text="y"))
    assert err.response["error"] == "channel_not_found"
    err = await slack_error(client.chat_update(channel="DU1", ts="1.000001", text="y"))
    assert err.response["error"] == "message_not_found"


async def test_conversations_open_is_deterministic(fake: FakeSlack, client: AsyncWebClient) -> None:
    one = await client.conversations_open(users="U1,U2")
    two = await client.conversations_open(users=["U2", "U1"])
    assert one["channel"]["id"] == two["channel"]["id"]
    assert one["channel"]["id"].startswith("G")
    assert sorted(fake.conversation_members(one["channel"]["id"])) == ["U1", "U2", "UBOT"]
    assert (await client.conversations_open(users="U1"))["channel"]["id"] == "DU1"

    many = ",".join(f"U{i}" for i in range(10))
    assert (await slack_error(client.conversations_open(users=many))).response[
        "error"
    ] == "too_many_users"
    err = await slack_error(client.conversations_open(users="U1,U3"))
    assert err.response["error"] == "user_disabled"


async def test_trigger_ids_expire_and_are_single_use(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    view = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "T"}}
    trigger = fake.new_trigger_id(user_id="U1")
    opened = await client.views_open(trigger_id=trigger, view=view)
    assert opened["view"]["state"] == {"values": {}}
    assert fake.last_view_for("U1")["id"] == opened["view"]["id"]  # type: ignore[index]

    reused = await slack_error(client.views_open(trigger_id=trigger, view=view))
    assert reused.response["error"] == "exchanged_trigger_id"
    late = fake.new_trigger_id(user_id="U1")
    await asyncio.sleep(0.35)
    assert (await slack_error(client.views_open(trigger_id=late, view=view))).response[
        "error"
    ] == "expired_trigger_id"
    unknown = await slack_error(client.views_open(trigger_id="1.2.3", view=view))
    assert unknown.response["error"] == "invalid_trigger_id"


async def test_views_update_publish_and_limits(fake: FakeSlack, client: AsyncWebClient) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "external_id": "e1"}
    opened = await client.views_open(trigger_id=fake.new_trigger_id("U1"), view=view)
    stale_hash = opened["view"]["hash"]
    await client.views_update(external_id="e1", view={**view, "callback_id": "v2"})
    conflict = await slack_error(
        client.views_update(view_id=opened["view"]["id"], view=view, hash=stale_hash)
    )
    assert conflict.response["error"] == "hash_conflict"
    assert (await slack_error(client.views_update(view_id="V404", view=view))).response[
        "error"
    ] == "not_found"

    too_long = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    err = await slack_error(client.views_open(trigger_id=fake.new_trigger_id("U1"), view=too_long))
    assert err.response["error"] == "invalid_arguments"

    await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert fake.home_view("U1")["type"] == "home"  # type: ignore[index]


async def test_429_with_retry_after(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.rate_limit("users.list", per_second=0.5, burst=2)
    await client.users_list()
    await client.users_list()
    err = await slack_error(client.users_list())
    assert err.response.status_code == 429
    assert err.response["error"] == "ratelimited"
    assert err.response.headers["Retry-After"] == "2"
    assert fake.rate_limited_count("users.list") == 1

    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    err = await slack_error(client.chat_postMessage(channel="U1", text="x"))
    assert (err.response.status_code, err.response.headers["Retry-After"]) == (429, "7")


async def test_fail_next_503_does_not_perform(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", status=503)
    fake.fail_next("chat.postMessage", error="msg_too_long")
    err = await slack_error(client.chat_postMessage(channel="U1", text="x"))
    assert (err.response.status_code, err.response["error"]) == (503, "fatal_error")
    err = await slack_error(client.chat_postMessage(channel="U1", text="x"))
    assert (err.response.status_code, err.response["error"]) == (200, "msg_too_long")
    assert fake.messages() == []
    await client.chat_postMessage(channel="U1", text="x")
    assert len(fake.messages()) == 1
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [503, 200, 200]


async def test_error_rate_is_seeded(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.error_rate("chat.postMessage", fraction=0.5, seed=42)
    outcomes = []
    for _ in range(30):
        try:
            await client.chat_postMessage(channel="U1", text="x")
            outcomes.append(True)
        except SlackApiError as err:
            assert err.response.status_code == 503
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 25
    assert len(fake.messages()) == outcomes.count(True)

    with FakeSlack() as again:  # same seed, same pattern
        again.error_rate("auth.test", fraction=0.5, seed=42)
        other = AsyncWebClient(token=DEFAULT_TOKEN, base_url=again.base_url)
        replay = []
        for _ in range(30):
            try:
                await other.auth_test()
                replay.append(True)
            except SlackApiError:
                replay.append(False)
    assert replay == outcomes


async def test_files_upload_v2(fake: FakeSlack, client: AsyncWebClient) -> None:
    result = await client.files_upload_v2(
        channel="C0GENERAL", content="a,b\n1,2\n", filename="export.csv", title="Export"
    )
    file_id = result["file"]["id"]
    stored = fake.uploaded_files[file_id]
    assert stored["content"] == b"a,b\n1,2\n"
    assert (stored["filename"], stored["title"], stored["channel_id"]) == (
        "export.csv",
        "Export",
        "C0GENERAL",
    )
    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_users_list_pagination_and_info(fake: FakeSlack, client: AsyncWebClient) -> None:
    seen = []
    pages = 0
    async for page in await client.users_list(limit=2):
        pages += 1
        seen += [m["id"] for m in page["members"]]
    assert seen == ["UBOT", "USLACKBOT", "U1", "U2", "U3"]
    assert pages == 3

    user = (await client.users_info(user="U2"))["user"]
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert user["profile"]["display_name"] == "bob"
    err = await slack_error(client.users_info(user="U404"))
    assert err.response["error"] == "user_not_found"


async def test_wait_for_hooks_and_response_urls(fake: FakeSlack, client: AsyncWebClient) -> None:
    seen: list[Call] = []
    fake.hook_after("chat.postMessage", lambda call, response: seen.append(call))

    def crash(call: Call, response: dict[str, Any]) -> None:
        raise RuntimeError("process died after the call took effect")

    fake.hook_after("chat.update", crash)
    posted = await client.chat_postMessage(channel="U1", text="x")
    assert seen[0].params["text"] == "x"
    err = await slack_error(client.chat_update(channel="DU1", ts=posted["ts"], text="new"))
    assert err.response.status_code == 500
    assert fake.message("DU1", posted["ts"])["text"] == "new"  # type: ignore[index]

    # wait_for blocks a thread; await_for polls without blocking the loop.
    waiter = threading.Thread(target=fake.wait_for, args=("auth.test", 1, 2.0))
    waiter.start()
    await client.auth_test()
    waiter.join()
    assert len(await fake.await_for("auth.test")) == 1
    with pytest.raises(TimeoutError):
        await fake.await_for("users.info", timeout=0.05)

    url = fake.new_response_url()
    async with aiohttp.ClientSession() as session, session.post(url, json={"text": "hey"}) as r:
        assert r.status == 200
    assert fake.responses(url) == [{"text": "hey"}]


async def test_latency_does_not_block_other_calls(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.latency("chat.postMessage", 0.3)
    started = time.monotonic()
    slow = asyncio.create_task(client.chat_postMessage(channel="U1", text="slow"))
    await client.auth_test()
    assert time.monotonic() - started < 0.2
    await slow
    assert time.monotonic() - started >= 0.3


# ---------------------------------------------------------------- signing


def test_sign_matches_slack_sdk_verifier() -> None:
    body = b"token=x&text=%2Fmentor+help"
    now = int(time.time())
    headers = sign(SECRET, body, now)
    verifier = SignatureVerifier(SECRET)
    assert headers["X-Slack-Signature"] == verifier.generate_signature(
        timestamp=str(now), body=body
    )
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    stale = sign(SECRET, body, now - 360)
    assert not verifier.is_valid(body, str(now - 360), stale["X-Slack-Signature"])


# ---------------------------------------------------------------- requests into a real Bolt app


def _bolt_app(client: AsyncWebClient) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)
    modal = {
        "type": "modal",
        "callback_id": "signup",
        "private_metadata": "program-7",
        "title": {"type": "plain_text", "text": "Sign up"},
        "blocks": [],
    }

    @app.command("/mentor")
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view("signup")
    async def on_submit(ack: AsyncAck, view: dict[str, Any], client: AsyncWebClient) -> None:
        values = view["state"]["values"]
        if not values["goal"]["goal"]["value"]:
            await ack(response_action="errors", errors={"goal": "Say something"})
            return
        await ack()
        role = values["role"]["role"]["selected_option"]["value"]
        await client.chat_postMessage(
            channel="C0GENERAL", text=f"{view['private_metadata']} {role}"
        )

    @app.action("pick")
    async def on_pick(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond("picked")

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    return app


@pytest.fixture
async def slack(fake: FakeSlack, client: AsyncWebClient) -> AsyncIterator[SlackRequester]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(_bolt_app(client).web_app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    port = sock.getsockname()[1]
    try:
        async with SlackRequester(f"http://127.0.0.1:{port}", SECRET, fake) as requester:
            yield requester
    finally:
        await runner.cleanup()


async def test_requests_drive_a_bolt_app(fake: FakeSlack, slack: SlackRequester) -> None:
    assert (await slack.command("signup", user_id="U1")).status == 200
    view = fake.last_view_for("U1")
    assert view is not None and view["callback_id"] == "signup"

    rejected = await slack.submit_view(
        {"goal": {"goal": plain_value("")}, "role": {"role": static_value("mentee")}},
        user_id="U1",
        view_id=view["id"],
    )
    assert rejected.json() == {"response_action": "errors", "errors": {"goal": "Say something"}}
    assert fake.view_stack("U1") != []
    accepted = await slack.submit_view(
        {"goal": {"goal": plain_value("learn")}, "role": {"role": static_value("mentee")}},
        user_id="U1",
        view_id=view["id"],
    )
    assert (accepted.status, fake.view_stack("U1")) == (200, [])
    assert [m["text"] for m in fake.messages("C0GENERAL")] == ["program-7 mentee"]

    posted = fake.messages("C0GENERAL")[0]
    clicked = await slack.action(
        "pick", "1", user_id="U1", channel_id="C0GENERAL", message_ts=posted["ts"]
    )
    assert clicked.status == 200
    assert fake.responses(clicked.sent["response_url"]) == [{"text": "picked"}]

    event = {"type": "app_home_opened", "user": "U2", "channel": "DU2", "tab": "home"}
    assert (await slack.event(event, retry_num=1)).status == 200
    assert fake.home_view("U2") is not None


async def test_bad_and_stale_signatures_are_rejected(slack: SlackRequester) -> None:
    assert (await slack.command("help", user_id="U1", bad_signature=True)).status == 401
    assert (await slack.command("help", user_id="U1", timestamp_offset=-360)).status == 401
    unmatched = await slack.action("nobody-listens", user_id="U1", channel_id="C0GENERAL")
    assert unmatched.status == 404
