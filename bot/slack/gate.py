"""What a request must be before any listener sees it: signed by Slack, and Slack-shaped.

Pure: bytes, headers and the current time in, a verdict out. `bot/app.py` runs it in
the HTTP handler before Bolt parses a byte, so an unsigned body never reaches Bolt's
middleware, listeners or error handler, and nothing of it is logged (SLACK_NOTES §4).

The shape checks are the fields listeners read without looking (SLACK_NOTES §5): a
command's user, team and trigger; an interaction's user and team; a view's state; and
Slack's own length limits. A body that fails them is answered 400 at once rather than
left to raise inside a listener, where the ack would be lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

JSON = dict[str, Any]

SIGNATURE_WINDOW = 300  # seconds either side of now (Slack's replay window)
ID_MAX = 255  # action_id, block_id, callback_id
VALUE_MAX = 2000  # button value
OPTION_VALUE_MAX = 150
METADATA_MAX = 3000  # private_metadata
QUERY_MAX = 2000  # what someone typed into an external select

# ASCII digits only: int() would take " 17", "1_7", "١٧" or "+17", and raise on "1.5".
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")  # team, user, enterprise ids


@dataclass(frozen=True)
class Rejection:
    """Why a request was turned away; `reason` is our wording, never text from the body."""

    status: int
    reason: str


@dataclass(frozen=True)
class Admitted:
    text: str  # the body as received, for Bolt
    body: JSON  # what Bolt would parse it into, already checked


UNSIGNED = Rejection(401, "not signed by Slack")


def is_signed_by_slack(
    secret: str, *, body: bytes, timestamp: str | None, signature: str | None, now: float
) -> bool:
    """Slack's v0 signature over the raw bytes, within the replay window."""
    if not secret or timestamp is None or signature is None:
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def parse_body(text: str, content_type: str | None) -> JSON | None:
    """The dict Bolt's parser yields for the same text, or None when it would raise or
    yield something else. Unlike Bolt's, a form is only an interaction when it has a
    `payload` field: Bolt treats any body containing the word as one (a command whose
    text says "payload" would arrive empty)."""
    try:
        if content_type == "application/json" or text.startswith("{"):
            parsed: object = json.loads(text)
        else:
            fields = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except ValueError:  # json.JSONDecodeError is one
        return None
    return parsed if isinstance(parsed, dict) else None


def screen(
    raw: bytes, headers: Mapping[str, str], *, secret: str, now: float
) -> Admitted | Rejection:
    """Admit a signed, well-formed request, or say why not (401 unsigned, 400 malformed)."""
    if not is_signed_by_slack(
        secret,
        body=raw,
        timestamp=headers.get("X-Slack-Request-Timestamp"),
        signature=headers.get("X-Slack-Signature"),
        now=now,
    ):
        return UNSIGNED
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "body is not UTF-8")
    # Read the content type exactly as Bolt does, so both parse the text the same way.
    content_type = (headers.get("Content-Type") or "").split(";")[0]
    body = parse_body(text, content_type or None)
    if body is None:
        return Rejection(400, "body is not a JSON object or form")
    problem = find_malformation(body)
    if problem is not None:
        return Rejection(400, problem)
    return Admitted(text, body)


# ---------------------------------------------------------------- shapes


def find_malformation(body: Mapping[str, Any]) -> str | None:
    """What is missing or out of bounds in a parsed body, or None when listeners can use it.

    Types we do not handle pass: Bolt answers them 404 before any listener runs.
    """
    if "ssl_check" in body:
        return None
    if "command" in body:
        return _command(body)
    kind = body.get("type")
    if not isinstance(kind, str):
        return "no payload type"
    check = _CHECKS.get(kind)
    return check(body) if check is not None else None


def _is_id(value: object) -> bool:
    return isinstance(value, str) and _SLACK_ID.fullmatch(value) is not None


def _is_str(value: object, limit: int, *, empty: bool = False) -> bool:
    return isinstance(value, str) and (empty or value != "") and len(value) <= limit


def _command(body: Mapping[str, Any]) -> str | None:
    if not _is_id(body.get("team_id")) or not _is_id(body.get("user_id")):
        return "command without a team or user id"
    for name in ("command", "trigger_id", "response_url"):
        if not _is_str(body.get(name), ID_MAX if name == "command" else 3000):
            return f"command without {name}"
    if not isinstance(body.get("text", ""), str):
        return "command text is not text"
    return None


def _actor(body: Mapping[str, Any]) -> str | None:
    user, team = body.get("user"), body.get("team")
    if not isinstance(user, dict) or not _is_id(user.get("id")):
        return "no user id"
    if not isinstance(team, dict) or not _is_id(team.get("id")):
        return "no team id"
    return None


def _view(view: object, *, submitted: bool) -> str | None:
    if not isinstance(view, dict) or not _is_str(view.get("id"), ID_MAX):
        return "no view id"
    if not _is_str(view.get("callback_id", ""), ID_MAX, empty=True):
        return "callback_id too long"
    if not _is_str(view.get("private_metadata", ""), METADATA_MAX, empty=True):
        return "private_metadata too long"
    if not submitted:
        return None
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return "view without state values"
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(e, dict) for e in block.values()):
            return "view state is not blocks of elements"
    return None


def _option(option: object) -> bool:
    return isinstance(option, dict) and _is_str(option.get("value"), OPTION_VALUE_MAX, empty=True)


def _action(action: object) -> str | None:
    if not isinstance(action, dict) or not _is_str(action.get("action_id"), ID_MAX):
        return "action without action_id"
    if not _is_str(action.get("block_id", ""), ID_MAX, empty=True):
        return "block_id too long"
    if "value" in action and not _is_str(action["value"], VALUE_MAX, empty=True):
        return "action value too long"
    if action.get("selected_option") is not None and not _option(action["selected_option"]):
        return "selected option too long"
    chosen = action.get("selected_options")
    if chosen is not None and not (isinstance(chosen, list) and all(map(_option, chosen))):
        return "selected options malformed"
    return None


def _block_actions(body: Mapping[str, Any]) -> str | None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        return "block_actions without actions"
    if not _is_str(body.get("trigger_id"), 3000):
        return "block_actions without trigger_id"
    if "view" in body and (problem := _view(body["view"], submitted=True)):
        return problem
    return _actor(body) or next(filter(None, map(_action, actions)), None)


def _block_suggestion(body: Mapping[str, Any]) -> str | None:
    if not _is_str(body.get("action_id"), ID_MAX):
        return "block_suggestion without action_id"
    if not _is_str(body.get("value", ""), QUERY_MAX, empty=True):
        return "search text too long"
    if "view" in body and (problem := _view(body["view"], submitted=False)):
        return problem
    return _actor(body)


def _view_submission(body: Mapping[str, Any]) -> str | None:
    return _actor(body) or _view(body.get("view"), submitted=True)


def _view_closed(body: Mapping[str, Any]) -> str | None:
    return _actor(body) or _view(body.get("view"), submitted=False)


def _event_callback(body: Mapping[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or not _is_str(event.get("type"), ID_MAX):
        return "event without type"
    if not _is_id(body.get("team_id")) or not _is_str(body.get("event_id"), ID_MAX):
        return "event without team or event id"
    return None


def _url_verification(body: Mapping[str, Any]) -> str | None:
    return None if _is_str(body.get("challenge"), ID_MAX) else "url_verification without challenge"


_CHECKS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "block_actions": _block_actions,
    "block_suggestion": _block_suggestion,
    "view_submission": _view_submission,
    "view_closed": _view_closed,
    "event_callback": _event_callback,
    "url_verification": _url_verification,
}
