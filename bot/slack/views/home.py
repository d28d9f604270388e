"""The App Home tab: a personal dashboard, and a program corner for admins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain import MembershipStatus, RoundStatus
from bot.learning_log import LearningLog, ReflectionStats
from bot.risk import AtRiskPair
from bot.slack import ids
from bot.slack.text import escape, plural, slack_date, truncate_mrkdwn
from bot.slack.views.checkin_settings import checkin_settings_blocks
from bot.slack.views.enrollment import ROLE_LABELS
from bot.slack.views.models import MembershipSummary, PersonalStatus, ProgramSummary
from bot.slack.views.programs import cadence_label
from bot.slack.views.reflection import learning_log_home_blocks
from bot.slack.views.stalled import HOME_AT_RISK_MAX, at_risk_lines
from bot.slack.views.status import PAUSE_CHOICES, membership_lines

# A Home tab holds 100 blocks: the profile takes 2, each membership 3, the learning log
# 7, the check-in settings 4, the admin part 3, each program 2 and the at-risk pairs 1.
HOME_MEMBERSHIPS_MAX = 10
HOME_PROGRAMS_MAX = 26
_TEXT_MAX = 3000  # section text


def _section(text: str, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=truncate_mrkdwn(text, _TEXT_MAX)), accessory=accessory
    )


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _profile_blocks(status: PersonalStatus, *, program_id: int) -> list[Block]:
    fields = []
    if status.career_stage is not None:
        fields.append(f"*Career stage:* {status.career_stage.label}")
    if status.department:
        fields.append(f"*Department:* {escape(status.department)}")
    fields.append(f"*You share:* {escape(', '.join(status.teaches)) or '—'}")
    fields.append(f"*You're learning:* {escape(', '.join(status.learns)) or '—'}")
    if status.goals:
        fields.append(f"*Success looks like:* {escape(status.goals)}")
    edit = ButtonElement(
        text="Edit profile", action_id=ids.HOME_EDIT_PROFILE, value=str(program_id)
    )
    return [
        HeaderBlock(text="Your reverse mentoring"),
        _section("\n".join(fields), accessory=edit),
    ]


def _membership_blocks(membership: MembershipSummary, *, is_active: bool) -> list[Block]:
    program = escape(membership.program_name)
    heading = f"*{program}* · {ROLE_LABELS[membership.role]}"
    value = str(membership.program_id)
    toggle: ButtonElement | StaticSelectElement
    if membership.status is MembershipStatus.PAUSED:
        toggle = ButtonElement(text="Resume", action_id=ids.HOME_RESUME, value=value)
    else:  # a choice of length, like `/mentor pause [weeks]`
        toggle = StaticSelectElement(
            action_id=ids.HOME_PAUSE_FOR,
            placeholder="Pause for…",
            options=[Option(value=str(weeks), text=label) for weeks, label in PAUSE_CHOICES],
        )
    buttons: list[ButtonElement | StaticSelectElement] = [toggle]
    if membership.partners:
        buttons.insert(
            0,
            ButtonElement(
                text="Log a reflection", action_id=ids.HOME_REFLECT, value=value, style="primary"
            ),
        )
    return [
        _section("\n".join([heading, *membership_lines(membership, is_active=is_active)])),
        ActionsBlock(elements=buttons),
    ]


def _welcome_blocks() -> list[Block]:
    return [
        HeaderBlock(text="Reverse mentoring"),
        _section(
            "*Learn from each other, across career stages.*\nEarly-career colleagues share "
            "what they know best — AI tools, short video, new ways of working — with "
            "leaders who want to learn it. Leaders offer career context back."
        ),
        _section(
            "*How it works*\n"
            "1. Tell us what you can share and what you'd like to learn.\n"
            "2. We pair you with a colleague whose skills complement yours.\n"
            "3. Meet at your own pace. We nudge gently, and your reflections stay private."
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Join", action_id=ids.HOME_JOIN, style="primary"),
            ]
        ),
        _context("Takes about a minute. Pause or leave any time."),
    ]


# --- the admin's program view (issue 9) -------------------------------------------

_ROUND_STATUS_LABELS = {
    RoundStatus.DRAFT: "preview, not confirmed yet",
    RoundStatus.CONFIRMED: "confirmed",
    RoundStatus.ANNOUNCED: "running",
    RoundStatus.CANCELLED: "cancelled",
}


def _calendar_date(day: date) -> str:
    """A date with no time of day (a start date): the same for every reader."""
    return f"{day:%a} {day.day} {day:%b %Y}"


# Fewer raters and an admin could read one person's ratings off the average.
AVERAGE_MIN_RATERS = 3


def _reflection_stats_text(stats: ReflectionStats | None) -> str:
    """Reflections in aggregate: a count and an average rating, never text or people."""
    if stats is None or not stats.count:
        return "No reflections yet"
    line = plural(stats.count, "reflection")
    if stats.average_rating is not None and stats.raters >= AVERAGE_MIN_RATERS:
        line += f" · average {stats.average_rating:.1f} of 5"
    elif stats.average_rating is not None:
        line += f" · the average rating shows once {AVERAGE_MIN_RATERS} people have rated"
    return line


def _program_admin_text(program: ProgramSummary, stats: ReflectionStats | None = None) -> str:
    head = [
        f"*{escape(program.name)}*",
        "open" if program.is_open else "closed",
        cadence_label(program.cadence_days).lower(),
    ]
    if program.next_round_on is not None:
        head.append(f"next round {_calendar_date(program.next_round_on)}")
    lines = [" · ".join(head)]
    current = program.current_round
    if current is None:
        lines.append("No round running.")
    else:
        dates = (
            f"{slack_date(current.starts_at, fmt='{date_short}')} – "
            f"{slack_date(current.ends_at, fmt='{date_short}')}"
        )
        lines.append(f"Round {current.number} · {dates} · {_ROUND_STATUS_LABELS[current.status]}")
    counts = [
        f"{program.members} enrolled",
        f"{program.paused} paused",
        f"{program.matched} matched",
        f"{program.met} met at least once",
        f"{program.awaiting_consent} waiting for consent",
        plural(program.skills, "skill"),
    ]
    lines.append(" · ".join(counts))
    lines.append(_reflection_stats_text(stats))
    return "\n".join(lines)


def _admin_blocks(
    programs: Sequence[ProgramSummary], stats: Mapping[int, ReflectionStats]
) -> list[Block]:
    manage = ButtonElement(text="Manage programs", action_id=ids.HOME_MANAGE_PROGRAMS)
    blocks: list[Block] = [
        DividerBlock(),
        HeaderBlock(text="Program admin"),
        ActionsBlock(elements=[manage]),
    ]
    if not programs:
        blocks.append(_context("No programs yet — *Manage programs* sets one up."))
    for program in programs[:HOME_PROGRAMS_MAX]:
        value = str(program.id)
        blocks.append(_section(_program_admin_text(program, stats.get(program.id))))
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Preview next round", action_id=ids.PAIR_PREVIEW_BUTTON, value=value
                    ),
                    ButtonElement(
                        text="Manage skills", action_id=ids.HOME_MANAGE_SKILLS, value=value
                    ),
                ]
            )
        )
    if len(programs) > HOME_PROGRAMS_MAX:
        blocks.append(_context(f"…and {len(programs) - HOME_PROGRAMS_MAX} more."))
    return blocks


def _checkin_blocks(status: PersonalStatus) -> list[Block]:
    """Their own check-in day and time; one combined check-in for all programs."""
    due = [
        m.next_checkin_at
        for m in status.current
        if m.next_checkin_at is not None and m.status is MembershipStatus.ACTIVE
    ]
    return [
        DividerBlock(),
        *checkin_settings_blocks(
            weekday=status.checkin_weekday,
            minute=status.checkin_minute,
            next_checkin_at=min(due) if due else None,
        ),
    ]


def _at_risk_blocks(
    at_risk: Sequence[AtRiskPair], *, total: int, now: datetime | None
) -> list[Block]:
    """Stalled pairs (issue 10): up to HOME_AT_RISK_MAX, and how many more."""
    if not total or now is None:
        return []
    head = f"*At-risk pairs* · {plural(total, 'pair')} with no meeting for two check-in periods"
    lines = at_risk_lines(at_risk, total=total, now=now, limit=HOME_AT_RISK_MAX)
    return [_section(f"{head}\n{lines}")]


def home_view(
    status: PersonalStatus | None,
    *,
    is_admin: bool,
    programs: Sequence[ProgramSummary] = (),
    at_risk: Sequence[AtRiskPair] = (),
    at_risk_total: int = 0,
    now: datetime | None = None,
    learning_log: LearningLog | None = None,
    reflection_stats: Mapping[int, ReflectionStats] | None = None,
) -> dict[str, Any]:
    """The Home tab for one person, for `views.publish`.

    Enrolled (a membership not left): profile, then each program with partner,
    next check-in, meetings and buttons. Otherwise a warm invitation to join.
    Admins also see `programs` (each with its current round, counts, "Preview next
    round" and "Manage skills") and "Manage programs", with each program's
    `reflection_stats` (counts and average ratings only). `learning_log` is the
    person's own: it is shown to them alone.
    """
    current = status.current if status else ()
    blocks: list[Block] = []
    if status is not None and current:
        blocks += _profile_blocks(status, program_id=current[0].program_id)
        for membership in current[:HOME_MEMBERSHIPS_MAX]:
            blocks += [
                DividerBlock(),
                *_membership_blocks(membership, is_active=status.is_active),
            ]
        if learning_log is not None:
            has_pair = any(m.partners for m in current)
            blocks += [DividerBlock(), *learning_log_home_blocks(learning_log, has_pair=has_pair)]
        if status.is_active:
            blocks += _checkin_blocks(status)
    else:
        blocks += _welcome_blocks()
    if is_admin:
        blocks += _admin_blocks(programs, reflection_stats or {})
        blocks += _at_risk_blocks(at_risk, total=at_risk_total, now=now)
    return View(type="home", blocks=blocks).to_dict()
