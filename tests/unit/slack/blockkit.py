"""Helpers for the Slack view tests: Slack-shaped state values and Block Kit checks."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.catalogue import DEFAULT_CATALOGUE
from bot.slack import ids
from bot.slack.views.models import SkillOption

KNOWN_INPUTS = {
    (value.block_id, value.action_id)
    for value in vars(ids).values()
    if isinstance(value, ids.InputId)
}
KNOWN_ACTIONS = {
    value
    for name, value in vars(ids).items()
    if name.startswith("HOME_") and isinstance(value, str)
} | ids.ADMIN_ACTIONS  # buttons in admin views (program management, issue 9)


# --- state.values as Slack sends them ------------------------------------------------


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


def select(field: ids.InputId, value: str | None) -> dict[str, Any]:
    option = _option(value) if value is not None else None
    return {field.block_id: {field.action_id: {"type": "static_select", "selected_option": option}}}


def radio(field: ids.InputId, value: str | None) -> dict[str, Any]:
    option = _option(value) if value is not None else None
    return {field.block_id: {field.action_id: {"type": "radio_buttons", "selected_option": option}}}


def multi(field: ids.InputId, values: Sequence[str]) -> dict[str, Any]:
    options = [_option(v) for v in values]
    return {
        field.block_id: {
            field.action_id: {"type": "multi_static_select", "selected_options": options}
        }
    }


def text(field: ids.InputId, value: str | None) -> dict[str, Any]:
    return {field.block_id: {field.action_id: {"type": "plain_text_input", "value": value}}}


def state(*parts: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for part in parts:
        values.update(part)
    return values


# --- Block Kit checks --------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from walk(child)


def _check_options(payload: dict[str, Any]) -> None:
    for node in walk(payload):
        for key in ("options", "initial_options"):
            for option in node.get(key, []) if isinstance(node.get(key), list) else []:
                assert 1 <= len(option["text"]["text"]) <= 75, option
                assert len(option["value"]) <= 150, option
                if "description" in option:
                    assert len(option["description"]["text"]) <= 75, option
        if "option_groups" in node:
            assert 1 <= len(node["option_groups"]) <= 100
            for group in node["option_groups"]:
                assert 1 <= len(group["label"]["text"]) <= 75
                assert 1 <= len(group["options"]) <= 100
        if node.get("type") in ("static_select", "multi_static_select"):
            offered = list(node.get("options", []))
            for group in node.get("option_groups", []):
                offered += group["options"]
            assert 1 <= len(offered) <= 100
            # Slack rejects an initial option that isn't one of the options, exactly.
            for initial in [*node.get("initial_options", []), node.get("initial_option")]:
                assert initial is None or initial in offered, initial
        if node.get("type") == "button":
            assert len(node["text"]["text"]) <= 75
            assert node["action_id"] in KNOWN_ACTIONS, node["action_id"]


def check_modal(view: dict[str, Any], *, callback_id: str) -> None:
    """The view is a valid modal Slack will accept, with ids from ids.py."""
    assert view["type"] == "modal"
    assert view["callback_id"] == callback_id
    assert len(view["blocks"]) <= 100
    assert len(view.get("private_metadata", "")) <= 3000
    assert len(json.dumps(view)) < 250_000
    for key in ("title", "submit", "close"):
        if key in view:
            assert 1 <= len(view[key]["text"]) <= 24
    View(**view).validate_json()
    rebuilt = View(**view).to_dict()  # validates each block on the way
    assert rebuilt["blocks"] == view["blocks"]
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert view.get("submit") or not inputs
    for block in inputs:
        assert (block["block_id"], block["element"]["action_id"]) in KNOWN_INPUTS
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    _check_options(view)


def check_home(view: dict[str, Any]) -> None:
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    View(**view).validate_json()
    assert View(**view).to_dict()["blocks"] == view["blocks"]
    _check_options(view)


def check_message(message: dict[str, Any], *, max_blocks: int = 5) -> None:
    """A message with a plain fallback and at most a few valid blocks (VOICE.md)."""
    assert message["text"].strip()
    assert 1 <= len(message["blocks"]) <= max_blocks
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert parsed.to_dict() == block
    _check_options(message)


def block_texts(payload: dict[str, Any]) -> str:
    """Every text in a payload (fallback, sections, contexts, labels), joined."""
    parts = [payload.get("text", "")] if isinstance(payload.get("text"), str) else []
    parts += [n["text"] for n in walk(payload) if isinstance(n.get("text"), str)]
    return "\n".join(parts)


def default_skills() -> list[SkillOption]:
    """The default catalogue as a program's skills, ids from 1."""
    names = [(category, name) for category, names in DEFAULT_CATALOGUE for name in names]
    return [SkillOption(id=i, name=name, category=cat) for i, (cat, name) in enumerate(names, 1)]
