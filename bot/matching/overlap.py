"""Working-hours overlap between timezones.

Everyone is taken to work 09:00–17:00 local time. The overlap of two zones is measured
on a reference date given by the caller (so DST is the one in force that day), and the
other zone's previous and next day count too: Tokyo's Tuesday morning overlaps Los
Angeles's Monday afternoon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

WORKDAY_START = dt.time(9)
WORKDAY_END = dt.time(17)
WORKDAY_HOURS = 8.0
_UTC = ZoneInfo("UTC")


def get_zone(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def resolve_zone(name: str) -> ZoneInfo:
    """The zone called `name`; UTC when it is blank or unknown."""
    return get_zone(name) or _UTC


def overlap_hours(zones: Sequence[ZoneInfo], *, on: dt.date) -> NDArray[np.float64]:
    """Hours of shared working time for every pair of zones (a symmetric matrix)."""
    starts = np.array([_hour_stamp(on, WORKDAY_START, zone) for zone in zones])
    ends = np.array([_hour_stamp(on, WORKDAY_END, zone) for zone in zones])
    total = np.zeros((len(zones), len(zones)))
    # The other zone's day before, same day and day after: at most one of them overlaps.
    for shift in (-24.0, 0.0, 24.0):
        latest_start = np.maximum(starts[:, None], starts[None, :] + shift)
        earliest_end = np.minimum(ends[:, None], ends[None, :] + shift)
        total += np.clip(earliest_end - latest_start, 0.0, None)
    return total


def _hour_stamp(day: dt.date, at: dt.time, zone: ZoneInfo) -> float:
    return dt.datetime.combine(day, at, tzinfo=zone).timestamp() / 3600.0
