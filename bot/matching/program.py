"""The linear program of `relax` over a growing set of candidate pairs.

Column generation solves it again after every few added pairs. scipy's `linprog`
starts each solve from nothing (2–4 s at 6,000 × 6,000); a HiGHS object kept between
solves (`highspy`, a declared dependency with a public API: `bot.matching.highs`)
keeps the last basis, so a re-solve after adding pairs, changing the objective or
adding the pairs cut takes a few thousand simplex pivots instead. Should HiGHS ever
fail to report an optimum, the program falls back to `linprog` from scratch for good.
When every `either` person takes one mentee as a mentor, the program is first solved on
its double cover instead (`cover`: an exact assignment, about three times faster than
HiGHS's first solve at 5,000 + 1,000 `either`), until a unit or cut program needs
HiGHS. Either way the answer is checked the same way: bounds come from the duals
(`Shape.bound`), never from a solver's word.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linprog

from bot.matching import cover
from bot.matching.highs import ModelStatus, quiet_highs
from bot.matching.relax import (
    BoolArray,
    Duals,
    FloatArray,
    IntArray,
    Pairs,
    Shape,
    Solution,
    constraints,
)

PRIMAL_ADDITIONS = 100  # at most this many new pairs: re-solve with primal simplex


class Program:
    """max sum w x over the candidate pairs added so far (see `relax`)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.pair_cap: int | None = None
        self.rows = np.zeros(0, dtype=np.int64)
        self.cols = np.zeros(0, dtype=np.int64)
        self.gains = np.zeros(0)
        self._warm: _WarmHighs | None = _WarmHighs.create(shape)
        self._cover = cover.applies(shape)  # until HiGHS is needed (see `solve`)
        self._unsolved = 0  # pairs added since the last solve
        self.last_work = 0  # what the last solve cost, in pairs (see `solve`)

    @property
    def on_cover(self) -> bool:
        """Solving on the double cover: fixed sides cost one sparse assignment."""
        return self._cover

    @property
    def pairs(self) -> Pairs:
        """The candidates, in the order added (the order of `Solution.x`)."""
        return Pairs(self.rows, self.cols)

    def add(self, rows: IntArray, cols: IntArray, gains: FloatArray) -> None:
        self.rows = np.concatenate([self.rows, rows])
        self.cols = np.concatenate([self.cols, cols])
        self.gains = np.concatenate([self.gains, gains])
        self._unsolved += len(rows)
        if self._warm is not None:
            self._warm.add(rows, cols, gains)

    def cut(self, pair_cap: int) -> None:
        """From now on, at most `pair_cap` pairs (a proven bound, see `relax`)."""
        self.pair_cap = pair_cap
        if self._warm is not None:
            self._warm.cut(pair_cap, len(self.rows))

    def solve(self, *, mentor: BoolArray | None = None, unit: bool = False) -> Solution | None:
        """The optimum over the candidates, with duals; None if it could not be solved.

        For this solve only, `mentor` fixes every `either` person's side (True: mentor),
        which makes the program bipartite and its optimum a whole matching; `unit`
        weighs every pair 1, which bounds the number of pairs.
        `last_work` becomes the solve's cost in pairs, for budgets that do not depend
        on the clock: every pair for a solve from scratch; for a warm re-solve, the
        pairs added since plus one per constraint (refactoring the basis).

        While `cover.applies`, the program is solved on its double cover (`cover`),
        every time from scratch, and fixed sides are one assignment (a fifth of a solve,
        and at most one per LP solved: they count nothing). The first unit or cut
        program, or a cover that does not close, hands it to HiGHS for good.
        """
        if self._cover and not unit and self.pair_cap is None:
            if mentor is not None:
                self.last_work = 0
                return cover.assign_fixed(self.shape, self.pairs, self.gains, mentor)
            self.last_work = len(self.rows)
            solution = cover.solve_cover(self.shape, self.pairs, self.gains)
            if solution is not None:
                return solution
        self._cover = False
        unsolved, self._unsolved = self._unsolved, 0
        gains = np.ones(len(self.rows)) if unit else self.gains
        if self._warm is not None:
            warm = self._warm.solved
            solution = self._warm.solve(self.gains, unsolved, mentor=mentor, unit=unit)
            if solution is not None:
                n_constraints = self.shape.n_rows + self.shape.n_cols
                self.last_work = unsolved + n_constraints if warm else len(self.rows)
                return solution
            self._warm = None  # HiGHS did not report an optimum: stay on linprog
        self.last_work = len(self.rows)
        return _solve_cold(self.shape, self.pairs, gains, self.pair_cap, mentor)


class _WarmHighs:
    """HiGHS kept between solves: the constraints, one column per either person, then
    one per candidate pair, in the order added."""

    def __init__(self, highs: Any, shape: Shape) -> None:
        self.highs = highs
        self.shape = shape
        self.cut_row: int | None = None
        self.solved = False
        # The basis after an added row is no longer primal feasible: the dual
        # simplex's case (primal can take a thousand times longer).
        self.dual_next = False

    @classmethod
    def create(cls, shape: Shape) -> _WarmHighs | None:
        try:
            highs = quiet_highs()
            upper = np.concatenate([np.ones(shape.n_rows), shape.col_rhs])
            empty_int = np.zeros(0, dtype=np.int32)
            n = len(upper)
            highs.addRows(n, np.full(n, -np.inf), upper, 0, empty_int, empty_int, np.zeros(0))
            n = shape.n_either
            # y_i: +1 in their row, -k_i in their column (see `relax`).
            index = np.column_stack([shape.either_row, shape.n_rows + shape.either_col])
            value = np.column_stack([np.ones(n), -shape.capacity[shape.either_col]])
            highs.addCols(
                n,
                np.zeros(n),
                np.zeros(n),
                np.ones(n),
                2 * n,
                np.arange(0, 2 * n, 2, dtype=np.int32),
                index.ravel().astype(np.int32),
                value.ravel(),
            )
        except Exception:  # pragma: no cover - HiGHS refused the model
            return None
        return cls(highs, shape)

    def add(self, rows: IntArray, cols: IntArray, gains: FloatArray) -> None:
        n = len(rows)
        if n == 0:
            return
        index = [rows, self.shape.n_rows + cols]
        if self.cut_row is not None:
            index.append(np.full(n, self.cut_row))
        per_pair = len(index)
        self.highs.addCols(
            n,
            -gains,
            np.zeros(n),
            np.full(n, np.inf),
            per_pair * n,
            np.arange(0, per_pair * n, per_pair, dtype=np.int32),
            np.column_stack(index).ravel().astype(np.int32),
            np.ones(per_pair * n),
        )

    def cut(self, pair_cap: int, n_pairs: int) -> None:
        columns = (self.shape.n_either + np.arange(n_pairs)).astype(np.int32)
        self.highs.addRow(-np.inf, float(pair_cap), n_pairs, columns, np.ones(n_pairs))
        self.cut_row = self.shape.n_rows + self.shape.n_cols
        self.dual_next = True

    def solve(
        self, gains: FloatArray, added: int, *, mentor: BoolArray | None, unit: bool
    ) -> Solution | None:
        highs = self.highs
        n_either, n_pairs = self.shape.n_either, len(gains)
        either = np.arange(n_either, dtype=np.int32)
        pairs = (n_either + np.arange(n_pairs)).astype(np.int32)
        try:
            # A solve with fixed sides or unit weights is a detour: the basis before it
            # is restored after it, still the best start for the program itself.
            detour = mentor is not None or unit
            basis = highs.getBasis() if detour and self.solved else None
            if mentor is not None:
                fixed = mentor.astype(np.float64)
                highs.changeColsBounds(n_either, either, fixed, fixed)
            if unit:
                highs.changeColsCost(n_pairs, pairs, -np.ones(n_pairs))
            # First solve: interior point (several times faster than simplex from
            # scratch here), with crossover to a basis. Then simplex from the last
            # basis, even after tens of thousands of new pairs (dual: 1.4 s where
            # interior point from scratch took 3.3 s and primal 14 s at 5,000 + 1,000
            # either): primal after a few new pairs or a changed objective (the basis
            # stays feasible: milliseconds), dual after more, a bound or a new row.
            highs.setOptionValue("solver", "simplex" if self.solved else "ipm")
            primal = (
                self.solved
                and (added <= PRIMAL_ADDITIONS or unit)
                and mentor is None
                and not self.dual_next
            )
            highs.setOptionValue("simplex_strategy", 4 if primal else 1)
            highs.run()
            optimal = highs.getModelStatus() == ModelStatus.kOptimal
            solution = highs.getSolution()
            x = np.asarray(solution.col_value, dtype=np.float64)
            marginals = -np.asarray(solution.row_dual, dtype=np.float64)
            if mentor is not None:
                highs.changeColsBounds(n_either, either, np.zeros(n_either), np.ones(n_either))
            if unit:
                highs.changeColsCost(n_pairs, pairs, -gains)
            if basis is not None:
                highs.setBasis(basis)
        except Exception:  # pragma: no cover - HiGHS refused a change
            return None
        if not detour:
            self.dual_next = False
        shape = self.shape
        if not optimal or len(x) != n_either + n_pairs:
            return None
        if len(marginals) < shape.n_rows + shape.n_cols:
            return None  # pragma: no cover
        self.solved = True
        return Solution(x[n_either:], x[:n_either], _duals(shape, marginals))


def _solve_cold(
    shape: Shape,
    pairs: Pairs,
    gains: FloatArray,
    pair_cap: int | None,
    mentor: BoolArray | None,
) -> Solution | None:
    matrix, rhs = constraints(shape, pairs, pair_cap)
    n_either = shape.n_either
    upper = np.concatenate([np.full(len(pairs), np.inf), np.ones(n_either)])
    lower = np.zeros(len(upper))
    if mentor is not None:
        upper[len(pairs) :] = lower[len(pairs) :] = mentor
    # Interior point (with crossover to a vertex): several times faster than simplex
    # on these assignment-shaped programs.
    result = linprog(
        np.concatenate([-gains, np.zeros(n_either)]),
        A_ub=matrix,
        b_ub=rhs,
        bounds=np.column_stack([lower, upper]),
        method="highs-ipm",
    )
    if result.status != 0:
        return None
    marginals = -np.asarray(result.ineqlin.marginals, dtype=np.float64)
    x = np.asarray(result.x, dtype=np.float64)
    return Solution(x[: len(pairs)], x[len(pairs) :], _duals(shape, marginals))


def _duals(shape: Shape, marginals: FloatArray) -> Duals:
    marginals = np.maximum(marginals, 0.0)  # any duals >= 0 give a valid bound
    n_rows, n_cols = shape.n_rows, shape.n_cols
    cut = float(marginals[n_rows + n_cols]) if len(marginals) > n_rows + n_cols else 0.0
    return Duals(marginals[:n_rows], marginals[n_rows : n_rows + n_cols], cut)
