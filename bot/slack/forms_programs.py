"""Parser of the program form (`/mentor admin` → New program / Edit): settings or errors.

Pure and untrusted-input safe like `bot.slack.forms`: a wrong shape is a missing
answer, never an exception; errors are `{block_id: message}` for `response_action: errors`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain import WEEKDAY_NAMES, MatchPriority
from bot.matching.model import WEIGHT_NAMES
from bot.matching.overlap import get_zone
from bot.slack import ids
from bot.slack.forms import (
    FormErrors,
    _free_text,
    _raw_text,
    _selected,
    _selected_many,
    metadata_object,
)
from bot.slack.views.checkin_settings import CHECKIN_TIME_CHOICES, REMINDER_CHOICES
from bot.slack.views.models import ProgramSettings
from bot.slack.views.programs import (
    CADENCE_CHOICES,
    COMMON_ZONES,
    CONSENT_HOURS_RANGE,
    MILESTONE_MEETINGS_RANGE,
    NAME_MAX,
    OBJECTIVES_MAX,
    OVERLAP_HOURS_RANGE,
    ROUND_WEEK_CHOICES,
    SHARED_SKILLS_RANGE,
    STAGE_GAP_CHOICES,
    TIMEZONE_MAX,
    WEIGHT_MAX,
)

_INT = re.compile(r"[0-9]{1,6}")
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,3})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,31}")  # a public or private channel id

WEIGHT_FIELDS: dict[str, ids.InputId] = {
    "learning": ids.PROGRAM_WEIGHT_LEARNING,
    "giving_back": ids.PROGRAM_WEIGHT_GIVING_BACK,
    "cross_department": ids.PROGRAM_WEIGHT_CROSS_DEPARTMENT,
    "working_hours": ids.PROGRAM_WEIGHT_WORKING_HOURS,
}
assert tuple(WEIGHT_FIELDS) == WEIGHT_NAMES


@dataclass(frozen=True)
class ProgramFormTarget:
    """What the form's private_metadata says it edits: a program id, or None for new."""

    program_id: int | None


def name_key(name: str) -> str:
    """A program name's identity in its workspace: case and spacing don't count."""
    return " ".join(name.casefold().split())


def parse_program_metadata(private_metadata: object) -> ProgramFormTarget | None:
    """`{"program_id": N}` or `{"program_id": null}`; None when it is anything else."""
    data = metadata_object(private_metadata)
    if data is None or set(data) != {"program_id"}:
        return None
    program_id = data["program_id"]
    if program_id is None:
        return ProgramFormTarget(None)
    if type(program_id) is not int or program_id < 1:  # bool is an int in Python
        return None
    return ProgramFormTarget(program_id)


def _number(text: str, *, decimal: bool) -> float | None:
    text = text.strip()
    pattern = _DECIMAL if decimal else _INT
    if not pattern.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _read_number(
    values: object,
    field: ids.InputId,
    *,
    low: float,
    high: float,
    decimal: bool,
    what: str,
    errors: FormErrors,
) -> float | None:
    raw = _raw_text(values, field)
    if not raw.strip():
        errors[field.block_id] = f"Enter {what}."
        return None
    value = _number(raw, decimal=decimal)
    low_text, high_text = f"{low:g}", f"{high:g}"
    if value is None:
        kind = "a number" if decimal else "a whole number"
        errors[field.block_id] = f"Enter {kind} from {low_text} to {high_text}."
        return None
    if not low <= value <= high:
        errors[field.block_id] = f"Pick from {low_text} to {high_text}."
        return None
    return value


def _read_choice(
    values: object, field: ids.InputId, choices: Iterable[int], *, message: str, errors: FormErrors
) -> int | None:
    raw = _selected(values, field)
    allowed = {str(choice): choice for choice in choices}
    if raw is None or raw not in allowed:
        errors[field.block_id] = message
        return None
    return allowed[raw]


def _read_date(
    values: object, *, today: date, current: date | None, errors: FormErrors
) -> date | None:
    element = values.get(ids.PROGRAM_STARTS_ON.block_id) if isinstance(values, Mapping) else None
    picked = None
    if isinstance(element, Mapping):
        inner = element.get(ids.PROGRAM_STARTS_ON.action_id)
        if isinstance(inner, Mapping):
            picked = inner.get("selected_date")
    if picked is None:
        return None
    if not isinstance(picked, str) or not _DATE.fullmatch(picked):
        errors[ids.PROGRAM_STARTS_ON.block_id] = "Pick a date from the calendar."
        return None
    try:
        day = date.fromisoformat(picked)
    except ValueError:
        errors[ids.PROGRAM_STARTS_ON.block_id] = "Pick a date from the calendar."
        return None
    # An existing program may keep a start date that has passed; a new one can't pick one.
    if day < today and day != current:
        errors[ids.PROGRAM_STARTS_ON.block_id] = "Pick today or a later date."
        return None
    return day


def _read_channel(values: object, errors: FormErrors) -> str | None:
    """The picked channel id; None when none, or when the pick is not a channel (an error)."""
    element = values.get(ids.PROGRAM_CHANNEL.block_id) if isinstance(values, Mapping) else None
    picked = None
    if isinstance(element, Mapping):
        inner = element.get(ids.PROGRAM_CHANNEL.action_id)
        if isinstance(inner, Mapping):
            picked = inner.get("selected_conversation")
    if picked is None:
        return None
    if isinstance(picked, str) and _CHANNEL.fullmatch(picked):
        return picked
    errors[ids.PROGRAM_CHANNEL.block_id] = "Pick a channel (not a direct message)."
    return None


def _read_checkin_days(values: object, errors: FormErrors) -> int | None:
    """The ticked weekdays as a bit mask (Monday = bit 0); at least one."""
    picked = _selected_many(values, ids.PROGRAM_CHECKIN_DAYS)
    allowed = {str(day) for day in range(len(WEEKDAY_NAMES))}
    if picked is None or not set(picked) <= allowed:
        errors[ids.PROGRAM_CHECKIN_DAYS.block_id] = "Tick the weekdays check-ins may go out."
        return None
    if not picked:
        errors[ids.PROGRAM_CHECKIN_DAYS.block_id] = "Tick at least one day."
        return None
    return sum(1 << int(day) for day in set(picked))


def _read_timezone(values: object, errors: FormErrors) -> str | None:
    """The program's zone: the typed name (it wins) or the pick; None when neither.

    A typed name must be an IANA zone this machine knows (zoneinfo), as written:
    Slack's users.info gives zones in that spelling, so the digest's local time is
    the one members see.
    """
    typed = _raw_text(values, ids.PROGRAM_TIMEZONE_TYPED).strip()
    if typed:
        if len(typed) > TIMEZONE_MAX or not _ZONE_NAME.fullmatch(typed) or get_zone(typed) is None:
            errors[ids.PROGRAM_TIMEZONE_TYPED.block_id] = (
                "That's not a time zone we know. Try a name like Europe/Berlin."
            )
            return None
        return typed
    picked = _selected(values, ids.PROGRAM_TIMEZONE)
    if picked is None:
        return None
    if picked not in COMMON_ZONES:
        errors[ids.PROGRAM_TIMEZONE.block_id] = "Pick a time zone from the list."
        return None
    return picked


def parse_program_form(
    values: object,
    *,
    taken_names: Iterable[str],
    today: date,
    current_starts_on: date | None = None,
) -> ProgramSettings | FormErrors:
    """Read the program form (`view.state.values`).

    `taken_names`: the names of the workspace's other programs (a name is unique per
    workspace, case and spacing aside). `today` is the admin's date, for the start date.
    """
    errors: FormErrors = {}
    name = _free_text(values, ids.PROGRAM_NAME, multiline=False, what="The name", errors=errors)
    if ids.PROGRAM_NAME.block_id not in errors:
        if not name:
            errors[ids.PROGRAM_NAME.block_id] = "Give the program a name."
        elif len(name) > NAME_MAX:
            errors[ids.PROGRAM_NAME.block_id] = f"Keep the name to {NAME_MAX} characters."
        elif name_key(name) in {name_key(taken) for taken in taken_names}:
            errors[ids.PROGRAM_NAME.block_id] = (
                f"There's already a program called “{name}”. Pick another name."
            )
    objectives = _free_text(
        values, ids.PROGRAM_OBJECTIVES, multiline=True, what="The objectives", errors=errors
    )
    if len(objectives) > OBJECTIVES_MAX:
        errors[ids.PROGRAM_OBJECTIVES.block_id] = (
            f"Keep the objectives to {OBJECTIVES_MAX} characters — they go into every intro."
        )

    channel = _read_channel(values, errors)
    cadence = _read_choice(
        values,
        ids.PROGRAM_CADENCE,
        (d for d, _ in CADENCE_CHOICES),
        message="Choose how often pairs meet.",
        errors=errors,
    )
    round_weeks = _read_choice(
        values,
        ids.PROGRAM_ROUND_WEEKS,
        (w for w, _ in ROUND_WEEK_CHOICES),
        message="Choose how long a round lasts.",
        errors=errors,
    )
    starts_on = _read_date(values, today=today, current=current_starts_on, errors=errors)

    open_answer = _selected(values, ids.PROGRAM_OPEN)
    if open_answer not in ("open", "closed"):
        errors[ids.PROGRAM_OPEN.block_id] = "Choose whether people can join now."
    chosen_priority = _selected(values, ids.PROGRAM_PRIORITY)
    priority = next((p for p in MatchPriority if p.value == chosen_priority), None)
    if priority is None:
        errors[ids.PROGRAM_PRIORITY.block_id] = "Choose what matching puts first."

    weights: dict[str, float] = {}
    for weight_name, field in WEIGHT_FIELDS.items():
        value = _read_number(
            values, field, low=0, high=WEIGHT_MAX, decimal=False, what="a weight", errors=errors
        )
        if value is not None:
            weights[weight_name] = value
    if len(weights) == len(WEIGHT_FIELDS) and not any(weights.values()):
        errors[ids.PROGRAM_WEIGHT_LEARNING.block_id] = "Give at least one weight more than 0."

    stage_gap = _read_choice(
        values,
        ids.PROGRAM_STAGE_GAP,
        STAGE_GAP_CHOICES,
        message="Choose the career-stage gap.",
        errors=errors,
    )
    shared_skills = _read_number(
        values,
        ids.PROGRAM_SHARED_SKILLS,
        low=SHARED_SKILLS_RANGE[0],
        high=SHARED_SKILLS_RANGE[1],
        decimal=False,
        what="how many skills a pair must share",
        errors=errors,
    )
    overlap = _read_number(
        values,
        ids.PROGRAM_OVERLAP_HOURS,
        low=OVERLAP_HOURS_RANGE[0],
        high=OVERLAP_HOURS_RANGE[1],
        decimal=True,
        what="the shared working hours",
        errors=errors,
    )
    rules = set(_selected_many(values, ids.PROGRAM_RULES) or [])
    consent_hours = _read_number(
        values,
        ids.PROGRAM_CONSENT_HOURS,
        low=CONSENT_HOURS_RANGE[0],
        high=CONSENT_HOURS_RANGE[1],
        decimal=False,
        what="the hours to answer",
        errors=errors,
    )

    checkin_days = _read_checkin_days(values, errors)
    checkin_minute = _read_choice(
        values,
        ids.PROGRAM_CHECKIN_TIME,
        (minute for minute, _ in CHECKIN_TIME_CHOICES),
        message="Choose the check-in time.",
        errors=errors,
    )
    reminders = _read_choice(
        values,
        ids.PROGRAM_REMINDERS,
        (n for n, _ in REMINDER_CHOICES),
        message="Choose how many reminders a period may have.",
        errors=errors,
    )

    posts = set(_selected_many(values, ids.PROGRAM_CHANNEL_POSTS) or [])
    milestone_meetings = _read_number(
        values,
        ids.PROGRAM_MILESTONE_MEETINGS,
        low=MILESTONE_MEETINGS_RANGE[0],
        high=MILESTONE_MEETINGS_RANGE[1],
        decimal=False,
        what="how many meetings make a milestone",
        errors=errors,
    )
    timezone = _read_timezone(values, errors)

    if (
        errors
        or milestone_meetings is None
        or checkin_days is None
        or checkin_minute is None
        or reminders is None
        or cadence is None
        or round_weeks is None
        or priority is None
        or stage_gap is None
        or shared_skills is None
        or overlap is None
        or consent_hours is None
    ):
        return errors
    return ProgramSettings(
        name=name,
        objectives=objectives,
        channel_id=channel,
        cadence_days=cadence,
        round_weeks=round_weeks,
        starts_on=starts_on,
        is_open=open_answer == "open",
        priority=priority,
        weights=tuple((weight_name, weights[weight_name]) for weight_name in WEIGHT_NAMES),
        min_stage_gap=stage_gap,
        min_shared_skills=int(shared_skills),
        min_overlap_hours=overlap,
        pairs_automatically=ids.PROGRAM_RULE_AUTOMATIC in rules,
        consent_required=ids.PROGRAM_RULE_CONSENT in rules,
        consent_hours=int(consent_hours),
        stories_need_approval=ids.PROGRAM_RULE_STORY_APPROVAL in rules,
        checkin_days=checkin_days,
        checkin_minute=checkin_minute,
        reminders_per_period=reminders,
        celebrates_milestones=ids.PROGRAM_POST_MILESTONES in posts,
        milestone_meetings=int(milestone_meetings),
        posts_digest=ids.PROGRAM_POST_DIGEST in posts,
        timezone=timezone,
    )
