"""One matching round: candidates and rules in, explained pairs out."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.domain import MatchPriority, Role
from bot.matching import explain
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
    eligible,
    hours_between,
    hours_of,
    rule_masks,
    score,
    score_units,
    score_units_in_place,
    taught_counts,
)
from bot.matching.solve import Assignment, Deadline, solve

Progress = Callable[[str, float], None]
"""Called with a phase name ("scoring", "solving", "explaining") and the share done."""
Clock = Callable[[], float]
"""Monotonic seconds (`time.monotonic` at the edge): only for `Constraints.time_limit`."""

# Rows scored at once: bounds the float64 temporaries to a few tens of megabytes.
BLOCK_CELLS = 2_000_000
# The cost of each rule is found by solving again without it; only below this size.
COST_CELLS = 1_000_000

_MENTEE_ROLES = (Role.MENTEE, Role.EITHER)
_MENTOR_ROLES = (Role.MENTOR, Role.EITHER)


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
    report = progress or _silent
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
    allowed_weights = round_.weight_matrix(progress=report)
    report("solving", 0.0)
    deadline = None if clock is None else Deadline(clock, clock() + constraints.time_limit)
    solved = round_.solve(allowed_weights, seed=seed, deadline=deadline)
    report("solving", 1.0)

    pairs = [_pinned_pair(pop, weights, a, b) for a, b in pins]
    pairs += [
        _solved_pair(round_, mentor=int(round_.cols[c]), mentee=int(round_.rows[r]), weight=w)
        for r, c, w in solved.pairs
    ]
    pairs.sort(key=lambda p: (pop.index[p.mentor_id], pop.index[p.mentee_id]))
    report("explaining", 0.5)

    paired = {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}
    allowed = allowed_weights > 0
    del allowed_weights  # the biggest array; free it before the re-solves
    unmatched = [
        Unmatched(
            c.id,
            left_out[c.id] if c.id in left_out else round_.why_unmatched(c.id, allowed, paired),
        )
        for c in candidates
        if c.id not in paired
    ]
    costs = round_.constraint_costs(allowed, solved, seed=seed, clock=clock)
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
        )

    def weight_matrix(
        self, *, relax: Rule | None = None, progress: Progress = lambda _p, _d: None
    ) -> FloatArray:
        """Assignment weight of every (row, column) pair; 0 where a rule forbids it."""
        weights = np.zeros((len(self.rows), len(self.cols)))
        if weights.size == 0:
            return weights
        step = max(1, BLOCK_CELLS // len(self.cols))
        for start in range(0, len(self.rows), step):
            block = self.rows[start : start + step]
            taught = taught_counts(self.pop, block, self.cols)
            hours = hours_of(self.pop, block, self.cols)
            allowed = eligible(
                self.pop,
                block,
                self.cols,
                self.constraints,
                relax=relax,
                taught=taught,
                hours=hours,
            )
            scores = score(self.pop, block, self.cols, self.weights, taught=taught, hours=hours)
            del taught, hours
            units = self.objective.weights_in_place(score_units_in_place(scores))
            np.copyto(weights[start : start + step], units, where=allowed)  # 0 elsewhere
            progress("scoring", min(1.0, (start + step) / len(self.rows)))
        return weights

    def solve(
        self,
        weights: FloatArray,
        *,
        seed: int,
        work_share: float = 1.0,
        deadline: Deadline | None = None,
    ) -> _Solved:
        """The best valid matching for `weights` (a weight_matrix)."""
        allowed = weights > 0
        live_rows = np.flatnonzero(allowed.any(axis=1))
        per_col = allowed.sum(axis=0)  # allowed rows per column: `assign` sizes slots by it
        live_cols = np.flatnonzero(per_col)
        del allowed
        if len(live_rows) == 0:
            nothing = np.zeros(0, dtype=np.int64)
            return _Solved([], Assignment(nothing, nothing, 0.0, 0.0, True))
        rng = np.random.default_rng(seed)
        row_order = rng.permutation(live_rows)  # the seeded order breaks ties
        col_order = rng.permutation(live_cols)
        assignment = solve(
            weights,
            row_order,
            col_order,
            self.capacity[col_order],
            self.rows[row_order],
            self.cols[col_order],
            pair_step=self.objective.pair_step,
            seed=seed,
            work_share=work_share,
            deadline=deadline,
            allowed_per_col=per_col[col_order],
        )
        pairs = [
            (int(r), int(c), float(weights[r, c]))
            for r, c in zip(assignment.rows, assignment.cols, strict=True)
        ]
        return _Solved(pairs, assignment)

    def why_unmatched(self, person_id: str, allowed: BoolArray, paired: set[str]) -> str:
        person = self.pop.index[person_id]
        candidate = self.pop.candidates[person]
        sides = []
        as_mentee = np.flatnonzero(self.rows == person)
        as_mentor = np.flatnonzero(self.cols == person)
        if len(as_mentee):
            eligible_cols = np.flatnonzero(allowed[as_mentee[0]])
            sides.append(self._side_reason(person, "mentor", self.cols[eligible_cols], mentee=True))
        if len(as_mentor):
            eligible_rows = np.flatnonzero(allowed[:, as_mentor[0]])
            sides.append(
                self._side_reason(person, "mentee", self.rows[eligible_rows], mentee=False)
            )
        if not sides:
            return f"no room for a leader (max_mentees {candidate.max_mentees})"
        if len(sides) == 1:
            return sides[0]
        return f"as a leader, {sides[0]}; as a reverse mentor, {sides[1]}"

    def _side_reason(
        self, person: int, other_side: str, partners: IntArray, *, mentee: bool
    ) -> str:
        if len(partners):
            only = (
                self.pop.candidates[int(partners[0])].display_name if len(partners) == 1 else None
            )
            return explain.taken_reason(
                other_side=other_side, eligible=len(partners), only_name=only
            )
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
        self, allowed: BoolArray, solved: _Solved, *, seed: int, clock: Clock | None = None
    ) -> tuple[ConstraintCost, ...] | None:
        """What each rule in force cost, by solving again without it (small inputs only)."""
        if allowed.size > COST_CELLS:
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
        for rule in rules:
            relaxed = self.weight_matrix(relax=rule)
            if np.count_nonzero(relaxed) == np.count_nonzero(allowed):
                costs.append(ConstraintCost(rule, 0, 0.0))  # it forbade nothing
                continue
            # A quarter of the search budget each: four re-solves cost about one solve.
            share = 0.25 * self.constraints.time_limit
            deadline = None if clock is None else Deadline(clock, clock() + share)
            again = self.solve(relaxed, seed=seed, work_share=0.25, deadline=deadline)
            more_pairs, more_units = again.totals(self.objective)
            costs.append(
                ConstraintCost(rule, more_pairs - pairs, (more_units - units) / SCORE_UNITS)
            )
        return tuple(costs)


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


def _silent(_phase: str, _done: float) -> None:
    return None
