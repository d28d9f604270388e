"""The Block Kit pieces the bot's DMs are built from, in one place.

Plain dicts (the shape `chat.postMessage` takes); a section's text is cut to Slack's
3,000-character limit at a safe place, so a long name never makes Slack refuse the DM.
"""

from __future__ import annotations

from typing import Any

from bot.slack.text import truncate_mrkdwn

SECTION_MAX = 3000  # characters in a section's text (Block Kit)


def section(text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, SECTION_MAX)},
    }


def button(action_id: str, text: str, value: int | str, style: str | None = None) -> dict[str, Any]:
    """A button whose value names what it is about (an id: untrusted when clicked)."""
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": str(value),
    }
    if style:
        element["style"] = style
    return element
