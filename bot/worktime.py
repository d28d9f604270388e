"""Working-hours arithmetic: pure, aware datetimes only, DST-safe through `zoneinfo`.

A working day is 09:00–17:00 local time, Monday to Friday. Slots are found by walking
UTC in steps and asking each zone what its wall clock says, so a daylight-saving change
(a 23- or 25-hour day) needs no special case: 09:00 local is wherever it falls that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import ALL_WEEKDAYS_MASK
from bot.matching.overlap import WORKDAY_END, WORKDAY_START, resolve_zone

SLOT_STEP = timedelta(minutes=30)
SEARCH_DAYS = 21  # beyond three weeks two zones share no weekday hours at all


def is_working_time(moment: datetime, zone: ZoneInfo, *, length: timedelta) -> bool:
    """True when [moment, moment + length) lies inside one local working day."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    start = moment.astimezone(zone)
    end = (moment + length).astimezone(zone)
    if start.weekday() >= 5 or start.date() != end.date():
        return False
    return start.time() >= WORKDAY_START and end.time() <= WORKDAY_END


def _round_up(moment: datetime, step: timedelta) -> datetime:
    """The first multiple of `step` (counted from the epoch, in UTC) at or after `moment`."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    steps = -((epoch - moment.astimezone(UTC)) // step)
    return epoch + steps * step


def list_common_slots(
    zones: Sequence[str],
    *,
    after: datetime,
    count: int = 3,
    length: timedelta = timedelta(minutes=30),
    one_per_day: bool = True,
) -> list[datetime]:
    """The first `count` start times (UTC) after `after` inside everyone's working day.

    With `one_per_day`, at most one slot per UTC day, so the choices spread over
    several days. Fewer than `count` when the zones share too little (e.g. none).
    """
    if after.tzinfo is None:
        raise ValueError("naive datetime")
    resolved = [resolve_zone(name) for name in zones] or [ZoneInfo("UTC")]
    slots: list[datetime] = []
    moment = _round_up(after, SLOT_STEP)
    last = after + timedelta(days=SEARCH_DAYS)
    while moment < last and len(slots) < count:
        if all(is_working_time(moment, zone, length=length) for zone in resolved):
            slots.append(moment.astimezone(UTC))
            if one_per_day:  # the search goes on once this slot's UTC day has ended
                day = moment.astimezone(UTC).date()
                moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
                continue
        moment += SLOT_STEP
    return slots


def format_local(moment: datetime, zone_name: str) -> str:
    """ "Tue 1 Dec, 10:00 (Europe/Berlin)": a time as one zone's wall clock shows it."""
    local = moment.astimezone(resolve_zone(zone_name))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} ({zone_name or 'UTC'})"


# --- when a nudge may reach someone (PRODUCT §5: weekdays, local working hours) ---


def next_working_time(at: datetime, *, timezone: str) -> datetime:
    """`at` if it falls in the person's working hours, else the next weekday's start.

    Pure. The local start is built on the local date, so a daylight-saving change moves
    it with the clocks (09:00 stays 09:00). An unknown zone counts as UTC.
    """
    zone = resolve_zone(timezone)
    local = at.astimezone(zone)
    if local.weekday() < 5 and WORKDAY_START <= local.time() < WORKDAY_END:
        return at
    day = local.date()
    if local.time() >= WORKDAY_START or local.weekday() >= 5:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, WORKDAY_START, tzinfo=zone)
    return start.astimezone(at.tzinfo)


def last_working_time(at: datetime, *, timezone: str) -> datetime:
    """`at` if it falls in working hours, else the last hour of the working day before.

    Pure. An hour before the day ends, so a nudge sent then can still be acted on.
    """
    zone = resolve_zone(timezone)
    local = at.astimezone(zone)
    if local.weekday() < 5 and WORKDAY_START <= local.time() < WORKDAY_END:
        return at
    day = local.date()
    if local.time() < WORKDAY_END or local.weekday() >= 5:
        day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    late = (datetime.combine(day, WORKDAY_END) - timedelta(hours=1)).time()
    return datetime.combine(day, late, tzinfo=zone).astimezone(at.tzinfo)


def reminder_time(*, sent_at: datetime, due_at: datetime, timezone: str) -> datetime | None:
    """When to remind someone of a question open from `sent_at` to `due_at`. Pure.

    Half-way, moved into their working hours: forward if that leaves them an hour
    before it closes, else back to the working hours before (a proposal sent on
    Thursday that closes on Sunday is recalled on Friday, not over the weekend).
    None when no working hours fall in between.
    """
    half = sent_at + (due_at - sent_at) / 2
    later = next_working_time(half, timezone=timezone)
    if later <= due_at - timedelta(hours=1):
        return later
    earlier = last_working_time(half, timezone=timezone)
    return earlier if earlier > sent_at else None


# --- check-ins (issue 10): a local time on allowed weekdays, one period at a time ----


def local_instant(day: date, minute: int, *, timezone: str) -> datetime:
    """`day` at `minute` past local midnight in the zone, as a UTC instant. Pure.

    A wall time that does not exist (the hour skipped when clocks go forward) comes out
    that much later (02:30 becomes 03:30); one that happens twice (clocks go back) is
    its first occurrence. Both by zoneinfo's fold=0 rule.
    """
    at = time(minute // 60, minute % 60)
    return datetime.combine(day, at, tzinfo=resolve_zone(timezone)).astimezone(UTC)


def allowed_weekday(day: date, days_mask: int) -> date:
    """`day` itself if its weekday is in the mask (bit 0 = Monday), else the next that is."""
    if not days_mask & ALL_WEEKDAYS_MASK:
        raise ValueError("no check-in weekday allowed")
    while not (days_mask >> day.weekday()) & 1:
        day += timedelta(days=1)
    return day


def checkin_due_at(
    *,
    anchor: date,
    sequence: int,
    cadence_days: int,
    days_mask: int,
    minute: int,
    timezone: str,
) -> datetime:
    """When period `sequence` (1, 2, …) of a pair reaches one partner. Pure.

    `anchor` is the intro's local date for that partner; period n falls `n` cadences
    later, on the first allowed weekday from there, at the local check-in time. Counted
    from the anchor, not from the last check-in, so a period moved past a weekend never
    pushes the ones after it.
    """
    if sequence < 1 or cadence_days < 1:
        raise ValueError("sequence and cadence start at 1")
    day = allowed_weekday(anchor + timedelta(days=sequence * cadence_days), days_mask)
    return local_instant(day, minute, timezone=timezone)


def checkin_slot(
    *, program_days: int, program_minute: int, own_weekday: int | None, own_minute: int | None
) -> tuple[int, int]:
    """(weekday mask, minute) a person's check-ins use: their own pick where they made
    one (Home tab), the program's otherwise."""
    days = program_days if own_weekday is None else 1 << own_weekday
    return days, program_minute if own_minute is None else own_minute


def pair_cadence(*, program_days: int, mentor_days: int | None, leader_days: int | None) -> int:
    """How often a pair is checked in on: the less frequent of the two partners' choices
    (each None: the program's), so neither is asked more often than they chose."""
    return max(program_days if d is None else d for d in (mentor_days, leader_days))


def later_checkin_at(
    after: datetime, *, working_days: int, days_mask: int, minute: int, timezone: str
) -> datetime:
    """A reminder's time: `working_days` weekdays after `after`'s local date (3 for
    "Not yet", 5 for "Snooze a week"), moved to an allowed weekday, at the check-in time."""
    day = after.astimezone(resolve_zone(timezone)).date()
    left = working_days
    while left:
        day += timedelta(days=1)
        left -= day.weekday() < 5
    return local_instant(allowed_weekday(day, days_mask), minute, timezone=timezone)


def is_timely(due_at: datetime, now: datetime, *, timezone: str) -> bool:
    """A late check-in is still worth sending until its local working day ends; after
    that (the process was down overnight) it is stale and skipped, with a record."""
    local_day = due_at.astimezone(resolve_zone(timezone)).date()
    day_end = datetime.combine(local_day, WORKDAY_END, tzinfo=resolve_zone(timezone))
    return now < day_end
