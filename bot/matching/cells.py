"""Every pair's score units and eligibility for a whole round, written block by block.

`scoring.score` and `scoring.eligible` define a pair's score and rules; this computes
the same numbers (bit for bit: the same float operations in the same order) for a
block of rows against all columns, in place in the caller's array, so that the round's
matrix is written once, in the solver's layout, with no copy. What makes it cheap:

- Skills split in two: the few that many people share (their products are dense) go
  through one BLAS product of small person × skill matrices (at most DENSE_SKILLS
  wide, so nothing grows with the number of distinct names); the long tail stays
  sparse (CSR), so its cost follows the pairs that share a rare skill. Both counts are
  whole numbers, exact in float64.
- Department and timezone terms and rules depend on the row's value and the column,
  so each row adds a column vector computed once per value instead of gathering a 2-D
  table; the stage rule is one broadcast comparison.
- Manager, previous-partner, excluded and same-person pairs are few: they are listed
  once per round and struck out of each block by position.

Columns may repeat (one per seat of a mentor who takes several mentees).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bot.matching.model import Constraints, Rule, Weights
from bot.matching.overlap import WORKDAY_HOURS
from bot.matching.scoring import (
    SCORE_UNITS,
    BoolArray,
    FloatArray,
    IntArray,
    Population,
)

# A skill goes to the dense product when (people teaching it) × (people wanting it)
# is at least this share of all person pairs: there a dense product is far cheaper
# than the sparse one's per-term bookkeeping. At most DENSE_SKILLS of them.
DENSE_SHARE = 1 / 1024
DENSE_SKILLS = 128
# Per-value column vectors (department, zone) are kept up to this many cells.
TABLE_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class _Skills:
    """One side's skill incidence split into frequent (dense) and rare (sparse) skills."""

    dense: FloatArray  # person × frequent skill, C order
    rare: sp.csr_array  # person × skill, frequent skills removed


@dataclass(frozen=True, eq=False)
class Columns:
    """What every block shares about one set of columns (people, seats repeated)."""

    people: IntArray
    teach_dense: FloatArray  # frequent skill × column
    want_dense: FloatArray
    teach_rare: sp.csr_array  # skill × column
    want_rare: sp.csr_array
    want_share: FloatArray  # max(1, wants) per column
    stage: IntArray
    # Per row value, a vector over these columns, made once for all blocks:
    other_department: _Lookup  # department d -> in another known department
    cross_points: _Lookup  # department d -> the cross-department term of the score
    hour_points: _Lookup  # zone z -> the working-hours term of the score
    enough_hours: _Lookup  # zone z (-1: unknown) -> sharing enough working hours
    by_person: IntArray  # positions of `people` sorted by person (stable)


@dataclass(frozen=True, eq=False)
class Cells:
    """A round's population prepared for block-wise scoring (build once per round)."""

    pop: Population
    constraints: Constraints
    weights: Weights
    teach: _Skills
    want: _Skills
    hour_points: FloatArray  # zone × zone: the working-hours term of the score
    manager_pairs: IntArray  # (k, 2) positions, both orders
    self_pairs: IntArray  # (k, 2): (i, i) for everyone

    @classmethod
    def build(
        cls,
        pop: Population,
        constraints: Constraints,
        weights: Weights,
        *,
        dense_share: float = DENSE_SHARE,
    ) -> Cells:
        n = len(pop)
        teaching = np.diff(pop.teach.tocsc().indptr)
        wanting = np.diff(pop.want.tocsc().indptr)
        overlap = teaching.astype(np.float64) * wanting
        dense = np.flatnonzero(overlap >= dense_share * max(n, 1) ** 2)
        dense = dense[np.argsort(-overlap[dense], kind="stable")[:DENSE_SKILLS]]
        # Same operations as `scoring.score`: min(hours, 8) / 8 * weight.
        points = np.minimum(pop.overlap, WORKDAY_HOURS)
        points /= WORKDAY_HOURS
        points *= weights.working_hours
        has_manager = np.flatnonzero(pop.manager >= 0)
        managed = np.stack([has_manager, pop.manager[has_manager]], axis=1)
        everyone = np.arange(n, dtype=np.int64)
        return cls(
            pop,
            constraints,
            weights,
            _split(pop.teach, dense),
            _split(pop.want, dense),
            points,
            np.concatenate([managed, managed[:, ::-1]]).astype(np.int64),
            np.stack([everyone, everyone], axis=1),
        )

    def columns(self, people: IntArray) -> Columns:
        pop, width = self.pop, len(people)
        department, zone, known = pop.department[people], pop.zone[people], pop.zone_known[people]
        listed = department >= 0
        departments = int(pop.department.max(initial=-1))
        zones = int(pop.zone.max(initial=0))
        other = _Lookup(lambda d: listed & (department != d) & (d >= 0), width, -1, departments)
        bonus = self.weights.cross_department
        # A small tolerance, as in `scoring.rule_masks`: overlaps are sums of floats.
        need = self.constraints.min_overlap_hours - 1e-9
        everyone = np.ones(width, dtype=np.bool_)
        return Columns(
            people=people,
            teach_dense=np.ascontiguousarray(self.teach.dense[people].T),
            want_dense=np.ascontiguousarray(self.want.dense[people].T),
            teach_rare=sp.csr_array(self.teach.rare[people].T),
            want_rare=sp.csr_array(self.want.rare[people].T),
            want_share=np.maximum(pop.want_count[people], 1.0),
            stage=pop.stage[people],
            other_department=other,
            cross_points=_Lookup(lambda d: np.where(other(d), bonus, 0.0), width, -1, departments),
            hour_points=_Lookup(lambda z: self.hour_points[z][zone], width, 0, zones),
            enough_hours=_Lookup(
                lambda z: everyone if z < 0 else (pop.overlap[z][zone] >= need) | ~known,
                width,
                -1,
                zones,
            ),
            by_person=np.argsort(people, kind="stable"),
        )

    def units(
        self,
        rows: IntArray,
        cols: Columns,
        out: FloatArray,
        *,
        relax: Rule | None = None,
        scratch: FloatArray | None = None,
    ) -> BoolArray:
        """Write the score units of rows × cols into `out`; return where the rules allow.

        Equal to `score_units(score(...))` and `eligible(...)` of `scoring`. `scratch`,
        an array of `out`'s shape, saves allocating (and faulting in) one per block.
        """
        pop, weights = self.pop, self.weights
        # Taught counts: what each row wants that each column teaches.
        np.matmul(self.want.dense[rows], cols.teach_dense, out=out)
        _add_sparse(out, self.want.rare[rows] @ cols.teach_rare)
        allowed = self._rules(rows, cols, out, relax)
        out /= np.maximum(pop.want_count[rows], 1.0)[:, None]
        out *= weights.learning
        # Giving back: what each column wants that the row teaches.
        offered = np.empty_like(out) if scratch is None else scratch
        np.matmul(self.teach.dense[rows], cols.want_dense, out=offered)
        _add_sparse(offered, self.teach.rare[rows] @ cols.want_rare)
        offered /= cols.want_share
        offered *= weights.giving_back
        out += offered
        # Cross-department, then working hours: one row vector per value, gathered
        # (`offered` is free again). Adding 0.0 where no bonus applies changes nothing.
        out += cols.cross_points.rows(pop.department[rows], offered)
        out += cols.hour_points.rows(pop.zone[rows], offered)
        del offered
        out *= SCORE_UNITS
        np.rint(out, out=out)
        return allowed

    def allowed(self, rows: IntArray, cols: Columns, *, relax: Rule | None = None) -> BoolArray:
        """`eligible(...)` of `scoring` for rows × cols, without the scores."""
        taught = self.want.dense[rows] @ cols.teach_dense
        _add_sparse(taught, self.want.rare[rows] @ cols.teach_rare)
        return self._rules(rows, cols, taught, relax)

    def _rules(
        self, rows: IntArray, cols: Columns, taught: FloatArray, relax: Rule | None
    ) -> BoolArray:
        pop, constraints = self.pop, self.constraints
        gap = constraints.min_stage_gap - (relax is Rule.STAGE_GAP)
        allowed: BoolArray = cols.stage[None, :] + gap <= pop.stage[rows][:, None]
        if constraints.min_shared_skills > 0 and relax is not Rule.SHARED_SKILLS:
            needed = np.minimum(pop.want_count[rows], float(constraints.min_shared_skills))
            allowed &= taught >= needed[:, None]
        check_hours = constraints.min_overlap_hours > 0 and relax is not Rule.WORKING_HOURS
        cross_rule = constraints.require_cross_department and relax is not Rule.CROSS_DEPARTMENT
        if check_hours:
            # A row whose timezone is unknown is exempt: key -1, every column allowed.
            zones = np.where(pop.zone_known[rows], pop.zone[rows], -1)
            allowed &= cols.enough_hours.rows(zones)
        if cross_rule:
            allowed &= cols.other_department.rows(pop.department[rows])
        pairs = [self.self_pairs]
        if relax is not Rule.MANAGER:
            pairs.append(self.manager_pairs)
        if relax is not Rule.PREVIOUS_PARTNER:
            pairs.append(pop.previous)
        if relax is not Rule.EXCLUDED_PAIR:
            pairs.append(pop.excluded)
        _strike(allowed, np.concatenate(pairs), rows, cols, len(pop))
        return allowed


class _Lookup:
    """A column vector for each row value (a department or zone code from `low` to
    `high`), for every block of rows: all of them in one table, made at first use,
    while it stays under TABLE_CELLS cells; otherwise each block's distinct values,
    made for that block."""

    def __init__(self, make: Callable[[int], NDArray[Any]], width: int, low: int, high: int):
        self._make = make
        self._low = low
        self._values = range(low, max(low, high) + 1)
        self._fits = len(self._values) * width <= TABLE_CELLS
        self._table: NDArray[Any] | None = None

    def __call__(self, value: int) -> NDArray[Any]:
        return self._make(value)

    def rows(self, keys: IntArray, out: NDArray[Any] | None = None) -> NDArray[Any]:
        """The array whose row i is the vector of `keys[i]` (into `out` when given)."""
        if self._fits:
            if self._table is None:
                self._table = np.stack([self._make(v) for v in self._values])
            table, which = self._table, keys - self._low
        else:
            distinct, which = np.unique(keys, return_inverse=True)
            # (An empty block still needs a table of the right width and type.)
            values = distinct.tolist() or [self._low]
            table = np.stack([self._make(int(k)) for k in values])
        # mode="clip": the positions are valid by construction, and the default "raise"
        # mode with `out` copies through a buffer (eight times slower).
        return np.take(table, which, axis=0, out=out, mode="clip")


def _strike(
    allowed: BoolArray, pairs: IntArray, rows: IntArray, cols: Columns, people: int
) -> None:
    """Set `allowed` False at every (row person, column person) listed in `pairs`
    (positions below `people`)."""
    if len(pairs) == 0 or allowed.size == 0:
        return
    row_at = np.full(people, -1, dtype=np.int64)
    row_at[rows] = np.arange(len(rows))
    r = row_at[pairs[:, 0]]
    hit = r >= 0
    r, targets = r[hit], pairs[hit, 1]
    if len(r) == 0:
        return
    # Columns may repeat (seats): find every position of each target person.
    order = cols.by_person
    ordered = cols.people[order]
    low = np.searchsorted(ordered, targets, side="left")
    high = np.searchsorted(ordered, targets, side="right")
    counts = high - low
    if counts.sum() == 0:
        return
    starts = np.repeat(low - np.cumsum(counts) + counts, counts)
    positions = order[np.arange(int(counts.sum())) + starts]
    allowed[np.repeat(r, counts), positions] = False


def _add_sparse(out: FloatArray, product: sp.sparray) -> None:
    """`out += product` for a sparse product of 0/1 matrices (whole-number counts)."""
    product = sp.csr_array(product)
    if product.nnz == 0:
        return
    width = out.shape[1]
    at = np.repeat(np.arange(out.shape[0], dtype=np.int64) * width, np.diff(product.indptr))
    at += product.indices
    flat = out.reshape(-1)
    flat[at] += product.data  # a CSR product has no repeated coordinates


def _split(matrix: sp.csr_array, dense: IntArray) -> _Skills:
    frequent = np.ascontiguousarray(matrix[:, dense].toarray(), dtype=np.float64)
    keep = np.ones(matrix.shape[1], dtype=np.float64)
    keep[dense] = 0.0
    rare = sp.csr_array(matrix @ sp.diags_array(keep))
    rare.eliminate_zeros()
    return _Skills(frequent, rare)
