"""The search over sides for `either` people: exact, proven, and honest past its budget.

Small weight matrices are checked against a brute force over every valid matching, with
the search's size thresholds lowered so that the linear-program path (column
generation, pricing, the pairs cut, the proof) runs even on a handful of people.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_reference import lp_path

from bot.domain import CareerStage, Role
from bot.matching import Candidate, match, program, sides
from bot.matching.assign import Assignment
from bot.matching.pricing import keep, price
from bot.matching.relax import Duals, Shape
from bot.matching.sides import solve_sides

ON = dt.date(2026, 11, 25)


@dataclass(frozen=True)
class Instance:
    weights: np.ndarray  # rows × columns, 0 = not allowed
    capacity: np.ndarray  # per column
    row_person: np.ndarray
    col_person: np.ndarray


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    """A few people; some `either` (a row and a column), never paired with themselves."""
    n_either = draw(st.integers(1, 3))
    n_mentees = draw(st.integers(0, 3))
    n_mentors = draw(st.integers(0, 3))
    either = list(range(n_either))
    row_person = np.array(either + [10 + i for i in range(n_mentees)])
    col_person = np.array(either + [20 + i for i in range(n_mentors)])
    cells = len(row_person) * len(col_person)
    weights = np.array(draw(st.lists(st.integers(0, 9), min_size=cells, max_size=cells)), float)
    weights = weights.reshape(len(row_person), len(col_person))
    weights[row_person[:, None] == col_person[None, :]] = 0.0
    capacity = np.array(draw(st.lists(st.integers(1, 2), min_size=len(col_person))))
    return Instance(weights, capacity[: len(col_person)], row_person, col_person)


def brute_force(case: Instance) -> float:
    """Weight of the best matching: rows once, columns within capacity, nobody twice."""
    n_rows, n_cols = case.weights.shape
    load = [0] * n_cols
    best = 0.0

    def visit(row: int, total: float, mentees: set[int]) -> None:
        nonlocal best
        if row == n_rows:
            best = max(best, total)
            return
        visit(row + 1, total, mentees)
        person = int(case.row_person[row])
        if person in case.col_person[[c for c in range(n_cols) if load[c]]]:
            return  # already mentoring someone
        for col in range(n_cols):
            weight = case.weights[row, col]
            mentor = int(case.col_person[col])
            if weight > 0 and load[col] < case.capacity[col] and mentor not in mentees:
                load[col] += 1
                visit(row + 1, total + weight, mentees | {person})
                load[col] -= 1

    visit(0, 0.0, set())
    return best


def weighted(case: Instance, pair_step: float | None) -> Instance:
    """The case with `pair_step` added to every allowed pair (a most-matched round)."""
    extra = (case.weights > 0) * (pair_step or 0.0)
    return Instance(case.weights + extra, case.capacity, case.row_person, case.col_person)


def solve(case: Instance, pair_step: float | None = None, seed: int = 0) -> Assignment:
    return solve_sides(
        case.weights,
        case.capacity,
        case.row_person,
        case.col_person,
        pair_step=pair_step,
        seed=seed,
    )


def is_valid(case: Instance, rows: np.ndarray, cols: np.ndarray) -> bool:
    load = np.bincount(cols, minlength=len(case.capacity))
    return (
        len(set(rows.tolist())) == len(rows)
        and bool(np.all(load <= case.capacity))
        and bool(np.all(case.weights[rows, cols] > 0))
        and not set(case.row_person[rows].tolist()) & set(case.col_person[cols].tolist())
    )


@settings(max_examples=30, deadline=None)
@given(instances(), st.sampled_from([None, 1000.0]), st.integers(0, 3))
def test_the_lp_path_proves_the_brute_force_optimum(
    case: Instance, pair_step: float | None, seed: int
) -> None:
    case = weighted(case, pair_step)
    with lp_path():
        result = solve(case, pair_step, seed)
    assert is_valid(case, result.rows, result.cols)
    assert result.optimal
    assert result.value == result.bound == brute_force(case)


@settings(max_examples=30, deadline=None)
@given(instances(), st.data())
def test_any_duals_bound_every_matching(case: Instance, data: st.DataObject) -> None:
    # The bound the proof rests on: for any duals >= 0 (not only optimal ones), no
    # valid matching of the full matrix weighs more.
    shape = Shape.build(case.capacity, case.row_person, case.col_person)
    values = st.floats(0, 12, allow_nan=False)
    duals = Duals(
        np.array(data.draw(st.lists(values, min_size=shape.n_rows, max_size=shape.n_rows))),
        np.array(data.draw(st.lists(values, min_size=shape.n_cols, max_size=shape.n_cols))),
        0.0,
    )
    priced = price(case.weights, shape, duals, None, add_per_row=1, keep_per_row=2)
    assert brute_force(case) <= priced.bound + 1e-9


@settings(max_examples=30, deadline=None)
@given(instances(), st.data())
def test_kept_pairs_hold_every_better_matching(case: Instance, data: st.DataObject) -> None:
    shape = Shape.build(case.capacity, case.row_person, case.col_person)
    values = st.floats(0, 12, allow_nan=False)
    duals = Duals(
        np.array(data.draw(st.lists(values, min_size=shape.n_rows, max_size=shape.n_rows))),
        np.array(data.draw(st.lists(values, min_size=shape.n_cols, max_size=shape.n_cols))),
        0.0,
    )
    priced = price(case.weights, shape, duals, None, add_per_row=1, keep_per_row=shape.n_cols)
    kept = keep(priced, brute_force(case), limit=10_000)
    assert kept is not None
    with lp_path():
        best = solve(case)  # proven optimal (previous test): a matching at the floor
    assert set((best.rows * shape.n_cols + best.cols).tolist()) <= set(kept.tolist())


def test_a_person_used_on_both_sides_is_split_by_the_search() -> None:
    # Rows: people 0 (either) and 1; columns: people 0 and 2. The relaxation pairs
    # 0 -> row 1 and 2 -> row 0 (weight 10 + 10), using person 0 twice.
    case = Instance(
        np.array([[0.0, 10.0], [10.0, 1.0]]), np.array([1, 1]), np.array([0, 1]), np.array([0, 2])
    )
    result = solve(case)
    assert result.optimal and result.value == 10.0 and len(result.rows) == 1


def test_an_odd_cycle_of_half_pairs_is_cut_and_proven() -> None:
    # m (stage 1) can mentor x (either, stage 3) and the leader (stage 5); x can mentor
    # the leader. The LP takes half of each of the three pairs: 1.5 pairs. The count of
    # pairs is bounded on its own (1), cut there, and the one pair is proven best.
    people = [
        Candidate("m", Role.MENTOR, CareerStage(1)),
        Candidate("x", Role.EITHER, CareerStage(3)),
        Candidate("lead", Role.MENTEE, CareerStage(5)),
    ]
    with lp_path():
        result = match(people, reference_date=ON)
    assert len(result.pairs) == 1 and result.summary.optimal


def test_cold_solves_give_the_same_answer_as_warm_ones() -> None:
    # Should the kept HiGHS object fail, every LP is solved from scratch by linprog.
    case = Instance(
        np.array([[0.0, 4.0, 9.0], [7.0, 0.0, 3.0], [5.0, 6.0, 0.0]]),
        np.array([1, 1, 1]),
        np.array([0, 1, 2]),
        np.array([0, 1, 2]),
    )
    with lp_path():
        warm = solve(case)
        with mock.patch.object(program._WarmHighs, "create", return_value=None):
            cold = solve(case)
    assert warm.optimal and cold.optimal and warm.value == cold.value == brute_force(case)


def test_past_the_budget_the_result_is_valid_and_says_so() -> None:
    people = [
        Candidate("m", Role.MENTOR, CareerStage(1)),
        Candidate("x", Role.EITHER, CareerStage(3)),
        Candidate("lead", Role.MENTEE, CareerStage(5)),
    ]
    with mock.patch.object(sides, "LP_WORK", 0):
        result = match(people, reference_date=ON)
    s = result.summary
    assert len(result.pairs) == 1 and not s.optimal
    assert s.bound_pairs == 2  # the relaxation's m -> x -> lead
    assert any("stopped at its work limit" in note for note in s.notes)
    assert any("at most 1 more pair could be matched" in note for note in s.notes)


QUIET_SCRIPT = """
import datetime, os, sys
sys.path.insert(0, {tests!r})
import numpy as np
def refuse(*args):
    raise AssertionError("standard output redirected")
os.dup2 = refuse  # solving must not point file descriptor 1 elsewhere
from matching_reference import lp_path
from bot.domain import CareerStage, Role
from bot.matching import Candidate, match
from bot.matching.relax import Pairs, Shape, solve_milp
people = [
    Candidate("m", Role.MENTOR, CareerStage(1)),
    Candidate("x", Role.EITHER, CareerStage(3)),
    Candidate("lead", Role.MENTEE, CareerStage(5)),
]
with lp_path():
    result = match(people, reference_date=datetime.date(2026, 11, 25))
shape = Shape.build(np.array([1, 1]), np.array([0, 1]), np.array([0, 2]))
proven, found = solve_milp(
    shape, Pairs(np.array([0, 1]), np.array([1, 0])), np.array([10.0, 10.0]),
    pair_range=(0, 1), sides=np.array([np.nan]), node_limit=10,
)
assert proven and found is not None and found.x.sum() == 1
sys.stderr.write("solved %d pairs" % len(result.pairs))
"""


def test_solving_keeps_standard_output_clean_without_redirecting_it(tmp_path: Path) -> None:
    # A fresh process: HiGHS prints its banner once per process, at the first solver.
    tests = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", QUIET_SCRIPT.format(tests=tests)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == "solved 1 pairs"


def test_past_the_time_limit_the_result_is_valid_with_its_gap() -> None:
    people = [
        Candidate("m", Role.MENTOR, CareerStage(1)),
        Candidate("x", Role.EITHER, CareerStage(3)),
        Candidate("lead", Role.MENTEE, CareerStage(5)),
    ]
    ticks = iter(range(0, 10_000, 60))  # a minute passes at every reading
    with lp_path():
        result = match(people, reference_date=ON, clock=lambda: float(next(ticks)))
    s = result.summary
    assert len(result.pairs) == 1 and not s.optimal and s.stopped_by == "time limit"
    assert s.bound_pairs == 2  # each of the two rows could hold a pair, at most
    assert any("stopped at its time limit (10 s)" in note for note in s.notes)
    with lp_path():
        timely = match(people, reference_date=ON, clock=lambda: 0.0)
    assert timely.summary.optimal and timely.summary.stopped_by is None


def test_the_gap_is_a_share_of_the_bound() -> None:
    people = [
        Candidate("m", Role.MENTOR, CareerStage(1)),
        Candidate("x", Role.EITHER, CareerStage(3)),
        Candidate("lead", Role.MENTEE, CareerStage(5)),
    ]
    s = match(people, reference_date=ON).summary
    assert s.optimal and s.gap_percent == 0.0
    unproven = replace(s, optimal=False, total_score=90.0, bound_score=100.0)
    assert unproven.gap_percent == 10.0
