"""Sentences that say why two people were paired, why someone was not, what a rule cost."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from bot.domain import Role
from bot.matching.model import (
    Candidate,
    ConstraintCost,
    Constraints,
    MatchResult,
    Rule,
    normalise_key,
)

_RULES = list(Rule)
# What a person reads (VOICE.md): the code's "mentor" / "mentee" sides by their names.
SIDE_NAMES = {"mentor": "reverse mentor", "mentee": "leader"}


def shared_skills(*, teacher: Candidate, learner: Candidate) -> tuple[str, ...]:
    """What `learner` wants that `teacher` can teach, in the learner's words and order."""
    taught = _keys(teacher.teaches)
    return tuple(
        s for s, k in zip(learner.wants, _key_list(learner.wants), strict=True) if k in taught
    )


@lru_cache(maxsize=65_536)
def _key_list(skills: tuple[str, ...]) -> tuple[str, ...]:
    # Reasons look at each person's skills several times: normalise them once.
    return tuple(normalise_key(s) for s in skills)


@lru_cache(maxsize=65_536)
def _keys(skills: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_key_list(skills))


def pair_reasons(
    *, mentor: Candidate, mentee: Candidate, hours: float, pinned: bool = False
) -> tuple[str, ...]:
    reasons = ["pinned by an admin"] if pinned else []
    for person, side in ((mentor, "mentor"), (mentee, "mentee")):
        if person.role is Role.EITHER:
            reasons.append(
                f"{person.short_name} could take either side and is the {SIDE_NAMES[side]} here"
            )
    reasons.append(_learning_reason(teacher=mentor, learner=mentee))
    offered = shared_skills(teacher=mentee, learner=mentor)
    if offered:
        reasons.append(
            f"{mentee.short_name} can offer back {_count_of(offered, mentor)} "
            f"{mentor.short_name} wants — {', '.join(offered)}"
        )
    if mentor.department.strip() and mentee.department.strip():
        if normalise_key(mentor.department) != normalise_key(mentee.department):
            reasons.append(f"different departments ({mentor.department} and {mentee.department})")
        else:
            reasons.append(f"same department ({mentor.department})")
    if mentor.timezone_known and mentee.timezone_known:
        reasons.append(_hours_reason(hours))
    else:
        reasons.append("working hours overlap unknown (no timezone given)")
    return tuple(reasons)


def blocked_reason(
    *,
    other_side: str,
    considered: int,
    blocked: Mapping[Rule, int],
    constraints: Constraints,
    skills: tuple[str, ...] = (),
) -> str:
    """Why nobody on `other_side` ("mentor" / "mentee") was eligible.

    `skills` are what the person wants (other side "mentor") or teaches ("mentee"):
    when the shared-skills rule alone rules out everyone, the reason names them.
    """
    side = SIDE_NAMES[other_side]
    if considered == 0:
        return f"no {side}s in this round"
    need = constraints.min_shared_skills
    if skills and blocked.get(Rule.SHARED_SKILLS, 0) == considered:
        some = "any" if need == 1 else f"{min(need, len(skills))}"
        verb = "teaches" if other_side == "mentor" else "wants"
        return f"no {side} {verb} {some} of: {', '.join(skills)}"
    parts = [
        _rule_phrase(rule, count, other_side=other_side, constraints=constraints)
        for rule, count in sorted(
            blocked.items(), key=lambda item: (-item[1], _RULES.index(item[0]))
        )
        if count
    ]
    return f"no eligible {side}: of {_people(considered, side)}, " + ", ".join(parts)


def taken_reason(*, other_side: str, eligible: int, only_name: str | None) -> str:
    """Why someone with eligible partners still has none."""
    if other_side == "mentor":
        if eligible == 1 and only_name:
            return f"their only eligible reverse mentor, {only_name}, was full (capacity used up)"
        return f"all {eligible} eligible reverse mentors were full (capacity used up)"
    if eligible == 1 and only_name:
        return f"their only eligible leader, {only_name}, went to another reverse mentor"
    return f"all {eligible} eligible leaders went to other reverse mentors"


def cost_sentence(cost: ConstraintCost, *, constraints: Constraints) -> str:
    gap = constraints.min_stage_gap
    need = constraints.min_shared_skills
    hours = format_hours(constraints.min_overlap_hours)
    rule = {
        Rule.STAGE_GAP: (
            f"a career-stage gap of {gap - 1} instead of {gap}" if gap > 1 else "same-stage pairs"
        ),
        Rule.MANAGER: "pairs within a reporting line",
        Rule.PREVIOUS_PARTNER: "repeat partners",
        Rule.EXCLUDED_PAIR: "the excluded pairs",
        Rule.CROSS_DEPARTMENT: "same-department pairs",
        Rule.SHARED_SKILLS: (
            "pairs that teach the leader nothing they asked for"
            if need == 1
            else f"pairs that teach the leader fewer than {need} things they asked for"
        ),
        Rule.WORKING_HOURS: f"pairs sharing less than {hours} working hour"
        + ("" if hours == "1" else "s"),
    }[cost.rule]
    if cost.extra_pairs == 0 and abs(cost.extra_score) < 0.05:
        return f"allowing {rule} would change nothing"
    pairs = f"{cost.extra_pairs:+d} pair{'' if abs(cost.extra_pairs) == 1 else 's'}"
    return f"allowing {rule} would give {pairs}, {cost.extra_score:+.1f} total score"


def shortfall_note(
    *,
    pairs: int,
    total_score: float,
    bound_pairs: int,
    bound_score: float,
    solves: int,
    stopped_by: str,
    time_limit: float,
) -> str:
    """What an unproven result can be missing at most, from the round's bound."""
    if bound_pairs > pairs:
        more = bound_pairs - pairs
        missing = f"at most {more} more pair{'' if more == 1 else 's'} could be matched"
    else:
        points = max(0.0, bound_score - total_score)
        share = points / bound_score * 100 if bound_score > 0 else 0.0
        missing = (
            f"the best possible total score is at most {points:.1f} points higher "
            f"({share:.2f} % of the bound)"
        )
    limit = (
        f"its time limit ({time_limit:g} s)"
        if stopped_by == "time limit"
        else f"its work limit ({solves} linear programs)"
    )
    return (
        f"the search for the best sides for 'either' people stopped at {limit} before "
        f"proving this optimal; the result is valid, and {missing}"
    )


def summary_line(result: MatchResult) -> str:
    s = result.summary
    return (
        f"Matched {s.pairs} pair{'' if s.pairs == 1 else 's'} "
        f"({s.people_matched} of {s.people} people); {s.unmatched} unmatched; "
        f"total score {s.total_score:.1f}"
    )


def format_hours(hours: float) -> str:
    """Hours rounded to a quarter, without a trailing .0 ("6", "5.75")."""
    return f"{round(hours * 4) / 4:g}"


def _learning_reason(*, teacher: Candidate, learner: Candidate) -> str:
    if not learner.wants:
        return f"{learner.short_name} listed nothing to learn"
    shared = shared_skills(teacher=teacher, learner=learner)
    if not shared:
        return f"{teacher.short_name} can teach none of what {learner.short_name} wants"
    return (
        f"{teacher.short_name} can teach {_count_of(shared, learner)} "
        f"{learner.short_name} wants — {', '.join(shared)}"
    )


def _count_of(shared: tuple[str, ...], learner: Candidate) -> str:
    wanted = len(learner.wants)
    if wanted == 1:
        return "the one thing"
    if len(shared) == wanted:
        return "both things" if wanted == 2 else f"all {wanted} things"
    return f"{len(shared)} of the {wanted} things"


def _hours_reason(hours: float) -> str:
    if hours <= 0:
        return "no working hours overlap"
    shown = format_hours(hours)
    return f"{shown} working hour{'' if shown == '1' else 's'} overlap"


def _people(count: int, side: str) -> str:
    return f"{count} {side}{'' if count == 1 else 's'}"


def _rule_phrase(rule: Rule, count: int, *, other_side: str, constraints: Constraints) -> str:
    one = count == 1
    be = "is" if one else "are"
    gap = constraints.min_stage_gap
    if rule is Rule.SHARED_SKILLS:
        need = constraints.min_shared_skills
        if other_side == "mentor":
            if need == 1:
                return f"{count} {'teaches' if one else 'teach'} none of what they want"
            return f"{count} {'teaches' if one else 'teach'} fewer than {need} of their wants"
        if need == 1:
            return f"{count} {'wants' if one else 'want'} none of what they teach"
        return f"{count} {'wants' if one else 'want'} fewer than {need} of what they teach"
    if rule is Rule.WORKING_HOURS:
        hours = format_hours(constraints.min_overlap_hours)
        plural = "" if hours == "1" else "s"
        return f"{count} {'shares' if one else 'share'} less than {hours} working hour{plural}"
    if rule is Rule.STAGE_GAP:
        direction = "below" if other_side == "mentor" else "above"
        stages = "stage" if gap == 1 else "stages"
        return f"{count} {be} not at least {gap} career {stages} {direction}"
    if rule is Rule.MANAGER:
        return f"{count} {be} their manager or direct report"
    if rule is Rule.PREVIOUS_PARTNER:
        return f"{count} {'is a previous partner' if one else 'are previous partners'}"
    if rule is Rule.EXCLUDED_PAIR:
        return f"{count} {be} excluded by an admin"
    return f"{count} {be} in the same department or have none listed"
