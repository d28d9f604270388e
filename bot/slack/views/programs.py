"""Program management modals: the list of a workspace's programs, and a program's form.

Pure builders. The list and the form are one modal: "Edit" and "New program" replace
the list with the form (views.update), and a valid save replaces the form with the
list again, saying what was saved.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import ConversationFilter
from slack_sdk.models.views import View

from bot.domain import CADENCES, WEEKDAY_NAMES, MatchPriority
from bot.slack import ids
from bot.slack.text import escape, truncate_mrkdwn
from bot.slack.views.checkin_settings import CHECKIN_TIME_CHOICES, REMINDER_CHOICES
from bot.slack.views.models import ProgramListItem, ProgramSettings

NAME_MAX = 80  # programs.name is String(80)
OBJECTIVES_MAX = 1000
WEIGHT_MAX = 1000  # bot.matching.model.Weights accepts 0–1000
CADENCE_CHOICES = CADENCES  # the same choices as enrollment's (bot/domain.py)
ROUND_WEEK_CHOICES: tuple[tuple[int, str], ...] = (
    (4, "1 month"),
    (6, "6 weeks"),
    (8, "2 months"),
    (12, "3 months"),
    (26, "6 months"),
    (52, "12 months"),
)
STAGE_GAP_CHOICES = (1, 2, 3, 4)
SHARED_SKILLS_RANGE = (0, 10)
OVERLAP_HOURS_RANGE = (0, 8)
CONSENT_HOURS_RANGE = (1, 720)  # programs.consent_hours
MILESTONE_MEETINGS_RANGE = (1, 100)  # programs.milestone_meetings
TIMEZONE_MAX = 64  # programs.timezone is String(64)
# The program zone's picks; any other IANA zone can be typed (static selects hold 100).
COMMON_ZONES: tuple[str, ...] = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Toronto",
    "America/Mexico_City",
    "America/Bogota",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)
PROGRAMS_LISTED_MAX = 80  # a modal holds 100 blocks; each program takes one
TITLE = "Programs"

PRIORITY_LABELS: dict[MatchPriority, tuple[str, str]] = {
    MatchPriority.HIGHEST_SCORE: (
        "Quality — the best-fitting pairs",
        "Fewer pairs if that makes every pair a better fit.",
    ),
    MatchPriority.MOST_MATCHED: (
        "Participation — pair as many people as possible",
        "Then the best fit among those pairings.",
    ),
}
WEIGHT_LABELS: dict[str, tuple[str, str]] = {
    "learning": ("Weight: what the leader learns", "Points for teaching what the leader wants."),
    "giving_back": ("Weight: giving back", "Points for the leader teaching the mentor back."),
    "cross_department": ("Weight: across departments", "Points when departments differ."),
    "working_hours": ("Weight: shared working hours", "Points for overlapping work days."),
}
_RULES: tuple[tuple[str, str, str], ...] = (
    (
        ids.PROGRAM_RULE_AUTOMATIC,
        "Pair automatically when a round starts",
        "Otherwise an admin previews and confirms each round.",
    ),
    (
        ids.PROGRAM_RULE_CONSENT,
        "Ask both people privately before the intro",
        "Each can say no without the other knowing why.",
    ),
    (
        ids.PROGRAM_RULE_STORY_APPROVAL,
        "Stories need an admin's approval",
        "Before a shout-out is posted, after both partners agree.",
    ),
)


def cadence_label(days: int) -> str:
    for choice, label in CADENCE_CHOICES:
        if choice == days:
            return label
    return f"Every {days} days"


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _program_line(program: ProgramListItem) -> str:
    parts = [
        f"*{escape(program.name)}*",
        "open to join" if program.is_open else "closed to new people",
        cadence_label(program.cadence_days).lower(),
    ]
    if program.channel_id:
        parts.append(f"<#{program.channel_id}>")
    if program.is_default:
        parts.append("_default_")
    return truncate_mrkdwn(" · ".join(parts), 3000)


def program_list_modal(
    programs: Sequence[ProgramListItem], *, notice: str | None = None
) -> dict[str, Any]:
    """Every program of the workspace with "Edit", and "New program".

    `notice` (our own mrkdwn, user text already escaped) says what just happened.
    """
    blocks: list[Block] = []
    if notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=notice)))
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text="New program", action_id=ids.PROGRAM_NEW, style="primary"),
                # Opens over this list (views.push); the import asks which program.
                ButtonElement(text="Import roster", action_id=ids.ROSTER_IMPORT_BUTTON),
            ]
        )
    )
    if not programs:
        blocks.append(_context("No programs yet. Create one to open enrollment."))
    else:
        blocks.append(DividerBlock())
    for program in programs[:PROGRAMS_LISTED_MAX]:
        edit = ButtonElement(text="Edit", action_id=ids.PROGRAM_EDIT, value=str(program.id))
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=_program_line(program)), accessory=edit)
        )
    if len(programs) > PROGRAMS_LISTED_MAX:
        blocks.append(_context(f"…and {len(programs) - PROGRAMS_LISTED_MAX} more."))
    view = View(
        type="modal", callback_id=ids.PROGRAMS_VIEW, title=TITLE, close="Done", blocks=blocks
    )
    return view.to_dict()


def program_metadata(program_id: int | None) -> str:
    return json.dumps({"program_id": program_id})


def _option(value: object, text: str, description: str | None = None) -> Option:
    return Option(value=str(value), text=text, description=description)


def _number(
    field: ids.InputId,
    label: str,
    value: float,
    *,
    low: float,
    high: float,
    decimal: bool = False,
    hint: str | None = None,
) -> InputBlock:
    shown = f"{value:g}" if decimal else str(int(value))
    return InputBlock(
        block_id=field.block_id,
        label=label,
        hint=hint,
        element=NumberInputElement(
            action_id=field.action_id,
            is_decimal_allowed=decimal,
            initial_value=shown,
            min_value=f"{low:g}",
            max_value=f"{high:g}",
        ),
    )


def _select(
    field: ids.InputId, label: str, options: list[Option], initial: str, hint: str | None = None
) -> InputBlock:
    chosen = next((o for o in options if o.value == initial), None)
    return InputBlock(
        block_id=field.block_id,
        label=label,
        hint=hint,
        element=StaticSelectElement(
            action_id=field.action_id, options=options, initial_option=chosen
        ),
    )


def _checkin_blocks(settings: ProgramSettings) -> list[Block]:
    """Check-in days, time and reminder budget (issue 10)."""
    days = [_option(day, name) for day, name in enumerate(WEEKDAY_NAMES)]
    times = [_option(minute, label) for minute, label in CHECKIN_TIME_CHOICES]
    reminders = [_option(n, label) for n, label in REMINDER_CHOICES]
    ticked = [o for o in days if (settings.checkin_days >> int(str(o.value))) & 1]
    return [
        InputBlock(
            block_id=ids.PROGRAM_CHECKIN_DAYS.block_id,
            label="Check-in days",
            hint="Check-ins go out on the first of these days in each period.",
            element=CheckboxesElement(
                action_id=ids.PROGRAM_CHECKIN_DAYS.action_id,
                options=days,
                initial_options=ticked or None,
            ),
        ),
        _select(
            ids.PROGRAM_CHECKIN_TIME,
            "Check-in time",
            times,
            str(settings.checkin_minute),
            hint="In each person's own time zone. People may pick their own in Home.",
        ),
        _select(
            ids.PROGRAM_REMINDERS,
            "Reminders per period",
            reminders,
            str(settings.reminders_per_period),
            hint='After "Not yet" or "Snooze", besides the check-in itself.',
        ),
    ]


_CHANNEL_POSTS: tuple[tuple[str, str, str], ...] = (
    (
        ids.PROGRAM_POST_MILESTONES,
        "Celebrate milestones in the channel",
        "When a pair reaches the meetings below, and when a round ends.",
    ),
    (
        ids.PROGRAM_POST_DIGEST,
        "Monthly digest in the channel",
        "Meetings, top skills and stories, on the month's first check-in day.",
    ),
)


def _channel_post_blocks(settings: ProgramSettings) -> list[Block]:
    """Milestones, the digest and the program's zone (issue 11)."""
    posts = [_option(value, text, description) for value, text, description in _CHANNEL_POSTS]
    ticked = {
        ids.PROGRAM_POST_MILESTONES: settings.celebrates_milestones,
        ids.PROGRAM_POST_DIGEST: settings.posts_digest,
    }
    zones = [_option(zone, zone) for zone in COMMON_ZONES]
    zone = settings.timezone or ""
    picked = next((o for o in zones if o.value == zone), None)
    return [
        InputBlock(
            block_id=ids.PROGRAM_CHANNEL_POSTS.block_id,
            label="Channel posts",
            optional=True,
            element=CheckboxesElement(
                action_id=ids.PROGRAM_CHANNEL_POSTS.action_id,
                options=posts,
                initial_options=[o for o in posts if ticked[str(o.value)]] or None,
            ),
        ),
        _number(
            ids.PROGRAM_MILESTONE_MEETINGS,
            "Milestone: meetings",
            settings.milestone_meetings,
            low=MILESTONE_MEETINGS_RANGE[0],
            high=MILESTONE_MEETINGS_RANGE[1],
            hint="A pair is celebrated once when they have met this many times.",
        ),
        InputBlock(
            block_id=ids.PROGRAM_TIMEZONE.block_id,
            label="Program time zone",
            hint="When the digest goes out. Blank: where most members are.",
            optional=True,
            element=StaticSelectElement(
                action_id=ids.PROGRAM_TIMEZONE.action_id,
                options=zones,
                initial_option=picked,
                placeholder="Where most members are",
            ),
        ),
        InputBlock(
            block_id=ids.PROGRAM_TIMEZONE_TYPED.block_id,
            label="Or type a time zone",
            hint="Any IANA name; it wins over the list.",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.PROGRAM_TIMEZONE_TYPED.action_id,
                initial_value=zone if zone and picked is None else None,
                max_length=TIMEZONE_MAX,
                placeholder="e.g. America/Bogota",
            ),
        ),
    ]


def program_form_modal(program_id: int | None, settings: ProgramSettings) -> dict[str, Any]:
    """The form for a new program (`program_id` None, defaults in `settings`) or an edit."""
    cadences = [_option(days, label) for days, label in CADENCE_CHOICES]
    lengths = [_option(weeks, label) for weeks, label in ROUND_WEEK_CHOICES]
    gaps = [
        _option(gap, f"{gap} stage" if gap == 1 else f"{gap} stages") for gap in STAGE_GAP_CHOICES
    ]
    open_options = [
        _option("open", "Open — people can join"),
        _option("closed", "Closed — no new people for now"),
    ]
    priorities = [
        _option(priority.value, *PRIORITY_LABELS[priority])
        for priority in (MatchPriority.HIGHEST_SCORE, MatchPriority.MOST_MATCHED)
    ]
    rules = [_option(value, text, description) for value, text, description in _RULES]
    ticked = {
        ids.PROGRAM_RULE_AUTOMATIC: settings.pairs_automatically,
        ids.PROGRAM_RULE_CONSENT: settings.consent_required,
        ids.PROGRAM_RULE_STORY_APPROVAL: settings.stories_need_approval,
    }
    channel_filter = ConversationFilter(
        include=["public", "private"], exclude_bot_users=True, exclude_external_shared_channels=True
    )
    weights = settings.weight_map
    blocks: list[Block] = [
        InputBlock(
            block_id=ids.PROGRAM_NAME.block_id,
            label="Name",
            element=PlainTextInputElement(
                action_id=ids.PROGRAM_NAME.action_id,
                initial_value=settings.name or None,
                max_length=NAME_MAX,
                placeholder="e.g. Reverse Mentoring Pilot",
            ),
        ),
        InputBlock(
            block_id=ids.PROGRAM_OBJECTIVES.block_id,
            label="Objectives",
            hint="Shown in every introduction.",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.PROGRAM_OBJECTIVES.action_id,
                initial_value=settings.objectives or None,
                multiline=True,
                max_length=OBJECTIVES_MAX,
            ),
        ),
        InputBlock(
            block_id=ids.PROGRAM_CHANNEL.block_id,
            label="Shout-out channel",
            hint="Round news and shared stories go here. For a private channel, "
            "invite the bot first.",
            optional=True,
            element=ConversationSelectElement(
                action_id=ids.PROGRAM_CHANNEL.action_id,
                initial_conversation=settings.channel_id,
                filter=channel_filter,
                placeholder="Pick a channel",
            ),
        ),
        _select(
            ids.PROGRAM_CADENCE,
            "Pairs meet",
            cadences,
            str(settings.cadence_days),
        ),
        _select(
            ids.PROGRAM_ROUND_WEEKS,
            "A round lasts",
            lengths,
            str(settings.round_weeks),
        ),
        InputBlock(
            block_id=ids.PROGRAM_STARTS_ON.block_id,
            label="First round starts",
            optional=True,
            element=DatePickerElement(
                action_id=ids.PROGRAM_STARTS_ON.action_id,
                initial_date=settings.starts_on.isoformat() if settings.starts_on else None,
            ),
        ),
        InputBlock(
            block_id=ids.PROGRAM_OPEN.block_id,
            label="Enrollment",
            element=RadioButtonsElement(
                action_id=ids.PROGRAM_OPEN.action_id,
                options=open_options,
                initial_option=open_options[0 if settings.is_open else 1],
            ),
        ),
        InputBlock(
            block_id=ids.PROGRAM_PRIORITY.block_id,
            label="Matching puts first",
            element=RadioButtonsElement(
                action_id=ids.PROGRAM_PRIORITY.action_id,
                options=priorities,
                initial_option=next(o for o in priorities if o.value == settings.priority.value),
            ),
        ),
        *(
            _number(
                field,
                WEIGHT_LABELS[name][0],
                weights.get(name, 0),
                low=0,
                high=WEIGHT_MAX,
                hint=WEIGHT_LABELS[name][1],
            )
            for name, field in (
                ("learning", ids.PROGRAM_WEIGHT_LEARNING),
                ("giving_back", ids.PROGRAM_WEIGHT_GIVING_BACK),
                ("cross_department", ids.PROGRAM_WEIGHT_CROSS_DEPARTMENT),
                ("working_hours", ids.PROGRAM_WEIGHT_WORKING_HOURS),
            )
        ),
        _select(
            ids.PROGRAM_STAGE_GAP,
            "Career-stage gap, at least",
            gaps,
            str(settings.min_stage_gap),
            hint="How many stages the leader is further along than their reverse mentor.",
        ),
        _number(
            ids.PROGRAM_SHARED_SKILLS,
            "Skills a pair must share",
            settings.min_shared_skills,
            low=SHARED_SKILLS_RANGE[0],
            high=SHARED_SKILLS_RANGE[1],
            hint="Things the reverse mentor can teach that the leader wants to learn.",
        ),
        _number(
            ids.PROGRAM_OVERLAP_HOURS,
            "Shared working hours, at least",
            settings.min_overlap_hours,
            low=OVERLAP_HOURS_RANGE[0],
            high=OVERLAP_HOURS_RANGE[1],
            decimal=True,
            hint="Overlap of both people's 9–5 days, in hours.",
        ),
        InputBlock(
            block_id=ids.PROGRAM_RULES.block_id,
            label="Rounds and stories",
            optional=True,
            element=CheckboxesElement(
                action_id=ids.PROGRAM_RULES.action_id,
                options=rules,
                initial_options=[o for o in rules if ticked[str(o.value)]] or None,
            ),
        ),
        _number(
            ids.PROGRAM_CONSENT_HOURS,
            "Hours to answer a proposed match",
            settings.consent_hours,
            low=CONSENT_HOURS_RANGE[0],
            high=CONSENT_HOURS_RANGE[1],
            hint="When both must agree first: the proposal lapses after this.",
        ),
        *_checkin_blocks(settings),
        *_channel_post_blocks(settings),
    ]
    view = View(
        type="modal",
        callback_id=ids.PROGRAM_EDIT_VIEW,
        title="New program" if program_id is None else "Edit program",
        submit="Save",
        close="Cancel",
        private_metadata=program_metadata(program_id),
        blocks=blocks,
    )
    return view.to_dict()
