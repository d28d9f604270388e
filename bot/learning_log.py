"""Plain values about private reflections, shared by the service and the views.

Only the author ever receives a `LogEntry` or a `ReflectionDraft` (their own text);
admins get `ReflectionStats` (counts and ratings per program, never text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class PairChoice:
    """One of the author's pairs, as the reflection modal offers it."""

    pair_id: int
    program_id: int
    partner_name: str
    introduced_on: date | None = None  # in the author's zone; no meeting before it


@dataclass(frozen=True)
class TopicChoice:
    """A skill either partner teaches or wants to learn, in the pair's program."""

    id: int
    name: str
    program_id: int


@dataclass(frozen=True)
class ReflectionDraft:
    """The author's own reflection, to prefill the modal for an edit."""

    reflection_id: int
    met_on: date | None = None
    learned: str = ""
    taught: str = ""
    try_next: str = ""
    rating: int | None = None
    topics: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReflectionContext:
    """What the reflection modal may offer, and what a submission is checked against.

    `pairs` are the author's current pairs, or just the fixed one (from a check-in or
    the reflection being edited); `fixed` means no partner choice is shown.
    """

    program_id: int
    today: date  # in the author's own zone
    pairs: tuple[PairChoice, ...] = ()
    fixed: bool = False
    topics: tuple[TopicChoice, ...] = ()
    draft: ReflectionDraft | None = None

    def pair(self, pair_id: int | None) -> PairChoice | None:
        return next((p for p in self.pairs if p.pair_id == pair_id), None)


@dataclass(frozen=True)
class LogEntry:
    """One line of the author's learning log: their own words, for their eyes only."""

    id: int
    created_at: datetime
    met_on: date | None
    partner_name: str  # first name; "" when none
    learned: str = ""
    taught: str = ""
    try_next: str = ""
    rating: int | None = None


@dataclass(frozen=True)
class LearningLog:
    total: int
    entries: tuple[LogEntry, ...] = ()  # newest first


@dataclass(frozen=True)
class ReflectionStats:
    """A program's reflections in aggregate: what admins may see."""

    count: int
    average_rating: float | None  # None: none rated
    raters: int = 0  # distinct authors who gave a rating
