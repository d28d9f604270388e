"""A fake Slack Web API served over real HTTP on 127.0.0.1, for tests.

The server runs in its own thread with its own event loop, so the same instance serves
sync tests, async tests and an app running as a subprocess (point it at `base_url`).
It answers with Slack's shapes and error names, records every call, and can inject
faults (HTTP errors, 429s with Retry-After, latency, crashes after a call took effect).

Documented simplifications:
* Posting to a user (`U…`/`W…`) or their DM (`D<user id>`) answers `user_not_found` for an
  unknown user and `user_disabled` for a deactivated one; the same two errors come from
  `conversations.open`.
* The workspace starts with the bot user `UBOT`, `USLACKBOT` (so `users.list` has the
  non-humans real Slack returns) and channel `C0GENERAL` with the bot as a member.
* `files.completeUploadExternal` records the share but posts no file message.
* `response_url`s are not limited to 5 uses.
* `oauth.v2.access` (issue 13): a new or rotated bot token replaces the old one at once
  (Slack keeps a rotated token working until it expires); codes come from
  `authorize_install`, not from a consent screen.
* Socket Mode (`apps.connections.open` with `app_token`, and its WebSocket) lives in
  `fake_socket.py`, reached as `fake.socket_mode`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import math
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any, Self
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from aiohttp import BodyPartReader, web

from tests.support.fake_socket import APP_TOKEN_METHODS, DEFAULT_APP_TOKEN, FakeSocketMode

JSON = dict[str, Any]
HookFn = Callable[["Call", JSON], object]

DEFAULT_TOKEN = "xoxb-test-token"
DEFAULT_TEAM_ID = "T0FAKE01"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0MENTOR"
GENERAL_CHANNEL_ID = "C0GENERAL"
# The app's OAuth credentials as this fake Slack knows them (issue 13).
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "fake-client-secret"
TOKEN_LIFETIME = 43200  # seconds a rotating token lives, as Slack's 12 hours
BOT_SCOPES = (
    "chat:write,commands,im:write,mpim:write,users:read,files:write,channels:read"
    ",channels:join,groups:read"  # program channels (issue 9)
)
BOT_SCOPES += ",files:read,users:read.email"  # roster import (issue 9, point 2)

# Pseudo-methods under which uploads and response_url posts are recorded; fault
# injection (fail_next, latency, …) works on them too.
UPLOAD = "upload"
RESPONSE_URL = "response_url"
FILE_DOWNLOAD = "file_download"  # GET of a file's url_private_download (roster import)

# Form-encoded Web API calls carry these fields as JSON strings.
_JSON_FIELDS = frozenset({"attachments", "blocks", "files", "metadata", "view"})
_MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_VIEW_STACK = 3


class _Stamps:
    """Message timestamps as Slack makes them: its wall clock in microseconds, each one
    later than the last (crash recovery's lookups read history from a wall-clock time)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __next__(self) -> int:
        with self._lock:
            self._last = max(self._last + 100, time.time_ns() // 1000)
            return self._last


@dataclass
class Call:
    """One request the fake received. `status`/`response` are set once it was answered."""

    method: str
    params: JSON
    headers: dict[str, str]
    at: float
    path: str = ""
    status: int | None = None
    response: JSON | None = None


@dataclass(frozen=True)
class ResponsePost:
    response_id: str
    body: JSON
    at: float


class SlackError(Exception):
    """Raised by a method handler to answer HTTP 200 `{"ok": false, "error": …}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str | None
    is_admin: bool
    is_owner: bool
    deleted: bool
    is_restricted: bool
    is_ultra_restricted: bool
    is_bot: bool
    title: str
    email: str | None
    updated: int = field(default_factory=lambda: int(time.time()))

    def to_api(self, team_id: str) -> JSON:
        user: JSON = {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "title": self.title,
                "team": team_id,
            },
        }
        if self.email is not None:
            user["profile"]["email"] = self.email
        if self.tz is not None:
            # Like Slack, tz_offset is a snapshot for "now" (it moves with DST).
            now = datetime.now(ZoneInfo(self.tz))
            offset = now.utcoffset()
            user["tz"] = self.tz
            user["tz_label"] = now.tzname()
            user["tz_offset"] = int(offset.total_seconds()) if offset else 0
        return user


@dataclass
class _Conversation:
    id: str
    name: str
    archived: bool = False
    bot_member: bool = True
    im_user: str | None = None
    private: bool = False  # a private channel: an app can't join it, only be invited
    members: list[str] = field(default_factory=list)
    messages: list[JSON] = field(default_factory=list)


@dataclass
class _Trigger:
    user_id: str | None
    issued: float
    used: bool = False


@dataclass
class _Grant:
    """A one-time code from the install screen, as `authorize_install` issued it."""

    team_id: str
    user_id: str
    new_token: bool
    rotation: bool
    redirect_uri: str | None


@dataclass
class _Failure:
    status: int | None
    error: str | None
    retry_after: int | None
    remaining: int


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token; return 0 on success, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class _ErrorRate:
    fraction: float
    status: int
    rng: random.Random


Answer = tuple[int, JSON, dict[str, str]]


class FakeSlack:
    """Fake Slack Web API. Use as a context manager or call `start()` / `stop()`."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        team_id: str = DEFAULT_TEAM_ID,
        trigger_ttl: float = 3.0,
    ) -> None:
        self.token = token
        self.socket_mode = FakeSocketMode(self, app_id=APP_ID, app_token=app_token)
        self.team_id = team_id
        self.team_name = "Fake Workspace"
        self.trigger_ttl = trigger_ttl
        # RLock: hooks and handlers may call public methods while it is held.
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._users: dict[str, _User] = {}
        self._conversations: dict[str, _Conversation] = {}
        self._posted: list[tuple[str, JSON]] = []
        self._ephemerals: list[JSON] = []
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, JSON] = {}
        self._view_users: dict[str, str | None] = {}
        self._stacks: dict[str | None, list[str]] = {}
        self._last_view: dict[str, str] = {}
        self._external_ids: dict[str, str] = {}
        self._home_views: dict[str, JSON] = {}
        self._uploads: dict[str, JSON] = {}
        self._shared_files: dict[str, bytes] = {}
        self._responses: dict[str, list[ResponsePost]] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._error_rates: dict[str, _ErrorRate] = {}
        self._latency: dict[str, float] = {}
        self._latency_calls: Counter[str] = Counter()  # calls left; absent: every call
        self._hooks: dict[str, list[HookFn]] = {}
        self._rate_limited: Counter[str] = Counter()
        self._token_error: str | None = None
        self.hook_errors: list[BaseException] = []
        self._ts = _Stamps()
        self._history_page: int | None = None  # limit_history's page size
        self._ids = count(1)
        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "api.test": lambda params: {"args": params},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            # Success stories (issue 11): a withdrawn shout-out is deleted; where it is.
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            # Program channels (issue 9): join a public one, read whether the bot is in one.
            "conversations.join": self._conversations_join,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            # Roster import (issue 9, point 2): e-mail lookups.
            "users.lookupByEmail": self._users_lookup_by_email,
            "apps.connections.open": self.socket_mode.open_connection,
        }
        self._port: int | None = None
        # Many workspaces (issue 13): siblings share this server, reached by their own
        # tokens; each keeps its own users, conversations and calls.
        self._host: FakeSlack = self
        self._family: list[FakeSlack] = [self]
        # OAuth (issue 13), kept by the first workspace for the whole family.
        self._grants: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> team id
        self._token_serial = count(1)
        self.token_lifetime = TOKEN_LIFETIME
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._startup_error: BaseException | None = None

        self.add_user(BOT_USER_ID, name="mentorbot", real_name="Mentor Bot", is_bot=True, tz=None)
        self.add_user("USLACKBOT", name="slackbot", real_name="Slackbot", tz=None)
        self.add_channel(GENERAL_CHANNEL_ID, "general")

    # ---------------------------------------------------------------- workspaces

    def add_workspace(self, team_id: str, *, token: str | None = None) -> FakeSlack:
        """Another workspace on this same Slack: its own members, channels and calls
        (`calls` of each instance holds only the calls made with its token), reached at
        the same `base_url` with its own bot token."""
        if any(w.team_id == team_id for w in self._family):
            raise ValueError(f"workspace {team_id} exists")
        sibling = FakeSlack(token=token or f"xoxb-{team_id.lower()}", team_id=team_id)
        sibling._host = self._host
        sibling._family = self._family
        sibling._ids, sibling._ts = self._ids, self._ts  # ids unique across the family
        self._family.append(sibling)
        return sibling

    def workspace(self, team_id: str) -> FakeSlack:
        return next(w for w in self._family if w.team_id == team_id)

    def _by_token(self, token: str | None) -> FakeSlack:
        """The workspace a bot token belongs to (this one if none does: invalid_auth)."""
        return next((w for w in self._family if token and w.token == token), self)

    def _holding(self, attribute: str, key: str) -> FakeSlack:
        """The workspace whose `attribute` dict holds `key` (ids are unique family-wide)."""
        return next((w for w in self._family if key in getattr(w, attribute)), self)

    # ---------------------------------------------------------------- OAuth

    def authorize_install(
        self,
        team_id: str,
        user_id: str,
        *,
        new_token: bool = False,
        rotation: bool = False,
        redirect_uri: str | None = None,
    ) -> str:
        """What Slack's install screen does when `user_id` approves the app for `team_id`:
        a one-time code for the redirect. With `new_token` the exchange issues the
        workspace a new bot token and revokes the old one (a reinstall); with `rotation`
        the token expires after `token_lifetime` seconds and comes with a refresh token.
        `redirect_uri`, if the authorize URL carried one, must come back with the code."""
        host = self._host
        host.workspace(team_id)  # a workspace of this family, or StopIteration
        code = f"{team_id}.{next(host._ids)}.{random.getrandbits(32):08x}"
        with host._lock:
            host._grants[code] = _Grant(team_id, user_id, new_token, rotation, redirect_uri)
        return code

    def _oauth_workspace(self, params: JSON) -> FakeSlack:
        """Whose call an oauth.v2.access is (to record it there): the code's or the
        refresh token's workspace; this one if neither is known."""
        host = self._host
        with host._lock:
            grant = host._grants.get(str(params.get("code")))
            team_id = (
                grant.team_id
                if grant
                else host._refresh_tokens.get(str(params.get("refresh_token")))
            )
        return host.workspace(team_id) if team_id else self

    def _oauth_v2_access(self, call: Call) -> Answer:
        """oauth.v2.access: authenticated by the app's client id and secret (form fields or
        HTTP Basic), never a bearer token. Exchanges an install code, or with
        grant_type=refresh_token a refresh token, for a bot token."""
        params = dict(call.params)
        basic = _basic(call.headers)
        client_id = params.get("client_id") or (basic[0] if basic else None)
        client_secret = params.get("client_secret") or (basic[1] if basic else None)
        if client_id != CLIENT_ID:
            return 200, {"ok": False, "error": "invalid_client_id"}, {}
        if client_secret != CLIENT_SECRET:
            return 200, {"ok": False, "error": "bad_client_secret"}, {}
        host = self._host
        with host._lock:
            if params.get("grant_type") == "refresh_token":
                team_id = host._refresh_tokens.pop(str(params.get("refresh_token")), None)
                if team_id is None:
                    return 200, {"ok": False, "error": "invalid_refresh_token"}, {}
                return 200, host._issue_token(host.workspace(team_id), rotation=True), {}
            grant = host._grants.pop(str(params.get("code")), None)  # one use only
            if grant is None:
                return 200, {"ok": False, "error": "invalid_code"}, {}
            if grant.redirect_uri is not None and params.get("redirect_uri") != grant.redirect_uri:
                return 200, {"ok": False, "error": "bad_redirect_uri"}, {}
            workspace = host.workspace(grant.team_id)
            body = host._issue_token(
                workspace, rotation=grant.rotation, renew=grant.new_token or grant.rotation
            )
            body["authed_user"] = {"id": grant.user_id}  # no user scopes asked for
            return 200, body, {}

    def _issue_token(self, workspace: FakeSlack, *, rotation: bool, renew: bool = True) -> JSON:
        """The bot token part of an oauth.v2.access answer. A new token replaces the old
        one at once (the old one then answers invalid_auth)."""
        if renew:
            serial = next(self._token_serial)
            prefix = "xoxe.xoxb" if rotation else "xoxb"
            workspace.token = f"{prefix}-{workspace.team_id.lower()}-{serial}"
        body: JSON = {
            "app_id": APP_ID,
            "access_token": workspace.token,
            "token_type": "bot",
            "scope": BOT_SCOPES,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": workspace.team_id, "name": workspace.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if rotation:
            refresh = f"xoxe-1-{workspace.team_id.lower()}-{next(self._token_serial)}"
            self._refresh_tokens[refresh] = workspace.team_id
            body.update(refresh_token=refresh, expires_in=self.token_lifetime)
        return {"ok": True, **body}

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("FakeSlack is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name=f"FakeSlack:{self._port}", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("FakeSlack failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or loop is None:
            return
        if stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        thread.join(15)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Server root, e.g. `http://127.0.0.1:PORT`."""
        port = self._host._port
        if port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{port}"

    @property
    def base_url(self) -> str:
        """What `AsyncWebClient(base_url=...)` / `SLACK_API_URL` should be."""
        return f"{self.url}/api/"

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(sock, ready))
        except BaseException as exc:  # reported to start()
            self._startup_error = exc
            sock.close()
        finally:
            # Handlers still sleeping (latency) must not outlive the loop.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            ready.set()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{response_id}", self._handle_response_url)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._handle_file_download)
        app.router.add_get("/signin", self._handle_signin)
        self.socket_mode.add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            self._stopping = asyncio.Event()
            ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    # ---------------------------------------------------------------- workspace setup

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        tz: str | None = "Europe/Berlin",
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        title: str = "",
        email: str | None = None,
    ) -> None:
        """Add (or replace) a workspace member. `tz=None` leaves the tz fields out."""
        user = _User(
            id=user_id,
            name=name,
            real_name=real_name if real_name is not None else name.title(),
            tz=tz,
            is_admin=is_admin,
            is_owner=is_owner,
            deleted=deleted,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            is_bot=is_bot,
            title=title,
            email=email,
        )
        with self._lock:
            self._users[user_id] = user

    def update_user(self, user_id: str, **changes: Any) -> JSON:
        """Change fields given to `add_user` (e.g. `deleted=True`); returns the new user object,
        ready to put into a `user_change` event."""
        with self._lock:
            user = self._users[user_id]
            for key, value in changes.items():
                if not hasattr(user, key) or key in ("id", "updated"):
                    raise TypeError(f"unknown user field {key!r}")
                setattr(user, key, value)
            user.updated = int(time.time())
            return user.to_api(self.team_id)

    def user_object(self, user_id: str) -> JSON | None:
        """The `users.info` user object (for `team_join` / `user_change` events)."""
        with self._lock:
            user = self._users.get(user_id)
            return user.to_api(self.team_id) if user else None

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        archived: bool = False,
        bot_member: bool = True,
        private: bool = False,
    ) -> None:
        with self._lock:
            conv = self._conversations.get(channel_id)
            if conv is None:
                self._conversations[channel_id] = _Conversation(
                    channel_id, name, archived=archived, bot_member=bot_member, private=private
                )
            else:  # keep history, change the flags
                conv.name, conv.archived, conv.bot_member = name, archived, bot_member
                conv.private = private

    def is_bot_in(self, channel_id: str) -> bool:
        """Whether the bot is a member of the channel (joined or invited)."""
        with self._lock:
            conv = self._conversations.get(channel_id)
            return conv is not None and conv.bot_member

    # --- files a person shared through a modal's file_input (roster import) ---

    def add_file(
        self,
        content: bytes,
        *,
        name: str = "roster.csv",
        user: str | None = None,
        filetype: str = "csv",
        mimetype: str = "text/csv",
    ) -> JSON:
        """A file someone uploaded in a `file_input`; returns the file object Slack puts in
        `view.state.values[block][action]["files"]`. Its `url_private_download` is served
        here only with the bot token, like Slack's file host."""
        with self._lock:
            file_id = f"F{next(self._ids):010d}"
            self._shared_files[file_id] = content
        url = f"{self.url}/files-pri/{self.team_id}-{file_id}/download/{name}"
        return {
            "id": file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user or "",
            "user_team": self.team_id,
            "size": len(content),
            "url_private": url.replace("/download/", "/"),
            "url_private_download": url,
            "permalink": f"https://fake-workspace.slack.com/files/{user}/{file_id}/{name}",
        }

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """A trigger id as carried by an interaction; valid `trigger_ttl` seconds, once."""
        with self._lock:
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{random.randbytes(16).hex()}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic())
            return trigger_id

    def new_response_url(self) -> str:
        with self._lock:
            response_id = f"R{next(self._ids):08d}"
            self._responses[response_id] = []
        return f"{self.url}/response/{response_id}"

    # ---------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls to `method` have been answered; return them all."""
        deadline = time.monotonic() + timeout
        while len(done := self._answered(method)) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(self._wait_message(method, count, len(done)))
            time.sleep(0.01)
        return done

    async def await_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Like `wait_for`, but yields to the caller's event loop while polling."""
        deadline = time.monotonic() + timeout
        while len(done := self._answered(method)) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(self._wait_message(method, count, len(done)))
            await asyncio.sleep(0.01)
        return done

    def wait_until(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(0.01)

    async def await_until(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(0.01)

    def _answered(self, method: str) -> list[Call]:
        return [c for c in self.calls_to(method) if c.status is not None]

    def _wait_message(self, method: str, wanted: int, got: int) -> str:
        seen = Counter(c.method for c in self.calls)
        return f"wanted {wanted} answered {method} call(s), got {got}; calls so far: {dict(seen)}"

    def messages(self, channel: str | None = None) -> list[JSON]:
        """Messages actually posted (oldest first), each with its `channel`."""
        with self._lock:
            return [
                {**copy.deepcopy(msg), "channel": conv_id}
                for conv_id, msg in self._posted
                if channel is None or conv_id == channel
            ]

    def message(self, channel: str, ts: str) -> JSON | None:
        with self._lock:
            conv = self._conversations.get(channel)
            found = [m for m in conv.messages if m["ts"] == ts] if conv else []
            return copy.deepcopy(found[0]) if found else None

    def posted_count_by_key(self, metadata_key: str = "outbox_key") -> Counter[str]:
        """How often each `metadata.event_payload[metadata_key]` was posted (for exactly-once)."""
        keys: Counter[str] = Counter()
        for msg in self.messages():
            payload = (msg.get("metadata") or {}).get("event_payload") or {}
            if metadata_key in payload:
                keys[str(payload[metadata_key])] += 1
        return keys

    def ephemerals(self, channel: str | None = None) -> list[JSON]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals if channel in (None, e["channel"])]

    def conversation_members(self, channel: str) -> list[str]:
        with self._lock:
            return list(self._conversations[channel].members)

    @property
    def views(self) -> dict[str, JSON]:
        """Every view ever opened/pushed, by id (closed ones included)."""
        with self._lock:
            return copy.deepcopy(self._views)

    def view(self, view_id: str) -> JSON | None:
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found else None

    def last_view_for(self, user_id: str) -> JSON | None:
        """The view most recently opened, pushed or updated for this user."""
        with self._lock:
            view_id = self._last_view.get(user_id)
            return self.view(view_id) if view_id else None

    def view_stack(self, user_id: str) -> list[JSON]:
        """The user's open modals, root first."""
        with self._lock:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get(user_id, [])]

    def view_owner(self, view_id: str) -> str | None:
        """The user a modal was opened or pushed for (Slack knows; tests ask)."""
        with self._lock:
            return self._view_users.get(view_id)

    def home_view(self, user_id: str) -> JSON | None:
        with self._lock:
            found = self._home_views.get(user_id)
            return copy.deepcopy(found) if found else None

    def close_view(self, view_id: str) -> None:
        """The user closed a modal (or the app's ack closed it): pop it and those above it."""
        with self._lock:
            for stack in self._stacks.values():
                if view_id in stack:
                    del stack[stack.index(view_id) :]

    def apply_submission_ack(self, view_id: str, ack: JSON | None) -> None:
        """Do what Slack does with the app's answer to a `view_submission` of `view_id`."""
        with self._lock:
            action = (ack or {}).get("response_action")
            user = self._view_users.get(view_id)
            stack = self._stacks.setdefault(user, [])
            if ack is not None and action == "update":
                self._replace_view(view_id, ack["view"])
            elif ack is not None and action == "push":
                self._push_view(ack["view"], user)
            elif action == "clear":
                stack.clear()
            elif action != "errors":
                self.close_view(view_id)

    @property
    def uploaded_files(self) -> dict[str, JSON]:
        """file id → {filename, length, content, title, channel_id, initial_comment, completed}."""
        with self._lock:
            return copy.deepcopy(self._uploads)

    def responses(self, response_id: str) -> list[JSON]:
        """Bodies POSTed to the response_url `<url>/response/<response_id>`."""
        response_id = response_id.rsplit("/", 1)[-1]  # a full URL works too
        with self._lock:
            return [copy.deepcopy(r.body) for r in self._responses.get(response_id, [])]

    @property
    def all_responses(self) -> list[ResponsePost]:
        with self._lock:
            posts = [p for posts in self._responses.values() for p in posts]
        return sorted(posts, key=lambda p: p.at)

    def rate_limited_count(self, method: str) -> int:
        """How many HTTP 429s `method` has answered (rate_limit and fail_next alike)."""
        with self._lock:
            return self._rate_limited[method]

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `count` calls answer HTTP `status` (body `ok: false`), or HTTP 200 with
        `error`. Queued failures are served in order. Nothing is performed."""
        if status is None and error is None:
            raise ValueError("give a status, an error, or both")
        with self._lock:
            failure = _Failure(status, error, retry_after, count)
            self._failures.setdefault(method, deque()).append(failure)

    def rate_limit(self, method: str, *, per_second: float, burst: int) -> None:
        """Token bucket: over the limit → 429 `ratelimited` with a whole-second Retry-After."""
        with self._lock:
            self._buckets[method] = _Bucket(per_second, burst, float(burst), time.monotonic())

    def error_rate(self, method: str, *, fraction: float, status: int = 503, seed: int = 0) -> None:
        """A seeded-random `fraction` of calls answer HTTP `status` without being performed."""
        with self._lock:
            self._error_rates[method] = _ErrorRate(fraction, status, random.Random(seed))

    def latency(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Delay answering (the next `times` calls, or every call); the call takes effect
        after the delay, even if the client gave up meanwhile."""
        with self._lock:
            self._latency[method] = seconds
            if times is None:
                self._latency_calls.pop(method, None)
            else:
                self._latency_calls[method] = times

    def hook_after(self, method: str, fn: HookFn) -> None:
        """Call `fn(call, response)` in the fake's thread after `method` succeeded. If `fn`
        raises, the effect stays and the client gets HTTP 500 (a lost response)."""
        with self._lock:
            self._hooks.setdefault(method, []).append(fn)

    def limit_history(self, *, per_minute: float = 1, page: int = 15) -> None:
        """conversations.history as Slack serves commercially distributed apps outside the
        Marketplace since 2025: `per_minute` requests (else 429 + Retry-After), and at most
        `page` messages, a larger `limit` quietly giving `page`."""
        with self._lock:
            bucket = _Bucket(per_minute / 60, 1, 1.0, time.monotonic())
            self._buckets["conversations.history"] = bucket
            self._history_page = page

    def break_token(self, error: str = "invalid_auth") -> None:
        """Every call with the bot token answers HTTP 200 `{"ok": false, "error": error}`, as
        Slack does for a revoked token (`token_revoked`), a deactivated bot user or workspace
        (`account_inactive`) or an unknown one (`invalid_auth`), until `mend_token`."""
        with self._lock:
            self._token_error = error

    def mend_token(self) -> None:
        with self._lock:
            self._token_error = None

    def clear_faults(self) -> None:
        with self._lock:
            for faults in (self._failures, self._buckets, self._error_rates, self._latency):
                faults.clear()
            self._latency_calls.clear()
            self._hooks.clear()

    def _injected_fault(self, method: str) -> Answer | None:
        with self._lock:
            queue = self._failures.get(method)
            if queue:
                failure = queue[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.popleft()
                return self._fault(method, failure.status, failure.error, failure.retry_after)
            # Random server errors come from in front of the rate limiter (a 503 from the
            # load balancer), so they do not use up the method's allowance.
            rate = self._error_rates.get(method)
            if rate is not None and rate.rng.random() < rate.fraction:
                return self._fault(method, rate.status, None, None)
            bucket = self._buckets.get(method)
            if bucket is not None and (wait := bucket.take(time.monotonic())) > 0:
                return self._fault(method, 429, None, max(1, math.ceil(wait)))
        return None

    def _fault(
        self, method: str, status: int | None, error: str | None, retry_after: int | None
    ) -> Answer:
        if status is None:
            return 200, {"ok": False, "error": error}, {}
        headers: dict[str, str] = {}
        if status == 429:
            self._rate_limited[method] += 1
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
        default = "ratelimited" if status == 429 else "fatal_error"
        return status, {"ok": False, "error": error or default}, headers

    # ---------------------------------------------------------------- HTTP handlers

    def _record(self, method: str, params: JSON, request: web.Request) -> Call:
        call = Call(method, params, dict(request.headers), time.time(), path=request.path)
        with self._lock:
            self._calls.append(call)
        return call

    async def _answer(self, call: Call, compute: Callable[[], Answer]) -> web.Response:
        with self._lock:
            delay = self._latency.get(call.method, 0.0)
            if call.method in self._latency_calls:
                self._latency_calls[call.method] -= 1
                if self._latency_calls[call.method] <= 0:
                    del self._latency_calls[call.method], self._latency[call.method]
            hooks = list(self._hooks.get(call.method, []))
        if delay:
            await asyncio.sleep(delay)
        status, body, headers = self._injected_fault(call.method) or compute()
        if status == 200 and body.get("ok"):
            for hook in hooks:
                try:
                    hook(call, body)
                except Exception as exc:
                    self.hook_errors.append(exc)
                    status, body = 500, {"ok": False, "error": "fatal_error"}
                    break
        call.response, call.status = body, status
        return web.json_response(body, status=status, headers=headers)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = dict(request.query)
        params.update(await _read_body(request))
        if method == "oauth.v2.access":  # the app's credentials, not a workspace's token
            workspace = self._oauth_workspace(params)
            call = workspace._record(method, params, request)
            return await workspace._answer(call, lambda: workspace._oauth_v2_access(call))
        token = _bearer(request.headers) or params.get("token")
        workspace = self._by_token(str(token) if token else None)
        call = workspace._record(method, _decode_json_fields(params), request)
        return await workspace._answer(call, lambda: workspace._perform(call))

    def _perform(self, call: Call) -> Answer:
        headers = {"x-oauth-scopes": BOT_SCOPES}
        params = dict(call.params)
        token = _bearer(call.headers) or params.pop("token", None)
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, headers
        app_level = call.method in APP_TOKEN_METHODS
        if token != (self.socket_mode.app_token if app_level else self.token):
            known = token in (self.token, self.socket_mode.app_token)
            error = "not_allowed_token_type" if known else "invalid_auth"
            return 200, {"ok": False, "error": error}, headers
        with self._lock:
            token_error = None if app_level else self._token_error
        if token_error is not None:
            return 200, {"ok": False, "error": token_error}, headers
        handler = self._methods.get(call.method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, headers
        try:
            with self._lock:
                result = handler(params)
        except SlackError as err:
            return 200, {"ok": False, "error": err.error, **err.extra}, headers
        return 200, {"ok": True, **result}, headers

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if (owner := self._holding("_uploads", file_id)) is not self:
            return await owner._handle_upload(request)
        if request.content_type.startswith("multipart/"):
            part = await (await request.multipart()).next()
            data = bytes(await part.read()) if isinstance(part, BodyPartReader) else b""
        else:
            data = await request.read()
        call = self._record(UPLOAD, {"file_id": file_id, "size": len(data)}, request)
        response = await self._answer(call, lambda: self._store_upload(file_id, data))
        if response.status == 200:  # the upload endpoint answers text, not JSON
            return web.Response(text=f"OK - {len(data)}", content_type="text/plain")
        return response

    def _store_upload(self, file_id: str, data: bytes) -> Answer:
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return 404, {"ok": False, "error": "file_not_found"}, {}
            upload["content"] = data
        return 200, {"ok": True}, {}

    async def _handle_file_download(self, request: web.Request) -> web.Response:
        """A file's private URL. Without the bot token Slack's file host does not answer
        401: it redirects to the workspace's sign-in page (HTML), so an app that follows
        redirects gets a web page instead of the file."""
        team_file = request.match_info["team_file"]
        owner = next((w for w in self._family if team_file.startswith(f"{w.team_id}-")), self)
        if owner is not self:
            return await owner._handle_file_download(request)
        call = self._record(FILE_DOWNLOAD, {"file": team_file}, request)
        fault = self._injected_fault(FILE_DOWNLOAD)
        if fault is not None:
            status, body, headers = fault
            call.status, call.response = status, body
            return web.json_response(body, status=status, headers=headers)
        if _bearer(call.headers) != self.token:
            call.status, call.response = 302, {"redirect": "/signin"}
            raise web.HTTPFound(location=f"{self.url}/signin")
        team_id, _, file_id = team_file.partition("-")
        with self._lock:
            content = self._shared_files.get(file_id) if team_id == self.team_id else None
        if content is None:
            call.status, call.response = 404, {"error": "file_not_found"}
            return web.Response(status=404, text="Not found", content_type="text/html")
        call.status, call.response = 200, {"size": len(content)}
        return web.Response(body=content, content_type="application/octet-stream")

    async def _handle_signin(self, request: web.Request) -> web.Response:
        html = "<!DOCTYPE html><html><body>Sign in to Fake Workspace</body></html>"
        return web.Response(text=html, content_type="text/html")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        if (owner := self._holding("_responses", response_id)) is not self:
            return await owner._handle_response_url(request)
        body = _decode_json_fields(await _read_body(request))
        if set(body) == {"payload"}:  # form-encoded `payload=<json>`
            body = json.loads(body["payload"])
        call = self._record(RESPONSE_URL, body, request)
        return await self._answer(call, lambda: self._store_response(response_id, body))

    def _store_response(self, response_id: str, body: JSON) -> Answer:
        with self._lock:
            posts = self._responses.get(response_id)
            if posts is None:
                return 404, {"ok": False, "error": "no_active_hooks"}, {}
            posts.append(ResponsePost(response_id, body, time.time()))
        return 200, {"ok": True}, {}

    # ---------------------------------------------------------------- Web API methods
    # Each runs under self._lock and returns the fields next to `"ok": true`.

    def _auth_test(self, params: JSON) -> JSON:
        return {
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "mentorbot",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _active_user(self, user_id: str) -> _User:
        user = self._users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
        return user

    def _lookup(self, channel_id: str | None) -> _Conversation:
        """A conversation by id; `D<user id>` exists for every known user, as in Slack."""
        if not channel_id:
            raise SlackError("channel_not_found")
        conv = self._conversations.get(channel_id)
        if conv is None and channel_id.startswith("D") and channel_id[1:] in self._users:
            user_id = channel_id[1:]
            conv = _Conversation(channel_id, user_id, im_user=user_id)
            conv.members = [user_id, BOT_USER_ID]
            self._conversations[channel_id] = conv
        if conv is None:
            raise SlackError("channel_not_found")
        return conv

    def _postable(self, channel: str | None) -> _Conversation:
        if channel and channel[0] in "UW":
            channel = f"D{self._active_user(channel).id}"
        conv = self._lookup(channel)
        if conv.im_user is not None:
            self._active_user(conv.im_user)
        if conv.archived:
            raise SlackError("is_archived")
        if not conv.bot_member:
            raise SlackError("not_in_channel")
        return conv

    def _chat_post_message(self, params: JSON) -> JSON:
        conv = self._postable(_str(params, "channel"))
        msg: JSON = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "ts": self._next_ts(),
        }
        _apply_content(msg, params)
        if thread_ts := _str(params, "thread_ts"):
            msg["thread_ts"] = thread_ts
        conv.messages.append(msg)
        self._posted.append((conv.id, msg))
        return {"channel": conv.id, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _chat_post_ephemeral(self, params: JSON) -> JSON:
        conv = self._postable(_str(params, "channel"))
        user = self._active_user(_str(params, "user") or "")
        msg: JSON = {"channel": conv.id, "user": user.id, "message_ts": self._next_ts()}
        _apply_content(msg, params)
        self._ephemerals.append(msg)
        return {"message_ts": msg["message_ts"]}

    def _chat_update(self, params: JSON) -> JSON:
        channel = _str(params, "channel")
        if not channel or channel[0] in "UW":  # must be the conversation id
            raise SlackError("channel_not_found")
        conv = self._lookup(channel)
        ts = _str(params, "ts")
        msg = next((m for m in conv.messages if m["ts"] == ts), None)
        if msg is None:
            raise SlackError("message_not_found")
        updated = copy.deepcopy(msg)
        updated.pop("blocks", None)  # blocks not re-sent are removed, like Slack
        _apply_content(updated, params)
        msg.clear()
        msg.update(updated, edited={"user": BOT_USER_ID, "ts": self._next_ts()})
        return {"channel": conv.id, "ts": ts, "text": msg["text"], "message": copy.deepcopy(msg)}

    def _chat_delete(self, params: JSON) -> JSON:
        """As Slack: a bot deletes its own messages; others give cant_delete_message."""
        channel = _str(params, "channel")
        if not channel or channel[0] in "UW":
            raise SlackError("channel_not_found")
        conv = self._lookup(channel)
        ts = _str(params, "ts")
        msg = next((m for m in conv.messages if m["ts"] == ts), None)
        if msg is None:
            raise SlackError("message_not_found")
        if msg.get("bot_id") != BOT_ID:
            raise SlackError("cant_delete_message")
        conv.messages.remove(msg)
        self._posted = [(c, m) for c, m in self._posted if m is not msg]  # gone for readers too
        return {"channel": conv.id, "ts": ts}

    def _chat_get_permalink(self, params: JSON) -> JSON:
        conv = self._lookup(_str(params, "channel"))
        ts = _str(params, "message_ts") or ""
        if not any(m["ts"] == ts for m in conv.messages):
            raise SlackError("message_not_found")
        link = f"https://fake.slack.com/archives/{conv.id}/p{ts.replace('.', '')}"
        return {"channel": conv.id, "permalink": link}

    def _conversations_open(self, params: JSON) -> JSON:
        raw = params.get("users") or ""
        listed = raw if isinstance(raw, list) else str(raw).split(",")
        user_ids = sorted({u.strip() for u in listed if u.strip()} - {BOT_USER_ID})
        if not user_ids:
            raise SlackError("users_list_not_supplied")
        if len(user_ids) > 8:
            raise SlackError("too_many_users")
        for user_id in user_ids:
            self._active_user(user_id)
        if len(user_ids) == 1:
            existed = f"D{user_ids[0]}" in self._conversations
            conv = self._lookup(f"D{user_ids[0]}")
        else:
            digest = hashlib.sha1(",".join(user_ids).encode()).hexdigest()
            conv_id = f"G{digest[:10].upper()}"
            existed = conv_id in self._conversations
            conv = self._conversations.setdefault(
                conv_id, _Conversation(conv_id, f"mpdm-{conv_id.lower()}")
            )
            conv.members = [*user_ids, BOT_USER_ID]
        return {"no_op": existed, "already_open": existed, "channel": {"id": conv.id}}

    def _conversations_history(self, params: JSON) -> JSON:
        conv = self._lookup(_str(params, "channel"))
        if not conv.bot_member:
            raise SlackError("not_in_channel")
        oldest = Decimal(_str(params, "oldest") or "0")
        latest = Decimal(_str(params, "latest") or "Infinity")
        inclusive = _bool(params, "inclusive")
        with_metadata = _bool(params, "include_all_metadata")
        page = self._history_page
        limit = _int(params, "limit", page or 100) or page or 100
        if page is not None:
            limit = min(limit, page)  # Slack gives the smaller page, without an error
        found = [
            m
            for m in reversed(conv.messages)
            if (oldest <= Decimal(m["ts"]) <= latest)
            if inclusive or Decimal(m["ts"]) not in (oldest, latest)
        ]
        # Newest first; more than a page: the ones closest to `latest`, or to `oldest`
        # when only `oldest` is given (Slack's paging forward through history).
        if _str(params, "oldest") and not _str(params, "latest"):
            chosen = found[-limit:]
        else:
            chosen = found[:limit]
        messages = []
        for msg in chosen:
            shown = {k: v for k, v in msg.items() if with_metadata or k != "metadata"}
            messages.append(copy.deepcopy(shown))
        return {"messages": messages, "has_more": len(found) > limit}

    # --- program channels (issue 9) ------------------------------------------------

    def _channel_object(self, conv: _Conversation) -> JSON:
        """A conversation object as conversations.join / conversations.info give it."""
        return {
            "id": conv.id,
            "name": conv.name,
            "is_channel": not conv.private,
            "is_group": conv.private,
            "is_im": conv.im_user is not None,
            "is_mpim": conv.name.startswith("mpdm-"),
            "is_private": conv.private or conv.im_user is not None,
            "is_archived": conv.archived,
            "is_general": conv.id == GENERAL_CHANNEL_ID,
            "is_member": conv.bot_member,
            "name_normalized": conv.name,
        }

    def _conversations_join(self, params: JSON) -> JSON:
        """Slack's answers: an app joins public channels only. Private channels, DMs and
        group DMs are `method_not_supported_for_channel_type` (an invite is the only way
        in), whether or not the bot was invited; then conversations.info tells."""
        conv = self._lookup(_str(params, "channel"))
        if conv.private or conv.im_user is not None or conv.name.startswith("mpdm-"):
            raise SlackError("method_not_supported_for_channel_type")
        if conv.archived:
            raise SlackError("is_archived")
        if conv.bot_member:
            return {
                "channel": self._channel_object(conv),
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        conv.bot_member = True
        if BOT_USER_ID not in conv.members:
            conv.members.append(BOT_USER_ID)
        return {"channel": self._channel_object(conv)}

    def _conversations_info(self, params: JSON) -> JSON:
        conv = self._lookup(_str(params, "channel"))
        if conv.private and not conv.bot_member:
            raise SlackError("channel_not_found")  # Slack hides private channels from outsiders
        return {"channel": self._channel_object(conv)}

    def _users_info(self, params: JSON) -> JSON:
        user = self._users.get(_str(params, "user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api(self.team_id)}

    def _users_lookup_by_email(self, params: JSON) -> JSON:
        """Slack: `users_not_found` when no member has that address (case ignored)."""
        email = (_str(params, "email") or "").strip()
        if not email:
            raise SlackError("invalid_arguments")
        for user in self._users.values():
            if user.email is not None and user.email.casefold() == email.casefold():
                return {"user": user.to_api(self.team_id)}
        raise SlackError("users_not_found")

    def _users_list(self, params: JSON) -> JSON:
        users = list(self._users.values())
        start = 0
        if cursor := _str(params, "cursor"):
            try:
                start = int(base64.b64decode(cursor).decode().removeprefix("users:"))
            except ValueError as exc:
                raise SlackError("invalid_cursor") from exc
        limit = _int(params, "limit", 0)
        end = len(users) if limit <= 0 else start + limit
        next_cursor = base64.b64encode(f"users:{end}".encode()).decode() if end < len(users) else ""
        return {
            "members": [u.to_api(self.team_id) for u in users[start:end]],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _exchange_trigger(self, trigger_id: str | None) -> _Trigger:
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _views_open(self, params: JSON) -> JSON:
        view = _view_param(params, "modal")
        trigger = self._exchange_trigger(_str(params, "trigger_id"))
        self._stacks[trigger.user_id] = []
        return {"view": self._push_view(view, trigger.user_id)}

    def _views_push(self, params: JSON) -> JSON:
        view = _view_param(params, "modal")
        trigger_id = _str(params, "trigger_id")
        trigger = self._triggers.get(trigger_id or "")
        if trigger is not None and len(self._stacks.get(trigger.user_id, [])) >= _MAX_VIEW_STACK:
            raise SlackError("push_limit_reached")
        trigger = self._exchange_trigger(trigger_id)
        return {"view": self._push_view(view, trigger.user_id)}

    def _push_view(self, view: JSON, user_id: str | None) -> JSON:
        stack = self._stacks.setdefault(user_id, [])
        view_id = f"V{next(self._ids):010d}"
        stored: JSON = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "submit": None,
            "close": None,
            **copy.deepcopy(view),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "previous_view_id": stack[-1] if stack else None,
            "root_view_id": stack[0] if stack else view_id,
            "app_id": APP_ID,
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        self._views[view_id] = stored
        self._view_users[view_id] = user_id
        if user_id is not None:
            self._last_view[user_id] = view_id
        if stored["external_id"]:
            self._external_ids[stored["external_id"]] = view_id
        stack.append(view_id)
        return copy.deepcopy(stored)

    def _replace_view(self, view_id: str, view: JSON) -> JSON:
        stored = self._views[view_id]
        kept = {k: stored[k] for k in ("id", "team_id", "previous_view_id", "root_view_id")}
        stored.update({"private_metadata": "", "callback_id": "", "external_id": ""})
        stored.update(copy.deepcopy(view), **kept, hash=self._new_hash())
        if (user_id := self._view_users.get(view_id)) is not None:
            self._last_view[user_id] = view_id
        return copy.deepcopy(stored)

    def _views_update(self, params: JSON) -> JSON:
        view_id = _str(params, "view_id")
        if not view_id and (external_id := _str(params, "external_id")):
            view_id = self._external_ids.get(external_id)
        if not view_id or view_id not in self._views:
            raise SlackError("not_found")
        view_hash = _str(params, "hash")
        if view_hash and view_hash != self._views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._replace_view(view_id, _view_param(params, "modal"))}

    def _views_publish(self, params: JSON) -> JSON:
        user_id = _str(params, "user_id") or ""
        if user_id not in self._users:
            raise SlackError("user_not_found")
        view = _view_param(params, "home")
        current = self._home_views.get(user_id)
        view_hash = _str(params, "hash")
        if current is not None and view_hash and view_hash != current["hash"]:
            raise SlackError("hash_conflict")
        view_id = current["id"] if current else f"V{next(self._ids):010d}"
        published = {
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": self._new_hash(),
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        self._home_views[user_id] = published
        return {"view": copy.deepcopy(published)}

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{random.randbytes(4).hex()}"

    def _files_get_upload_url(self, params: JSON) -> JSON:
        filename = _str(params, "filename")
        length = _int(params, "length", -1)
        if not filename or length < 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):010d}"
        self._uploads[file_id] = {
            "filename": filename,
            "length": length,
            "content": None,
            "title": None,
            "channel_id": None,
            "initial_comment": None,
            "completed": False,
        }
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: JSON) -> JSON:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        channel_id = _str(params, "channel_id") or (_str(params, "channels") or "").split(",")[0]
        if channel_id:
            channel_id = self._postable(channel_id).id
        uploads = [self._uploads.get(str(f.get("id"))) for f in files]
        if any(u is None or u["content"] is None for u in uploads):
            raise SlackError("file_not_found")
        shared = []
        for entry, upload in zip(files, uploads, strict=True):
            assert upload is not None
            upload["title"] = entry.get("title") or upload["filename"]
            upload["channel_id"] = channel_id or None
            upload["initial_comment"] = _str(params, "initial_comment")
            upload["completed"] = True
            shared.append(
                {
                    "id": entry["id"],
                    "name": upload["filename"],
                    "title": upload["title"],
                    "size": len(upload["content"]),
                    "channels": [channel_id] if channel_id else [],
                }
            )
        return {"files": shared}


# -------------------------------------------------------------------- helpers


async def _read_body(request: web.Request) -> JSON:
    raw = await request.read()
    if not raw:
        return {}
    if request.content_type == "application/json":
        body = json.loads(raw)
        return body if isinstance(body, dict) else {}
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    return {}


def _decode_json_fields(params: JSON) -> JSON:
    decoded = dict(params)
    for key in _JSON_FIELDS & decoded.keys():
        if isinstance(decoded[key], str) and decoded[key][:1] in ("[", "{"):
            with contextlib.suppress(ValueError):  # malformed: left for the method to reject
                decoded[key] = json.loads(decoded[key])
    return decoded


def _bearer(headers: dict[str, str]) -> str | None:
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None


def _basic(headers: dict[str, str]) -> tuple[str, str] | None:
    """HTTP Basic credentials (user, password), as slack-sdk sends the client id/secret."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if not auth.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _str(params: JSON, key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _bool(params: JSON, key: str) -> bool:
    return str(params.get(key, "")).lower() in ("1", "true")


def _int(params: JSON, key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        return default


def _apply_content(msg: JSON, params: JSON) -> None:
    """Copy text/blocks/metadata into a message, with Slack's basic validation."""
    text = _str(params, "text") or ""
    blocks = params.get("blocks")
    if not text and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    if blocks is not None and (not isinstance(blocks, list) or len(blocks) > _MAX_MESSAGE_BLOCKS):
        raise SlackError("invalid_blocks")
    msg["text"] = text
    if blocks:
        msg["blocks"] = blocks
    if isinstance(params.get("metadata"), dict):
        msg["metadata"] = params["metadata"]


def _view_param(params: JSON, kind: str) -> JSON:
    """The `view` argument, checked against the limits Slack enforces."""
    view = params.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    problems = []
    if view.get("type") != kind:
        problems.append(f"view type must be {kind}")
    if len(view.get("blocks") or []) > _MAX_VIEW_BLOCKS:
        problems.append(f"no more than {_MAX_VIEW_BLOCKS} blocks allowed")
    if len(view.get("private_metadata") or "") > 3000:
        problems.append("private_metadata must be at most 3000 characters")
    if kind == "modal":
        for key in ("title", "submit", "close"):
            if len(((view.get(key) or {}).get("text")) or "") > 24:
                problems.append(f"{key} must be at most 24 characters")
        if not view.get("title"):
            problems.append("title is required")
    if problems:
        raise SlackError("invalid_arguments", response_metadata={"messages": problems})
    return view
