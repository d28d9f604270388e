"""The program form's `state.values` as Slack sends them back, from the modal as built.

Slack fills `state.values` from each input's initial value unless the person changes
it; `prefilled_values` does the same, so a test changes only the fields it is about.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.slack import ids

JSON = dict[str, Any]


def _element_state(element: JSON) -> JSON:
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        return {"type": kind, "value": element.get("initial_value")}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": copy.deepcopy(element.get("initial_option"))}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": copy.deepcopy(element.get("initial_options", []))}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": element.get("initial_conversation")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    raise AssertionError(f"no state for element type {kind}")


def prefilled_values(view: JSON) -> dict[str, dict[str, JSON]]:
    """`state.values` for submitting `view` untouched."""
    values: dict[str, dict[str, JSON]] = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            values[block["block_id"]] = {element["action_id"]: _element_state(element)}
    return values


def set_text(values: dict[str, dict[str, JSON]], field: ids.InputId, value: str | None) -> None:
    values[field.block_id][field.action_id]["value"] = value


def set_option(values: dict[str, dict[str, JSON]], field: ids.InputId, value: str | None) -> None:
    option = (
        None if value is None else {"text": {"type": "plain_text", "text": value}, "value": value}
    )
    values[field.block_id][field.action_id]["selected_option"] = option


def set_channel(values: dict[str, dict[str, JSON]], channel_id: str | None) -> None:
    field = ids.PROGRAM_CHANNEL
    values[field.block_id][field.action_id]["selected_conversation"] = channel_id


def set_date(values: dict[str, dict[str, JSON]], day: str | None) -> None:
    field = ids.PROGRAM_STARTS_ON
    values[field.block_id][field.action_id]["selected_date"] = day


def set_rules(values: dict[str, dict[str, JSON]], *rules: str) -> None:
    field = ids.PROGRAM_RULES
    values[field.block_id][field.action_id]["selected_options"] = [
        {"text": {"type": "plain_text", "text": rule}, "value": rule} for rule in rules
    ]


def set_checkin_days(values: dict[str, dict[str, JSON]], *days: str) -> None:
    field = ids.PROGRAM_CHECKIN_DAYS
    values[field.block_id][field.action_id]["selected_options"] = [
        {"text": {"type": "plain_text", "text": day}, "value": day} for day in days
    ]


def set_channel_posts(values: dict[str, dict[str, JSON]], *posts: str) -> None:
    """Tick these channel posts (ids.PROGRAM_POST_*) and untick the others."""
    field = ids.PROGRAM_CHANNEL_POSTS
    values[field.block_id][field.action_id]["selected_options"] = [
        {"text": {"type": "plain_text", "text": post}, "value": post} for post in posts
    ]
