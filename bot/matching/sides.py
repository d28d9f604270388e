"""The best matching when some people may take either side, but never both in one round.

With `either` people the round is a matching on a general graph, not a bipartite one:
a mentor -> either -> leader chain is what a plain assignment would pick, and it uses
the `either` person twice. The search, cheapest step first:

1. Exact shortcuts. On small rounds, the assignment with `either` people on both sides
   at once (a relaxation): if nobody is used twice it is optimal. In a most-matched
   round, everyone on the mentee side: if that matches every row it is optimal, since a
   mentor-side `either` person would leave their own row unmatched.
2. Column generation. The linear program of `relax` over a sparse set of candidate
   pairs (on its double cover, or HiGHS warm-started: `program`), priced over the
   full matrix by `pricing`;
   pairs with a positive reduced cost join the candidates and it is solved again.
   Every round's duals give a bound valid for the whole matrix.
3. Incumbents. An integral LP solution, or the LP's sides rounded and the LP solved
   again with them fixed (then bipartite, so whole; on the cover after every LP that
   has nearly settled, it being cheap there); failing that, the exact assignment for
   those sides over the full matrix (`assign`).
4. Proof. The duals leave few pairs that can appear in a matching better than the
   incumbent (`pricing.keep`). If the LP is integral, those pairs join the candidates:
   when the next LP's bound over its candidates is below the incumbent plus 1, no
   better matching exists. If it is fractional, the integer program over just those
   pairs (HiGHS) finds the best of them or proves there is none. When the LP counts
   half pairs (an odd cycle), an LP with unit weights first bounds the number of pairs
   and a cut at that number removes them.

Guarantee: the result is always a valid matching. It is reported optimal only when
one of those proofs holds: they rest on duals checked against every pair of the
matrix, on whole-number weights, and (for a fractional LP) on HiGHS closing the integer
program over the kept pairs. Otherwise the bound returned is the smallest valid upper
bound found. The search stops at a work budget (`LP_WORK`, pairs per LP solve, not
time), at the caller's `Deadline` if it gave one (or before an LP expected to end past
it), or when a round adds no pair.
Nothing is random but the seeded choice of the first candidates: the same input and
seed give the same answer (unless the deadline cuts the search short).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.matching.assign import Assignment, assign
from bot.matching.pricing import ROUNDING, first_pairs, keep, price
from bot.matching.program import Program
from bot.matching.relax import (
    BoolArray,
    Duals,
    FloatArray,
    IntArray,
    Pairs,
    Shape,
    Solution,
    solve_milp,
)

ROOT_CELLS = 4_000_000  # the relaxation is tried first up to this many cells
FIRST_BEST = 8  # first candidates: each row's and each column's best pairs ...
# ... and random allowed pairs per row: none by default, the columns' best pairs give
# the spread (at 5,000 + 1,000 either, 4 best + 4 random took 1.5–1.9 s longer to the
# proof than 8 best over three instance seeds: a first LP as big, less to the point).
FIRST_RANDOM = 0
ADD_PER_ROW = 10  # pairs a pricing round may add per row
KEEP_PER_ROW = 128  # pairs per row the proof may keep
MAX_KEPT = 100_000  # pairs the proof may keep (they join the LP when it is integral)
MILP_KEPT = 20_000  # ... or go to the integer program, when it is not
MILP_NODES = 200  # branch-and-bound nodes it may use (not time: results stay repeatable)
LP_WORK = 800_000  # work budget of one search: pairs over its LP solves (`Program.solve`)
# Pricing slack (as a share of the bound) below which the LP's sides are worth rounding
# for a first incumbent, and below which a fractional number of pairs is the LP's own,
# not the sign of missing candidates.
ROUND_SLACK = 1e-6
SETTLED_SLACK = 1e-6


@dataclass(frozen=True)
class Deadline:
    """When the search must stop, on the caller's clock (seconds, monotonic)."""

    clock: Callable[[], float]
    at: float

    def remaining(self) -> float:
        return self.at - self.clock()


@dataclass(frozen=True)
class _Matching:
    rows: IntArray
    cols: IntArray
    value: float

    @property
    def pairs(self) -> int:
        return len(self.rows)


def _rounded(y: FloatArray, side_costs: FloatArray) -> BoolArray:
    """Whole sides from an LP's fractional ones: as many mentors as the LP has in total
    (rounded), the most mentor-like first. Rounding each half up instead would turn a
    half-and-half pair of people into two mentors, one mentee seat short.
    """
    mentors = round(float(y.sum()))
    order = np.lexsort((-side_costs, -y))  # by y, then by how much the bound prefers mentoring
    mentor = np.zeros(len(y), dtype=np.bool_)
    mentor[order[:mentors]] = True
    return mentor


def solve_sides(
    weights: FloatArray,
    capacity: IntArray,
    row_person: IntArray,
    col_person: IntArray,
    *,
    pair_step: float | None,
    seed: int,
    work_share: float = 1.0,
    deadline: Deadline | None = None,
) -> Assignment:
    """Best valid matching for `weights` (rows × columns, 0 = not allowed).

    `row_person` / `col_person` name who is behind each row / column; people in both
    are the `either` ones. `pair_step` is the weight every pair carries in a
    most-matched round, more than the rest of any matching's weight (see
    `matcher._Objective`); None in a highest-score round. Weights must be whole
    numbers (below 2**53 in total): the proofs round on that. `work_share` scales the
    work budget (`LP_WORK`); past `deadline` the best matching found is returned with
    its bound (`stopped_by` says which limit ended it).
    """
    search = _Search(weights, capacity, row_person, col_person, pair_step, seed, deadline)
    return search.run(int(LP_WORK * work_share))


class _Search:
    def __init__(
        self,
        weights: FloatArray,
        capacity: IntArray,
        row_person: IntArray,
        col_person: IntArray,
        pair_step: float | None,
        seed: int,
        deadline: Deadline | None = None,
    ) -> None:
        self.weights = weights
        self.deadline = deadline
        self.capacity = capacity
        self.row_person = row_person
        self.col_person = col_person
        self.shape = Shape.build(capacity, row_person, col_person)
        self.pair_step = pair_step
        self.rng = np.random.default_rng(seed)
        self.best: _Matching | None = None
        self.bound = math.inf
        self.solves = 0
        self.work = 0
        self.next_lp = 0.0  # seconds the next LP solve is expected to take (see `_solve`)

    def run(self, lp_work: int) -> Assignment:
        seeds = []
        n_rows, n_cols = self.weights.shape
        if self.weights.size <= ROOT_CELLS:
            root = self._assigned(np.arange(n_rows), np.arange(n_cols))
            self.bound = root.value
            used_twice = np.intersect1d(self.row_person[root.rows], self.col_person[root.cols])
            if len(used_twice) == 0:
                return self._proven(root)
            seeds.append(root)
        pure_capacity = int(np.delete(self.capacity, self.shape.either_col).sum())
        if self.pair_step is not None and n_rows <= pure_capacity:
            as_mentees = self.with_sides(np.zeros(self.shape.n_either, dtype=np.bool_))
            self._offer(as_mentees)
            if as_mentees.pairs == n_rows:
                return self._proven(as_mentees)
        proven = self._generate(self._first_candidates(seeds), lp_work)
        if self.best is None:
            self._offer(self.with_sides(np.zeros(self.shape.n_either, dtype=np.bool_)))
        best = self._incumbent()
        if proven:
            return self._proven(best)
        if math.isinf(self.bound):
            # Stopped before any LP priced the matrix: each row holds one pair at most.
            self.bound = math.fsum(self.weights.max(axis=1, initial=0.0).tolist())
        bound = math.floor(self.bound + ROUNDING)  # weights are whole numbers
        stopped_by = "time limit" if self._late() else "work limit"
        return Assignment(best.rows, best.cols, best.value, bound, False, self.solves, stopped_by)

    def _late(self) -> bool:
        """Past the deadline, or too near it for another LP as long as the last one."""
        return self.deadline is not None and self.deadline.remaining() <= self.next_lp

    def _out_of_budget(self, lp_work: int) -> bool:
        return self.work >= lp_work or self._late()

    def _generate(self, first: IntArray, lp_work: int) -> bool:
        """Column generation until proven (True), out of work or out of pairs to add."""
        n_cols = self.weights.shape[1]
        program = Program(self.shape)
        program.add(first // n_cols, first % n_cols, self.weights[first // n_cols, first % n_cols])
        candidates = first  # sorted keys of the program's pairs
        pair_cap: int | None = None  # proven most pairs, once the LP needed it
        # (floor, pairs): every matching weighing `floor` or more uses only these pairs.
        pending: tuple[float, IntArray] | None = None
        while not self._out_of_budget(lp_work):
            lp = self._solve(program)
            if lp is None or lp.duals is None:
                return False
            if lp.integral:
                self._offer_solution(program.pairs, lp)
            if pending is not None and (
                self._candidates_bound(program.pairs, lp.duals, program.pair_cap)
                < pending[0] - ROUNDING
            ):
                # The pending pairs are all candidates now, and no matching of the
                # candidates reaches `floor`: so none at all does.
                return True
            priced = price(
                self.weights,
                self.shape,
                lp.duals,
                program.pair_cap,
                add_per_row=ADD_PER_ROW,
                keep_per_row=KEEP_PER_ROW,
            )
            self.bound = min(self.bound, priced.bound)
            slack = math.fsum(priced.row_slack.tolist())
            pairs_count = float(lp.x.sum())
            if (
                pair_cap is None
                and slack <= SETTLED_SLACK * priced.bound
                and abs(pairs_count - round(pairs_count)) > ROUNDING
            ):
                # The LP counts a fraction of a pair (an odd cycle of half pairs):
                # bound the number of pairs on its own, and cut the LP there.
                pair_cap, candidates = self._max_pairs(program, candidates, lp_work)
                if self.pair_step is not None:
                    self.bound = min(self.bound, self._pairs_bound(pair_cap))
                if pair_cap < pairs_count - ROUNDING:
                    program.cut(pair_cap)
                    continue
            converged = len(np.setdiff1d(priced.additions, candidates)) == 0
            settled = slack <= ROUND_SLACK * priced.bound
            if program.on_cover:
                # Rounding is one sparse assignment here: a first incumbent at once, and
                # a better one whenever the LP has nearly stopped moving.
                rounding = converged or settled or self.best is None
            else:
                # Only when the LP has stopped moving, or for a first incumbent once it
                # nearly has: before that its sides mean little.
                rounding = converged or (self.best is None and settled)
            if not lp.integral and rounding:
                self._round(program, lp)
            additions = [priced.additions]
            best = self.best
            if best is not None:
                if self.bound - best.value < 1 - ROUNDING:
                    return True
                kept = keep(priced, best.value + 1, MAX_KEPT)
                if kept is not None:
                    # A fractional LP needs the integer program; for an integral one it
                    # is enough that the kept pairs join the candidates (next round).
                    if (
                        not lp.integral
                        and len(kept) <= MILP_KEPT
                        and self._prove(priced.bound, kept, lp.duals, pair_cap)
                    ):
                        return True
                    pending = (best.value + 1, kept)
                    additions.append(kept)
            new = np.setdiff1d(np.concatenate(additions), candidates)
            if len(new) == 0:
                return False
            program.add(new // n_cols, new % n_cols, self.weights[new // n_cols, new % n_cols])
            candidates = np.union1d(candidates, new)
        return False

    def _solve(
        self, program: Program, *, mentor: BoolArray | None = None, unit: bool = False
    ) -> Solution | None:
        self.solves += 1
        clock = None if self.deadline is None else self.deadline.clock
        started = 0.0 if clock is None else clock()
        solution = program.solve(mentor=mentor, unit=unit)
        self.work += program.last_work
        if clock is not None and mentor is None and not unit:
            # On the cover every solve starts from scratch, so the next takes about as
            # long; a warm HiGHS re-solve takes a fraction of the first, unknown ahead.
            self.next_lp = clock() - started if program.on_cover else 0.0
        return solution

    def _round(self, program: Program, lp: Solution) -> None:
        """An incumbent from the LP's sides, rounded: the best matching of the candidates
        for those sides (the LP again, now bipartite, so whole), or if that fails, of
        the whole matrix (an assignment: exact, but seconds at 6,000 × 6,000).
        """
        assert lp.duals is not None
        mentor = _rounded(lp.y, self.shape.side_costs(lp.duals))
        fixed = self._solve(program, mentor=mentor)
        if fixed is None or not fixed.integral or not self._offer_solution(program.pairs, fixed):
            self._offer(self.with_sides(mentor))

    def with_sides(self, mentor: BoolArray) -> _Matching:
        """The exact best matching with each `either` person on the given side."""
        n_rows, n_cols = self.weights.shape
        rows = np.delete(np.arange(n_rows), self.shape.either_row[mentor])
        cols = np.delete(np.arange(n_cols), self.shape.either_col[~mentor])
        return self._assigned(rows, cols)

    def _assigned(self, rows: IntArray, cols: IntArray) -> _Matching:
        matched_rows, matched_cols = assign(self.weights, rows, cols, self.capacity[cols])
        return self._matching(matched_rows, matched_cols)

    def _matching(self, rows: IntArray, cols: IntArray) -> _Matching:
        # Whole numbers below 2**53: the float sum is exact.
        return _Matching(rows, cols, float(self.weights[rows, cols].sum()))

    def _first_candidates(self, seeds: list[_Matching]) -> IntArray:
        """The pairs of `first_pairs`, and those of the seeds and the incumbent."""
        n_cols = self.weights.shape[1]
        matchings = [*seeds, *([self.best] if self.best is not None else [])]
        keys = [m.rows * n_cols + m.cols for m in matchings]
        keys.append(
            first_pairs(
                self.weights, self.capacity, best=FIRST_BEST, random=FIRST_RANDOM, rng=self.rng
            )
        )
        return np.unique(np.concatenate(keys))

    def _offer(self, candidate: _Matching) -> None:
        if self.best is None or candidate.value > self.best.value:
            self.best = candidate

    def _offer_solution(self, pairs: Pairs, solution: Solution) -> bool:
        """Offer a whole LP or integer-program solution; False if it is not valid."""
        chosen = solution.x > 0.5
        rows, cols = pairs.rows[chosen], pairs.cols[chosen]
        if not self._valid(rows, cols):
            return False
        self._offer(self._matching(rows, cols))
        return True

    def _valid(self, rows: IntArray, cols: IntArray) -> bool:
        """Every row once, every column within capacity, nobody on both sides."""
        load = np.bincount(cols, minlength=len(self.capacity))
        return (
            len(np.unique(rows)) == len(rows)
            and bool(np.all(load <= self.capacity))
            and len(np.intersect1d(self.row_person[rows], self.col_person[cols])) == 0
        )

    def _incumbent(self) -> _Matching:
        assert self.best is not None  # every LP round offers one
        return self.best

    def _proven(self, best: _Matching) -> Assignment:
        return Assignment(best.rows, best.cols, best.value, best.value, True, self.solves)

    def _candidates_bound(self, pairs: Pairs, duals: Duals, pair_cap: int | None) -> float:
        """`Shape.bound` over the candidate pairs only (a bound for matchings of them)."""
        mu = duals.mu if pair_cap is not None else 0.0
        reduced = (
            self.weights[pairs.rows, pairs.cols] - duals.u[pairs.rows] - duals.v[pairs.cols] - mu
        )
        slack = np.zeros(self.shape.n_rows)
        np.maximum.at(slack, pairs.rows, reduced)
        return self.shape.bound(duals, pair_cap, slack)

    def _pairs_unsettled(self, best: _Matching) -> bool:
        """Most matched: could a matching have more pairs than `best`, by the bound?"""
        return self.pair_step is not None and self.bound >= self.pair_step * (best.pairs + 1)

    def _pairs_bound(self, pair_cap: int) -> float:
        # At most pair_cap pairs, each scoring less than a step's worth in total.
        assert self.pair_step is not None
        return self.pair_step * (pair_cap + 1) - 1

    def _max_pairs(
        self, program: Program, candidates: IntArray, lp_work: int
    ) -> tuple[int, IntArray]:
        """An upper bound on the number of pairs: the LP with every pair weighing 1,
        priced like the other; its pairs join the candidates (returned)."""
        n_cols = self.weights.shape[1]
        bound = math.inf
        while True:
            lp = self._solve(program, unit=True)
            if lp is None or lp.duals is None:
                return int(self.weights.shape[0]), candidates
            priced = price(
                self.weights,
                self.shape,
                lp.duals,
                None,
                add_per_row=ADD_PER_ROW,
                keep_per_row=ADD_PER_ROW,
                unit=True,
            )
            bound = min(bound, priced.bound)
            new = np.setdiff1d(priced.additions, candidates)
            if len(new) == 0 or self._out_of_budget(lp_work):
                return math.floor(bound + ROUNDING), candidates
            program.add(new // n_cols, new % n_cols, self.weights[new // n_cols, new % n_cols])
            candidates = np.union1d(candidates, new)

    def _prove(
        self, bound: float, kept: IntArray | None, duals: Duals, pair_cap: int | None
    ) -> bool:
        """Solve the integer program over the kept pairs; True if it proves the optimum."""
        if kept is None:
            return False
        if len(kept) == 0:
            return True  # no pair can be part of a better matching
        best = self._incumbent()
        gap = bound - best.value
        side_costs = self.shape.side_costs(duals)
        # A person on their costlier side loses |cost| of the bound: fixed if that is
        # more than the gap leaves.
        sides = np.where(side_costs > 0, 1.0, 0.0)
        sides[np.abs(side_costs) <= gap - 1 + ROUNDING] = np.nan
        n_cols = self.weights.shape[1]
        pairs = Pairs.from_keys(kept, n_cols)
        gains = self.weights[pairs.rows, pairs.cols]
        pair_range = None if pair_cap is None else (0, pair_cap)
        if self.pair_step is not None and not self._pairs_unsettled(best):
            # The pairs are settled, so a better matching has exactly as many: score
            # units alone are the objective (smaller numbers for HiGHS).
            gains = gains - self.pair_step
            pair_range = (best.pairs, best.pairs)
        self.solves += 1
        proven, solution = solve_milp(
            self.shape,
            pairs,
            gains,
            pair_range=pair_range,
            sides=sides,
            node_limit=MILP_NODES,
            time_limit=None if self.deadline is None else max(0.0, self.deadline.remaining()),
        )
        if proven and solution is not None:
            self._offer_solution(pairs, solution)
        return proven
