"""Fit check and round-end DMs. Pure builders; each is a private 1:1 message.

"Not a good fit" is answered without blame: the partner reads the same neutral notice
whoever asked, and never who asked.
"""

from __future__ import annotations

from typing import Any

from bot.domain import FitAnswer
from bot.slack import ids
from bot.slack.text import escape, mention
from bot.slack.views.blocks import button, section


def fit_question_message(
    *, pair_id: int, program_name: str, partner_user_id: str
) -> dict[str, Any]:
    text = (
        f"*How is it going with {mention(partner_user_id)}?* ({escape(program_name)})\n"
        "Your answer is private: your partner isn't told it. If it's not a good fit, "
        "that's nobody's fault: you'll both get a new match next round."
    )
    return {
        "text": f"How is your {escape(program_name)} match going?",
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": f"fit_{pair_id}",
                "elements": [
                    button(ids.FIT_GOOD, "Good fit", pair_id, "primary"),
                    button(ids.FIT_DECIDING, "Still deciding", pair_id),
                    button(ids.FIT_NOT_A_FIT, "Not a good fit", pair_id),
                ],
            },
        ],
    }


_FIT_THANKS = {
    FitAnswer.GOOD: "🎉 Good to hear it's a good fit. Enjoy the conversations!",
    FitAnswer.DECIDING: (
        "Thanks — no rush. We'll ask again after your next meeting (or in two weeks)."
    ),
    FitAnswer.NOT_A_FIT: (
        "Thanks for saying so. This pair ends here, and we'll find you both a new match "
        "next round. Your partner isn't told who asked."
    ),
}


def fit_answered_message(answer: FitAnswer) -> dict[str, Any]:
    """What the fit question becomes once answered (chat.update)."""
    return {"text": _FIT_THANKS[answer], "blocks": [section(_FIT_THANKS[answer])]}


def rematch_notice_message(*, program_name: str) -> dict[str, Any]:
    """To the partner of someone who said "not a good fit": neutral, nobody named."""
    text = (
        f"A note about your {escape(program_name)} match: this pairing ends here, and "
        "we'll find you both a new match next round. It's nobody's fault — fit is hard "
        "to predict."
    )
    return {"text": text, "blocks": [section(text)]}


FIT_CLOSED = "This pair has ended, so there's nothing more to answer here."
NOT_YOUR_PAIR = "This question is for someone else, so nothing was changed."


def closing_prompt_message(
    *, pair_id: int, program_name: str, partner_user_id: str
) -> dict[str, Any]:
    text = (
        f"*Your {escape(program_name)} round has ended* 🎓\n"
        f"Thank you for the time you gave {mention(partner_user_id)}. A few small things:\n"
        "• a private reflection on what you learned and shared (only you see it);\n"
        "• a two-minute survey on how it went (counted with everyone's, never shown as "
        "yours);\n"
        "• next round: keep going together, or meet someone new? You're only kept "
        "together if you both ask."
    )
    return {
        "text": f"Your {escape(program_name)} round has ended: reflect, and continue or re-match.",
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": f"closing_{pair_id}",
                "elements": [
                    button(ids.CLOSING_CONTINUE, "Continue together", pair_id, "primary"),
                    button(ids.CLOSING_REMATCH, "Find me a new match", pair_id),
                    {
                        "type": "button",
                        "action_id": ids.HOME_REFLECT,
                        "text": {"type": "plain_text", "text": "Write a reflection"},
                    },
                    button(ids.STORY_WRITE, "Share a success story", pair_id),
                    button(ids.CLOSEOUT_SURVEY, "Two-minute survey", pair_id),
                ],
            },
        ],
    }


def closing_answered_message(*, continues: bool) -> dict[str, Any]:
    text = (
        "Noted: you'd like to continue together. If you both ask, you're kept together "
        "next round; if not, you'll each get a new match."
        if continues
        else "Noted: you'll get a new match next round."
    )
    reflect = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": ids.HOME_REFLECT,
                "text": {"type": "plain_text", "text": "Write a reflection"},
            }
        ],
    }
    return {"text": text, "blocks": [section(text), reflect]}


CLOSING_CLOSED = "This round's choices are closed, so nothing was changed."
