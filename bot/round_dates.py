"""When a program's next pairing round starts: pure date arithmetic, no clock, no I/O."""

from __future__ import annotations

from datetime import date, timedelta


def get_next_round_date(
    *,
    starts_on: date | None,
    round_weeks: int,
    last_round_ends_on: date | None,
    pairs_automatically: bool,
    today: date,
) -> date | None:
    """The day the next round starts, or None when only the program's admins can say.

    The next round follows the last one (its end), or the program's start when no round
    has run yet. Once that day has passed, only a program that pairs automatically keeps
    a calendar (a round every `round_weeks` from it); otherwise an admin starts the next
    round when they choose, and no date is promised.
    """
    anchor = last_round_ends_on or starts_on
    if anchor is None:
        return None
    if anchor >= today:
        return anchor
    if not pairs_automatically or round_weeks < 1:
        return None
    step = timedelta(weeks=round_weeks)
    rounds_missed = -(-(today - anchor).days // step.days)  # ceiling division
    return anchor + rounds_missed * step
