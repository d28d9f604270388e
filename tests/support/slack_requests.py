"""Signed, Slack-shaped requests into the app under test.

Payload shapes follow Slack's (see SLACK_NOTES §5 and bolt-python's
`tests/scenario_tests_async`): slash commands are form fields, interactivity is a form
field `payload=<json>`, events are a JSON `event_callback` envelope.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode

import aiohttp

from tests.support.fake_slack import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_TEAM_ID,
    GENERAL_CHANNEL_ID,
    FakeSlack,
)

JSON = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
TEAM_DOMAIN = "fake-workspace"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated field Slack still sends


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Slack's v0 request signature headers for `body` sent at `timestamp`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _user(user_id: str, team_id: str, user_name: str | None) -> JSON:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str) -> JSON:
    return {"id": team_id, "domain": TEAM_DOMAIN}


# ------------------------------------------------------------------ state values


def plain_value(value: str | None) -> JSON:
    return {"type": "plain_text_input", "value": value}


def number_value(value: str | float | None) -> JSON:
    """Numbers arrive as strings."""
    return {"type": "number_input", "value": None if value is None else str(value)}


def _option(value: str, text: str | None = None) -> JSON:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def static_value(value: str | None, text: str | None = None) -> JSON:
    selected = None if value is None else _option(value, text)
    return {"type": "static_select", "selected_option": selected}


def multi_static_value(values: list[str] | list[tuple[str, str]]) -> JSON:
    """`values` are option values, or (value, text) pairs."""
    options = [_option(v) if isinstance(v, str) else _option(*v) for v in values]
    return {"type": "multi_static_select", "selected_options": options}


def radio_value(value: str | None, text: str | None = None) -> JSON:
    selected = None if value is None else _option(value, text)
    return {"type": "radio_buttons", "selected_option": selected}


def checkboxes_value(values: list[str]) -> JSON:
    return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}


def user_value(user_id: str | None) -> JSON:
    return {"type": "users_select", "selected_user": user_id}


def multi_users_value(user_ids: list[str]) -> JSON:
    return {"type": "multi_users_select", "selected_users": user_ids}


def conversation_value(channel_id: str | None) -> JSON:
    return {"type": "conversations_select", "selected_conversation": channel_id}


def channel_value(channel_id: str | None) -> JSON:
    return {"type": "channels_select", "selected_channel": channel_id}


def date_value(day: str | None) -> JSON:
    """`day` as `YYYY-MM-DD`."""
    return {"type": "datepicker", "selected_date": day}


def time_value(hh_mm: str | None) -> JSON:
    return {"type": "timepicker", "selected_time": hh_mm}


# ------------------------------------------------------------------ payload builders


def slash_command_body(
    text: str,
    *,
    user_id: str,
    team_id: str,
    channel_id: str = GENERAL_CHANNEL_ID,
    trigger_id: str,
    response_url: str,
    command: str = "/mentor",
    user_name: str | None = None,
    channel_name: str = "general",
) -> dict[str, str]:
    """Form fields of a slash command invocation."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions_payload(
    *,
    user_id: str,
    team_id: str,
    action_id: str,
    value: str | None,
    block_id: str = "b",
    trigger_id: str,
    response_url: str | None = None,
    container: JSON | None = None,
    message: JSON | None = None,
    view: JSON | None = None,
    channel_id: str | None = None,
    action_type: str = "button",
    action_fields: JSON | None = None,
    user_name: str | None = None,
) -> JSON:
    """A `block_actions` payload for a click in a message (give `message`/`channel_id`) or
    in a view (give `view`). `action_fields` adds e.g. `selected_option` for selects."""
    action: JSON = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": _action_ts(),
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": value or action_id, "emoji": True}
    if value is not None:
        action["value"] = value
    action.update(action_fields or {})
    if container is None:
        if view is not None:
            container = {"type": "view", "view_id": view["id"]}
        else:
            ts = (message or {}).get("ts", "")
            container = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
    payload: JSON = {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def _view_object(
    *,
    team_id: str,
    view_id: str,
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, JSON]],
    view: JSON | None,
) -> JSON:
    base = copy.deepcopy(view) if view is not None else {}
    return {
        "type": "modal",
        "blocks": [],
        "title": {"type": "plain_text", "text": "Mentorbot"},
        "hash": f"{int(time.time())}.fakehash",
        "previous_view_id": None,
        "root_view_id": view_id,
        "external_id": "",
        "clear_on_close": False,
        "notify_on_close": False,
        **base,
        "id": view_id,
        "team_id": team_id,
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": {k: dict(v) for k, v in values.items()}},
        "app_id": APP_ID,
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }


def view_submission_payload(
    *,
    user_id: str,
    team_id: str,
    callback_id: str,
    values: Mapping[str, Mapping[str, JSON]],
    private_metadata: str = "",
    view_id: str = "V0FAKEVIEW",
    trigger_id: str,
    view: JSON | None = None,
    user_name: str | None = None,
) -> JSON:
    """`values` is Slack's `state.values`: `{block_id: {action_id: plain_value("…")}}`.
    `view` (e.g. the one the fake stored) supplies blocks/title; the other args win."""
    return {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": _view_object(
            team_id=team_id,
            view_id=view_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            values=values,
            view=view,
        ),
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_closed_payload(
    *,
    user_id: str,
    team_id: str,
    callback_id: str,
    private_metadata: str = "",
    view_id: str = "V0FAKEVIEW",
    is_cleared: bool = False,
    view: JSON | None = None,
    user_name: str | None = None,
) -> JSON:
    return {
        "type": "view_closed",
        "team": _team(team_id),
        "user": _user(user_id, team_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": _view_object(
            team_id=team_id,
            view_id=view_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            values={},
            view=view,
        ),
        "is_cleared": is_cleared,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def block_suggestion_payload(
    *,
    user_id: str,
    team_id: str,
    action_id: str,
    block_id: str,
    value: str,
    view: JSON | None = None,
    user_name: str | None = None,
) -> JSON:
    """An options request from an external select (`app.options`); `value` is what the
    person typed. Inside a modal Slack sends the whole `view`."""
    payload: JSON = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id, user_name),
        "container": {"type": "view", "view_id": view["id"]} if view else {"type": "message"},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["view"] = view
    return payload


def event_callback_body(
    event: JSON, *, team_id: str, event_id: str | None = None, event_time: int | None = None
) -> JSON:
    """The Events API envelope around `event` (same `event_id` on retries)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(16)}",
    }


def url_verification_body(challenge: str) -> JSON:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


# ------------------------------------------------------------------ HTTP client


class SendOptions(TypedDict, total=False):
    timestamp_offset: int  # seconds added to "now" when signing; -360 makes it stale
    bad_signature: bool  # sign with the wrong secret
    headers: Mapping[str, str]  # extra headers, e.g. X-Slack-Retry-Num


@dataclass(frozen=True)
class AppResponse:
    status: int
    text: str
    headers: Mapping[str, str]
    sent: JSON  # the payload (or form fields) that was sent

    def json(self) -> Any:
        return json.loads(self.text)


class SlackRequester:
    """Posts signed requests to `<app_url>/slack/events` as Slack would. With a `fake`, fresh
    trigger ids and response urls come from it and view payloads reuse the views it stored.
    Use `async with` (or `await close()`) so the HTTP session is closed."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        fake: FakeSlack | None = None,
        *,
        path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        self.url = app_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = fake.team_id if fake else DEFAULT_TEAM_ID
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackRequester:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        sent: JSON | None = None,
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        """POST raw `body`, signed unless told otherwise."""
        timestamp = int(time.time()) + options.get("timestamp_offset", 0)
        secret = self.signing_secret
        if options.get("bad_signature", False):
            secret = "not-" + secret
        headers = {"Content-Type": content_type, **sign(secret, body, timestamp)}
        headers.update(options.get("headers", {}))
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        async with self._session.post(self.url, data=body, headers=headers) as resp:
            text = await resp.text()
            return AppResponse(resp.status, text, dict(resp.headers), sent or {})

    async def post_unsigned(
        self, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> AppResponse:
        """POST `body` with exactly these Slack headers (forged, malformed or missing)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        all_headers = {"Content-Type": content_type, **headers}
        async with self._session.post(self.url, data=body, headers=all_headers) as resp:
            return AppResponse(resp.status, await resp.text(), dict(resp.headers), {})

    async def post_form(
        self, fields: Mapping[str, str], **options: Unpack[SendOptions]
    ) -> AppResponse:
        return await self.post(urlencode(fields).encode(), FORM, sent=dict(fields), **options)

    async def post_payload(self, payload: JSON, **options: Unpack[SendOptions]) -> AppResponse:
        """Interactivity: a form with one field, `payload=<json>`."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, FORM, sent=payload, **options)

    async def post_json(self, body: JSON, **options: Unpack[SendOptions]) -> AppResponse:
        return await self.post(json.dumps(body).encode(), "application/json", sent=body, **options)

    def _trigger_id(self, user_id: str) -> str:
        if self.fake is not None:
            return self.fake.new_trigger_id(user_id=user_id)
        return f"{int(time.time())}.{secrets.token_hex(8)}"

    def _response_url(self) -> str:
        if self.fake is not None:
            return self.fake.new_response_url()
        return f"http://127.0.0.1:9/response/{secrets.token_hex(8)}"  # discards everything

    def _user_name(self, user_id: str) -> str | None:
        user = self.fake.user_object(user_id) if self.fake is not None else None
        return user["name"] if user else None

    async def command(
        self,
        text: str = "",
        *,
        user_id: str,
        team_id: str | None = None,
        channel_id: str = GENERAL_CHANNEL_ID,
        command: str = "/mentor",
        trigger_id: str | None = None,
        response_url: str | None = None,
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        fields = slash_command_body(
            text,
            user_id=user_id,
            team_id=team_id or self.team_id,
            channel_id=channel_id,
            trigger_id=trigger_id or self._trigger_id(user_id),
            response_url=response_url or self._response_url(),
            command=command,
            user_name=self._user_name(user_id),
        )
        return await self.post_form(fields, **options)

    async def action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user_id: str,
        team_id: str | None = None,
        block_id: str = "b",
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        action_type: str = "button",
        action_fields: JSON | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        """A click on a message (`channel_id` + `message_ts`; the message is taken from the
        fake when it has it) or inside a view (`view_id`; no response_url, like Slack)."""
        message = view = None
        if view_id is not None:
            stored_view = self.fake.view(view_id) if self.fake else None
            # Slack sends the whole view, state included (a Home tab's is empty).
            view = stored_view or {"id": view_id, "state": {"values": {}}}
        elif message_ts is not None:
            stored = self.fake.message(channel_id, message_ts) if self.fake and channel_id else None
            message = stored or {"type": "message", "ts": message_ts, "text": ""}
        if view is None and response_url is None:
            response_url = self._response_url()
        payload = block_actions_payload(
            user_id=user_id,
            team_id=team_id or self.team_id,
            action_id=action_id,
            value=value,
            block_id=block_id,
            trigger_id=trigger_id or self._trigger_id(user_id),
            response_url=response_url,
            message=message,
            view=view,
            channel_id=channel_id,
            action_type=action_type,
            action_fields=action_fields,
            user_name=self._user_name(user_id),
        )
        return await self.post_payload(payload, **options)

    async def suggest(
        self,
        action_id: str,
        value: str = "",
        *,
        user_id: str,
        block_id: str = "b",
        view_id: str | None = None,
        callback_id: str | None = None,
        private_metadata: str | None = None,
        team_id: str | None = None,
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        """Someone typed `value` into an external select inside the modal `view_id` (the
        view the fake stored; `callback_id`/`private_metadata` override or forge it)."""
        stored = (self.fake.view(view_id) if self.fake is not None and view_id else None) or {}
        view: JSON = {
            "type": "modal",
            "state": {"values": {}},
            **stored,
            "id": view_id or stored.get("id") or "V0FAKEVIEW",
        }
        if callback_id is not None:
            view["callback_id"] = callback_id
        if private_metadata is not None:
            view["private_metadata"] = private_metadata
        payload = block_suggestion_payload(
            user_id=user_id,
            team_id=team_id or self.team_id,
            action_id=action_id,
            block_id=block_id,
            value=value,
            view=view,
            user_name=self._user_name(user_id),
        )
        return await self.post_payload(payload, **options)

    async def submit_view(
        self,
        values: Mapping[str, Mapping[str, JSON]] | None = None,
        *,
        user_id: str,
        view_id: str | None = None,
        callback_id: str | None = None,
        private_metadata: str | None = None,
        team_id: str | None = None,
        trigger_id: str | None = None,
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        """Submit a modal. With a fake that stored `view_id`, callback_id, private_metadata
        and blocks default to what the app opened, and the app's ack is applied to the
        fake's view stack (closed / updated / pushed / kept on errors)."""
        stored = self.fake.view(view_id) if self.fake is not None and view_id else None
        stored = stored or {}
        payload = view_submission_payload(
            user_id=user_id,
            team_id=team_id or self.team_id,
            callback_id=callback_id if callback_id is not None else stored.get("callback_id", ""),
            values=values or {},
            private_metadata=(
                private_metadata
                if private_metadata is not None
                else stored.get("private_metadata", "")
            ),
            view_id=view_id or "V0FAKEVIEW",
            trigger_id=trigger_id or self._trigger_id(user_id),
            view=stored or None,
            user_name=self._user_name(user_id),
        )
        response = await self.post_payload(payload, **options)
        if self.fake is not None and stored and response.status == 200:
            try:
                ack = response.json() if response.text.strip() else None
            except ValueError:
                ack = None  # a non-JSON 200 closes the modal, as in Slack
            self.fake.apply_submission_ack(stored["id"], ack)
        return response

    async def close_view(
        self,
        *,
        user_id: str,
        view_id: str | None = None,
        callback_id: str | None = None,
        private_metadata: str | None = None,
        is_cleared: bool = False,
        team_id: str | None = None,
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        """The user closed a modal opened with `notify_on_close`."""
        stored = (self.fake.view(view_id) if self.fake is not None and view_id else None) or {}
        if self.fake is not None and stored:
            closing = {"response_action": "clear"} if is_cleared else None
            self.fake.apply_submission_ack(stored["id"], closing)
        payload = view_closed_payload(
            user_id=user_id,
            team_id=team_id or self.team_id,
            callback_id=callback_id if callback_id is not None else stored.get("callback_id", ""),
            private_metadata=(
                private_metadata
                if private_metadata is not None
                else stored.get("private_metadata", "")
            ),
            view_id=view_id or "V0FAKEVIEW",
            is_cleared=is_cleared,
            view=stored or None,
            user_name=self._user_name(user_id),
        )
        return await self.post_payload(payload, **options)

    async def event(
        self,
        event: JSON,
        *,
        team_id: str | None = None,
        event_id: str | None = None,
        event_time: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **options: Unpack[SendOptions],
    ) -> AppResponse:
        """An Events API delivery; `retry_num` adds Slack's retry headers."""
        body = event_callback_body(
            event, team_id=team_id or self.team_id, event_id=event_id, event_time=event_time
        )
        if retry_num is not None:
            options["headers"] = {
                "X-Slack-Retry-Num": str(retry_num),
                "X-Slack-Retry-Reason": retry_reason,
                **options.get("headers", {}),
            }
        return await self.post_json(body, **options)
