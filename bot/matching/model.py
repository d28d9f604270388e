"""What the matching engine takes (candidates, rules, weights) and what it returns."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import CareerStage, MatchPriority, Role


def normalise_key(text: str) -> str:
    """What two skill or department names match on: trimmed, spaces collapsed, case-folded."""
    return " ".join(text.split()).casefold()


def _unique_skills(skills: Iterable[str]) -> tuple[str, ...]:
    """Skills in the order given; blanks and case-insensitive repeats dropped."""
    seen: set[str] = set()
    kept: list[str] = []
    for skill in skills:
        display = " ".join(skill.split())
        key = display.casefold()
        if key and key not in seen:
            seen.add(key)
            kept.append(display)
    return tuple(kept)


@dataclass(frozen=True)
class Candidate:
    """One person who could be matched this round.

    `teaches` and `wants` keep the order and wording the person gave (reasons quote
    them); they are tuples rather than sets so that output never depends on hashing.
    """

    id: str
    role: Role
    career_stage: CareerStage
    name: str = ""
    department: str = ""
    manager_id: str | None = None
    timezone: str = "UTC"
    teaches: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    max_mentees: int = 1
    previous_partners: frozenset[str] = frozenset()
    active: bool = True  # False when paused or left: never matched

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a candidate needs an id")
        if self.max_mentees < 0:
            raise ValueError(f"max_mentees must be 0 or more, got {self.max_mentees}")
        object.__setattr__(self, "teaches", _unique_skills(self.teaches))
        object.__setattr__(self, "wants", _unique_skills(self.wants))

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def timezone_known(self) -> bool:
        """False when no timezone was given: the working-hours overlap is unknown."""
        return bool(self.timezone.strip())

    @property
    def short_name(self) -> str:
        """What reasons call the person: the first word of the name, else the id."""
        return self.name.split()[0] if self.name.strip() else self.id


class Rule(enum.StrEnum):
    """The hard rules a program can relax to see what they cost."""

    STAGE_GAP = "stage_gap"
    MANAGER = "manager"
    PREVIOUS_PARTNER = "previous_partner"
    EXCLUDED_PAIR = "excluded_pair"
    CROSS_DEPARTMENT = "cross_department"
    SHARED_SKILLS = "shared_skills"
    WORKING_HOURS = "working_hours"


@dataclass(frozen=True)
class Constraints:
    """Hard rules for one round.

    `pinned` pairs are (mentor_id, mentee_id) kept no matter what the other rules say;
    `excluded_pairs` are pairs of ids (either order) never matched; `excluded_ids` are
    people left out of the round. `require_cross_department` turns the cross-department
    bonus into a rule: both departments given and different.

    Program settings (not yet columns of the program table):

    - `min_shared_skills`: the mentor must teach at least this many of the things the
      mentee wants (all of them when the mentee wants fewer); a mentee who listed no
      wants is exempt. 0 turns the rule off.
    - `min_overlap_hours`: working hours the two must share; a pair where either
      timezone is unknown is exempt (nothing to measure). 0 turns the rule off.
    - `time_limit`: seconds the search for `either` people's sides may take before it
      returns its best matching with the gap to its bound (only when `match` is given
      a clock; without one, only the work budget stops it, and results are repeatable).
    """

    min_stage_gap: int = 1
    pinned: tuple[tuple[str, str], ...] = ()
    excluded_pairs: tuple[tuple[str, str], ...] = ()
    excluded_ids: frozenset[str] = frozenset()
    require_cross_department: bool = False
    priority: MatchPriority = MatchPriority.MOST_MATCHED
    min_shared_skills: int = 1
    min_overlap_hours: float = 1.0
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        # A reverse pairing needs the mentor strictly below the mentee (PRODUCT §2).
        if not 1 <= self.min_stage_gap <= 4:
            raise ValueError(f"min_stage_gap must be 1 to 4, got {self.min_stage_gap}")
        if not 0 <= self.min_shared_skills <= 100:
            raise ValueError(f"min_shared_skills must be 0 to 100, got {self.min_shared_skills}")
        if not (math.isfinite(self.min_overlap_hours) and 0 <= self.min_overlap_hours <= 8):
            raise ValueError(f"min_overlap_hours must be 0 to 8, got {self.min_overlap_hours}")
        if not (math.isfinite(self.time_limit) and self.time_limit > 0):
            raise ValueError(f"time_limit must be a positive number, got {self.time_limit}")


WEIGHT_NAMES = ("learning", "giving_back", "cross_department", "working_hours")


@dataclass(frozen=True)
class Weights:
    """Points each part of a pair's score can earn; the defaults add up to 100.

    - `learning`: share of what the leader wants to learn that the mentor can teach.
    - `giving_back`: share of what the mentor wants to learn that the leader can teach.
    - `cross_department`: both departments given and different.
    - `working_hours`: overlap of the two 09:00–17:00 local days; 8 hours earns it all.
    """

    learning: float = 60.0
    giving_back: float = 20.0
    cross_department: float = 10.0
    working_hours: float = 10.0

    def __post_init__(self) -> None:
        for name in WEIGHT_NAMES:
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 1000):
                raise ValueError(f"weight {name} must be between 0 and 1000, got {value}")

    @property
    def maximum(self) -> float:
        return self.learning + self.giving_back + self.cross_department + self.working_hours


@dataclass(frozen=True)
class Pair:
    mentor_id: str
    mentee_id: str
    score: float
    shared_skills: tuple[str, ...]  # what the mentee wants that the mentor teaches
    reasons: tuple[str, ...]
    pinned: bool = False


@dataclass(frozen=True)
class Unmatched:
    id: str
    reason: str


@dataclass(frozen=True)
class ConstraintCost:
    """What relaxing one rule would change (re-solved at the optimum)."""

    rule: Rule
    extra_pairs: int
    extra_score: float


@dataclass(frozen=True)
class MatchSummary:
    """Counts for the round.

    `optimal` is True only when the pairs are proven the best possible for the
    program's priority: always without `either` people (an exact assignment), and with
    them whenever the search of `bot.matching.sides` closes its bound within its work
    limit. When False, (`bound_pairs`, `bound_score`) is an upper bound valid for every
    matching of the round: none beats it in the priority's order (pairs then score
    under MOST_MATCHED, score then pairs under HIGHEST_SCORE), so the result is at most
    that far from the optimum. When `optimal`, it equals the result.
    `constraint_costs` is None when the input was too large to re-solve per rule.
    `stopped_by` says what ended an unproven search: "time limit" or "work limit".
    """

    people: int
    pairs: int
    people_matched: int
    unmatched: int
    total_score: float
    optimal: bool
    bound_pairs: int
    bound_score: float
    constraint_costs: tuple[ConstraintCost, ...] | None
    notes: tuple[str, ...] = ()
    stopped_by: str | None = None

    @property
    def gap_percent(self) -> float:
        """How far below the bound the total score can be at most, in % of the bound."""
        if self.optimal or self.bound_score <= 0:
            return 0.0
        return max(0.0, self.bound_score - self.total_score) / self.bound_score * 100


@dataclass(frozen=True)
class MatchResult:
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    summary: MatchSummary
