"""One matching round: candidates and rules in, explained pairs out."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from bot.domain import MatchPriority, Role
from bot.matching import explain
from bot.matching.assign import SparseGraph, sparse_pays
from bot.matching.cells import Cells, Columns
from bot.matching.model import (
    Candidate,
    ConstraintCost,
    Constraints,
    MatchResult,
    MatchSummary,
    Pair,
    Rule,
    Unmatched,
    Weights,
)
from bot.matching.scoring import (
    SCORE_UNITS,
    BoolArray,
    FloatArray,
    IntArray,
    Population,
    build_population,
    hours_between,
    rule_masks,
    score,
    score_units,
)
from bot.matching.solve import Assignment, Deadline, solve

Progress = Callable[[str, float], None]
"""Called with a phase name ("scoring", "solving", "explaining") and the share done."""
Clock = Callable[[], float]
"""Monotonic seconds (`time.monotonic` at the edge): only for `Constraints.time_limit`."""

# Rows compared at once: bounds the temporaries to a few tens of megabytes.
BLOCK_CELLS = 2_000_000
# Rows scored at once: each block's passes stay in the processor's cache (measured:
# 500,000 cells 15 % faster than 2,000,000, and smaller blocks lose to overheads).
SCORE_CELLS = 500_000
# The cost of each rule is found by solving again without it; only below this size.
COST_CELLS = 1_000_000

_MENTEE_ROLES = (Role.MENTEE, Role.EITHER)
_MENTOR_ROLES = (Role.MENTOR, Role.EITHER)


def _silent_progress(_phase: str, _done: float) -> None:
    return None


def match(
    candidates: Sequence[Candidate],
    constraints: Constraints | None = None,
    weights: Weights | None = None,
    *,
    seed: int = 0,
    reference_date: dt.date,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> MatchResult:
    """The best pairs for one round under `constraints`, with reasons.

    Deterministic for a given input and `seed` (ties are broken by a seeded shuffle of
    the input order). `reference_date` is the day working hours are compared on.
    With a `clock`, the search for `either` people's sides stops after
    `constraints.time_limit` seconds (then the result says how far from proven it is);
    without one, only its work budget stops it. Raises ValueError on duplicate ids.
    """
    constraints = constraints or Constraints()
    weights = weights or Weights()
    report = progress or _silent_progress
    counts = Counter(c.id for c in candidates)
    if duplicates := sorted(i for i, n in counts.items() if n > 1):
        raise ValueError(f"duplicate candidate ids: {', '.join(duplicates)}")

    left_out = {
        c.id: "excluded by an admin" if c.id in constraints.excluded_ids else "paused or inactive"
        for c in candidates
        if c.id in constraints.excluded_ids or not c.active
    }
    pop = build_population(
        [c for c in candidates if c.id not in left_out], constraints, reference_date=reference_date
    )
    pins, notes = _pins(pop, constraints, left_out)
    round_ = _Round.build(pop, constraints, weights, pins)
    report("scoring", 0.0)
    deadline = None if clock is None else Deadline(clock, clock() + constraints.time_limit)
    solved = round_.solve(seed=seed, deadline=deadline, progress=report)
    report("solving", 1.0)

    pairs = [_pinned_pair(pop, weights, a, b) for a, b in pins]
    pairs += [
        _solved_pair(round_, mentor=int(round_.cols[c]), mentee=int(round_.rows[r]), weight=w)
        for r, c, w in solved.pairs
    ]
    pairs.sort(key=lambda p: (pop.index[p.mentor_id], pop.index[p.mentee_id]))
    report("explaining", 0.5)

    paired = {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}
    reasons = round_.why_unmatched(
        [c.id for c in candidates if c.id not in paired and c.id not in left_out]
    )
    unmatched = [
        Unmatched(c.id, left_out[c.id] if c.id in left_out else reasons[c.id])
        for c in candidates
        if c.id not in paired
    ]
    costs = round_.constraint_costs(solved, seed=seed, clock=clock)
    if costs is None:
        notes.append(
            "rule costs not computed: more than "
            f"{COST_CELLS:,} possible pairs to re-solve for each rule"
        )
    report("explaining", 1.0)

    bound_pairs, bound_units = round_.objective.split(solved.assignment.bound)
    pinned_units = sum(round(p.score * SCORE_UNITS) for p in pairs if p.pinned)
    total_score = round(sum(p.score for p in pairs), 3)
    bound_pairs += len(pins)
    bound_score = (bound_units + pinned_units) / SCORE_UNITS
    if not solved.assignment.optimal:
        notes.append(
            explain.shortfall_note(
                pairs=len(pairs),
                total_score=total_score,
                bound_pairs=bound_pairs,
                bound_score=bound_score,
                solves=solved.assignment.lp_solves,
                stopped_by=solved.assignment.stopped_by or "work limit",
                time_limit=constraints.time_limit,
            )
        )
    summary = MatchSummary(
        people=len(candidates),
        pairs=len(pairs),
        people_matched=len(paired),
        unmatched=len(unmatched),
        total_score=total_score,
        optimal=solved.assignment.optimal,
        bound_pairs=bound_pairs,
        bound_score=bound_score,
        constraint_costs=costs,
        notes=tuple(notes),
        stopped_by=None if solved.assignment.optimal else solved.assignment.stopped_by,
    )
    return MatchResult(tuple(pairs), tuple(unmatched), summary)


@dataclass(frozen=True)
class _Objective:
    """Pair scores (in SCORE_UNITS) turned into assignment weights, and back.

    MOST_MATCHED adds `step` (more than any total of scores) to every pair, so one more
    pair always beats any gain in score; HIGHEST_SCORE multiplies the score by `step`
    (more than any number of pairs) and adds 1, so among equal totals the matching with
    more pairs wins and a zero-score pair still differs from a forbidden one (weight 0).
    """

    priority: MatchPriority
    step: float

    @classmethod
    def build(cls, priority: MatchPriority, weights: Weights, max_pairs: int) -> _Objective:
        if priority is MatchPriority.MOST_MATCHED:
            return cls(priority, math.ceil(weights.maximum * SCORE_UNITS) * max_pairs + 1.0)
        return cls(priority, max_pairs + 1.0)

    def weights(self, units: FloatArray) -> FloatArray:
        if self.priority is MatchPriority.MOST_MATCHED:
            return units + self.step
        return units * self.step + 1.0

    def weights_in_place(self, units: FloatArray) -> FloatArray:
        """`weights(units)`, overwriting `units` (a block-sized temporary)."""
        if self.priority is MatchPriority.MOST_MATCHED:
            units += self.step
        else:
            units *= self.step
            units += 1.0
        return units

    def costs_in_place(self, units: FloatArray) -> FloatArray:
        """`-weights(units)`, overwriting `units`: the costs the assignment minimises."""
        if self.priority is MatchPriority.MOST_MATCHED:
            np.subtract(-self.step, units, out=units)
        else:
            units *= -self.step
            units -= 1.0
        return units

    def units(self, weight: float) -> float:
        if self.priority is MatchPriority.MOST_MATCHED:
            return weight - self.step
        return (weight - 1.0) / self.step

    @property
    def pair_step(self) -> float | None:
        """The weight every pair carries on top of its score (most matched only)."""
        return self.step if self.priority is MatchPriority.MOST_MATCHED else None

    def split(self, total: float) -> tuple[int, int]:
        """(pairs, score units) of a total weight."""
        if self.priority is MatchPriority.MOST_MATCHED:
            pairs = int(total // self.step)
            return pairs, int(total - pairs * self.step)
        units = int(total // self.step)
        return int(total - units * self.step), units


@dataclass(frozen=True)
class _Solved:
    pairs: list[tuple[int, int, float]]  # (row, column, weight) in the round's matrix
    assignment: Assignment

    def totals(self, objective: _Objective) -> tuple[int, int]:
        return len(self.pairs), round(sum(objective.units(w) for _, _, w in self.pairs))


@dataclass(frozen=True)
class _Round:
    """Who can sit on which side this round, and how to score and solve it."""

    pop: Population
    constraints: Constraints
    weights: Weights
    rows: IntArray  # people who may be a mentee
    cols: IntArray  # people who may be a mentor
    capacity: IntArray  # mentees each column may still take
    objective: _Objective
    cells: Cells

    @classmethod
    def build(
        cls,
        pop: Population,
        constraints: Constraints,
        weights: Weights,
        pins: list[tuple[int, int]],
    ) -> _Round:
        pinned_mentees = {b for _, b in pins}
        load = Counter(a for a, _ in pins)
        rows = [
            i
            for i, c in enumerate(pop.candidates)
            if c.role in _MENTEE_ROLES and i not in pinned_mentees and i not in load
        ]
        cols = [
            i
            for i, c in enumerate(pop.candidates)
            if c.role in _MENTOR_ROLES and i not in pinned_mentees and c.max_mentees > load[i]
        ]
        capacity = np.array([pop.candidates[i].max_mentees - load[i] for i in cols], dtype=np.int64)
        max_pairs = max(1, min(len(rows), int(capacity.sum())))
        objective = _Objective.build(constraints.priority, weights, max_pairs)
        return cls(
            pop,
            constraints,
            weights,
            np.array(rows, dtype=np.int64),
            np.array(cols, dtype=np.int64),
            capacity,
            objective,
            Cells.build(pop, constraints, weights),
        )

    @property
    def bipartite(self) -> bool:
        """Nobody may take both sides: one plain assignment solves the round."""
        return len(np.intersect1d(self.rows, self.cols)) == 0

    def weight_matrix(
        self, *, relax: Rule | None = None, progress: Progress = _silent_progress
    ) -> FloatArray:
        """Assignment weight of every (row, column) pair; 0 where a rule forbids it."""
        weights = np.empty((len(self.rows), len(self.cols)))
        if weights.size:
            self._fill(
                weights,
                self.rows,
                self.cells.columns(self.cols),
                self.objective.weights_in_place,
                relax=relax,
                progress=progress,
            )
        return weights

    def _fill(
        self,
        out: FloatArray,
        rows: IntArray,
        columns: Columns,
        finish: Callable[[FloatArray], FloatArray],
        *,
        relax: Rule | None,
        progress: Progress,
        transposed: bool = False,
    ) -> tuple[BoolArray, IntArray]:
        """Write `finish(score units)` of rows × columns into `out` (columns × rows when
        `transposed`), 0 where a rule forbids the pair, block by block; returns which
        rows and which columns have an allowed pair.
        """
        live_rows = np.zeros(len(rows), dtype=np.bool_)
        per_col = np.zeros(len(columns.people), dtype=np.int64)
        blocks = self._blocks(
            rows, columns, finish, relax=relax, progress=progress, into=None if transposed else out
        )
        for start, stop, block, allowed in blocks:
            block *= allowed  # 0 where a rule forbids the pair
            if transposed:
                out[:, start:stop] = block.T
            live_rows[start:stop] = allowed.any(axis=1)
            per_col += allowed.sum(axis=0)
        return live_rows, per_col

    def _blocks(
        self,
        rows: IntArray,
        columns: Columns,
        finish: Callable[[FloatArray], FloatArray],
        *,
        relax: Rule | None,
        progress: Progress,
        into: FloatArray | None = None,
    ) -> Iterator[tuple[int, int, FloatArray, BoolArray]]:
        """(start, stop, finish(score units), allowed) for each block of rows; the block
        is `into[start:stop]` when given, else one buffer reused from block to block."""
        n_rows, n_cols = len(rows), len(columns.people)
        step = max(1, SCORE_CELLS // max(n_cols, 1))
        scratch = np.empty((min(step, n_rows), n_cols))  # reused by every block
        spare = np.empty_like(scratch) if into is None else into
        for start in range(0, n_rows, step):
            stop = min(n_rows, start + step)
            block = spare[: stop - start] if into is None else spare[start:stop]
            allowed = self.cells.units(
                rows[start:stop], columns, block, relax=relax, scratch=scratch[: stop - start]
            )
            yield start, stop, finish(block), allowed
            progress("scoring", stop / n_rows)

    def solve(
        self,
        *,
        seed: int,
        relax: Rule | None = None,
        work_share: float = 1.0,
        deadline: Deadline | None = None,
        progress: Progress = _silent_progress,
    ) -> _Solved:
        """The best valid matching of the round (with one rule relaxed, if given)."""
        if self.bipartite:
            return self._solve_seats(seed=seed, relax=relax, progress=progress)
        rng = np.random.default_rng(seed)
        row_order = rng.permutation(len(self.rows))  # the seeded order breaks ties
        col_order = rng.permutation(len(self.cols))
        # Written in that order: the search reads this matrix as it is, with no copy.
        weights = np.empty((len(self.rows), len(self.cols)))
        live, per_col = self._fill(
            weights,
            self.rows[row_order],
            self.cells.columns(self.cols[col_order]),
            self.objective.weights_in_place,
            relax=relax,
            progress=progress,
        )
        progress("solving", 0.0)
        if not live.any():
            nothing = np.zeros(0, dtype=np.int64)
            return _Solved([], Assignment(nothing, nothing, 0.0, 0.0, True))
        found = solve(
            weights,
            self.capacity[col_order],
            self.rows[row_order],
            self.cols[col_order],
            pair_step=self.objective.pair_step,
            seed=seed,
            work_share=work_share,
            deadline=deadline,
            allowed_per_col=per_col,
        )
        pairs = [
            (int(row_order[r]), int(col_order[c]), float(weights[r, c]))
            for r, c in zip(found.rows, found.cols, strict=True)
        ]
        assignment = replace(found, rows=row_order[found.rows], cols=col_order[found.cols])
        return _Solved(pairs, assignment)

    def _solve_seats(self, *, seed: int, relax: Rule | None, progress: Progress) -> _Solved:
        """Nobody on both sides: one exact assignment, rows in a seeded order (it breaks
        ties), one column per seat. When the rules forbid most pairs, over the allowed
        pairs only (`SparseGraph`); otherwise over a cost matrix written in the solver's
        layout, block by block.
        """
        rng = np.random.default_rng(seed)
        row_order = rng.permutation(len(self.rows))
        col_order = rng.permutation(len(self.cols))
        seat_col = np.repeat(col_order, np.minimum(self.capacity[col_order], len(self.rows)))
        rows, seats = self.rows[row_order], self.cells.columns(self.cols[seat_col])
        if self._sparse_pays(rows, seats, relax):
            graph = SparseGraph(len(seat_col))
            for _, _, block, allowed in self._blocks(
                rows, seats, self.objective.weights_in_place, relax=relax, progress=progress
            ):
                graph.add(block, allowed)
            progress("solving", 0.0)
            first, second, weights = graph.solve()
            return self._solved(row_order[first], seat_col[second], weights)
        return self._solve_dense(rows, seats, row_order, seat_col, relax=relax, progress=progress)

    def _sparse_pays(self, rows: IntArray, seats: Columns, relax: Rule | None) -> bool:
        """`sparse_pays` for this round, its share of allowed pairs judged on the first
        block of the (shuffled) rows."""
        if len(rows) == 0 or len(seats.people) == 0:
            return False
        sample = rows[: max(1, SCORE_CELLS // len(seats.people))]
        share = float(self.cells.allowed(sample, seats, relax=relax).mean())
        return sparse_pays(share, len(rows), len(seats.people))

    def _solve_dense(
        self,
        rows: IntArray,
        seats: Columns,
        row_order: IntArray,
        seat_col: IntArray,
        *,
        relax: Rule | None,
        progress: Progress,
    ) -> _Solved:
        """`linear_sum_assignment` on the round's only full-size array: no weight matrix
        beside it, no copy for the solver (scipy solves a C-ordered float64 array with
        no more rows than columns in place; with more rows it is written transposed).
        """
        n_rows, n_seats = len(row_order), len(seat_col)
        transposed = n_rows > n_seats
        cost = np.empty((n_seats, n_rows) if transposed else (n_rows, n_seats))
        live_rows, per_seat = self._fill(
            cost,
            rows,
            seats,
            self.objective.costs_in_place,
            relax=relax,
            progress=progress,
            transposed=transposed,
        )
        progress("solving", 0.0)
        if transposed:
            cost, kept_seats, kept_rows = _compact(cost, per_seat > 0, live_rows)
        else:
            cost, kept_rows, kept_seats = _compact(cost, live_rows, per_seat > 0)
        if cost.size == 0:
            nothing = np.zeros(0, dtype=np.int64)
            return self._solved(nothing, nothing, np.zeros(0))
        first, second = linear_sum_assignment(cost)
        weights = -cost[first, second]
        del cost
        keep = weights > 0
        if transposed:
            first, second = second, first
        rows_at = row_order[kept_rows[first[keep]]]
        return self._solved(rows_at, seat_col[kept_seats[second[keep]]], weights[keep])

    @staticmethod
    def _solved(rows: IntArray, cols: IntArray, weights: FloatArray) -> _Solved:
        value = float(weights.sum())
        pairs = [(int(r), int(c), float(w)) for r, c, w in zip(rows, cols, weights, strict=True)]
        return _Solved(pairs, Assignment(rows, cols, value, value, True))

    def why_unmatched(self, person_ids: Sequence[str]) -> dict[str, str]:
        """Why each of these people (in the round, unmatched) has no partner."""
        people = np.array([self.pop.index[i] for i in person_ids], dtype=np.int64)
        as_mentee = self._eligible_partners(people[np.isin(people, self.rows)], mentee=True)
        as_mentor = self._eligible_partners(people[np.isin(people, self.cols)], mentee=False)
        reasons = {}
        for person_id, person in zip(person_ids, people.tolist(), strict=True):
            sides = []
            if person in as_mentee:
                sides.append(self._side_reason(person, "mentor", *as_mentee[person], mentee=True))
            if person in as_mentor:
                sides.append(self._side_reason(person, "mentee", *as_mentor[person], mentee=False))
            candidate = self.pop.candidates[person]
            if not sides:
                reasons[person_id] = f"no room for a leader (max_mentees {candidate.max_mentees})"
            elif len(sides) == 1:
                reasons[person_id] = sides[0]
            else:
                reasons[person_id] = f"as a leader, {sides[0]}; as a reverse mentor, {sides[1]}"
        return reasons

    def _eligible_partners(self, people: IntArray, *, mentee: bool) -> dict[int, tuple[int, int]]:
        """Per person: (eligible partners on the other side, the first of them or -1)."""
        if len(people) == 0:
            return {}
        found: dict[int, tuple[int, int]] = {}
        if mentee and len(self.cols) == 0:
            return {person: (0, -1) for person in people.tolist()}
        if mentee:
            columns = self.cells.columns(self.cols)
            step = max(1, BLOCK_CELLS // max(len(self.cols), 1))
            for start in range(0, len(people), step):
                block = people[start : start + step]
                allowed = self.cells.allowed(block, columns)
                counts = allowed.sum(axis=1)
                firsts = allowed.argmax(axis=1)
                for person, count, first in zip(block.tolist(), counts, firsts, strict=True):
                    found[person] = (int(count), int(self.cols[first]) if count else -1)
            return found
        columns = self.cells.columns(people)
        counts = np.zeros(len(people), dtype=np.int64)
        firsts = np.full(len(people), -1, dtype=np.int64)
        step = max(1, BLOCK_CELLS // len(people))
        for start in range(0, len(self.rows), step):
            block = self.rows[start : start + step]
            allowed = self.cells.allowed(block, columns)
            here = allowed.any(axis=0) & (firsts < 0)
            firsts[here] = block[allowed[:, here].argmax(axis=0)]
            counts += allowed.sum(axis=0)
        for person, count, first in zip(people.tolist(), counts, firsts, strict=True):
            found[person] = (int(count), int(first))
        return found

    def _side_reason(
        self, person: int, other_side: str, count: int, first: int, *, mentee: bool
    ) -> str:
        if count:
            only = self.pop.candidates[first].display_name if count == 1 else None
            return explain.taken_reason(other_side=other_side, eligible=count, only_name=only)
        others = self.cols if mentee else self.rows
        others = others[others != person]
        me = np.array([person], dtype=np.int64)
        masks = (
            rule_masks(self.pop, me, others, self.constraints)
            if mentee
            else rule_masks(self.pop, others, me, self.constraints)
        )
        blocked = {rule: int((~mask).sum()) for rule, mask in masks.items()}
        candidate = self.pop.candidates[person]
        return explain.blocked_reason(
            other_side=other_side,
            considered=len(others),
            blocked=blocked,
            constraints=self.constraints,
            skills=candidate.wants if mentee else candidate.teaches,
        )

    def constraint_costs(
        self, solved: _Solved, *, seed: int, clock: Clock | None = None
    ) -> tuple[ConstraintCost, ...] | None:
        """What each rule in force cost, by solving again without it (small inputs only)."""
        if len(self.rows) * len(self.cols) > COST_CELLS:
            return None
        rules = [Rule.STAGE_GAP, Rule.MANAGER, Rule.PREVIOUS_PARTNER]
        if len(self.pop.excluded):
            rules.append(Rule.EXCLUDED_PAIR)
        if self.constraints.require_cross_department:
            rules.append(Rule.CROSS_DEPARTMENT)
        if self.constraints.min_shared_skills > 0:
            rules.append(Rule.SHARED_SKILLS)
        if self.constraints.min_overlap_hours > 0:
            rules.append(Rule.WORKING_HOURS)
        pairs, units = solved.totals(self.objective)
        costs = []
        allowed = self._allowed_cells(None)
        for rule in rules:
            if self._allowed_cells(rule) == allowed:
                costs.append(ConstraintCost(rule, 0, 0.0))  # it forbade nothing
                continue
            # A quarter of the search budget each: four re-solves cost about one solve.
            share = 0.25 * self.constraints.time_limit
            deadline = None if clock is None else Deadline(clock, clock() + share)
            again = self.solve(relax=rule, seed=seed, work_share=0.25, deadline=deadline)
            more_pairs, more_units = again.totals(self.objective)
            costs.append(
                ConstraintCost(rule, more_pairs - pairs, (more_units - units) / SCORE_UNITS)
            )
        return tuple(costs)

    def _allowed_cells(self, relax: Rule | None) -> int:
        if len(self.rows) == 0 or len(self.cols) == 0:
            return 0
        return int(self.cells.allowed(self.rows, self.cells.columns(self.cols), relax=relax).sum())


def _compact(
    cost: FloatArray, keep_rows: BoolArray, keep_cols: BoolArray
) -> tuple[FloatArray, IntArray, IntArray]:
    """`cost[keep_rows][:, keep_cols]` as a C-ordered array in the same buffer (rows
    and columns no rule allows only slow the solver); returns it and the kept positions.
    """
    rows, cols = np.flatnonzero(keep_rows), np.flatnonzero(keep_cols)
    if len(rows) == cost.shape[0] and len(cols) == cost.shape[1]:
        return cost, rows, cols
    flat = cost.reshape(-1)
    width = len(cols)
    every_col = width == cost.shape[1]
    for i, r in enumerate(rows.tolist()):
        # Row i lands at or before row r's old place, never over a row not yet moved.
        flat[i * width : (i + 1) * width] = cost[r] if every_col else cost[r, cols]
    return flat[: len(rows) * width].reshape(len(rows), width), rows, cols


def _pins(
    pop: Population, constraints: Constraints, left_out: dict[str, str]
) -> tuple[list[tuple[int, int]], list[str]]:
    """The admin's pinned pairs that can be kept, and a note for each that cannot."""
    pins: list[tuple[int, int]] = []
    notes: list[str] = []
    as_mentee: set[int] = set()
    as_mentor: set[int] = set()
    for mentor_id, mentee_id in constraints.pinned:
        label = f"pinned pair {mentor_id} → {mentee_id} not kept"
        missing = [i for i in (mentor_id, mentee_id) if i not in pop.index]
        if missing:
            why = left_out.get(missing[0], "not in the input")
            notes.append(f"{label}: {missing[0]} is {why}")
            continue
        mentor, mentee = pop.index[mentor_id], pop.index[mentee_id]
        if mentor == mentee:
            notes.append(f"{label}: a person cannot mentor themself")
        elif mentee in as_mentee:
            notes.append(f"{label}: {mentee_id} already has a pinned mentor")
        elif mentor in as_mentee or mentee in as_mentor:
            notes.append(f"{label}: nobody can be on both sides in one round")
        else:
            pins.append((mentor, mentee))
            as_mentee.add(mentee)
            as_mentor.add(mentor)
    return pins, notes


def _pinned_pair(pop: Population, weights: Weights, mentor: int, mentee: int) -> Pair:
    units = score_units(score(pop, np.array([mentee]), np.array([mentor]), weights))
    return _pair(pop, mentor=mentor, mentee=mentee, units=float(units[0, 0]), pinned=True)


def _solved_pair(round_: _Round, *, mentor: int, mentee: int, weight: float) -> Pair:
    units = round_.objective.units(weight)
    return _pair(round_.pop, mentor=mentor, mentee=mentee, units=units, pinned=False)


def _pair(pop: Population, *, mentor: int, mentee: int, units: float, pinned: bool) -> Pair:
    a, b = pop.candidates[mentor], pop.candidates[mentee]
    return Pair(
        mentor_id=a.id,
        mentee_id=b.id,
        score=round(units) / SCORE_UNITS,
        shared_skills=explain.shared_skills(teacher=a, learner=b),
        reasons=explain.pair_reasons(
            mentor=a, mentee=b, hours=hours_between(pop, mentor, mentee), pinned=pinned
        ),
        pinned=pinned,
    )
