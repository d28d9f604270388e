"""Parsers of the check-in settings' picks (Home selects). Pure, untrusted-input safe."""

from __future__ import annotations

from bot.domain import WEEKDAY_NAMES
from bot.slack.views.checkin_settings import CHECKIN_TIME_CHOICES, PROGRAM_CHOICE


class NotAChoice:
    """A value that is none of our options (forged or stale): nothing changes."""


NOT_A_CHOICE = NotAChoice()


def parse_checkin_day_choice(value: object) -> int | NotAChoice | None:
    """ "program" -> None (the program's days); "0".."4" -> that weekday."""
    if value == PROGRAM_CHOICE:
        return None
    allowed = {str(day): day for day in range(len(WEEKDAY_NAMES))}
    return allowed.get(value, NOT_A_CHOICE) if isinstance(value, str) else NOT_A_CHOICE


def parse_checkin_time_choice(value: object) -> int | NotAChoice | None:
    """ "program" -> None (the program's time); minutes after midnight -> those."""
    if value == PROGRAM_CHOICE:
        return None
    allowed = {str(minute): minute for minute, _label in CHECKIN_TIME_CHOICES}
    return allowed.get(value, NOT_A_CHOICE) if isinstance(value, str) else NOT_A_CHOICE
