"""Sparse skills (issue 8, point 1): the same scores as the dense matrices gave, at a
cost that follows the (person, skill) entries, not persons × distinct skills."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import CareerStage, Role
from bot.matching import Candidate, Constraints, Weights, match
from bot.matching.model import normalise_key
from bot.matching.scoring import build_population, score, taught_counts

ON = dt.date(2026, 11, 25)
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", ""]


def dense_scores(people: list[Candidate], weights: Weights) -> np.ndarray:
    """The score matrix as the engine computed it before issue 8: dense person × skill
    0/1 matrices multiplied together (rows and columns: everyone, in input order)."""
    pop = build_population(people, Constraints(), reference_date=ON)
    names: dict[str, int] = {}
    for c in people:
        for s in (*c.teaches, *c.wants):
            names.setdefault(normalise_key(s), len(names))
    teach = np.zeros((len(people), len(names)), dtype=np.float32)
    want = np.zeros((len(people), len(names)), dtype=np.float32)
    for i, c in enumerate(people):
        teach[i, [names[normalise_key(s)] for s in c.teaches]] = 1.0
        want[i, [names[normalise_key(s)] for s in c.wants]] = 1.0
    want_count = want.sum(axis=1, dtype=np.float64)
    taught = (want @ teach.T).astype(np.float64)
    learning = taught / np.maximum(want_count, 1.0)[:, None] * weights.learning
    offered = (teach @ want.T).astype(np.float64)
    giving_back = offered / np.maximum(want_count, 1.0)[None, :] * weights.giving_back
    dept = pop.department
    cross = (dept[:, None] != dept[None, :]) & (dept[:, None] >= 0) & (dept[None, :] >= 0)
    hours = pop.overlap[pop.zone[:, None], pop.zone[None, :]]
    working = np.minimum(hours, 8.0) / 8.0 * weights.working_hours
    result: np.ndarray = learning + giving_back + cross * weights.cross_department + working
    return result


@st.composite
def people(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(1, 12))
    # A few common skills and a long tail of one-off names, as HR exports have.
    skill = st.sampled_from(["AI tools", "ai  TOOLS", "TikTok"]) | st.integers(0, 5000).map(
        lambda k: f"niche {k}"
    )
    return [
        Candidate(
            f"p{i}",
            draw(st.sampled_from(list(Role))),
            CareerStage(draw(st.integers(1, 5))),
            department=draw(st.sampled_from(["", "Sales", "Legal"])),
            timezone=draw(st.sampled_from(ZONES)),
            teaches=tuple(draw(st.lists(skill, max_size=5))),
            wants=tuple(draw(st.lists(skill, max_size=5))),
        )
        for i in range(n)
    ]


@settings(max_examples=150, deadline=None)
@given(people(), st.sampled_from([Weights(), Weights(7.0, 33.0, 0.5, 12.25)]))
def test_sparse_scores_equal_the_dense_ones(group: list[Candidate], weights: Weights) -> None:
    pop = build_population(group, Constraints(), reference_date=ON)
    everyone = np.arange(len(group), dtype=np.int64)
    rng = np.random.default_rng(len(group))
    rows, cols = rng.permutation(everyone), rng.permutation(everyone)  # any order, any block
    expected = dense_scores(group, weights)[np.ix_(rows, cols)]
    assert np.array_equal(score(pop, rows, cols, weights), expected)  # exactly, not nearly
    wants = [{normalise_key(s) for s in group[r].wants} for r in rows]
    taught = [[len(w & {normalise_key(s) for s in group[c].teaches}) for c in cols] for w in wants]
    assert taught_counts(pop, rows, cols).tolist() == taught


@settings(max_examples=60, deadline=None)
@given(people())
def test_pair_explanations_name_exactly_the_shared_skills(group: list[Candidate]) -> None:
    by_id = {c.id: c for c in group}
    for pair in match(group, Constraints(min_shared_skills=0), reference_date=ON).pairs:
        mentor, mentee = by_id[pair.mentor_id], by_id[pair.mentee_id]
        taught = {normalise_key(s) for s in mentor.teaches}
        assert pair.shared_skills == tuple(s for s in mentee.wants if normalise_key(s) in taught)


def test_skill_storage_follows_entries_not_distinct_names() -> None:
    # 200 people, 20,000 distinct names: dense would be 200 × 20,000 cells per matrix.
    group = [
        Candidate(
            f"p{i}",
            Role.MENTOR if i % 2 else Role.MENTEE,
            CareerStage(1 if i % 2 else 4),
            teaches=tuple(f"skill {i * 100 + k}" for k in range(50)),
            wants=tuple(f"skill {i * 100 + 50 + k}" for k in range(50)),
        )
        for i in range(200)
    ]
    pop = build_population(group, Constraints(), reference_date=ON)
    assert len(pop.skills) == 20_000
    assert pop.teach.nnz == pop.want.nnz == 200 * 50
    assert pop.teach.data.nbytes + pop.want.data.nbytes < 200 * 20_000  # far below dense
