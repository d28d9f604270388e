"""Behaviour of `match` that a program manager relies on, one rule at a time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bot.domain import CareerStage, MatchPriority, Role
from bot.matching import Candidate, Constraints, Rule, Weights, match
from bot.matching.model import normalise_key
from bot.matching.overlap import overlap_hours, resolve_zone
from bot.matching.scoring import build_population, score

ON = dt.date(2026, 11, 25)


def mentor(person_id: str, stage: int = 1, **fields: object) -> Candidate:
    return Candidate(person_id, Role.MENTOR, CareerStage(stage), **fields)  # type: ignore[arg-type]


def mentee(person_id: str, stage: int = 4, **fields: object) -> Candidate:
    return Candidate(person_id, Role.MENTEE, CareerStage(stage), **fields)  # type: ignore[arg-type]


def either(person_id: str, stage: int = 3, **fields: object) -> Candidate:
    return Candidate(person_id, Role.EITHER, CareerStage(stage), **fields)  # type: ignore[arg-type]


def pairs_of(
    people: list[Candidate], constraints: Constraints | None = None
) -> set[tuple[str, str]]:
    result = match(people, constraints, reference_date=ON)
    return {(p.mentor_id, p.mentee_id) for p in result.pairs}


def reason_of(
    people: list[Candidate], person_id: str, constraints: Constraints | None = None
) -> str:
    result = match(people, constraints, reference_date=ON)
    return {u.id: u.reason for u in result.unmatched}[person_id]


def test_reasons_name_the_skills_departments_and_hours() -> None:
    sam = mentor(
        "sam", name="Sam Lee", department="Engineering", timezone="Europe/Berlin",
        teaches=("TikTok", "data analytics", "AI tools"), wants=("Strategy",),
    )  # fmt: skip
    dana = mentee(
        "dana", name="Dana Cho", department="Sales", timezone="Europe/London",
        wants=("tiktok", "Data Analytics", " AI  tools", "negotiation"), teaches=("strategy",),
    )  # fmt: skip
    (pair,) = match([sam, dana], reference_date=ON).pairs
    assert pair.reasons == (
        "Sam can teach 3 of the 4 things Dana wants — tiktok, Data Analytics, AI tools",
        "Dana can offer back the one thing Sam wants — Strategy",
        "different departments (Engineering and Sales)",
        "7 working hours overlap",
    )
    assert pair.shared_skills == ("tiktok", "Data Analytics", "AI tools")
    assert pair.score == pytest.approx(60 * 3 / 4 + 20 + 10 + 10 * 7 / 8, abs=0.001)


def test_skill_names_match_case_insensitively_after_trimming() -> None:
    assert normalise_key("  AI   Tools ") == normalise_key("ai tools")
    person = mentor("a", teaches=("AI tools", "ai TOOLS ", "", "Python"))
    assert person.teaches == ("AI tools", "Python")


def test_working_hours_overlap_is_measured_in_hours_across_days() -> None:
    zones = [resolve_zone(z) for z in ("Europe/Berlin", "America/New_York", "Asia/Tokyo")]
    zones += [resolve_zone("America/Los_Angeles"), resolve_zone("Asia/Kathmandu")]
    hours = overlap_hours(zones, on=ON)
    assert hours[0, 0] == 8
    assert hours[0, 1] == hours[1, 0] == 2  # 15:00–17:00 in Berlin
    assert hours[2, 3] == 1  # Tokyo's morning is Los Angeles's previous afternoon
    assert hours[0, 4] == pytest.approx(3.25)  # Kathmandu is UTC+5:45
    # The US starts summer time three weeks before Europe: 3 shared hours then.
    assert overlap_hours(zones[:2], on=dt.date(2026, 3, 20))[0, 1] == 3


def test_unknown_timezone_counts_as_utc() -> None:
    assert resolve_zone("Mars/Base").key == "UTC"
    assert resolve_zone("").key == "UTC"


def test_score_matrix_is_vectorised_over_all_pairs() -> None:
    people = [mentor("m1", teaches=("a", "b")), mentor("m2", teaches=("c",))]
    people += [mentee("e1", wants=("a", "c")), mentee("e2", wants=("b",))]
    pop = build_population(people, Constraints(), reference_date=ON)
    scores = score(pop, np.array([2, 3]), np.array([0, 1]), Weights())
    # learning share × 60, plus 10 for a full 8-hour overlap (everyone in UTC)
    assert scores.tolist() == [[40.0, 40.0], [70.0, 10.0]]


def test_stage_gap_manager_and_previous_partners_are_hard_rules() -> None:
    people = [
        mentor("same-stage", stage=4),
        mentor("boss-report", stage=1, manager_id="leader"),
        mentor("old-partner", stage=1, previous_partners=frozenset({"leader"})),
        mentee("leader", stage=4),
    ]
    assert pairs_of(people) == set()
    assert reason_of(people, "leader") == (
        "no eligible reverse mentor: of 3 reverse mentors, 1 is not at least 1 career stage below, "
        "1 is their manager or direct report, 1 is a previous partner"
    )
    assert reason_of(people, "same-stage").startswith("no eligible leader: of 1 leader, 1 is not")


def test_min_stage_gap_is_configurable() -> None:
    people = [mentor("m", stage=2), mentee("e", stage=3)]
    assert pairs_of(people) == {("m", "e")}
    assert pairs_of(people, Constraints(min_stage_gap=2)) == set()
    with pytest.raises(ValueError, match="min_stage_gap"):
        Constraints(min_stage_gap=0)


def test_capacity_and_the_unmatched_reason_when_it_is_used_up() -> None:
    people = [mentor("m", max_mentees=2, teaches=("x",))]
    people += [mentee(f"e{i}", wants=("x",) if i < 2 else ()) for i in range(3)]
    assert pairs_of(people) == {("m", "e0"), ("m", "e1")}
    assert (
        reason_of(people, "e2")
        == "their only eligible reverse mentor, m, was full (capacity used up)"
    )


def test_paused_and_excluded_people_are_left_out_with_a_reason() -> None:
    people = [mentor("m"), mentor("paused", active=False), mentee("e"), mentee("out")]
    constraints = Constraints(excluded_ids=frozenset({"out"}))
    result = match(people, constraints, reference_date=ON)
    reasons = {u.id: u.reason for u in result.unmatched}
    assert reasons == {"paused": "paused or inactive", "out": "excluded by an admin"}
    assert result.summary.people == 4 and result.summary.unmatched == 2


def test_excluded_pairs_are_never_matched_in_either_order() -> None:
    people = [mentor("m1", teaches=("x", "y")), mentor("m2", teaches=("x",))]
    people.append(mentee("e", wants=("x", "y")))
    assert pairs_of(people) == {("m1", "e")}
    assert pairs_of(people, Constraints(excluded_pairs=(("e", "m1"),))) == {("m2", "e")}


def test_pinned_pairs_are_kept_no_matter_what() -> None:
    people = [mentor("m", stage=4, manager_id="e"), mentee("e", stage=4), mentee("other")]
    result = match(people, Constraints(pinned=(("m", "e"),)), reference_date=ON)
    (pair,) = result.pairs
    assert (pair.mentor_id, pair.mentee_id, pair.pinned) == ("m", "e", True)
    assert pair.reasons[0] == "pinned by an admin"
    assert {u.id for u in result.unmatched} == {"other"}


def test_pins_that_cannot_hold_are_noted_not_applied() -> None:
    people = [mentor("m", max_mentees=3), mentee("e"), either("x"), mentor("paused", active=False)]
    pins = (("m", "e"), ("m", "e"), ("paused", "x"), ("x", "e"), ("e", "x"))
    result = match(people, Constraints(pinned=pins), reference_date=ON)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs if p.pinned] == [("m", "e")]
    assert result.summary.notes == (
        "pinned pair m → e not kept: e already has a pinned mentor",
        "pinned pair paused → x not kept: paused is paused or inactive",
        "pinned pair x → e not kept: e already has a pinned mentor",
        "pinned pair e → x not kept: nobody can be on both sides in one round",
    )


def test_either_people_take_the_side_that_matches_more_and_never_both() -> None:
    # x (stage 3) could learn from m (stage 1) and mentor the stage-5 leader, but not
    # both in one round: one pair. With a second leader, x mentors one and m the other.
    people = [mentor("m", stage=1), either("x", stage=3), mentee("lead", stage=5)]
    result = match(people, reference_date=ON)
    assert len(result.pairs) == 1
    people.append(mentee("lead2", stage=5))
    sides = pairs_of(people)
    assert len(sides) == 2 and {a for a, _ in sides} == {"m", "x"}


def test_most_matched_beats_a_higher_score_and_highest_score_does_not() -> None:
    # m1 suits both leaders best; only m1 can take e1. Most matched: m1–e1, m2–e2.
    # Both pairs teach nothing (the scores differ by giving back and hours only), so
    # the shared-skills rule is off: this is about the priority alone.
    people = [
        mentor("m1", teaches=("a", "b")),
        mentor("m2", previous_partners=frozenset({"e1"})),
        mentee("e1", wants=("x",)),
        mentee("e2", wants=("a", "b")),
    ]
    assert pairs_of(people, Constraints(min_shared_skills=0)) == {("m1", "e1"), ("m2", "e2")}
    highest = Constraints(priority=MatchPriority.HIGHEST_SCORE, min_shared_skills=0)
    assert pairs_of(people, highest) == {("m1", "e2")}


def test_cross_department_is_a_bonus_or_a_rule() -> None:
    people = [mentor("m", department="Sales"), mentee("e", department="sales")]
    assert pairs_of(people) == {("m", "e")}
    rule = Constraints(require_cross_department=True)
    result = match(people, rule, reference_date=ON)
    assert result.pairs == ()
    assert "1 is in the same department or have none listed" in result.unmatched[0].reason
    (cost,) = [c for c in result.summary.constraint_costs or () if c.rule is Rule.CROSS_DEPARTMENT]
    assert cost.extra_pairs == 1


def test_summary_says_what_each_rule_cost() -> None:
    people = [mentor("m", stage=2, manager_id="e"), mentee("e", stage=3), mentee("f", stage=2)]
    costs = {c.rule: c for c in match(people, reference_date=ON).summary.constraint_costs or ()}
    assert set(costs) == {
        Rule.STAGE_GAP,
        Rule.MANAGER,
        Rule.PREVIOUS_PARTNER,
        Rule.SHARED_SKILLS,
        Rule.WORKING_HOURS,
    }
    assert costs[Rule.MANAGER].extra_pairs == 1
    assert costs[Rule.STAGE_GAP].extra_pairs == 1  # same stage: m could mentor f
    assert costs[Rule.PREVIOUS_PARTNER].extra_pairs == 0


def test_summary_counts_everyone() -> None:
    people = [mentor("m", max_mentees=2), mentee("a"), mentee("b"), mentee("c", stage=1)]
    s = match(people, reference_date=ON).summary
    assert (s.people, s.pairs, s.people_matched, s.unmatched) == (4, 2, 3, 1)
    assert s.optimal and s.bound_pairs == 2


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate candidate ids: a"):
        match([mentor("a"), mentee("a")], reference_date=ON)


def test_empty_round() -> None:
    result = match([], reference_date=ON)
    assert result.pairs == () and result.unmatched == () and result.summary.optimal
