"""A round without `either` people is solved over the allowed pairs only (`SparseGraph`,
LAPJVsp) when the rules forbid most pairs, over the dense matrix otherwise; both are
exact, so they find matchings of the same worth, the brute-force optimum."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_reference import brute_force
from scipy.optimize import linear_sum_assignment

from bot.domain import CareerStage, MatchPriority, Role
from bot.matching import Candidate, Constraints, Weights, match
from bot.matching.assign import SPARSE_BYTES, SPARSE_SHARE, SparseGraph, assign, sparse_pays

ON = dt.date(2026, 11, 25)
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", ""]
SKILLS = ["AI tools", "TikTok", "Excel", "Figma"]


def dense_optimum(weights: np.ndarray) -> float:
    """The plain assignment's worth: weight 0 (forbidden) pairs count for nothing."""
    rows, cols = linear_sum_assignment(-weights)
    return float(weights[rows, cols].sum())


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_the_sparse_graph_finds_the_plain_assignments_optimum(
    n_rows: int, n_cols: int, seed: int, density: float
) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 40, size=(n_rows, n_cols)).astype(np.float64)
    allowed = rng.random((n_rows, n_cols)) < density
    graph = SparseGraph(n_cols)
    # Added in blocks of rows, as a round adds them.
    for start in range(0, n_rows, 2):
        graph.add(weights[start : start + 2].copy(), allowed[start : start + 2])
    rows, cols, found = graph.solve()
    assert allowed[rows, cols].all()  # only allowed pairs, each with its own weight
    assert np.array_equal(found, weights[rows, cols])
    assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
    assert found.sum() == dense_optimum(np.where(allowed, weights, 0.0))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 6), st.integers(0, 5), st.integers(0, 10_000), st.floats(0.0, 1.0),
    st.lists(st.integers(1, 3), min_size=5, max_size=5),
)  # fmt: skip
def test_assign_with_capacities_finds_the_optimum_of_the_repeated_columns(
    n_rows: int, n_cols: int, seed: int, density: float, capacity: list[int]
) -> None:
    """`assign` with capacities (`either` people's fixed sides use it) gives the
    optimum of the matrix with each column repeated by its capacity, forbidden (0)
    pairs left out."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 40, size=(n_rows, n_cols)).astype(np.float64)
    weights[rng.random((n_rows, n_cols)) >= density] = 0.0
    rows, cols = np.arange(n_rows), np.arange(n_cols)
    caps = np.array(capacity[:n_cols], dtype=np.int64)
    got_rows, got_cols = assign(weights, rows, cols, caps)
    assert (weights[got_rows, got_cols] > 0).all()
    assert len(set(got_rows.tolist())) == len(got_rows)
    assert all(np.sum(got_cols == c) <= caps[c] for c in range(n_cols))
    slots = np.repeat(cols, caps)
    assert weights[got_rows, got_cols].sum() == dense_optimum(weights[:, slots])


def test_a_sparse_graph_with_nothing_allowed_matches_nobody() -> None:
    graph = SparseGraph(3)
    graph.add(np.ones((2, 3)), np.zeros((2, 3), dtype=np.bool_))
    rows, cols, weights = graph.solve()
    assert len(rows) == len(cols) == len(weights) == 0


def test_large_weights_stay_exact_in_the_sparse_graph() -> None:
    # Most-matched weights carry a step of about 1e9 per pair: the costs 1 - 2w must
    # still tell apart matchings one unit apart.
    step = 2.0e9
    weights = np.array([[step + 1, step + 2], [step + 2, step + 4]])
    graph = SparseGraph(2)
    graph.add(weights.copy(), np.ones((2, 2), dtype=np.bool_))
    _, _, found = graph.solve()
    assert found.sum() == 2 * step + 5  # (0, 0) and (1, 1), not 2 * step + 4


@pytest.mark.parametrize(
    ("share", "rows", "cols", "expected"),
    [
        (SPARSE_SHARE, 5000, 5500, True),  # at the share: sparse
        (SPARSE_SHARE + 1e-9, 5000, 5500, False),  # above: dense
        (0.0, 10, 10, True),
        # 20,000 × 22,000 at 38 %: 4.0 GB of graph against a 3.5 GB matrix.
        (0.38, 20_000, 22_000, False),
        (0.30, 20_000, 22_000, True),  # 3.2 GB against 3.5 GB
    ],
)
def test_the_sparse_solver_is_chosen_when_few_pairs_are_allowed_and_it_fits(
    share: float, rows: int, cols: int, expected: bool
) -> None:
    assert sparse_pays(share, rows, cols) is expected


def test_above_the_byte_floor_the_graph_may_take_as_much_as_the_matrix_but_no_more() -> None:
    # Nothing allowed, 3 seats: 24 bytes a row of graph, exactly the matrix's 8 × 3.
    rows = SPARSE_BYTES // 24 + 1
    assert sparse_pays(0.0, rows, 3)
    # 20 M × 10 at 25.4 %: 1.70 GB of graph against a 1.60 GB matrix.
    assert not sparse_pays(0.254, 20_000_000, 10)


def test_below_the_byte_floor_memory_is_not_weighed() -> None:
    # Just under SPARSE_BYTES of graph, even a little more than the dense matrix is fine.
    cols = 1000
    rows = int(SPARSE_BYTES / (2 * 12 * (SPARSE_SHARE * cols + 1))) - 1
    assert 2 * 12 * (SPARSE_SHARE * rows * cols + rows) > 8 * rows * cols
    assert sparse_pays(SPARSE_SHARE, rows, cols)
    assert not sparse_pays(SPARSE_SHARE, rows + 200, cols)


@pytest.fixture(params=["sparse", "dense"])
def solver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Force one solver for every round (the choice is made in `matcher`)."""
    always = request.param == "sparse"
    monkeypatch.setattr("bot.matching.matcher.sparse_pays", lambda *_: always)
    yield request.param


def people_from(draw: st.DrawFn) -> list[Candidate]:
    mentors, leaders = draw(st.integers(0, 4)), draw(st.integers(0, 5))
    skill_lists = st.lists(st.sampled_from(SKILLS), max_size=3, unique=True)
    people = [
        Candidate(
            f"m{i}",
            Role.MENTOR,
            CareerStage(draw(st.integers(1, 3))),
            department=draw(st.sampled_from(["", "Sales", "Legal"])),
            timezone=draw(st.sampled_from(ZONES)),
            teaches=tuple(draw(skill_lists)),
            wants=tuple(draw(skill_lists)),
            max_mentees=draw(st.integers(1, 2)),
        )
        for i in range(mentors)
    ]
    people += [
        Candidate(
            f"l{i}",
            Role.MENTEE,
            CareerStage(draw(st.integers(2, 5))),
            department=draw(st.sampled_from(["", "Sales", "Legal"])),
            timezone=draw(st.sampled_from(ZONES)),
            teaches=tuple(draw(skill_lists)),
            wants=tuple(draw(skill_lists)),
            manager_id=draw(st.none() | st.sampled_from([f"m{j}" for j in range(mentors)] or [""])),
        )
        for i in range(leaders)
    ]
    return people


# The fixture only picks the solver: the same for every example.
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.data(),
    st.sampled_from(list(MatchPriority)),
    st.integers(0, 2),
    st.sampled_from([0.0, 1.0, 4.5]),
)
def test_either_solver_finds_the_brute_force_optimum(
    solver: str,
    data: st.DataObject,
    priority: MatchPriority,
    shared: int,
    hours: float,
) -> None:
    people = people_from(data.draw)
    constraints = Constraints(priority=priority, min_shared_skills=shared, min_overlap_hours=hours)
    result = match(people, constraints, reference_date=ON)
    pairs, total = brute_force(people, constraints, Weights(), ON)
    assert (result.summary.pairs, round(result.summary.total_score, 3)) == (pairs, round(total, 3))
    assert result.summary.optimal
    # The rule costs re-solve each round with one rule relaxed, on the same solver.
    assert result.summary.constraint_costs is not None


def test_both_solvers_agree_on_a_round_of_two_hundred(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    people = [
        Candidate(
            f"m{i}",
            Role.MENTOR,
            CareerStage(int(rng.integers(1, 4))),
            timezone=str(rng.choice(ZONES)),
            teaches=tuple(str(s) for s in rng.choice(SKILLS, 2, replace=False)),
            wants=(str(rng.choice(SKILLS)),),
            max_mentees=int(rng.integers(1, 3)),
        )
        for i in range(100)
    ] + [
        Candidate(
            f"l{i}",
            Role.MENTEE,
            CareerStage(int(rng.integers(3, 6))),
            timezone=str(rng.choice(ZONES)),
            teaches=(str(rng.choice(SKILLS)),),
            wants=tuple(str(s) for s in rng.choice(SKILLS, 2, replace=False)),
        )
        for i in range(100)
    ]
    found = {}
    for name, always in (("sparse", True), ("dense", False)):
        monkeypatch.setattr("bot.matching.matcher.sparse_pays", lambda *_, a=always: a)
        summary = match(people, reference_date=ON, seed=3).summary
        found[name] = (summary.pairs, summary.total_score, summary.constraint_costs)
    assert found["sparse"] == found["dense"]
    assert found["sparse"][0] > 50  # a real round, not an empty one


def test_a_zero_score_pair_still_counts_when_either_people_are_searched() -> None:
    # Highest score first: a pair scoring 0 (no skills, no shared hours) weighs 1, the
    # least a pair can. The `either` search must still give the mentor's second seat to
    # it, not drop it with the forbidden pairs (weight 0). mutmut found this untested.
    people = [
        Candidate("m", Role.MENTOR, CareerStage(1), max_mentees=2, timezone="Asia/Tokyo"),
        Candidate("l1", Role.MENTEE, CareerStage(4), timezone="America/New_York"),
        Candidate("l2", Role.MENTEE, CareerStage(4), timezone="America/New_York"),
        Candidate("e", Role.EITHER, CareerStage(3), timezone="Asia/Tokyo"),
    ]
    constraints = Constraints(
        priority=MatchPriority.HIGHEST_SCORE, min_shared_skills=0, min_overlap_hours=0
    )
    result = match(people, constraints, reference_date=ON)
    pairs, total = brute_force(people, constraints, Weights(), ON)
    assert (result.summary.pairs, round(result.summary.total_score, 3)) == (pairs, round(total, 3))
    assert pairs == 2 and {p.mentee_id for p in result.pairs} >= {"e"}
    assert sorted(p.score for p in result.pairs) == [0.0, 10.0]
