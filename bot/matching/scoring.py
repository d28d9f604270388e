"""Candidates as arrays, the hard rules as boolean matrices and the score as a float matrix.

Everything here works on whole blocks of (mentee candidate × mentor candidate) at once:
skills are sparse 0/1 person × skill matrices (CSR) multiplied together, so their cost
grows with the (person, skill) entries and the pairs that share a skill, not with the
number of distinct skill names (HR exports type thousands by hand); timezones are
looked up in a small zone-by-zone overlap table, ids are integer positions. Rows are
always the mentee side, columns the mentor side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bot.matching.model import Candidate, Constraints, Rule, Weights, normalise_key
from bot.matching.overlap import WORKDAY_HOURS, overlap_hours, resolve_zone

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Scores are rounded to this many units per point so that sums are exact integers in
# float64; the solver's lexicographic weights depend on that exactness.
SCORE_UNITS = 1000


@dataclass(frozen=True, eq=False)
class Population:
    """The candidates of one round, encoded by position (0..n-1)."""

    candidates: tuple[Candidate, ...]
    index: dict[str, int]
    stage: IntArray
    department: IntArray  # code per distinct department; -1 when not given
    zone: IntArray  # code into `overlap`
    zone_known: BoolArray  # False where no timezone was given (scored as UTC)
    overlap: FloatArray  # zone × zone working hours in common
    manager: IntArray  # position of the manager; -1 when not in this round
    teach: sp.csr_array  # person × skill, 1 where the person can teach it
    want: sp.csr_array  # person × skill, 1 where the person wants to learn it
    want_count: FloatArray
    skills: tuple[str, ...]  # skill code -> normalised name
    previous: IntArray  # (k, 2) positions, both orders
    excluded: IntArray  # (k, 2) positions, both orders

    def __len__(self) -> int:
        return len(self.candidates)


def build_population(
    candidates: Sequence[Candidate], constraints: Constraints, *, reference_date: dt.date
) -> Population:
    index = {c.id: i for i, c in enumerate(candidates)}
    departments: dict[str, int] = {}
    department = np.array(
        [
            departments.setdefault(key, len(departments))
            if (key := normalise_key(c.department))
            else -1
            for c in candidates
        ],
        dtype=np.int64,
    )
    zones = [resolve_zone(c.timezone) for c in candidates]
    zone_codes: dict[str, int] = {}
    zone = np.array([zone_codes.setdefault(z.key, len(zone_codes)) for z in zones], dtype=np.int64)
    distinct_zones = list({z.key: z for z in zones}.values())

    skills: dict[str, int] = {}
    codes: dict[str, int] = {}  # as typed -> code: the same few names recur a lot
    teach_at = [(i, _code(skills, codes, s)) for i, c in enumerate(candidates) for s in c.teaches]
    want_at = [(i, _code(skills, codes, s)) for i, c in enumerate(candidates) for s in c.wants]
    teach = _incidence(teach_at, len(candidates), len(skills))
    want = _incidence(want_at, len(candidates), len(skills))

    previous = [
        (i, index[other])
        for i, c in enumerate(candidates)
        for other in sorted(c.previous_partners)
        if other in index
    ]
    excluded = [
        (index[a], index[b]) for a, b in constraints.excluded_pairs if a in index and b in index
    ]
    return Population(
        candidates=tuple(candidates),
        index=index,
        stage=np.array([int(c.career_stage) for c in candidates], dtype=np.int64),
        department=department,
        zone=zone,
        zone_known=np.array([c.timezone_known for c in candidates], dtype=np.bool_),
        overlap=overlap_hours(distinct_zones, on=reference_date),
        manager=np.array([index.get(c.manager_id or "", -1) for c in candidates], dtype=np.int64),
        teach=teach,
        want=want,
        want_count=np.diff(want.indptr).astype(np.float64),
        skills=tuple(skills),
        previous=_both_orders(previous),
        excluded=_both_orders(excluded),
    )


def rule_masks(
    pop: Population,
    rows: IntArray,
    cols: IntArray,
    constraints: Constraints,
    *,
    relax: Rule | None = None,
    taught: FloatArray | None = None,
    hours: FloatArray | None = None,
) -> dict[Rule, BoolArray]:
    """For each hard rule, True where the (mentee row, mentor column) pair passes it.

    `relax` loosens one rule: the stage gap by one step, any other rule entirely.
    `taught` (`taught_counts`) and `hours` (`hours_of`) when the caller has them.
    """
    gap = constraints.min_stage_gap - (relax is Rule.STAGE_GAP)
    masks = {
        Rule.STAGE_GAP: pop.stage[cols][None, :] + gap <= pop.stage[rows][:, None],
        Rule.MANAGER: ~(
            (pop.manager[rows][:, None] == cols[None, :])
            | (pop.manager[cols][None, :] == rows[:, None])
        ),
        Rule.PREVIOUS_PARTNER: _pair_mask(pop.previous, rows, cols, len(pop)),
        Rule.EXCLUDED_PAIR: _pair_mask(pop.excluded, rows, cols, len(pop)),
    }
    if constraints.require_cross_department:
        masks[Rule.CROSS_DEPARTMENT] = _cross_department(pop, rows, cols)
    if constraints.min_shared_skills > 0 and relax is not Rule.SHARED_SKILLS:
        counts = taught_counts(pop, rows, cols) if taught is None else taught
        wanted = pop.want_count[rows]
        # A leader who wants fewer things than the setting must get all of them; one
        # who listed none is exempt (nothing to fall short of).
        needed = np.minimum(wanted, float(constraints.min_shared_skills))[:, None]
        masks[Rule.SHARED_SKILLS] = counts >= needed
    if constraints.min_overlap_hours > 0 and relax is not Rule.WORKING_HOURS:
        unknown = ~pop.zone_known[rows][:, None] | ~pop.zone_known[cols][None, :]
        # A small tolerance: overlaps are sums of float hour stamps.
        hours = hours_of(pop, rows, cols) if hours is None else hours
        enough = hours >= constraints.min_overlap_hours - 1e-9
        masks[Rule.WORKING_HOURS] = enough | unknown
    if relax is not None and relax is not Rule.STAGE_GAP:
        masks.pop(relax, None)
    return masks


def eligible(
    pop: Population,
    rows: IntArray,
    cols: IntArray,
    constraints: Constraints,
    *,
    relax: Rule | None = None,
    taught: FloatArray | None = None,
    hours: FloatArray | None = None,
) -> BoolArray:
    """True where the pair passes every hard rule (and is not one person twice)."""
    allowed: BoolArray = rows[:, None] != cols[None, :]
    masks = rule_masks(pop, rows, cols, constraints, relax=relax, taught=taught, hours=hours)
    for mask in masks.values():
        allowed &= mask
    return allowed


def taught_counts(pop: Population, rows: IntArray, cols: IntArray) -> FloatArray:
    """How many of each row's wants each column can teach (a dense rows × cols block)."""
    return _shared(pop.want, pop.teach, rows, cols)


def score(
    pop: Population,
    rows: IntArray,
    cols: IntArray,
    weights: Weights,
    *,
    taught: FloatArray | None = None,
    hours: FloatArray | None = None,
) -> FloatArray:
    """Score (0..weights.maximum) of every (mentee row, mentor column) pair.

    `taught` (`taught_counts`) and `hours` (`hours_of`) when the caller has them already.
    Computed in place on one block-sized array, in the order learning + giving back +
    cross-department + working hours (the sums round the same as ever).
    """
    if taught is None:
        taught = taught_counts(pop, rows, cols)
    if hours is None:
        hours = hours_of(pop, rows, cols)
    total: FloatArray = taught / np.maximum(pop.want_count[rows], 1.0)[:, None]
    total *= weights.learning
    # Giving back, added where it is not 0 only: the pairs whose leader teaches
    # something the mentor wants (a sparse product, never a dense block).
    offered = (pop.teach[rows] @ pop.want[cols].T).tocoo()
    at_col = offered.coords[1]
    share = offered.data / np.maximum(pop.want_count[cols], 1.0)[at_col]
    share *= weights.giving_back
    total[offered.coords[0], at_col] += share  # coordinates are distinct
    del offered, share
    cross = _cross_department(pop, rows, cols)
    np.add(total, weights.cross_department, out=total, where=cross)
    del cross
    working_hours = np.minimum(hours, WORKDAY_HOURS)
    working_hours /= WORKDAY_HOURS
    working_hours *= weights.working_hours
    total += working_hours
    return total


def hours_of(pop: Population, rows: IntArray, cols: IntArray) -> FloatArray:
    """Working hours in common of every pair (unknown zones count as UTC)."""
    hours: FloatArray = pop.overlap[pop.zone[rows][:, None], pop.zone[cols][None, :]]
    return hours


def score_units(scores: FloatArray) -> FloatArray:
    """Scores rounded to whole SCORE_UNITS (kept as float64, exact below 2**53)."""
    return np.rint(scores * SCORE_UNITS)


def score_units_in_place(scores: FloatArray) -> FloatArray:
    """`score_units(scores)`, overwriting `scores` (a block-sized temporary)."""
    scores *= SCORE_UNITS
    return np.rint(scores, out=scores)


def hours_between(pop: Population, a: int, b: int) -> float:
    return float(pop.overlap[pop.zone[a], pop.zone[b]])


def _cross_department(pop: Population, rows: IntArray, cols: IntArray) -> BoolArray:
    mentee = pop.department[rows][:, None]
    mentor = pop.department[cols][None, :]
    differs: BoolArray = (mentee != mentor) & (mentee >= 0) & (mentor >= 0)
    return differs


def _pair_mask(pairs: IntArray, rows: IntArray, cols: IntArray, n: int) -> BoolArray:
    mask = np.ones((len(rows), len(cols)), dtype=np.bool_)
    if len(pairs) == 0:
        return mask
    row_at = np.full(n, -1, dtype=np.int64)
    row_at[rows] = np.arange(len(rows))
    col_at = np.full(n, -1, dtype=np.int64)
    col_at[cols] = np.arange(len(cols))
    r = row_at[pairs[:, 0]]
    c = col_at[pairs[:, 1]]
    hit = (r >= 0) & (c >= 0)
    mask[r[hit], c[hit]] = False
    return mask


def _shared(left: sp.csr_array, right: sp.csr_array, rows: IntArray, cols: IntArray) -> FloatArray:
    """Per (row, column): skills in both `left[row]` and `right[col]`, as a dense block.

    A sparse product: its cost is the entries of the two slices plus the pairs that
    share a skill (a person's skills are distinct, so every product term is 1).
    """
    product = left[rows] @ right[cols].T
    counts: FloatArray = product.toarray()
    return counts


def _incidence(at: list[tuple[int, int]], n: int, width: int) -> sp.csr_array:
    """The 0/1 person × skill matrix of `at` (each person's skills are distinct)."""
    positions = np.array(at, dtype=np.int64).reshape(-1, 2)
    return sp.csr_array(
        # float64 entries: the products come out as the float64 blocks scores need.
        (np.ones(len(positions)), (positions[:, 0], positions[:, 1])),
        shape=(n, width),
    )


def _both_orders(pairs: list[tuple[int, int]]) -> IntArray:
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    forward = np.array(pairs, dtype=np.int64)
    return np.concatenate([forward, forward[:, ::-1]])


def _code(skills: dict[str, int], codes: dict[str, int], skill: str) -> int:
    code = codes.get(skill)
    if code is None:
        code = codes[skill] = skills.setdefault(normalise_key(skill), len(skills))
    return code
