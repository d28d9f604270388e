"""The private reflection modal: what I learned, what I shared, how it went."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import ids
from bot.slack.text import escape, plural
from bot.slack.views.models import ViewMetadata

REFLECTION_TEXT_MAX = 2000
RATINGS = (
    (1, "Not much clicked yet"),
    (2, "Some useful bits"),
    (3, "Good conversation"),
    (4, "Really valuable"),
    (5, "Eye-opening"),
)


def reflection_modal(
    *, program_id: int, partner_names: list[str], pair_id: int | None = None
) -> dict[str, Any]:
    if partner_names:
        who = ", ".join(escape(name) for name in partner_names)
        intro = f"A few lines on your last conversation with {who}."
    else:
        intro = "A few lines on what you're learning and sharing."
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        InputBlock(
            block_id=ids.REFLECT_LEARNED.block_id,
            label="What I learned",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.REFLECT_LEARNED.action_id,
                multiline=True,
                max_length=REFLECTION_TEXT_MAX,
                placeholder="e.g. how their team uses AI note-takers",
            ),
        ),
        InputBlock(
            block_id=ids.REFLECT_TAUGHT.block_id,
            label="What I shared",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.REFLECT_TAUGHT.action_id,
                multiline=True,
                max_length=REFLECTION_TEXT_MAX,
            ),
        ),
        InputBlock(
            block_id=ids.REFLECT_RATING.block_id,
            label="How it went",
            optional=True,
            element=StaticSelectElement(
                action_id=ids.REFLECT_RATING.action_id,
                options=[Option(value=str(value), text=text) for value, text in RATINGS],
            ),
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(text="🔒 Only you can see this — not your partner, not admins.")
            ]
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.REFLECT_VIEW,
        title="Reflection",
        submit="Save",
        close="Cancel",
        private_metadata=ViewMetadata(program_id=program_id, pair_id=pair_id).to_json(),
        blocks=blocks,
    ).to_dict()


def reflection_saved_modal(*, total: int) -> dict[str, Any]:
    text = (
        f"*Saved.* That's {plural(total, 'reflection')} so far — "
        "only you can see them. Small notes add up."
    )
    return View(
        type="modal",
        callback_id=ids.REFLECT_SAVED_VIEW,
        title="Reflection",
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    ).to_dict()
