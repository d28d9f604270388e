"""Check-in settings as people pick them: a program's days, time and reminder budget
(the program form), and a participant's own day and time (the Home tab). Pure.

Times run from 08:00 to 16:30 local every half hour, never at night; days are weekdays.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain import CHECKIN_MINUTE_RANGE, REMINDERS_PER_PERIOD_MAX, WEEKDAY_NAMES
from bot.slack import ids
from bot.slack.text import slack_date

PROGRAM_CHOICE = "program"  # a Home select's "the program's" option


def checkin_time_label(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


CHECKIN_TIME_CHOICES: tuple[tuple[int, str], ...] = tuple(
    (minute, checkin_time_label(minute))
    for minute in range(CHECKIN_MINUTE_RANGE[0], CHECKIN_MINUTE_RANGE[1] + 1, 30)
)
REMINDER_CHOICES: tuple[tuple[int, str], ...] = tuple(
    (n, "No reminders" if n == 0 else f"{n} reminder" + ("s" if n > 1 else ""))
    for n in range(REMINDERS_PER_PERIOD_MAX + 1)
)


def _options(choices: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=text) for value, text in choices]


def checkin_settings_blocks(
    *, weekday: int | None, minute: int | None, next_checkin_at: datetime | None
) -> list[Block]:
    """The Home tab's "Your check-ins": the next one (in the reader's zone, by Slack's
    date formatting) and the two selects, each defaulting to the program's."""
    days = _options(
        [(PROGRAM_CHOICE, "Program's days")]
        + [(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]
    )
    times = _options(
        [(PROGRAM_CHOICE, "Program's time")]
        + [(str(value), label) for value, label in CHECKIN_TIME_CHOICES]
    )
    day_value = PROGRAM_CHOICE if weekday is None else str(weekday)
    time_value = PROGRAM_CHOICE if minute is None else str(minute)
    next_line = (
        f"Next: {slack_date(next_checkin_at)}"
        if next_checkin_at is not None
        else "None scheduled right now."
    )
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Your check-ins* · one for all your programs, in your time zone\n{next_line}"
            )
        ),
        ActionsBlock(
            elements=[
                StaticSelectElement(
                    action_id=ids.HOME_CHECKIN_DAY,
                    placeholder="Your check-in day",
                    options=days,
                    initial_option=next((o for o in days if o.value == day_value), None),
                ),
                StaticSelectElement(
                    action_id=ids.HOME_CHECKIN_TIME,
                    placeholder="Your check-in time",
                    options=times,
                    initial_option=next((o for o in times if o.value == time_value), None),
                ),
            ]
        ),
    ]
