"""The private reflection modal, and the author's learning log (Home and "See all").

Everything here is shown to the author only: the text is theirs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.learning_log import LearningLog, LogEntry, ReflectionContext
from bot.slack import ids
from bot.slack.text import escape, escape_within, plural, truncate

REFLECTION_TEXT_MAX = 2000
RATINGS = (
    (1, "Not much clicked yet"),
    (2, "Some useful bits"),
    (3, "Good conversation"),
    (4, "Really valuable"),
    (5, "Eye-opening"),
)
PRIVATE_NOTE = "🔒 Only you can see this — not your partner, not admins."
HOME_LOG_ENTRIES = 3
# A modal holds 100 blocks: a header, a context line, a cap note and one section each.
LOG_VIEW_MAX = 95
EXCERPT_MAX = 120
_OPTION_TEXT_MAX = 75
TITLE = "Reflection"


def _calendar_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _option(value: object, text: str) -> Option:
    return Option(value=str(value), text=truncate(text, _OPTION_TEXT_MAX))


def _text_input(
    field: ids.InputId, label: str, initial: str, placeholder: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=field.block_id,
        label=label,
        optional=True,
        element=PlainTextInputElement(
            action_id=field.action_id,
            multiline=True,
            max_length=REFLECTION_TEXT_MAX,
            placeholder=placeholder,
            initial_value=initial or None,
        ),
    )


def reflection_metadata(*, pair_id: int | None, reflection_id: int | None) -> str:
    data = {"pair_id": pair_id, "reflection_id": reflection_id}
    return json.dumps({key: value for key, value in data.items() if value is not None})


def reflection_modal(context: ReflectionContext) -> dict[str, Any]:
    """New (or, with `context.draft`, the author's own to edit): partner when there
    are several, date, three optional texts, rating, topics, "share as a story"."""
    draft = context.draft
    choose = not context.fixed and len(context.pairs) > 1
    blocks: list[Block] = []
    if choose:
        intro = "A few lines on a conversation — pick who it was with."
    elif context.pairs and context.pairs[0].partner_name:
        name = escape(truncate(context.pairs[0].partner_name, _OPTION_TEXT_MAX))
        intro = f"A few lines on your conversation with {name}."
    else:
        intro = "A few lines on what you're learning and sharing."
    blocks.append(SectionBlock(text=MarkdownTextObject(text=intro)))
    if choose:
        blocks.append(
            InputBlock(
                block_id=ids.REFLECT_PARTNER.block_id,
                label="Who did you meet?",
                element=StaticSelectElement(
                    action_id=ids.REFLECT_PARTNER.action_id,
                    options=[
                        _option(p.pair_id, p.partner_name or "Your partner")
                        for p in context.pairs[:100]
                    ],
                ),
            )
        )
    met_on = (draft.met_on if draft else None) or context.today
    blocks.append(
        InputBlock(
            block_id=ids.REFLECT_MET_ON.block_id,
            label="When did you meet?",
            element=DatePickerElement(
                action_id=ids.REFLECT_MET_ON.action_id, initial_date=met_on.isoformat()
            ),
        )
    )
    blocks += [
        _text_input(
            ids.REFLECT_LEARNED, "What I learned", draft.learned if draft else "",
            "e.g. how their team uses AI note-takers",
        ),
        _text_input(ids.REFLECT_TAUGHT, "What I taught or shared", draft.taught if draft else ""),
        _text_input(
            ids.REFLECT_TRY_NEXT, "What I'll try next", draft.try_next if draft else ""
        ),
    ]  # fmt: skip
    ratings = [_option(value, text) for value, text in RATINGS]
    rated = draft.rating if draft else None
    blocks.append(
        InputBlock(
            block_id=ids.REFLECT_RATING.block_id,
            label="How useful was it?",
            optional=True,
            element=StaticSelectElement(
                action_id=ids.REFLECT_RATING.action_id,
                options=ratings,
                initial_option=ratings[rated - 1] if rated else None,
            ),
        )
    )
    if context.topics:
        topics = [_option(t.id, t.name) for t in context.topics[:100]]
        chosen = draft.topics if draft else frozenset()
        initial = [o for o, t in zip(topics, context.topics, strict=False) if t.id in chosen]
        blocks.append(
            InputBlock(
                block_id=ids.REFLECT_TOPICS.block_id,
                label="Topics covered",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=ids.REFLECT_TOPICS.action_id,
                    placeholder="Skills you talked about",
                    options=topics,
                    initial_options=initial or None,
                ),
            )
        )
    if context.pairs:
        blocks.append(
            InputBlock(
                block_id=ids.REFLECT_SHARE.block_id,
                label="Success story",
                optional=True,
                element=CheckboxesElement(
                    action_id=ids.REFLECT_SHARE.action_id,
                    options=[
                        Option(
                            value=ids.REFLECT_SHARE_VALUE,
                            text="Share this as a success story",
                            description="Next you write the story; nothing is posted "
                            "until your partner approves it.",
                        )
                    ],
                ),
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=PRIVATE_NOTE)]))
    fixed_pair = context.pairs[0].pair_id if context.fixed and context.pairs else None
    return View(
        type="modal",
        callback_id=ids.REFLECT_VIEW,
        title=TITLE,
        submit="Save",
        close="Cancel",
        private_metadata=reflection_metadata(
            pair_id=fixed_pair, reflection_id=draft.reflection_id if draft else None
        ),
        blocks=blocks,
    ).to_dict()


def reflection_saved_modal(*, total: int, edited: bool = False) -> dict[str, Any]:
    if edited:
        text = "*Saved your changes.* Still only you can see them."
    else:
        text = (
            f"*Saved.* That's {plural(total, 'reflection')} so far — "
            "only you can see them. Small notes add up."
        )
    return View(
        type="modal",
        callback_id=ids.REFLECT_SAVED_VIEW,
        title=TITLE,
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    ).to_dict()


REFLECTION_GONE = "That reflection isn't there any more — nothing was changed."


# --- the learning log -----------------------------------------------------------------


def _excerpt(entry: LogEntry) -> str:
    words = next((t for t in (entry.learned, entry.taught, entry.try_next) if t), "")
    return escape_within(" ".join(words.split()), EXCERPT_MAX) if words else ""


def _entry_text(entry: LogEntry) -> str:
    day = entry.met_on or entry.created_at.date()
    head = [f"*{_calendar_day(day)}*"]
    if entry.partner_name:
        head.append(f"with {escape(truncate(entry.partner_name, _OPTION_TEXT_MAX))}")
    if entry.rating:
        head.append(f"useful: {entry.rating} of 5")
    excerpt = _excerpt(entry)
    return " · ".join(head) + (f"\n{excerpt}" if excerpt else "")


def _entry_menu(entry: LogEntry) -> OverflowMenuElement:
    # No `confirm` here: Slack shows an overflow's confirm for every option, Edit too.
    # Delete asks in a modal of its own (delete_confirm_modal).
    return OverflowMenuElement(
        action_id=ids.REFLECTION_MENU,
        options=[
            Option(value=f"edit:{entry.id}", text="Edit"),
            Option(value=f"delete:{entry.id}", text="Delete"),
        ],
    )


def delete_confirm_modal(*, reflection_id: int) -> dict[str, Any]:
    """Asked before a reflection goes (VOICE.md: destructive actions confirm first)."""
    text = "*Delete this reflection?* It goes for good — there's no undo."
    return View(
        type="modal",
        callback_id=ids.REFLECTION_DELETE_VIEW,
        title=TITLE,
        submit="Delete",
        close="Keep it",
        private_metadata=reflection_metadata(pair_id=None, reflection_id=reflection_id),
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    ).to_dict()


def _entry_blocks(entries: Sequence[LogEntry]) -> list[Block]:
    return [
        SectionBlock(text=MarkdownTextObject(text=_entry_text(e)), accessory=_entry_menu(e))
        for e in entries
    ]


def learning_log_home_blocks(log: LearningLog, *, has_pair: bool) -> list[Block]:
    """The Home's "Your learning log": the last entries, "See all", "Share a story"."""
    blocks: list[Block] = [HeaderBlock(text="Your learning log")]
    if log.entries:
        blocks += _entry_blocks(log.entries[:HOME_LOG_ENTRIES])
    else:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="Nothing yet. After a conversation, *Log a reflection* keeps a "
                    "few lines on what you learned and shared."
                )
            )
        )
    buttons = []
    if log.total > HOME_LOG_ENTRIES:
        buttons.append(ButtonElement(text=f"See all {log.total}", action_id=ids.HOME_LEARNING_LOG))
    if has_pair:
        buttons.append(ButtonElement(text="Share a success story", action_id=ids.HOME_STORY))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=PRIVATE_NOTE)]))
    return blocks


def learning_log_modal(log: LearningLog) -> dict[str, Any]:
    """Every entry, newest first, up to LOG_VIEW_MAX (a modal holds 100 blocks)."""
    blocks: list[Block] = [ContextBlock(elements=[MarkdownTextObject(text=PRIVATE_NOTE)])]
    if log.entries:
        blocks += _entry_blocks(log.entries[:LOG_VIEW_MAX])
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No reflections yet.")))
    if log.total > LOG_VIEW_MAX:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Showing your {LOG_VIEW_MAX} newest of {log.total}. "
                        "Delete old ones to see further back."
                    )
                ]
            )
        )
    return View(
        type="modal",
        callback_id=ids.LEARNING_LOG_VIEW,
        title="Your learning log",
        close="Done",
        blocks=blocks,
    ).to_dict()
