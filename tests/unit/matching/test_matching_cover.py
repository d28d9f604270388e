"""The round's linear program on its double cover, against HiGHS on the same program.

The cover must give the program's optimum (the same value HiGHS finds), a solution
that keeps every constraint, and duals that are feasible on every candidate pair and
bound the program exactly there (strong duality): the search prices and proves with
them exactly as with HiGHS's.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from matching_reference import lp_path

from bot.matching import cover, program, sides
from bot.matching.relax import Pairs, Shape, Solution

TOLERANCE = 1e-9


@st.composite
def programs(draw: st.DrawFn) -> tuple[Shape, Pairs, np.ndarray]:
    """A few people, `either` ones taking one mentee at most; some pairs both ways
    between two `either` people (two pairs on the cover's same arcs)."""
    n_either = draw(st.integers(0, 4))
    n_mentees = draw(st.integers(0, 4))
    n_mentors = draw(st.integers(1, 4))
    row_person = np.array(list(range(n_either)) + [10 + i for i in range(n_mentees)])
    col_person = np.array(list(range(n_either)) + [20 + i for i in range(n_mentors)])
    mentor_caps = draw(st.lists(st.integers(1, 3), min_size=n_mentors, max_size=n_mentors))
    capacity = np.array([1] * n_either + mentor_caps)
    cells = len(row_person) * len(col_person)
    weights = np.array(draw(st.lists(st.integers(0, 9), min_size=cells, max_size=cells)), float)
    weights = weights.reshape(len(row_person), len(col_person))
    weights[row_person[:, None] == col_person[None, :]] = 0.0
    rows, cols = np.nonzero(weights)
    assume(len(rows) > 0)  # the search never solves an empty program
    return Shape.build(capacity, row_person, col_person), Pairs(rows, cols), weights[rows, cols]


def with_highs(shape: Shape, pairs: Pairs, gains: np.ndarray, **options: object) -> Solution:
    lp = program.Program(shape)
    lp.add(pairs.rows, pairs.cols, gains)
    with mock.patch.object(cover, "applies", return_value=False):
        lp._cover = False
        solved = lp.solve(**options)  # type: ignore[arg-type]
    assert solved is not None
    return solved


def assert_keeps_the_constraints(shape: Shape, pairs: Pairs, solution: Solution) -> None:
    x, y = solution.x, solution.y
    assert np.all(x >= 0) and np.all((y >= 0) & (y <= 1))
    row_load = np.bincount(pairs.rows, weights=x, minlength=shape.n_rows)
    col_load = np.bincount(pairs.cols, weights=x, minlength=shape.n_cols)
    row_load[shape.either_row] += y
    col_load[shape.either_col] -= shape.capacity[shape.either_col] * y
    assert np.all(row_load <= 1 + TOLERANCE)
    assert np.all(col_load <= shape.col_rhs + TOLERANCE)


@settings(max_examples=200, deadline=None)
@given(programs())
def test_the_cover_gives_the_programs_optimum_with_exact_duals(
    case: tuple[Shape, Pairs, np.ndarray],
) -> None:
    shape, pairs, gains = case
    found = cover.solve_cover(shape, pairs, gains)
    assert found is not None and found.duals is not None
    value = float(found.x @ gains)
    assert value == float(with_highs(shape, pairs, gains).x @ gains)
    assert_keeps_the_constraints(shape, pairs, found)
    assert np.all(np.isin(found.x, [0.0, 0.5, 1.0])), "half of a whole cover matching"
    duals = found.duals
    assert np.all(duals.u >= 0) and np.all(duals.v >= 0) and duals.mu == 0.0
    reduced = gains - duals.u[pairs.rows] - duals.v[pairs.cols]
    assert np.all(reduced <= TOLERANCE), "feasible on every candidate"
    slack = np.zeros(shape.n_rows)
    assert shape.bound(duals, None, slack) == value, "and as tight as the optimum"


@settings(max_examples=100, deadline=None)
@given(programs(), st.data())
def test_fixed_sides_give_the_whole_optimum_of_that_program(
    case: tuple[Shape, Pairs, np.ndarray], data: st.DataObject
) -> None:
    shape, pairs, gains = case
    mentor = np.array(data.draw(st.lists(st.booleans(), min_size=shape.n_either)), bool)
    mentor = mentor[: shape.n_either]
    found = cover.assign_fixed(shape, pairs, gains, mentor)
    reference = with_highs(shape, pairs, gains, mentor=mentor)
    assert found.integral and np.array_equal(found.y, mentor.astype(float))
    assert float(found.x @ gains) == float(reference.x @ gains)
    assert_keeps_the_constraints(shape, pairs, found)


def test_two_either_people_as_each_others_mentor_keep_the_heavier_pair() -> None:
    # People 0 and 1 are both `either`: 0 -> 1 weighs 3, 1 -> 0 weighs 8 (same arcs).
    shape = Shape.build(np.array([1, 1]), np.array([0, 1]), np.array([0, 1]))
    pairs = Pairs(np.array([0, 1]), np.array([1, 0]))
    found = cover.solve_cover(shape, pairs, np.array([3.0, 8.0]))
    assert found is not None and found.x.tolist() == [0.0, 1.0]
    assert found.y.tolist() == [1.0, 0.0], "person 0 mentors person 1"


def test_an_odd_cycle_is_half_of_each_pair() -> None:
    # Three `either` people, each able to mentor the next: a triangle, 1.5 pairs.
    shape = Shape.build(np.ones(3, dtype=np.int64), np.arange(3), np.arange(3))
    pairs = Pairs(np.array([0, 1, 2]), np.array([1, 2, 0]))
    found = cover.solve_cover(shape, pairs, np.array([5.0, 5.0, 5.0]))
    assert found is not None and found.x.tolist() == [0.5, 0.5, 0.5]
    assert found.duals is not None and found.duals.u.tolist() == [2.5, 2.5, 2.5]


def test_it_applies_only_when_either_people_take_one_mentee_and_every_column_some() -> None:
    people = np.array([0, 1]), np.array([0, 2])
    assert cover.applies(Shape.build(np.array([1, 2]), *people))
    assert not cover.applies(Shape.build(np.array([2, 1]), *people)), "either takes two"
    assert not cover.applies(Shape.build(np.array([1, 0]), *people)), "a mentor takes none"


def test_the_program_solves_on_the_cover_until_highs_is_needed_then_stays_there() -> None:
    shape = Shape.build(np.ones(3, dtype=np.int64), np.arange(3), np.arange(3))
    pairs = Pairs(np.array([0, 1, 2]), np.array([1, 2, 0]))
    lp = program.Program(shape)
    lp.add(pairs.rows, pairs.cols, np.array([5.0, 5.0, 5.0]))
    with mock.patch.object(cover, "solve_cover", wraps=cover.solve_cover) as on_cover:
        first = lp.solve()
        assert on_cover.call_count == 1 and first is not None
        lp.solve(unit=True)  # bounding the number of pairs: HiGHS
        lp.cut(1)
        cut = lp.solve()
    assert on_cover.call_count == 1, "HiGHS from the unit program on"
    assert cut is not None and float(cut.x.sum()) <= 1 + TOLERANCE


def test_a_cover_that_does_not_close_hands_the_program_to_highs() -> None:
    shape = Shape.build(np.array([1, 1]), np.array([0, 1]), np.array([0, 2]))
    lp = program.Program(shape)
    lp.add(np.array([0, 1]), np.array([1, 0]), np.array([10.0, 10.0]))
    with mock.patch.object(cover, "solve_cover", return_value=None) as on_cover:
        found = lp.solve()
        lp.solve()
    assert on_cover.call_count == 1
    assert found is not None and float(found.x @ np.array([10.0, 10.0])) == 10.0


def potentials(
    arcs: list[tuple[int, int, float]], mate_left: list[int], n_right: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """`cover._potentials` for a hand-made matching (arcs sorted by left, then right)."""
    left, right, weight = (np.array(column) for column in zip(*sorted(arcs), strict=True))
    mates = np.array(mate_left)
    mate_right = np.full(n_right, -1)
    mate_right[mates[mates >= 0]] = np.flatnonzero(mates >= 0)
    return cover._potentials(n_right, left, right, weight.astype(float), mates, mate_right)


def test_the_duals_follow_the_longest_chain_to_its_end() -> None:
    # Left 0..k hold rights 0..k (weight 5) and could each take the next right instead
    # (also 5); a free left k+1 could take right 0 (weight 1). Every right's dual is 1,
    # reached one link per pass: k passes, and one that finds nothing more (n_right).
    k = 6
    arcs = [(i, i, 5.0) for i in range(k + 1)]
    arcs += [(i, i + 1, 5.0) for i in range(k)]
    arcs.append((k + 1, 0, 1.0))
    found = potentials(arcs, [*range(k + 1), -1], k + 1)
    assert found is not None
    alpha, beta = found
    assert beta.tolist() == [1.0] * (k + 1)
    assert alpha.tolist() == [4.0] * (k + 1) + [0.0]


def test_a_matching_that_is_not_optimal_gives_no_duals() -> None:
    # A right left unmatched while a free left could take it: its dual would be 1.
    assert potentials([(0, 0, 1.0)], [-1], 1) is None
    # A left holding weight 1 where a free left would pay 5 for the same right.
    assert potentials([(0, 0, 1.0), (1, 0, 5.0)], [0, -1], 1) is None
    # The optimal one: the free left's weight is below what the right holds.
    assert potentials([(0, 0, 5.0), (1, 0, 1.0)], [0, -1], 1) is not None


def test_the_assignment_says_who_is_left_unmatched() -> None:
    # Left 0 takes right 0; left 1 has no arc, right 1 no taker.
    lefts, rights = cover._assignment(2, 2, np.array([0]), np.array([0]), np.array([3.0]))
    assert lefts.tolist() == [0, -1] and rights.tolist() == [0, -1]


def test_a_pair_of_a_person_with_themselves_is_never_taken() -> None:
    # `either` person 0's own row and column: no such pair is a matching's.
    shape = Shape.build(np.array([1, 1]), np.array([0, 1]), np.array([0, 2]))
    pairs = Pairs(np.array([0, 1]), np.array([0, 0]))
    found = cover.solve_cover(shape, pairs, np.array([9.0, 2.0]))
    assert found is not None and found.x.tolist() == [0.0, 1.0]


def test_on_the_cover_the_first_lp_gives_the_first_incumbent() -> None:
    # Four `either` people: 0, 1 and 2 can each mentor the next (5 each), and 0 can
    # mentor 3 (9). The first candidates are the triangle alone: its LP is half of each
    # pair, not settled (0 -> 3 prices positive). Its sides rounded (one assignment)
    # give a first incumbent at once, and with it the few pairs that could beat it,
    # whose integer program proves the best within the one LP the budget allows: the
    # full matrix's assignment for some sides (the last resort) is never needed.
    weights = np.zeros((4, 4))
    weights[0, 1] = weights[1, 2] = weights[2, 0] = 5.0
    weights[3, 0] = 9.0
    people = np.arange(4)
    triangle = np.array([0 * 4 + 1, 1 * 4 + 2, 2 * 4 + 0])
    with (
        mock.patch.object(sides, "ROOT_CELLS", 0),
        mock.patch.object(sides, "LP_WORK", 1),
        mock.patch.object(sides, "first_pairs", return_value=triangle),
        mock.patch.object(sides._Search, "with_sides", side_effect=AssertionError("full")),
    ):
        found = sides.solve_sides(
            weights, np.ones(4, dtype=np.int64), people, people, pair_step=None, seed=0
        )
    assert found.optimal and found.value == 14.0
    assert sorted(zip(found.rows.tolist(), found.cols.tolist(), strict=True)) == [(1, 2), (3, 0)]


def test_no_lp_is_started_that_the_time_limit_would_cut_short() -> None:
    # Each solve on the cover takes 6 s of a 10 s limit: after the first, 4 s are left,
    # too few for another like it, so the search stops there, within its limit.
    rng = np.random.default_rng(0)
    row_person = np.array([0, 1, 2, 3, 4, 100, 101, 102, 103, 104])
    col_person = np.array([0, 1, 2, 3, 4, 200, 201, 202, 203, 204])
    weights = rng.integers(1, 50, (10, 10)).astype(float)
    weights[row_person[:, None] == col_person[None, :]] = 0.0
    capacity = np.ones(10, dtype=np.int64)
    now = [0.0]
    solve = cover.solve_cover

    def six_seconds(*args: object) -> Solution | None:
        now[0] += 6.0
        return solve(*args)  # type: ignore[arg-type]

    def search(deadline: sides.Deadline | None) -> tuple[int, sides.Assignment]:
        with lp_path(), mock.patch.object(cover, "solve_cover", side_effect=six_seconds) as on:
            found = sides.solve_sides(
                weights, capacity, row_person, col_person, pair_step=None, seed=0,
                deadline=deadline,
            )  # fmt: skip
        return on.call_count, found

    solves, unlimited = search(None)
    assert solves == 2 and unlimited.optimal, "the round takes two LPs to prove"
    now[0] = 0.0
    solves, limited = search(sides.Deadline(lambda: now[0], 10.0))
    assert solves == 1 and now[0] <= 10.0
    assert not limited.optimal and limited.stopped_by == "time limit"
    assert limited.value <= unlimited.value <= limited.bound
