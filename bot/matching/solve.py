"""Solve one round's weight matrix: the plain assignment, or the search over sides.

Without `either` people the optimal assignment (`assign`) is the answer, proven by the
algorithm itself. With them, `sides` searches for the best valid matching and says
whether it proved it optimal (see its guarantee).
"""

from __future__ import annotations

import numpy as np

from bot.matching.assign import Assignment, FloatArray, IntArray, assign
from bot.matching.sides import Deadline, solve_sides

__all__ = ["Assignment", "Deadline", "solve"]


def solve(
    weights: FloatArray,
    capacity: IntArray,
    row_person: IntArray,
    col_person: IntArray,
    *,
    pair_step: float | None,
    seed: int,
    work_share: float = 1.0,
    deadline: Deadline | None = None,
    allowed_per_col: IntArray | None = None,
) -> Assignment:
    """The best valid matching of the rows of `weights` to its columns.

    `capacity`, `row_person` and `col_person` are per column / row / column; the
    matrix's order breaks ties (the caller writes it in a seeded order, so no copy is
    made here). `work_share` scales the search's work budget (`sides.LP_WORK`);
    `deadline` stops it on the caller's clock. `allowed_per_col` (allowed rows per
    column) saves counting them again.
    """
    if len(np.intersect1d(row_person, col_person)) == 0:
        rows, cols = np.arange(weights.shape[0]), np.arange(weights.shape[1])
        matched_rows, matched_cols = assign(weights, rows, cols, capacity, allowed_per_col)
        value = float(weights[matched_rows, matched_cols].sum())
        return Assignment(matched_rows, matched_cols, value, value, True)
    return solve_sides(
        weights,
        capacity,
        row_person,
        col_person,
        pair_step=pair_step,
        seed=seed,
        work_share=work_share,
        deadline=deadline,
    )
