"""The round's matrix written block by block (`cells`) holds exactly the numbers of the
pair-at-a-time definitions in `scoring`: same score units, same rules, any relaxed rule,
columns repeated once per seat."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_reference import brute_force

from bot.domain import CareerStage, Role
from bot.matching import Candidate, Constraints, Rule, Weights, match
from bot.matching.cells import DENSE_SHARE, TABLE_CELLS, Cells
from bot.matching.scoring import build_population, eligible, score, score_units

ON = dt.date(2026, 11, 25)
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", ""]


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[Candidate], Constraints]:
    n = draw(st.integers(1, 14))
    ids = [f"p{i}" for i in range(n)]
    # Common names (which go to the dense product) and one-off ones (the sparse one).
    skill = st.sampled_from(["AI tools", "ai  TOOLS", "TikTok", "Excel"]) | st.integers(0, 50).map(
        lambda k: f"niche {k}"
    )
    people = [
        Candidate(
            ids[i],
            draw(st.sampled_from(list(Role))),
            CareerStage(draw(st.integers(1, 5))),
            department=draw(st.sampled_from(["", "Sales", "Legal"])),
            manager_id=draw(st.none() | st.sampled_from(ids)),
            timezone=draw(st.sampled_from(ZONES)),
            teaches=tuple(draw(st.lists(skill, max_size=5))),
            wants=tuple(draw(st.lists(skill, max_size=5))),
            previous_partners=frozenset(draw(st.lists(st.sampled_from(ids), max_size=2))),
        )
        for i in range(n)
    ]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))
    constraints = Constraints(
        min_stage_gap=draw(st.integers(1, 2)),
        excluded_pairs=tuple(pairs),
        require_cross_department=draw(st.booleans()),
        min_shared_skills=draw(st.integers(0, 2)),
        min_overlap_hours=draw(st.sampled_from([0.0, 1.0, 4.5])),
    )
    return people, constraints


@settings(max_examples=200, deadline=None)
@given(
    rounds(),
    st.sampled_from([Weights(), Weights(7.0, 33.0, 0.5, 12.25)]),
    st.sampled_from([None, *Rule]),
    st.sampled_from([0.0, DENSE_SHARE, 2.0]),  # every skill dense, the default, none
    st.sampled_from([TABLE_CELLS, 1]),  # per-value vectors in one table, or per block
)
def test_block_units_and_rules_equal_the_pairwise_definitions(
    round_: tuple[list[Candidate], Constraints],
    weights: Weights,
    relax: Rule | None,
    dense_share: float,
    table_cells: int,
) -> None:
    people, constraints = round_
    pop = build_population(people, constraints, reference_date=ON)
    cells = Cells.build(pop, constraints, weights, dense_share=dense_share)
    rng = np.random.default_rng(len(people))
    rows = rng.permutation(len(people))
    cols = rng.permutation(len(people))
    out = np.full((len(rows), len(cols)), np.nan)
    with mock.patch("bot.matching.cells.TABLE_CELLS", table_cells):
        columns = cells.columns(cols)
    # Two blocks of rows against the same columns: what the columns keep for all
    # blocks (their per-value vectors) must serve the second block as the first.
    half = len(rows) // 2
    allowed = np.concatenate(
        [
            cells.units(rows[:half], columns, out[:half], relax=relax),
            cells.units(rows[half:], columns, out[half:], relax=relax),
        ]
    )
    assert np.array_equal(out, score_units(score(pop, rows, cols, weights)))
    expected = eligible(pop, rows, cols, constraints, relax=relax)
    assert np.array_equal(allowed, expected)
    assert np.array_equal(cells.allowed(rows, cells.columns(cols), relax=relax), expected)
    # One column per seat: a person repeated gets the same numbers in every seat.
    seats = np.repeat(cols, 2)
    out2 = np.empty((len(rows), len(seats)))
    allowed2 = cells.units(rows, cells.columns(seats), out2, relax=relax)
    assert np.array_equal(out2, np.repeat(out, 2, axis=1))
    assert np.array_equal(allowed2, np.repeat(expected, 2, axis=1))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3), st.integers(1, 3))
def test_more_leaders_than_seats_solve_transposed_to_the_optimum(
    seed: int, mentors: int, extra: int
) -> None:
    # More rows than seats: the cost matrix is written seats × leaders (scipy would
    # otherwise copy it to transpose it), and the result must not change for that.
    rng = np.random.default_rng(seed)
    skills = ["AI tools", "TikTok", "Excel"]
    people = [
        Candidate(
            f"m{i}",
            Role.MENTOR,
            CareerStage(int(rng.integers(1, 3))),
            timezone=str(rng.choice(ZONES[:4])),
            teaches=tuple(str(s) for s in rng.choice(skills, 2, replace=False)),
            max_mentees=int(rng.integers(1, 3)) if i == 0 else 1,
        )
        for i in range(mentors)
    ]
    seats = sum(c.max_mentees for c in people)
    people += [
        Candidate(
            f"l{i}",
            Role.MENTEE,
            CareerStage(int(rng.integers(3, 6))),
            timezone=str(rng.choice(ZONES[:4])),
            wants=(str(rng.choice(skills)),),
        )
        for i in range(seats + extra)
    ]
    result = match(people, reference_date=ON)
    pairs, total = brute_force(people, Constraints(), Weights(), ON)
    assert (result.summary.pairs, round(result.summary.total_score, 3)) == (pairs, round(total, 3))
    assert result.summary.optimal


def test_nobody_is_allowed_with_themself_even_with_the_stage_gap_relaxed() -> None:
    # Relaxed by one step, a stage gap of 1 no longer keeps a person from themself:
    # only the same-person rule does, alone here (no manager, no other pair listed).
    alone = [Candidate("e", Role.EITHER, CareerStage(3), teaches=("AI",), wants=("AI",))]
    pop = build_population(alone, Constraints(), reference_date=ON)
    cells = Cells.build(pop, Constraints(), Weights())
    me = np.array([0], dtype=np.int64)
    out = np.empty((1, 1))
    for relax in (None, Rule.STAGE_GAP):
        assert not cells.units(me, cells.columns(me), out, relax=relax)[0, 0]
        assert not cells.allowed(me, cells.columns(me), relax=relax)[0, 0]


def test_a_pair_sharing_a_frequent_and_a_rare_skill_counts_both() -> None:
    # The frequent skill's count comes from the dense product and the rare one's is added
    # to it from the sparse product, here a single entry each way (mentee wants it,
    # mentor teaches it, nobody else): both must count, not one overwrite the other.
    common = ("AI tools",)
    people = [
        Candidate("lead", Role.MENTEE, CareerStage(5), wants=("AI tools", "Excel")),
        Candidate("mentor", Role.MENTOR, CareerStage(1), teaches=("AI tools", "Excel")),
        Candidate("x", Role.EITHER, CareerStage(3), teaches=common, wants=common),
        Candidate("y", Role.EITHER, CareerStage(3), teaches=common, wants=common),
    ]
    constraints = Constraints(min_shared_skills=2, min_overlap_hours=0.0)
    pop = build_population(people, constraints, reference_date=ON)
    # "AI tools": 3 teach × 3 want = 9 of 16 pairs, dense; "Excel": 1 × 1, rare.
    cells = Cells.build(pop, constraints, Weights(), dense_share=0.25)
    assert cells.want.dense.shape[1] == 1 and cells.want.rare.nnz == 1
    everyone = np.arange(len(people), dtype=np.int64)
    out = np.empty((len(people), len(people)))
    allowed = cells.units(everyone, cells.columns(everyone), out)
    assert np.array_equal(out, score_units(score(pop, everyone, everyone, Weights())))
    assert np.array_equal(allowed, eligible(pop, everyone, everyone, constraints))
    # Only the mentor teaches the lead both wishes (the rule asks for 2), for full
    # learning points (both in UTC: full working-hours points too).
    assert allowed[0].tolist() == [False, True, False, False]
    assert out[0, 1] == score_units(np.array([Weights().learning + Weights().working_hours]))
