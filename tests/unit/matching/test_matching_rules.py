"""Issue 8's hard rules: no empty pairs, enough shared working hours, honest reasons."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain import CareerStage, Role
from bot.matching import Candidate, Constraints, Rule, match
from bot.matching.supply import SkillGap, skill_gaps

ON = dt.date(2026, 11, 25)
BERLIN, LOS_ANGELES, NEW_YORK = "Europe/Berlin", "America/Los_Angeles", "America/New_York"


def mentor(person_id: str, stage: int = 1, **fields: object) -> Candidate:
    return Candidate(person_id, Role.MENTOR, CareerStage(stage), **fields)  # type: ignore[arg-type]


def mentee(person_id: str, stage: int = 4, **fields: object) -> Candidate:
    return Candidate(person_id, Role.MENTEE, CareerStage(stage), **fields)  # type: ignore[arg-type]


def pairs_of(people: list[Candidate], constraints: Constraints | None = None) -> set[str]:
    return {
        f"{p.mentor_id}>{p.mentee_id}" for p in match(people, constraints, reference_date=ON).pairs
    }


def reasons(people: list[Candidate], constraints: Constraints | None = None) -> dict[str, str]:
    return {u.id: u.reason for u in match(people, constraints, reference_date=ON).unmatched}


def test_a_pair_that_teaches_the_leader_nothing_they_want_is_not_made() -> None:
    # Sam would score 40 on giving back, department and hours alone: an empty pair.
    sam = mentor("sam", department="Sales", wants=("budgets",), teaches=("TikTok",))
    dana = mentee(
        "dana", department="Finance", wants=("AI tools", "podcasts"), teaches=("budgets",)
    )
    assert pairs_of([sam, dana]) == set()
    assert reasons([sam, dana])["dana"] == "no reverse mentor teaches any of: AI tools, podcasts"
    assert reasons([sam, dana])["sam"] == "no leader wants any of: TikTok"
    # 0 restores the old behaviour.
    assert pairs_of([sam, dana], Constraints(min_shared_skills=0)) == {"sam>dana"}


def test_a_leader_who_listed_no_wants_is_exempt() -> None:
    assert pairs_of([mentor("m", teaches=("x",)), mentee("e")]) == {"m>e"}


def test_min_shared_skills_counts_skills_but_never_more_than_the_leader_wants() -> None:
    one = mentor("one", teaches=("a",))
    both = mentor("both", teaches=("a", "b"))
    wants_two, wants_one = mentee("two", wants=("a", "b")), mentee("single", wants=("a",))
    rule = Constraints(min_shared_skills=2)
    assert pairs_of([one, wants_two], rule) == set()
    assert pairs_of([both, wants_two], rule) == {"both>two"}
    assert pairs_of([one, wants_one], rule) == {"one>single"}  # all they want
    assert reasons([one, wants_two], rule)["two"] == "no reverse mentor teaches 2 of: a, b"


def test_shared_skills_are_one_of_several_reasons_when_others_block_too() -> None:
    people = [
        mentor("teaches-x", stage=4, teaches=("x",)),
        mentor("teaches-y", teaches=("y",)),
        mentee("lead", wants=("x",)),
    ]
    assert reasons(people)["lead"] == (
        "no eligible reverse mentor: of 2 reverse mentors, "
        "1 is not at least 1 career stage below, 1 teaches none of what they want"
    )


def test_working_hours_below_the_setting_are_a_hard_rule_priced_in_the_rule_costs() -> None:
    # Los Angeles and Berlin share no working hour; New York and Berlin share 2.
    far = mentor("far", timezone=LOS_ANGELES, teaches=("x",))
    lead = mentee("lead", timezone=BERLIN, wants=("x",))
    result = match([far, lead], reference_date=ON)
    assert result.pairs == ()
    assert {u.id: u.reason for u in result.unmatched}["lead"] == (
        "no eligible reverse mentor: of 1 reverse mentor, 1 shares less than 1 working hour"
    )
    costs = {c.rule: c for c in result.summary.constraint_costs or ()}
    assert costs[Rule.WORKING_HOURS].extra_pairs == 1
    assert pairs_of([far, lead], Constraints(min_overlap_hours=0)) == {"far>lead"}
    near = mentor("near", timezone=NEW_YORK, teaches=("x",))
    assert pairs_of([near, lead]) == {"near>lead"}
    assert pairs_of([near, lead], Constraints(min_overlap_hours=3)) == set()
    assert pairs_of([near, lead], Constraints(min_overlap_hours=2)) == {"near>lead"}


def test_an_unknown_timezone_is_exempt_from_the_hours_rule_and_said_to_be_unknown() -> None:
    unknown = mentor("m", timezone="", teaches=("x",))
    (pair,) = match(
        [unknown, mentee("e", timezone=LOS_ANGELES, wants=("x",))], reference_date=ON
    ).pairs
    assert pair.reasons[-1] == "working hours overlap unknown (no timezone given)"
    # Scored as UTC, as before (so scores do not move): UTC and Los Angeles share no
    # working hour, yet the pair stands (an unknown overlap forbids nothing).
    assert pair.score == 60.0


def test_the_rule_costs_say_what_each_new_rule_would_give() -> None:
    # Only an empty pair or a far pair could match the leader.
    people = [mentor("empty"), mentor("far", timezone=LOS_ANGELES, teaches=("x",))]
    people.append(mentee("lead", timezone=BERLIN, wants=("x",)))
    costs = {c.rule: c for c in match(people, reference_date=ON).summary.constraint_costs or ()}
    assert costs[Rule.SHARED_SKILLS].extra_pairs == 1
    assert costs[Rule.WORKING_HOURS].extra_pairs == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("min_shared_skills", -1), ("min_overlap_hours", 8.5), ("time_limit", 0.0)],
)
def test_program_settings_out_of_range_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        Constraints(**{field: value})  # type: ignore[arg-type]


def test_the_supply_gap_lists_skills_most_wanted_and_least_offered() -> None:
    people = [
        mentor("m1", teaches=("AI tools",)),
        Candidate("x", Role.EITHER, CareerStage(3), teaches=("podcasts",), wants=("TikTok",)),
        mentee("e1", wants=("TikTok", "ai tools", "podcasts")),
        mentee("e2", wants=("tiktok", "AI Tools")),
        mentee("e3", wants=("negotiation",)),
    ]
    assert skill_gaps(people) == (
        SkillGap("TikTok", 3, 0),
        SkillGap("ai tools", 2, 1),
        SkillGap("negotiation", 1, 0),
    )
    assert skill_gaps(people, limit=1) == (SkillGap("TikTok", 3, 0),)
