"""The optimal assignment of mentee rows to mentor columns, each column with a capacity.

A column that can take three mentees becomes three identical slot columns, and
`scipy.optimize.linear_sum_assignment` (shortest augmenting paths, exact) finds the
minimum-cost assignment of `-weight`, i.e. the maximum-weight matching; a weight of 0
means "not allowed", and pairs landing on one are dropped. With nobody allowed on both
sides this is the whole problem; `bot.matching.sides` uses it for fixed sides.

When the rules forbid most pairs, `SparseGraph` keeps only the allowed ones and
`scipy.sparse.csgraph.min_weight_full_bipartite_matching` (LAPJVsp, exact too) solves
that: its work follows the allowed pairs, not rows × columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

BLOCK_CELLS = 2_000_000  # cells compared at once when counting allowed pairs
# The sparse solver (LAPJVsp) beats the dense one below this share of allowed pairs
# (bench/README.md: 1.35-1.7 s against 1.9-2.2 s at 38 %, 2.5 s against 2.0 s at 94 %).
SPARSE_SHARE = 0.5
SPARSE_BYTES = 1 << 30  # up to this, the sparse graph's memory is not weighed


@dataclass(frozen=True)
class Assignment:
    rows: IntArray  # matched positions in the matrix solved, pair by pair
    cols: IntArray
    value: float  # total weight of the matched pairs
    bound: float  # no valid matching weighs more (== value when optimal)
    optimal: bool
    lp_solves: int = 0  # linear programs solved for `either` people
    stopped_by: str | None = None  # unproven: "time limit" or "work limit"


def assign(
    weights: FloatArray,
    rows: IntArray,
    cols: IntArray,
    capacity: IntArray,
    allowed: IntArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Best matching of `rows` to `cols` (positions into `weights`) within `capacity`.

    `capacity` is per entry of `cols`, and so is `allowed` (how many of `rows` each
    may take; counted here when not given). Returns the matched (row, column) positions.
    """
    nothing = np.zeros(0, dtype=np.int64)
    if len(rows) == 0 or len(cols) == 0:
        return nothing, nothing
    if allowed is None:
        allowed = np.zeros(len(cols), dtype=np.int64)
        step = max(1, BLOCK_CELLS // len(cols))
        for start in range(0, len(rows), step):
            allowed += (weights[np.ix_(rows[start : start + step], cols)] > 0).sum(axis=0)
    # A column never needs more slots than it has allowed rows.
    slot_cols = np.repeat(cols, np.minimum(capacity, allowed))
    if len(slot_cols) == 0:
        return nothing, nothing
    # The rows, then the slot columns, one block of rows at a time: twice as fast as
    # `np.ix_` fancy indexing (whole rows are copied as runs), and no second full copy.
    cost = np.empty((len(rows), len(slot_cols)))
    step = max(1, BLOCK_CELLS // len(slot_cols))
    for start in range(0, len(rows), step):
        block = cost[start : start + step]
        np.take(weights[rows[start : start + step]], slot_cols, axis=1, out=block)
        np.negative(block, out=block)
    matched_rows, slots = linear_sum_assignment(cost)
    keep = cost[matched_rows, slots] < 0
    return (
        rows[matched_rows[keep]].astype(np.int64),
        slot_cols[slots[keep]].astype(np.int64),
    )


def sparse_pays(share: float, rows: int, cols: int) -> bool:
    """Whether to solve rows × cols with `share` of the pairs allowed as a `SparseGraph`.

    It is faster at up to SPARSE_SHARE. It holds each pair twice (12 bytes each: the
    graph, and the copy the solver makes), one more per row; above SPARSE_BYTES that
    must also be less than the dense matrix's 8 bytes per cell.
    """
    graph_bytes = 2 * 12 * (share * rows * cols + rows)
    return share <= SPARSE_SHARE and graph_bytes <= max(SPARSE_BYTES, 8 * rows * cols)


class SparseGraph:
    """The allowed (row, column, weight) pairs of a matrix, gathered a block of rows at a
    time, and their maximum-weight matching.

    The solver matches every row, so each row also gets a column of its own (a row left
    on it is unmatched). Weights are whole numbers; the solver minimises costs, with
    `1 - 2 * weight` on a pair and 1 on a row's own column, so a matching's total is
    `rows - 2 * (its weight)`: the least cost is the greatest weight, every number
    stays a whole one (no rounding inside the solver), and none is 0 (the solver
    drops explicit zeros).
    """

    def __init__(self, n_cols: int) -> None:
        self.n_rows = 0
        self.n_cols = n_cols
        self._counts: list[IntArray] = []
        self._indices: list[NDArray[np.int32]] = []
        self._costs: list[FloatArray] = []

    def add(self, weights: FloatArray, allowed: BoolArray) -> None:
        """Append the next rows: `weights` (rows × columns) where `allowed`."""
        counts = allowed.sum(axis=1)
        at = np.flatnonzero(allowed)  # row by row, columns ascending
        costs = weights.reshape(-1)[at]
        costs *= -2.0
        costs += 1.0
        ends = np.cumsum(counts)  # each row's own column goes after its pairs
        own = self.n_cols + self.n_rows + np.arange(len(counts))
        self._indices.append(np.insert((at % self.n_cols).astype(np.int32), ends, own))
        self._costs.append(np.insert(costs, ends, 1.0))
        self._counts.append(counts + 1)
        self.n_rows += len(counts)

    def solve(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Matched rows, columns and weights of the maximum-weight matching."""
        nothing = np.zeros(0, dtype=np.int64)
        if self.n_rows == 0 or self.n_cols == 0:
            return nothing, nothing, np.zeros(0)
        indptr = np.zeros(self.n_rows + 1, dtype=np.int32)
        np.cumsum(np.concatenate(self._counts), out=indptr[1:])
        indices, costs = np.concatenate(self._indices), np.concatenate(self._costs)
        self._indices.clear()
        self._costs.clear()
        graph = sp.csr_array(
            (costs, indices, indptr), shape=(self.n_rows, self.n_cols + self.n_rows)
        )
        del indices, costs
        rows, cols = min_weight_full_bipartite_matching(graph)
        real = cols < self.n_cols
        if not real.any():
            return nothing, nothing, np.zeros(0)
        rows, cols = rows[real].astype(np.int64), cols[real].astype(np.int64)
        weights = (1.0 - np.asarray(graph[rows, cols], dtype=np.float64)) / 2.0
        return rows, cols, weights
