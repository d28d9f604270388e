"""The close-out survey modal and what it becomes after a save. Pure builders.

Answers are private: the modal says so, and reports only count them.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain import Role
from bot.services.closeout import CloseoutAnswers, Offer, SurveyTarget
from bot.slack import ids
from bot.slack.text import escape

TITLE = "Two-minute survey"
VALUE_CHOICES = (
    (1, "1 · Not really"),
    (2, "2 · A little"),
    (3, "3 · Worth it"),
    (4, "4 · Very"),
    (5, "5 · Extremely"),
)
SWITCH_QUESTIONS = {
    Role.MENTEE: "Would you now mentor someone earlier in their career in what you learned?",
    Role.MENTOR: "Would you like to be mentored in leadership next time?",
}
ROLE_NAMES = {Role.MENTOR: "a reverse mentor", Role.MENTEE: "a leader", Role.EITHER: "either role"}
PRIVATE_NOTE = "🔒 Your answers are counted with everyone's; nobody sees them as yours."
NOT_YOURS = "This survey is for someone else, or its round hasn't ended, so nothing was changed."


def closeout_metadata(pair_id: int) -> str:
    return json.dumps({"pair_id": pair_id})


def _yes_no(field: ids.InputId, label: str, chosen: bool | None, *, optional: bool) -> InputBlock:
    options = [
        Option(value=ids.CLOSEOUT_YES, text="Yes"),
        Option(value=ids.CLOSEOUT_NO, text="No"),
    ]
    initial = None if chosen is None else options[0 if chosen else 1]
    return InputBlock(
        block_id=field.block_id,
        label=label,
        optional=optional,
        element=RadioButtonsElement(
            action_id=field.action_id, options=options, initial_option=initial
        ),
    )


def closeout_modal(target: SurveyTarget) -> dict[str, Any]:
    prior: CloseoutAnswers | None = target.answers
    values = [Option(value=str(v), text=text) for v, text in VALUE_CHOICES]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Your round of *{escape(target.program_name)}* has ended. "
                "Three quick questions."
            )
        ),
        InputBlock(
            block_id=ids.CLOSEOUT_VALUE.block_id,
            label="How valuable was it?",
            element=RadioButtonsElement(
                action_id=ids.CLOSEOUT_VALUE.action_id,
                options=values,
                initial_option=values[prior.value - 1] if prior else None,
            ),
        ),
        _yes_no(
            ids.CLOSEOUT_AGAIN, "Would you do it again?", prior.again if prior else None,
            optional=False,
        ),
        _yes_no(
            ids.CLOSEOUT_SWITCH, SWITCH_QUESTIONS.get(target.role, SWITCH_QUESTIONS[Role.MENTOR]),
            prior.switch if prior else None, optional=True,
        ),
        ContextBlock(elements=[MarkdownTextObject(text=PRIVATE_NOTE)]),
    ]  # fmt: skip
    return View(
        type="modal",
        callback_id=ids.CLOSEOUT_VIEW,
        title=TITLE,
        submit="Send",
        close="Cancel",
        private_metadata=closeout_metadata(target.pair_id),
        blocks=blocks,
    ).to_dict()


def _notice(text: str, *, extra: list[Block] | None = None) -> dict[str, Any]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text)), *(extra or [])]
    return View(type="modal", title=TITLE, close="Close", blocks=blocks).to_dict()


def _where(offer: Offer) -> str:
    if offer.same_program:
        return f"the next round of {escape(offer.program_name)}"
    return escape(offer.program_name)


def closeout_saved_modal(*, pair_id: int, again: bool, offer: Offer | None) -> dict[str, Any]:
    """What the survey becomes after a save: thanks, and for "again" the one-click offer."""
    if not again:
        return _notice("*Thank you* 🙏 Your answers help shape the next programs.")
    if offer is None:
        return _notice(
            "*Thank you* 🙏 Glad you'd do it again. There's no open program to join right "
            "now; your program admins can tell you when the next one starts."
        )
    lead = "" if offer.same_program else "This program is closed, but another is open. "
    text = (
        f"*Thank you* 🙏 Glad you'd do it again. {lead}Join {_where(offer)} as "
        f"{ROLE_NAMES[offer.role]}? One click, and you're in."
    )
    button = ButtonElement(
        action_id=ids.CLOSEOUT_REJOIN, text="Count me in", value=str(pair_id), style="primary"
    )
    return _notice(text, extra=[ActionsBlock(elements=[button])])


def rejoined_modal(offer: Offer) -> dict[str, Any]:
    return _notice(
        f"🎉 You're in {_where(offer)} as {ROLE_NAMES[offer.role]}. "
        "You'll hear when you're matched."
    )


NONE_OPEN = "There's no open program to join right now, so nothing was changed."


def closeout_notice_modal(text: str) -> dict[str, Any]:
    return _notice(text)
