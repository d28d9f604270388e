"""The Socket Mode side of the fake Slack: `apps.connections.open` and its WebSocket.

It speaks Slack's protocol as slack_sdk's SocketModeClient expects it (SLACK_NOTES §7.2):

* `apps.connections.open`, called with the app-level token (`xapp-…`), answers a one-use
  URL `ws://127.0.0.1:PORT/link/?ticket=…&app_id=…` (Slack's is `wss://…/link/?ticket=…`).
* A connection starts with `hello` (`num_connections`, `debug_info`, `connection_info`).
  Envelopes follow: `{"envelope_id", "type", "payload", "accepts_response_payload"}`, plus
  `retry_attempt` / `retry_reason` for `events_api`. The app acks with
  `{"envelope_id", "payload"?}`; the ack's payload is what an HTTP response body would be.
* `ask_to_reconnect()` sends `{"type": "disconnect", "reason": …}`. That connection gets no
  new envelopes while another is open, and is closed after `grace` seconds if the app has
  not closed it by then (Slack warns about ten seconds ahead).
* At least once: an envelope not acked when the connection it went out on closes is sent
  again on the next connection (events with `retry_attempt` + 1). An ack counts on any of
  the app's connections: the SDK acks on its newest one, and envelope ids are the app's.
* Like Slack, the ack of a `view_submission` is applied to the fake's views (closed,
  updated, pushed, kept on errors).

Simplifications: no 3-second ack deadline (an unacked envelope waits for its connection to
close); Slack's answer to a reused or unknown ticket is not documented, here HTTP 401; the
retry reason of a redelivered event is "timeout" (inference, not a documented value).
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType, web

JSON = dict[str, Any]

DEFAULT_APP_TOKEN = "xapp-1-A0MENTOR-1-fake-app-level-token"
# Web API methods that take the app-level token instead of the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
LINK_PATH = "/link/"
RETRY_REASON = "timeout"


class _Views(Protocol):
    """What the socket side needs from the FakeSlack it belongs to."""

    @property
    def url(self) -> str: ...

    def view(self, view_id: str) -> JSON | None: ...

    def apply_submission_ack(self, view_id: str, ack: JSON | None) -> None: ...


@dataclass(frozen=True)
class Delivery:
    connection: int  # the connection's number, 1 for the first
    retry_attempt: int
    at: float


@dataclass(frozen=True)
class Ack:
    connection: int
    payload: JSON | None  # None when the app acked without a payload
    at: float


@dataclass
class _Envelope:
    envelope_id: str
    type: str
    payload: JSON
    accepts_response_payload: bool
    retry_attempt: int = 0
    pending: bool = True  # waiting to be (re)sent
    deliveries: list[Delivery] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    drop_after_send: bool = False  # the connection dies with this envelope in flight

    def frame(self) -> JSON:
        frame: JSON = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            frame["retry_attempt"] = self.retry_attempt
            frame["retry_reason"] = RETRY_REASON if self.retry_attempt else ""
        return frame


@dataclass
class _Connection:
    number: int
    ws: web.WebSocketResponse
    opened_at: float
    ready: bool = False  # hello sent
    draining: bool = False  # asked to reconnect
    closing: bool = False  # the fake is closing it: what arrives now is lost
    broken: bool = False  # a send failed: it is going away
    closed_at: float | None = None
    closed_by: str | None = None  # "app" or "slack"


@dataclass(frozen=True)
class ConnectionInfo:
    number: int
    ready: bool
    draining: bool
    open: bool
    closed_by: str | None


class FakeSocketMode:
    """Socket Mode for one app. Test-facing methods are safe from any thread."""

    def __init__(self, slack: _Views, *, app_id: str, app_token: str) -> None:
        self.slack = slack
        self.app_id = app_id
        self.app_token = app_token
        self._lock = threading.RLock()
        self._tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._envelopes: dict[str, _Envelope] = {}
        self._numbers = count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flushing: asyncio.Lock | None = None
        self.rejected_tickets: list[str] = []
        self.unknown_acks: list[JSON] = []

    # ---------------------------------------------------------------- wiring (fake's thread)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(LINK_PATH, self._handle_link)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)

    async def _on_startup(self, _app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._flushing = asyncio.Lock()

    async def _on_shutdown(self, _app: web.Application) -> None:
        with self._lock:
            open_ws = [c.ws for c in self._connections if c.closed_at is None]
            for conn in self._connections:
                conn.closing = True
        for ws in open_ws:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    def open_connection(self, params: JSON) -> JSON:
        """`apps.connections.open` (the token was checked by the Web API front)."""
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        ws_url = self.slack.url.replace("http://", "ws://", 1)
        return {"url": f"{ws_url}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"}

    # ---------------------------------------------------------------- test API: send

    def send(
        self,
        type_: str,
        payload: JSON,
        *,
        accepts_response_payload: bool,
        drop_connection_after_send: bool = False,
    ) -> str:
        """Queue an envelope for the app; returns its envelope id. With
        `drop_connection_after_send`, the connection it goes out on is closed at once and an
        ack on it is lost (a network drop with the envelope in flight)."""
        envelope = _Envelope(
            uuid.uuid4().hex, type_, copy.deepcopy(payload), accepts_response_payload
        )
        envelope.drop_after_send = drop_connection_after_send
        with self._lock:
            self._envelopes[envelope.envelope_id] = envelope
        self._schedule(self._flush())
        return envelope.envelope_id

    def send_command(self, fields: dict[str, str]) -> str:
        """A slash command: the same fields Slack would form-post, as a JSON object."""
        return self.send("slash_commands", dict(fields), accepts_response_payload=True)

    def send_interactive(self, payload: JSON) -> str:
        """block_actions, view_submission, view_closed, block_suggestion, …"""
        answers = payload.get("type") in ("view_submission", "block_suggestion")
        return self.send("interactive", payload, accepts_response_payload=answers)

    def send_event(self, body: JSON, *, drop_connection_after_send: bool = False) -> str:
        """An Events API `event_callback` body."""
        return self.send(
            "events_api", body, accepts_response_payload=False,
            drop_connection_after_send=drop_connection_after_send,
        )  # fmt: skip

    def ask_to_reconnect(
        self, reason: str = "refresh_requested", *, grace: float = 10.0
    ) -> Future[None]:
        """Send `disconnect` on every open connection; close each after `grace` seconds."""
        return self._schedule(self._disconnect_all(reason, grace))

    # ---------------------------------------------------------------- test API: inspect

    @property
    def connections(self) -> list[ConnectionInfo]:
        with self._lock:
            return [
                ConnectionInfo(c.number, c.ready, c.draining, c.closed_at is None, c.closed_by)
                for c in self._connections
            ]

    def ready_connections(self) -> list[int]:
        """Open connections that got their hello and no disconnect."""
        return [c.number for c in self.connections if c.open and c.ready and not c.draining]

    def acks(self, envelope_id: str) -> list[Ack]:
        with self._lock:
            return list(self._envelopes[envelope_id].acks)

    def ack(self, envelope_id: str) -> Ack | None:
        """The first ack of an envelope, or None."""
        acks = self.acks(envelope_id)
        return acks[0] if acks else None

    def deliveries(self, envelope_id: str) -> list[Delivery]:
        with self._lock:
            return list(self._envelopes[envelope_id].deliveries)

    def unacked(self) -> list[str]:
        with self._lock:
            return [e.envelope_id for e in self._envelopes.values() if not e.acks]

    # ---------------------------------------------------------------- the WebSocket

    async def _handle_link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # one use
            if not valid:
                self.rejected_tickets.append(ticket)
        if not valid or request.query.get("app_id") != self.app_id:
            return web.Response(status=401, text="invalid_ticket")
        ws = web.WebSocketResponse()  # answers the SDK's pings by itself
        await ws.prepare(request)
        with self._lock:
            conn = _Connection(next(self._numbers), ws, time.time())
            self._connections.append(conn)
            open_count = sum(1 for c in self._connections if c.closed_at is None)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": open_count,
                "debug_info": {
                    "host": f"applink-fake-{conn.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        with self._lock:
            conn.ready = True
        await self._flush()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(conn, message.data)
        finally:
            self._closed(conn, by="slack" if conn.closing else "app")
        # What was in flight on this connection goes out again on the next one.
        await self._flush()
        return ws

    def _receive(self, conn: _Connection, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            return
        if not isinstance(frame, dict) or "envelope_id" not in frame:
            return
        payload = frame.get("payload")
        with self._lock:
            if conn.closing:
                return  # lost with the connection
            envelope = self._envelopes.get(str(frame["envelope_id"]))
            if envelope is None:
                self.unknown_acks.append(frame)
                return
            envelope.acks.append(Ack(conn.number, payload, time.time()))
            envelope.pending = False  # acked before it was sent again: done
            first = len(envelope.acks) == 1
        view_id = (envelope.payload.get("view") or {}).get("id")
        submitted = first and envelope.payload.get("type") == "view_submission"
        if submitted and view_id and self.slack.view(view_id) is not None:
            self.slack.apply_submission_ack(view_id, payload)

    def _closed(self, conn: _Connection, *, by: str) -> None:
        with self._lock:
            conn.closed_at = time.time()
            conn.closed_by = by
            for envelope in self._envelopes.values():
                last = envelope.deliveries[-1] if envelope.deliveries else None
                if not envelope.acks and last is not None and last.connection == conn.number:
                    envelope.pending = True
                    envelope.retry_attempt += 1

    def _target(self) -> _Connection | None:
        """The newest ready connection; one that was asked to reconnect only if it is the
        only one left (Slack keeps using it until it closes)."""
        usable = [
            c
            for c in self._connections
            if c.ready and c.closed_at is None and not (c.closing or c.broken or c.ws.closed)
        ]
        fresh = [c for c in usable if not c.draining]
        candidates = fresh or usable
        return candidates[-1] if candidates else None

    async def _flush(self) -> None:
        assert self._flushing is not None
        async with self._flushing:  # one writer: envelopes leave in order
            while True:
                with self._lock:
                    target = self._target()
                    envelope = next((e for e in self._envelopes.values() if e.pending), None)
                    if target is None or envelope is None:
                        return
                    envelope.pending = False
                    envelope.deliveries.append(
                        Delivery(target.number, envelope.retry_attempt, time.time())
                    )
                    frame = envelope.frame()
                    drop = envelope.drop_after_send
                    envelope.drop_after_send = False
                    if drop:
                        target.closing = True
                try:
                    await target.ws.send_str(json.dumps(frame))
                except ConnectionError:  # closing under us: its handler requeues the envelope
                    with self._lock:
                        target.broken = True
                    continue
                if drop:
                    await target.ws.close(code=WSCloseCode.GOING_AWAY, message=b"dropped")

    async def _disconnect_all(self, reason: str, grace: float) -> None:
        with self._lock:
            targets = [c for c in self._connections if c.ready and c.closed_at is None]
            for conn in targets:
                conn.draining = True
        for conn in targets:
            frame = {
                "type": "disconnect",
                "reason": reason,
                "debug_info": {"host": f"applink-fake-{conn.number}"},
            }
            try:
                await conn.ws.send_json(frame)
            except ConnectionError:
                continue
            asyncio.get_running_loop().call_later(grace, self._close_later, conn)

    def _close_later(self, conn: _Connection) -> None:
        if conn.closed_at is None and not conn.ws.closed:
            with self._lock:
                conn.closing = True
            self._schedule(conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"refresh"))

    def _schedule(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Run `coro` on the fake's event loop (tests call from their own thread)."""
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("FakeSlack is not started")
        return asyncio.run_coroutine_threadsafe(coro, loop)
