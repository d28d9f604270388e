"""Working-hours arithmetic: pure, aware datetimes only, DST-safe through `zoneinfo`.

A working day is 09:00–17:00 local time, Monday to Friday. Slots are found by walking
UTC in steps and asking each zone what its wall clock says, so a daylight-saving change
(a 23- or 25-hour day) needs no special case: 09:00 local is wherever it falls that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WORKDAY_START = time(9, 0)
WORKDAY_END = time(17, 0)
SLOT_STEP = timedelta(minutes=30)
SEARCH_DAYS = 21  # beyond three weeks two zones share no weekday hours at all


def get_zone(name: str) -> ZoneInfo:
    """The zone for an IANA name; UTC when the name is blank or unknown."""
    try:
        return ZoneInfo(name.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


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
    resolved = [get_zone(name) for name in zones] or [ZoneInfo("UTC")]
    slots: list[datetime] = []
    days_taken: set[object] = set()
    moment = _round_up(after, SLOT_STEP)
    last = after + timedelta(days=SEARCH_DAYS)
    while moment < last and len(slots) < count:
        if all(is_working_time(moment, zone, length=length) for zone in resolved):
            day = moment.astimezone(UTC).date()
            if not one_per_day or day not in days_taken:
                slots.append(moment.astimezone(UTC))
                days_taken.add(day)
                # Next day's search starts after this slot's UTC day ends.
                if one_per_day:
                    moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
                    continue
        moment += SLOT_STEP
    return slots


def format_local(moment: datetime, zone_name: str) -> str:
    """ "Tue 1 Dec, 10:00 (Europe/Berlin)": a time as one zone's wall clock shows it."""
    local = moment.astimezone(get_zone(zone_name))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} ({zone_name or 'UTC'})"
