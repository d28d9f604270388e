"""Plain-Python versions of the matching rules and score, and a brute-force optimum.

Written pair by pair, without numpy, so that the vectorised engine is checked against
an independent reading of the rules.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from unittest import mock

from bot.domain import MatchPriority, Role
from bot.matching import Candidate, Constraints, Weights, sides
from bot.matching.overlap import resolve_zone

MENTEE_ROLES = (Role.MENTEE, Role.EITHER)
MENTOR_ROLES = (Role.MENTOR, Role.EITHER)


def key(text: str) -> str:
    return " ".join(text.split()).casefold()


def available(candidates: Sequence[Candidate], constraints: Constraints) -> list[Candidate]:
    return [c for c in candidates if c.active and c.id not in constraints.excluded_ids]


def allowed(mentor: Candidate, mentee: Candidate, constraints: Constraints, on: dt.date) -> bool:
    if mentor.id == mentee.id:
        return False
    if mentor.career_stage + constraints.min_stage_gap > mentee.career_stage:
        return False
    if mentor.manager_id == mentee.id or mentee.manager_id == mentor.id:
        return False
    if mentee.id in mentor.previous_partners or mentor.id in mentee.previous_partners:
        return False
    for a, b in constraints.excluded_pairs:
        if {a, b} == {mentor.id, mentee.id}:
            return False
    if constraints.require_cross_department and not different_departments(mentor, mentee):
        return False
    wants = {key(s) for s in mentee.wants}
    taught = wants & {key(s) for s in mentor.teaches}
    if len(taught) < min(len(wants), constraints.min_shared_skills):
        return False  # an empty pair: the leader learns nothing they asked for
    known = mentor.timezone.strip() and mentee.timezone.strip()
    return not (known and overlap(mentor, mentee, on) < constraints.min_overlap_hours - 1e-9)


def different_departments(a: Candidate, b: Candidate) -> bool:
    return (
        bool(key(a.department))
        and bool(key(b.department))
        and key(a.department) != key(b.department)
    )


def overlap(a: Candidate, b: Candidate, on: dt.date) -> float:
    za, zb = resolve_zone(a.timezone), resolve_zone(b.timezone)
    a_start = dt.datetime.combine(on, dt.time(9), tzinfo=za)
    a_end = dt.datetime.combine(on, dt.time(17), tzinfo=za)
    total = 0.0
    for days in (-1, 0, 1):
        shift = dt.timedelta(hours=24 * days)
        b_start = dt.datetime.combine(on, dt.time(9), tzinfo=zb) + shift
        b_end = dt.datetime.combine(on, dt.time(17), tzinfo=zb) + shift
        seconds = (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
        total += max(0.0, seconds / 3600)
    return total


def score(mentor: Candidate, mentee: Candidate, weights: Weights, on: dt.date) -> float:
    wants = {key(s) for s in mentee.wants}
    taught = {key(s) for s in mentor.teaches}
    learning = len(wants & taught) / max(len(wants), 1) * weights.learning
    mentor_wants = {key(s) for s in mentor.wants}
    offered = {key(s) for s in mentee.teaches}
    giving_back = len(mentor_wants & offered) / max(len(mentor_wants), 1) * weights.giving_back
    cross = weights.cross_department if different_departments(mentor, mentee) else 0.0
    hours = min(overlap(mentor, mentee, on), 8.0) / 8.0 * weights.working_hours
    return learning + giving_back + cross + hours


def objective(pairs: int, total: float, priority: MatchPriority) -> tuple[float, float]:
    """What the engine maximises, in order."""
    if priority is MatchPriority.MOST_MATCHED:
        return (pairs, total)
    return (total, pairs)


def brute_force(
    candidates: Sequence[Candidate], constraints: Constraints, weights: Weights, on: dt.date
) -> tuple[int, float]:
    """(pairs, total score) of the best valid matching, by trying every one (no pins)."""
    people = available(candidates, constraints)
    options = {
        e.id: [
            (m, round(score(m, e, weights, on), 3))
            for m in people
            if m.role in MENTOR_ROLES and allowed(m, e, constraints, on)
        ]
        for e in people
        if e.role in MENTEE_ROLES
    }
    mentees = [e for e in people if e.role in MENTEE_ROLES]
    best = (0, 0.0)
    load: Counter[str] = Counter()
    used_as_mentee: set[str] = set()

    def visit(i: int, pairs: int, total: float) -> None:
        nonlocal best
        if i == len(mentees):
            if objective(pairs, total, constraints.priority) > objective(
                *best, constraints.priority
            ):
                best = (pairs, total)
            return
        visit(i + 1, pairs, total)
        e = mentees[i]
        if load[e.id]:
            return
        for m, s in options[e.id]:
            if load[m.id] < m.max_mentees and m.id not in used_as_mentee:
                load[m.id] += 1
                used_as_mentee.add(e.id)
                visit(i + 1, pairs + 1, total + s)
                used_as_mentee.discard(e.id)
                load[m.id] -= 1

    visit(0, 0, 0.0)
    return best


@contextmanager
def lp_path() -> Iterator[None]:
    """Make the `either` search take its linear-program path even on tiny rounds: no
    relaxation shortcut, one first candidate per row, one pair added per row and round.
    """
    with (
        mock.patch.object(sides, "ROOT_CELLS", 0),
        mock.patch.object(sides, "FIRST_BEST", 1),
        mock.patch.object(sides, "FIRST_RANDOM", 0),
        mock.patch.object(sides, "ADD_PER_ROW", 1),
    ):
        yield
