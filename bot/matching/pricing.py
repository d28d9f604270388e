"""Reduced costs of every pair of the full weight matrix, one block of rows at a time.

The linear program only ever sees a sparse set of candidate pairs: `first_pairs` picks
the first ones, and pricing is what makes its answer hold for the whole matrix. For
duals (u, v, mu) a pair's reduced cost is `w - u_row - v_col - mu` (mu only with the
pairs cut). From one pass, `price` gives:

- the bound of `Shape.bound`, valid for every matching of the full matrix;
- the pairs worth adding to the candidates (positive reduced cost);
- for each row, its pairs with the highest reduced costs, from which `keep` picks the
  only pairs that can appear in a matching better than a given one.

Blocks are independent: `workers.each_block` prices a few at once, in threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from bot.matching.relax import BoolArray, Duals, FloatArray, IntArray, Shape
from bot.matching.workers import each_block

BLOCK_CELLS = 2_000_000  # cells priced at once: bounds the temporaries to ~50 MB
# A reduced cost above this is a pair the program should have had (weights are whole
# numbers; HiGHS's duals are exact to far less than this).
POSITIVE = 1e-3
# Slack in the keep test for float rounding in sums of up to ~1e13.
ROUNDING = 1e-2


@dataclass(frozen=True)
class Priced:
    bound: float
    row_slack: FloatArray  # per row: max(0, its highest reduced cost)
    additions: IntArray  # keys (row * n_cols + col) of pairs with a positive reduced cost
    top_keys: IntArray  # per row: keys of its `keep_per_row` highest reduced costs
    top_costs: FloatArray  # their reduced costs (-inf where the row has fewer pairs)
    complete: bool  # the top lists hold every pair (the matrix is that narrow)


def price(
    weights: FloatArray,
    shape: Shape,
    duals: Duals,
    pair_cap: int | None,
    *,
    add_per_row: int,
    keep_per_row: int,
    unit: bool = False,
) -> Priced:
    """Price every pair of `weights` (0 = not allowed); `unit` prices weight 1 instead."""
    n_rows, n_cols = weights.shape
    mu = duals.mu if pair_cap is not None else 0.0
    slack = np.zeros(n_rows)
    keep = min(keep_per_row, n_cols)
    add = min(add_per_row, keep)
    top_keys = np.zeros((n_rows, keep), dtype=np.int64)
    top_costs = np.zeros((n_rows, keep))
    step = max(1, BLOCK_CELLS // max(n_cols, 1))

    def price_block(start: int) -> IntArray:
        # Writes only its own rows of the shared arrays; returns its additions.
        block = weights[start : start + step]
        allowed = block > 0
        gain = allowed.astype(np.float64) if unit else block
        reduced = gain - duals.u[start : start + step, None] - duals.v[None, :] - mu
        reduced[~allowed] = -np.inf
        best = np.argpartition(-reduced, keep - 1, axis=1)[:, :keep]
        costs = np.take_along_axis(reduced, best, axis=1)
        order = np.argsort(-costs, axis=1, kind="stable")
        best = np.take_along_axis(best, order, axis=1)
        costs = np.take_along_axis(costs, order, axis=1)
        rows = np.arange(start, start + len(block))
        top_keys[rows] = rows[:, None] * n_cols + best
        top_costs[rows] = costs
        slack[rows] = np.maximum(costs[:, 0], 0.0)
        wanted: BoolArray = costs[:, :add] > POSITIVE
        added: IntArray = top_keys[rows, :add][wanted]
        return added

    additions = each_block(price_block, range(0, n_rows, step))
    bound = shape.bound(duals, pair_cap, slack)
    return Priced(bound, slack, np.concatenate(additions), top_keys, top_costs, keep == n_cols)


def keep(priced: Priced, floor: float, limit: int) -> IntArray | None:
    """Keys of every pair that can be in a matching weighing at least `floor`.

    A matching that uses pair e of row r weighs at most bound - slack_r + rc_e (row r
    holds e instead of its best pair), so only pairs with rc_e - slack_r >= floor -
    bound can appear. None if that is more than `limit` pairs, or more than one row's
    stored best (then the row's list would be incomplete).
    """
    threshold = floor - priced.bound - ROUNDING
    kept = priced.top_costs - priced.row_slack[:, None] >= threshold
    if (not priced.complete and kept[:, -1].any()) or int(kept.sum()) > limit:
        return None
    keys: IntArray = priced.top_keys[kept]
    return keys


def first_pairs(
    weights: FloatArray, capacity: IntArray, *, best: int, random: int, rng: np.random.Generator
) -> IntArray:
    """Keys of the first candidates: each row's `best` heaviest allowed pairs, each
    column's `best + capacity` heaviest, and `random` random allowed pairs per row.

    Spread matters: the heaviest pairs of the rows crowd onto popular mentors, and a
    first LP that cannot match everyone has duals that say little; each column's own
    heaviest pairs (and any random ones) give every mentor candidates.
    """
    n_rows, n_cols = weights.shape
    per_row = min(best, n_cols)
    per_col = min(best + int(capacity.max()), n_rows)
    row_step = max(1, BLOCK_CELLS // n_cols)
    col_step = max(1, BLOCK_CELLS // n_rows)

    def rows_heaviest(start: int) -> IntArray:
        block = weights[start : start + row_step]
        top = np.argpartition(-block, per_row - 1, axis=1)[:, :per_row]
        rows = np.arange(start, start + len(block))[:, None]
        found: IntArray = (rows * n_cols + top)[np.take_along_axis(block, top, axis=1) > 0]
        return found

    def cols_heaviest(start: int) -> IntArray:
        block = weights[:, start : start + col_step]
        top = np.argpartition(-block, per_col - 1, axis=0)[:per_col]
        cols = np.arange(start, start + block.shape[1])[None, :]
        found: IntArray = (top * n_cols + cols)[np.take_along_axis(block, top, axis=0) > 0]
        return found

    tasks = [partial(rows_heaviest, start) for start in range(0, n_rows, row_step)]
    tasks += [partial(cols_heaviest, start) for start in range(0, n_cols, col_step)]
    keys = each_block(lambda task: task(), tasks)
    sampled = rng.integers(0, n_cols, size=(n_rows, random)).ravel()
    rows = np.repeat(np.arange(n_rows), random)
    allowed = weights[rows, sampled] > 0
    keys.append(rows[allowed] * n_cols + sampled[allowed])
    return np.unique(np.concatenate(keys))
