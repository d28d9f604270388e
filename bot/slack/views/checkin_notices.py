"""Private notices about someone's check-ins themselves (not one pair's): pure builders.

After three check-ins in a row went unanswered the person is paused and told why,
without guilt, with one click to turn check-ins back on.
"""

from __future__ import annotations

from typing import Any

from bot.slack import ids
from bot.slack.views.blocks import section


def checkins_paused_message() -> dict[str, Any]:
    text = (
        "*We've paused your check-ins* :pause_button:\n"
        "The last three went unanswered, which usually just means a busy stretch, so "
        "we'll stop asking for now. While paused you get no check-ins and sit out the "
        "next pairing round. Whenever you'd like them back, it's one click."
    )
    return {
        "text": "We've paused your check-ins: the last three went unanswered. Resume any time.",
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": "checkin_resume",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.CHECKIN_RESUME,
                        "text": {"type": "plain_text", "text": "Resume check-ins"},
                        "style": "primary",
                        "value": "resume",
                    }
                ],
            },
        ],
    }


def checkins_resumed_message() -> dict[str, Any]:
    """What the paused notice becomes once resumed (chat.update); the same on a
    second click."""
    text = (
        ":arrow_forward: Check-ins are on again, and you're back in the next pairing round. "
        "The next check-in comes at your usual time."
    )
    return {"text": "Check-ins are on again.", "blocks": [section(text)]}


NOTHING_TO_RESUME = "You're not in a program right now, so there's nothing to resume."
