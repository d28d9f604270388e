"""The report's participation chart: weekly counts drawn as a PNG. Pure (bytes out).

matplotlib's object API with the Agg canvas, never pyplot: no display, no global
figure state, safe in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

# One colour a line, told apart by shape too (a reader with colour-blindness).
_LINES = (
    ("enrolled", "Enrolled", "#4a154b", "-"),
    ("matched", "In a pair", "#1264a3", "--"),
    ("met", "Met that week", "#2eb67d", ":"),
)


@dataclass(frozen=True)
class WeekCounts:
    """People enrolled, in an introduced pair, and in a pair that met, in one week."""

    week: date  # the Monday that starts it
    enrolled: int
    matched: int
    met: int


def participation_png(weeks: Sequence[WeekCounts], *, title: str) -> bytes:
    """A line per count, a point per week; a PNG's bytes."""
    # Imported here: matplotlib takes 0.4 s to import, which every `mentorbot` command
    # and server start would otherwise pay for a chart drawn once a month.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    days = np.array([w.week for w in weeks], dtype="datetime64[D]")
    for field, label, colour, style in _LINES:
        axes.plot(days, [getattr(w, field) for w in weeks], style, color=colour,
                  label=label, marker="o", markersize=3)  # fmt: skip
    axes.set_title(title)
    axes.set_ylabel("People")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", frameon=False)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
