"""The optimal assignment of mentee rows to mentor columns, each column with a capacity.

A column that can take three mentees becomes three identical slot columns, and
`scipy.optimize.linear_sum_assignment` (shortest augmenting paths, exact) finds the
minimum-cost assignment of `-weight`, i.e. the maximum-weight matching; a weight of 0
means "not allowed", and pairs landing on one are dropped. With nobody allowed on both
sides this is the whole problem; `bot.matching.sides` uses it for fixed sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

BLOCK_CELLS = 2_000_000  # cells compared at once when counting allowed pairs


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
