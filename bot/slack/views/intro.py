"""What a round sends: the pair's introduction, the unmatched note, the channel
announcement and the admins' summary. Pure builders: values in, Block Kit out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.text import escape, escape_within, mention, plural, slack_date
from bot.slack.views.blocks import section
from bot.worktime import format_local


@dataclass(frozen=True)
class IntroPerson:
    slack_user_id: str
    name: str
    timezone: str


@dataclass(frozen=True)
class Introduction:
    program_name: str
    objectives: str
    mentor: IntroPerson  # reverse mentor
    leader: IntroPerson
    shared_skills: Sequence[str]  # what the leader wants that the mentor teaches
    giving_back: Sequence[str]  # what the mentor wants that the leader teaches
    reasons: Sequence[str]
    slots: Sequence[datetime]  # UTC, inside both working days


def _skills(names: Sequence[str]) -> str:
    shown = [f"_{escape(n)}_" for n in names[:3]]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def introduction_message(intro: Introduction) -> dict[str, Any]:
    """The group DM: who, why, a starter agenda, who books, three times."""
    mentor, leader = mention(intro.mentor.slack_user_id), mention(intro.leader.slack_user_id)
    program = escape_within(intro.program_name, 80)
    title = f"*You two are paired for {program}* 🎉"
    if intro.shared_skills:
        why = (
            f"{leader} wants to learn {_skills(intro.shared_skills)}, "
            f"and {mentor} can share {'it' if len(intro.shared_skills) == 1 else 'them'}."
        )
    else:
        why = f"{mentor} is the reverse mentor here and {leader} the leader."
    reasons = "; ".join(escape(r) for r in intro.reasons[:4])
    blocks = [section(f"{title}\n{why}" + (f"\nWhy this pair: {reasons}." if reasons else ""))]
    if intro.objectives.strip():
        blocks.append(section("*What the program is for*\n" + escape_within(intro.objectives, 600)))
    agenda = []
    if intro.shared_skills:
        agenda.append(f"{mentor} walks through how they use {_skills(intro.shared_skills[:2])}")
    else:
        agenda.append(f"{mentor} shows a tool or habit their generation takes for granted")
    if intro.giving_back:
        agenda.append(f"{leader} shares what they know about {_skills(intro.giving_back[:2])}")
    else:
        agenda.append(f"{leader} shares what their team struggles with right now")
    agenda.append("you agree how often to meet")
    blocks.append(
        section(
            f"*{leader}, you book the first 30 minutes.* A starter agenda:\n"
            + "\n".join(f"• {line}" for line in agenda)
        )
    )
    if intro.slots:
        lines = [
            f"• {slack_date(slot, fmt='{date_long_pretty} at {time}')} — "
            f"{escape(format_local(slot, intro.mentor.timezone))} · "
            f"{escape(format_local(slot, intro.leader.timezone))}"
            for slot in intro.slots
        ]
        blocks.append(section("*Three times inside both your working hours*\n" + "\n".join(lines)))
    else:
        blocks.append(
            section(
                "Your working hours don't overlap on weekdays, so pick a time that suits you both."
            )
        )
    text = f"You two are paired for {escape(intro.program_name)}: {leader} books the first meeting."
    return {"text": text, "blocks": blocks}


# Why someone was left out, in words they can read (never another person's name: the
# matching's reasons can name the people who were taken instead).
def kind_reason(reason: str) -> str:
    text = reason.casefold()
    if "excluded by an admin" in text:
        return "your program admin kept this round's pairs to a smaller group"
    if "paused" in text or "inactive" in text:
        return "you were paused when the pairs were made"
    if "full" in text or "went to another" in text or "went to other" in text:
        return "everyone who fits with you was already paired this time"
    if "teaches" in text or "wants" in text:
        return "nobody in this round offers what you listed yet"
    if "no reverse mentors" in text or "no leaders" in text:
        return "there was nobody on the other side this round"
    return "nobody in this round fitted the program's pairing rules for you"


def unmatched_message(
    *, program_name: str, reason: str, next_round: datetime | None
) -> dict[str, Any]:
    program = escape_within(program_name, 80)
    when = (
        f"The next round starts {slack_date(next_round, fmt='{date_long_pretty}')}, "
        "and you're in it — nothing to do."
        if next_round
        else "You're kept for the next round — nothing to do."
    )
    body = (
        f"*No partner for you in this round of {program}, this time.*\n"
        f"That's because {kind_reason(reason)}. It says nothing about you.\n{when}\n"
        "Adding a skill or two with `/mentor join` widens who you can be paired with."
    )
    fallback = f"No partner for you in this round of {program_name}; you're in the next one."
    return {"text": escape(fallback), "blocks": [section(body)]}


def announcement_message(
    *, program_name: str, number: int, pairs: int, people: int, proposed: bool
) -> dict[str, Any]:
    """Counts only: no names, skills or reasons reach the channel."""
    program = escape_within(program_name, 80)
    verb = "are being asked to confirm" if proposed else "have just been introduced"
    body = (
        f"*Round {number} of {program} has started* 🌱\n"
        f"{plural(pairs, 'pair')} ({plural(people, 'person', 'people')}) {verb}. "
        "Reverse mentors share what they know; leaders learn and give back."
    )
    text = f"Round {number} of {program_name} has started: {plural(pairs, 'pair')}."
    return {"text": escape(text), "blocks": [section(body)]}


def admin_summary_message(
    *, program_name: str, number: int, summary: dict[str, Any]
) -> dict[str, Any]:
    program = escape_within(program_name, 80)
    body = (
        f"*Round {number} of {program} was paired automatically.*\n"
        f"{plural(int(summary.get('pairs', 0)), 'pair')}, "
        f"{plural(int(summary.get('people_matched', 0)), 'person', 'people')} matched, "
        f"{int(summary.get('unmatched', 0))} without a partner this time.\n"
        "`/mentor pair` previews the next round."
    )
    text = f"Round {number} of {program_name} was paired automatically."
    return {"text": escape(text), "blocks": [section(body)]}
