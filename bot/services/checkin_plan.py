"""When each partner's check-ins fall: the one place that turns rows into the pure
arithmetic of `bot.worktime` (no I/O here).

Period n of a pair falls n cadences after the intro, counted from the intro's local
date for each partner, on their check-in weekdays at their check-in time: their own
pick from the Home tab where they made one, the program's otherwise.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.db.tables import PairRow, PersonRow, ProgramRow
from bot.matching.overlap import resolve_zone
from bot.worktime import checkin_due_at, checkin_slot


def pair_cadence_days(pair: PairRow, program: ProgramRow) -> int:
    return pair.cadence_days or program.cadence_days


def anchor_day(pair: PairRow, person: PersonRow) -> date:
    """The intro's date on the partner's own calendar."""
    assert pair.introduced_at is not None, "check-ins are planned from the intro"
    return pair.introduced_at.astimezone(resolve_zone(person.timezone)).date()


def plan_due_at(pair: PairRow, program: ProgramRow, person: PersonRow, sequence: int) -> datetime:
    """When period `sequence` of the pair reaches `person` (UTC)."""
    days, minute = checkin_slot(
        program_days=program.checkin_days,
        program_minute=program.checkin_minute,
        own_weekday=person.checkin_weekday,
        own_minute=person.checkin_minute,
    )
    return checkin_due_at(
        anchor=anchor_day(pair, person),
        sequence=sequence,
        cadence_days=pair_cadence_days(pair, program),
        days_mask=days,
        minute=minute,
        timezone=person.timezone,
    )
