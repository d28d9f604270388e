"""The participation chart: a PNG of the weekly counts, drawn without a display."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta

from bot.charts import WeekCounts, participation_png
from bot.services.report_weeks import WEEKS_MAX, list_weeks
from bot.services.reports import Period, Window


def test_the_chart_is_a_png_of_its_size_even_with_no_weeks() -> None:
    weeks = [WeekCounts(date(2026, 9, 7) + timedelta(weeks=n), 12, 6, n % 3) for n in range(13)]
    for series in (weeks, []):
        png = participation_png(series, title="Pilot <team>")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
        assert (width, height) == (800, 400)


def test_weeks_are_the_mondays_the_period_touches_and_at_most_a_year() -> None:
    start = datetime(2026, 9, 1, 9, tzinfo=UTC)  # a Tuesday
    window = Window(Period.ALL, start, start + timedelta(days=13))  # to Monday 14 Sep
    assert list_weeks(window) == [date(2026, 8, 31), date(2026, 9, 7), date(2026, 9, 14)]
    long = Window(Period.ALL, start - timedelta(weeks=100), start)
    weeks = list_weeks(long)
    assert len(weeks) == WEEKS_MAX and weeks[-1] == date(2026, 8, 31)
