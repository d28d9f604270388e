"""Stalled pairs: the private "what now?" question, its answers, and the admins' list of
at-risk pairs (the weekly digest DM and the Home admin view). Pure builders.

The question is warm and easy to say no to: no guilt about not meeting, and each
answer is private to its author (admins see it; the partner never does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain import RiskAnswer
from bot.risk import AtRiskPair, met_at, weeks_since
from bot.slack import ids
from bot.slack.text import escape, mention, plural
from bot.slack.views.blocks import button, section

RISK_QUESTION = "No meeting for a while — want a new match, a pause, or to keep going?"
RISK_CLOSED = "This pair has ended, so there's nothing more to answer here."
DIGEST_PAIRS_MAX = 20  # lines in one digest; the rest are counted ("and N more")
HOME_AT_RISK_MAX = 10

_ANSWER_LABELS = {
    RiskAnswer.NEW_MATCH: "new match",
    RiskAnswer.PAUSE: "pause",
    RiskAnswer.KEEP_GOING: "keep going",
}


def risk_question_message(
    *, pair_id: int, program_name: str, partner_user_id: str | None
) -> dict[str, Any]:
    """To one partner of a stalled pair, privately."""
    partner = mention(partner_user_id) if partner_user_id else "your partner"
    text = (
        f"*{RISK_QUESTION}*\n"
        f"It's been a while since you and {partner} met ({escape(program_name)}). Busy "
        "spells happen, and any answer is fine. It's private: your partner isn't told it."
    )
    return {
        "text": RISK_QUESTION,
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": f"risk_{pair_id}",
                "elements": [
                    button(ids.RISK_KEEP_GOING, "Keep going", pair_id, "primary"),
                    button(ids.RISK_PAUSE, "Pause for now", pair_id),
                    button(ids.RISK_NEW_MATCH, "Find a new match", pair_id),
                ],
            },
        ],
    }


_RISK_THANKS = {
    RiskAnswer.KEEP_GOING: (
        "👍 Keep going it is. Whenever you're ready, even 20 minutes together counts."
    ),
    RiskAnswer.PAUSE: (
        "Paused — no check-ins or new matches until you're back. Resume any time with "
        "`/mentor resume` or from the Home tab."
    ),
    RiskAnswer.NEW_MATCH: (
        "Thanks for saying so. This pair ends here, and we'll find you both a new match "
        "next round. Your partner isn't told who asked."
    ),
}


def risk_answered_message(answer: RiskAnswer) -> dict[str, Any]:
    """What the question becomes once answered (chat.update)."""
    return {"text": _RISK_THANKS[answer], "blocks": [section(_RISK_THANKS[answer])]}


def _who(user_id: str | None) -> str:
    return mention(user_id) if user_id else "_(someone who left)_"


def at_risk_line(pair: AtRiskPair, *, now: datetime) -> str:
    """One pair: program, the two people, how long since they met, their answers."""
    weeks = weeks_since(pair.since, now)
    since = (
        f"{plural(weeks, 'week')} since they last met"
        if pair.last_met_on is not None and met_at(pair.last_met_on) == pair.since
        else f"no meeting in {plural(weeks, 'week')}"
    )
    parts = [
        f"*{escape(pair.program_name)}*",
        f"{_who(pair.mentor_user_id)} & {_who(pair.mentee_user_id)}",
        since,
    ]
    answers = [
        f"{_who(user)}: {_ANSWER_LABELS[answer]}"
        for user, answer in (
            (pair.mentor_user_id, pair.mentor_answer),
            (pair.mentee_user_id, pair.mentee_answer),
        )
        if answer is not None
    ]
    if answers:
        parts.append("answered " + ", ".join(answers))
    return "• " + " · ".join(parts)


def at_risk_lines(pairs: Sequence[AtRiskPair], *, total: int, now: datetime, limit: int) -> str:
    lines = [at_risk_line(pair, now=now) for pair in pairs[:limit]]
    if total > len(lines):
        lines.append(f"…and {total - len(lines)} more.")
    return "\n".join(lines)


def risk_digest_message(
    pairs: Sequence[AtRiskPair], *, total: int, now: datetime
) -> dict[str, Any]:
    """The admin's weekly DM: every at-risk pair of the workspace in one message."""
    head = f"*{plural(total, 'pair')} may need a hand this week*"
    intro = (
        "No meeting for two check-in periods. Each partner has been asked privately "
        "whether they'd like a new match, a pause or to keep going."
    )
    body = at_risk_lines(pairs, total=total, now=now, limit=DIGEST_PAIRS_MAX)
    return {
        "text": f"{plural(total, 'pair')} may need a hand this week.",
        "blocks": [
            section(f"{head}\n{intro}"),
            section(body),
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "Also in the Home tab. Only admins get this."}
                ],
            },
        ],
    }
