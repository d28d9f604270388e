"""Properties of `match` on small random rounds, checked against plain-Python rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_reference import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    allowed,
    available,
    brute_force,
    lp_path,
    objective,
    score,
)

from bot.domain import CareerStage, MatchPriority, Role
from bot.matching import Candidate, Constraints, MatchResult, Weights, match

ON = dt.date(2026, 11, 25)
SKILLS = ["TikTok", "tiktok ", "AI tools", "Data", "python", "Strategy", "negotiation"]
# "" is a timezone nobody gave: the overlap is unknown and the hours rule exempt.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Asia/Kathmandu",
    "Mars/Base",
    "UTC",
    "",
]
DEPARTMENTS = ["", "Sales", "sales", "Engineering", "Finance"]


@st.composite
def rounds(
    draw: st.DrawFn, max_people: int = 7, roles: tuple[Role, ...] = tuple(Role)
) -> tuple[list[Candidate], Constraints]:
    n = draw(st.integers(1, max_people))
    ids = [f"p{i}" for i in range(n)]
    people = []
    for person_id in ids:
        people.append(
            Candidate(
                id=person_id,
                name=person_id.upper(),
                role=draw(st.sampled_from(roles)),
                career_stage=CareerStage(draw(st.integers(1, 5))),
                department=draw(st.sampled_from(DEPARTMENTS)),
                manager_id=draw(st.none() | st.sampled_from(ids)),
                timezone=draw(st.sampled_from(ZONES)),
                teaches=tuple(draw(st.lists(st.sampled_from(SKILLS), max_size=3))),
                wants=tuple(draw(st.lists(st.sampled_from(SKILLS), max_size=3))),
                max_mentees=draw(st.integers(1, 3)),
                previous_partners=frozenset(draw(st.lists(st.sampled_from(ids), max_size=2))),
                active=draw(st.booleans().map(lambda b: b or n < 3) | st.just(True)),
            )
        )
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
    constraints = Constraints(
        min_stage_gap=draw(st.integers(1, 2)),
        excluded_pairs=tuple(draw(st.lists(pairs, max_size=2))),
        excluded_ids=frozenset(draw(st.lists(st.sampled_from(ids), max_size=1))),
        require_cross_department=draw(st.booleans()),
        priority=draw(st.sampled_from(list(MatchPriority))),
        min_shared_skills=draw(st.sampled_from([1, 0, 2])),
        min_overlap_hours=draw(st.sampled_from([1.0, 0.0, 3.0])),
    )
    return people, constraints


def reference_total(result: MatchResult, people: list[Candidate]) -> float:
    by_id = {c.id: c for c in people}
    scores = [score(by_id[p.mentor_id], by_id[p.mentee_id], Weights(), ON) for p in result.pairs]
    return float(sum(round(s, 3) for s in scores))


@settings(max_examples=150, deadline=None)
@given(rounds())
def test_every_pair_keeps_every_hard_rule(case: tuple[list[Candidate], Constraints]) -> None:
    people, constraints = case
    result = match(people, constraints, seed=1, reference_date=ON)
    by_id = {c.id: c for c in people}
    usable = {c.id for c in available(people, constraints)}
    load = Counter(p.mentor_id for p in result.pairs)
    mentees = Counter(p.mentee_id for p in result.pairs)
    for p in result.pairs:
        mentor, mentee = by_id[p.mentor_id], by_id[p.mentee_id]
        assert mentor.role in MENTOR_ROLES and mentee.role in MENTEE_ROLES
        assert allowed(mentor, mentee, constraints, ON)
        assert p.mentor_id in usable and p.mentee_id in usable
        assert abs(p.score - score(mentor, mentee, Weights(), ON)) < 0.001
    assert all(load[m] <= by_id[m].max_mentees for m in load)
    assert all(count == 1 for count in mentees.values())
    assert not set(load) & set(mentees), "someone is on both sides"
    unmatched = [u.id for u in result.unmatched]
    assert sorted(unmatched + list(load) + list(mentees)) == sorted(by_id)
    assert all(u.reason for u in result.unmatched)
    assert result.summary.optimal


@settings(max_examples=150, deadline=None)
@given(rounds())
def test_total_equals_the_brute_force_optimum(case: tuple[list[Candidate], Constraints]) -> None:
    people, constraints = case
    result = match(people, constraints, seed=3, reference_date=ON)
    best_pairs, best_total = brute_force(people, constraints, Weights(), ON)
    total = reference_total(result, people)
    tolerance = 0.001 * (len(result.pairs) + 1)
    if constraints.priority is MatchPriority.MOST_MATCHED:
        assert len(result.pairs) == best_pairs
    assert abs(total - best_total) <= tolerance


# Mostly `either` people: the rounds where sides matter, through the normal search and
# through its linear-program path (forced; on rounds this small it would rarely run).
EITHER_HEAVY = (Role.EITHER, Role.EITHER, Role.EITHER, Role.MENTOR, Role.MENTEE)


@settings(max_examples=40, deadline=None)
@given(rounds(roles=EITHER_HEAVY), st.booleans())
def test_either_people_reach_the_brute_force_optimum(
    case: tuple[list[Candidate], Constraints], forced: bool
) -> None:
    people, constraints = case
    if forced:
        with lp_path():
            result = match(people, constraints, seed=5, reference_date=ON)
    else:
        result = match(people, constraints, seed=5, reference_date=ON)
    best_pairs, best_total = brute_force(people, constraints, Weights(), ON)
    assert result.summary.optimal
    assert objective(len(result.pairs), reference_total(result, people), constraints.priority) >= (
        objective(best_pairs, best_total, constraints.priority)[0],
        objective(best_pairs, best_total, constraints.priority)[1] - 0.001 * (best_pairs + 1),
    )
    if constraints.priority is MatchPriority.MOST_MATCHED:
        assert len(result.pairs) == best_pairs
    assert abs(reference_total(result, people) - best_total) <= 0.001 * (len(result.pairs) + 1)


@settings(max_examples=100, deadline=None)
@given(rounds(max_people=6), st.integers(1, 5), st.sampled_from(SKILLS), st.integers(1, 2))
def test_adding_a_mentor_never_lowers_the_optimum(
    case: tuple[list[Candidate], Constraints], stage: int, skill: str, capacity: int
) -> None:
    people, constraints = case
    before = match(people, constraints, seed=0, reference_date=ON)
    newcomer = Candidate(
        "new", Role.MENTOR, CareerStage(stage), teaches=(skill,), max_mentees=capacity
    )
    after = match([*people, newcomer], constraints, seed=0, reference_date=ON)
    old = objective(before.summary.pairs, before.summary.total_score, constraints.priority)
    new = objective(after.summary.pairs, after.summary.total_score, constraints.priority)
    assert new >= (old[0], old[1] - 1e-6) or new[0] > old[0]


@settings(max_examples=60, deadline=None)
@given(rounds(), st.integers(0, 2**32 - 1))
def test_same_seed_same_answer(case: tuple[list[Candidate], Constraints], seed: int) -> None:
    people, constraints = case
    first = match(people, constraints, seed=seed, reference_date=ON)
    again = match(list(people), dataclasses.replace(constraints), seed=seed, reference_date=ON)
    assert first == again
