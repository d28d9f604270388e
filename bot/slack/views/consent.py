"""Consent DMs: the private proposal, its reminder, the decline modal, and the neutral notices.

Pure builders. Every user-typed word (names, titles, departments, skills, reasons) is
escaped; mentions are built from ids. The notices a partner reads after a decline or an
expiry are the same words whoever declined, and never carry the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain import CareerStage, Role
from bot.slack import ids
from bot.slack.text import escape, escape_within, mention, slack_date
from bot.slack.views.blocks import section

REASON_MAX = 1000
_LIST_MAX = 6  # skills or reasons shown; more would make a wall of text


@dataclass(frozen=True)
class ProposedPartner:
    slack_user_id: str
    name: str
    title: str
    career_stage: int | None
    department: str


@dataclass(frozen=True)
class Proposal:
    pair_id: int
    program_name: str
    role: Role  # the reader's side in the pair: MENTOR (reverse mentor) or MENTEE (leader)
    partner: ProposedPartner
    shared_skills: Sequence[str]
    reasons: Sequence[str]
    due_at: datetime


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _about(partner: ProposedPartner) -> str:
    details = [escape(partner.title)] if partner.title else []
    if partner.career_stage:
        details.append(CareerStage(partner.career_stage).label.lower())
    if partner.department:
        details.append(escape(partner.department))
    who = mention(partner.slack_user_id)
    return f"{who} ({', '.join(details)})" if details else who


def _skills(skills: Sequence[str]) -> str:
    shown = [f"_{escape_within(s, 60)}_" for s in skills[:_LIST_MAX]]
    return ", ".join(shown)


def _proposal_blocks(proposal: Proposal, *, first_line: str) -> list[dict[str, Any]]:
    partner = _about(proposal.partner)
    if proposal.role is Role.MENTOR:
        offer = f"*{partner}* would be your leader: they learn from you, the expert here."
        skills = "They want to learn what you can share: "
    else:
        offer = f"*{partner}* would be your reverse mentor: they share what they know with you."
        skills = "They can share what you want to learn: "
    lines = [first_line, offer]
    if proposal.shared_skills:
        lines.append(skills + _skills(proposal.shared_skills) + ".")
    blocks = [section("\n".join(lines))]
    if proposal.reasons:
        why = "\n".join(f"• {escape_within(r, 150)}" for r in proposal.reasons[:_LIST_MAX])
        blocks.append(section(f"*Why we suggest this match*\n{why}"))
    blocks.append(
        _context(
            f"Only you see this, and your answer stays private. Please answer by "
            f"{slack_date(proposal.due_at)}. If you'd rather not, just decline: nobody is "
            "told who said no, or why."
        )
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": f"consent_{proposal.pair_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.CONSENT_ACCEPT,
                    "text": {"type": "plain_text", "text": "Accept"},
                    "style": "primary",
                    "value": str(proposal.pair_id),
                },
                {
                    "type": "button",
                    "action_id": ids.CONSENT_DECLINE,
                    "text": {"type": "plain_text", "text": "Decline"},
                    "value": str(proposal.pair_id),
                },
            ],
        }
    )
    return blocks


def proposal_message(proposal: Proposal) -> dict[str, Any]:
    first = f"*A proposed match for {escape(proposal.program_name)}* — would you like it?"
    return {
        "text": f"A proposed match for {escape(proposal.program_name)}: would you like it?",
        "blocks": _proposal_blocks(proposal, first_line=first),
    }


def consent_reminder_message(proposal: Proposal) -> dict[str, Any]:
    first = (
        f"*A gentle reminder* — your proposed match for {escape(proposal.program_name)} "
        "is waiting for your answer."
    )
    return {
        "text": (
            f"Your proposed match for {escape(proposal.program_name)} is waiting for your answer."
        ),
        "blocks": _proposal_blocks(proposal, first_line=first),
    }


def accepted_message(*, program_name: str) -> dict[str, Any]:
    """What the proposal becomes once the reader accepted (chat.update)."""
    text = (
        f"✅ You accepted the proposed match for {escape(program_name)}. "
        "Once you've both said yes, we'll introduce you in a group message."
    )
    return {"text": "You accepted the proposed match.", "blocks": [section(text)]}


def declined_message(*, program_name: str) -> dict[str, Any]:
    """What the proposal becomes once the reader declined (chat.update)."""
    text = (
        f"You declined the proposed match for {escape(program_name)}. Thanks for saying so — "
        "you'll be in the next round."
    )
    return {"text": "You declined the proposed match.", "blocks": [section(text)]}


def match_off_message(*, program_name: str) -> dict[str, Any]:
    """To the person declined against. The same words whoever declined; never a reason."""
    text = (
        f"The match we proposed for {escape(program_name)} won't go ahead this time. "
        "That happens, and it's nobody's fault — you'll be in the next round."
    )
    return {"text": text, "blocks": [section(text)]}


def proposal_expired_message(*, program_name: str) -> dict[str, Any]:
    """To both, when the proposal went unanswered: the same words for each."""
    text = (
        f"The match we proposed for {escape(program_name)} has closed: we didn't hear back "
        "from both of you in time. No harm done — you'll be in the next round."
    )
    return {"text": text, "blocks": [section(text)]}


PROPOSAL_CLOSED = (
    "This proposal has closed, so there's nothing more to answer. You'll be in the next round. 🙂"
)
NOT_YOUR_PROPOSAL = "This proposal is for someone else, so nothing was changed."


def decline_modal(*, pair_id: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.CONSENT_DECLINE_VIEW,
        "private_metadata": json.dumps({"pair_id": pair_id}),
        "title": {"type": "plain_text", "text": "Decline the match"},
        "submit": {"type": "plain_text", "text": "Decline"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                "No explanation needed. The other person is only told that the match "
                "won't go ahead — not who declined, or why."
            ),
            {
                "type": "input",
                "block_id": ids.CONSENT_REASON.block_id,
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything program admins should know?"},
                "hint": {
                    "type": "plain_text",
                    "text": "Private: only program admins see this, never the other person.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.CONSENT_REASON.action_id,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
            },
        ],
    }


def decline_done_modal(*, closed: bool) -> dict[str, Any]:
    text = (
        PROPOSAL_CLOSED
        if closed
        else "Done — the match won't go ahead, and you'll be in the next round. "
        "The other person isn't told who declined, or why."
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Decline the match"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }
