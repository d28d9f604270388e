"""A round with `either` people as a linear (or integer) program over candidate pairs.

Rows are the people who may be a mentee, columns the people who may be a mentor; an
`either` person has one of each. Over a set of candidate pairs e = (row, column):

    maximise  sum_e w_e x_e
    row r:     sum_e x_e  (+ y_i when r is either person i)          <= 1      dual u_r
    column c:  sum_e x_e  (- k_i y_i when c is either person i)      <= k_c/0  dual v_c
    pairs:     sum_e x_e                                             <= P      dual mu
    x_e >= 0, 0 <= y_i <= 1    (binary in the integer program)

y_i = 1 puts person i on the mentor side: their column may then take up to k_i mentees
and their row none, so nobody is used on both sides. The `pairs` cut is optional: it
is added once P is proven to be the most pairs possible (the same program with every
pair weighing 1, rounded down), and removes the half pairs of an odd cycle that a
fractional solution could otherwise count.

`Shape` also turns any non-negative duals into an upper bound (see `Shape.bound`), so
a bound never depends on HiGHS having been exact, only on float arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bot.matching.highs import FEASIBLE, ModelStatus, VarType, quiet_highs

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Below this, a value counts as 0 and above 1 - this as 1 (HiGHS works to ~1e-7).
INTEGRAL_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class Shape:
    """Who is on which side of the matrix, and how many mentees each column can take."""

    n_rows: int
    capacity: FloatArray  # per column
    either_row: IntArray  # per either person, their row
    either_col: IntArray  # per either person, their column

    @classmethod
    def build(cls, capacity: IntArray, row_person: IntArray, col_person: IntArray) -> Shape:
        either = np.intersect1d(row_person, col_person)
        row_of = {p: i for i, p in enumerate(row_person.tolist())}
        col_of = {p: i for i, p in enumerate(col_person.tolist())}
        return cls(
            len(row_person),
            capacity.astype(np.float64),
            np.array([row_of[p] for p in either.tolist()], dtype=np.int64),
            np.array([col_of[p] for p in either.tolist()], dtype=np.int64),
        )

    @property
    def n_cols(self) -> int:
        return len(self.capacity)

    @property
    def n_either(self) -> int:
        return len(self.either_row)

    @property
    def col_rhs(self) -> FloatArray:
        rhs = self.capacity.copy()
        rhs[self.either_col] = 0.0
        return rhs

    def bound(self, duals: Duals, pair_cap: int | None, row_slack: FloatArray) -> float:
        """Upper bound on any valid matching (within the pairs cut), for any duals >= 0.

        Summing each constraint times its dual: every matching weighs at most
        sum(u) + sum over pure columns of k_c v_c + mu P + sum_i max(0, k_i v_i - u_i)
        plus, per row, the largest positive reduced cost of its pairs (`row_slack`),
        since a row holds one pair at most.
        """
        pure_cols = np.ones(self.n_cols, dtype=np.bool_)
        pure_cols[self.either_col] = False
        terms = [
            math.fsum(duals.u.tolist()),
            math.fsum((self.capacity * duals.v)[pure_cols].tolist()),
            math.fsum(np.maximum(0.0, self.side_costs(duals)).tolist()),
            math.fsum(row_slack.tolist()),
        ]
        if pair_cap is not None:
            terms.append(duals.mu * pair_cap)
        return math.fsum(terms)

    def side_costs(self, duals: Duals) -> FloatArray:
        """Per either person: how much the bound drops if they take the other side.

        Positive: the mentor side is the bound's choice and the mentee side costs this
        much; negative: the other way round (see `bound`).
        """
        either_k = self.capacity[self.either_col]
        gain: FloatArray = either_k * duals.v[self.either_col] - duals.u[self.either_row]
        return gain


@dataclass(frozen=True)
class Duals:
    u: FloatArray  # rows
    v: FloatArray  # columns
    mu: float  # the pairs cut (0 without it)


@dataclass(frozen=True)
class Pairs:
    """Candidate pairs, as matrix positions (a key is row * n_cols + col)."""

    rows: IntArray
    cols: IntArray

    @classmethod
    def from_keys(cls, keys: IntArray, n_cols: int) -> Pairs:
        return cls(keys // n_cols, keys % n_cols)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Solution:
    x: FloatArray  # per candidate pair
    y: FloatArray  # per either person, 1 = mentor side
    duals: Duals | None  # None from the integer program

    @property
    def integral(self) -> bool:
        values = np.concatenate([self.x, self.y])
        return bool(np.all(np.minimum(values, np.abs(1.0 - values)) < INTEGRAL_TOLERANCE))


def solve_milp(
    shape: Shape,
    pairs: Pairs,
    weights: FloatArray,
    *,
    pair_range: tuple[int, int] | None,
    sides: FloatArray,
    node_limit: int,
    time_limit: float | None = None,
) -> tuple[bool, Solution | None]:
    """The integer program over `pairs`: (proven, best solution or None if none exists).

    `pair_range` bounds the number of pairs (inclusive); `sides` fixes y where it is 0
    or 1 and leaves it free where it is NaN. HiGHS stops at `node_limit`
    branch-and-bound nodes, or `time_limit` seconds; then it is not proven.
    """
    matrix, rhs = constraints(shape, pairs, None)
    n_pairs, n_vars = len(pairs), len(pairs) + shape.n_either
    lower = np.zeros(n_vars)
    upper = np.ones(n_vars)
    fixed = ~np.isnan(sides)
    lower[n_pairs:][fixed] = sides[fixed]
    upper[n_pairs:][fixed] = sides[fixed]
    highs = quiet_highs()
    empty = np.zeros(0, dtype=np.int32)
    cost = np.concatenate([-weights, np.zeros(shape.n_either)])  # HiGHS minimises
    highs.addCols(n_vars, cost, lower, upper, 0, empty, empty, np.zeros(0))
    n_rules = matrix.shape[0]
    highs.addRows(
        n_rules,
        np.full(n_rules, -np.inf),
        rhs,
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
    )
    if pair_range is not None:
        everyone = np.arange(n_pairs, dtype=np.int32)
        highs.addRow(
            float(pair_range[0]), float(pair_range[1]), n_pairs, everyone, np.ones(n_pairs)
        )
    integer = np.full(n_vars, int(VarType.kInteger), dtype=np.uint8)
    highs.changeColsIntegrality(n_vars, np.arange(n_vars, dtype=np.int32), integer)
    # mip_rel_gap 0: stop only at the proven optimum (weights are whole numbers, which
    # HiGHS detects, so its bound rounds down to the optimum). Presolve takes 5 times
    # longer than the solve itself on these programs.
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_max_nodes", node_limit)
    highs.setOptionValue("presolve", "off")
    if time_limit is not None:
        highs.setOptionValue("time_limit", max(time_limit, 1e-3))
    highs.run()
    status = highs.getModelStatus()
    if status == ModelStatus.kInfeasible:  # no solution at all over these pairs
        return True, None
    if highs.getInfo().primal_solution_status != FEASIBLE:
        return False, None
    solution = np.rint(np.asarray(highs.getSolution().col_value, dtype=np.float64))
    found = Solution(solution[:n_pairs], solution[n_pairs:], None)
    return status == ModelStatus.kOptimal, found


def constraints(
    shape: Shape, pairs: Pairs, pair_cap: int | None
) -> tuple[sp.csr_array, FloatArray]:
    """The constraint matrix and right-hand sides: pair columns, then one per either."""
    n_pairs, n_either = len(pairs), shape.n_either
    n_rows, n_cols = shape.n_rows, shape.n_cols
    edge = np.arange(n_pairs)
    side = n_pairs + np.arange(n_either)
    row_index = [pairs.rows, n_rows + pairs.cols, shape.either_row, n_rows + shape.either_col]
    col_index = [edge, edge, side, side]
    ones = np.ones(n_pairs)
    values = [ones, ones, np.ones(n_either), -shape.capacity[shape.either_col]]
    rhs = [np.ones(n_rows), shape.col_rhs]
    n_constraints = n_rows + n_cols
    if pair_cap is not None:
        row_index.append(np.full(n_pairs, n_constraints))
        col_index.append(edge)
        values.append(np.ones(n_pairs))
        rhs.append(np.array([float(pair_cap)]))
        n_constraints += 1
    matrix = sp.csr_array(
        (np.concatenate(values), (np.concatenate(row_index), np.concatenate(col_index))),
        shape=(n_constraints, n_pairs + n_either),
    )
    return matrix, np.concatenate(rhs)
