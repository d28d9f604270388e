"""Sentences that say why two people were paired, why someone was not, what a rule cost."""

from __future__ import annotations

from collections.abc import Mapping

from bot.matching.model import (
    Candidate,
    ConstraintCost,
    MatchResult,
    Rule,
    normalise_key,
)

_RULES = list(Rule)


def shared_skills(*, teacher: Candidate, learner: Candidate) -> tuple[str, ...]:
    """What `learner` wants that `teacher` can teach, in the learner's words and order."""
    taught = {normalise_key(s) for s in teacher.teaches}
    return tuple(s for s in learner.wants if normalise_key(s) in taught)


def pair_reasons(
    *, mentor: Candidate, mentee: Candidate, hours: float, pinned: bool = False
) -> tuple[str, ...]:
    reasons = ["pinned by an admin"] if pinned else []
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
    reasons.append(_hours_reason(hours))
    return tuple(reasons)


def blocked_reason(
    *, other_side: str, considered: int, blocked: Mapping[Rule, int], gap: int
) -> str:
    """Why nobody on `other_side` ("mentor" / "mentee") was eligible."""
    if considered == 0:
        return f"no {other_side}s in this round"
    parts = [
        _rule_phrase(rule, count, other_side=other_side, gap=gap)
        for rule, count in sorted(
            blocked.items(), key=lambda item: (-item[1], _RULES.index(item[0]))
        )
        if count
    ]
    return f"no eligible {other_side}: of {_people(considered, other_side)}, " + ", ".join(parts)


def taken_reason(*, other_side: str, eligible: int, only_name: str | None) -> str:
    """Why someone with eligible partners still has none."""
    if other_side == "mentor":
        if eligible == 1 and only_name:
            return f"their only eligible mentor, {only_name}, was full (capacity used up)"
        return f"all {eligible} eligible mentors were full (capacity used up)"
    if eligible == 1 and only_name:
        return f"their only eligible mentee, {only_name}, went to another mentor"
    return f"all {eligible} eligible mentees went to other mentors"


def cost_sentence(cost: ConstraintCost, *, gap: int) -> str:
    rule = {
        Rule.STAGE_GAP: (
            f"a career-stage gap of {gap - 1} instead of {gap}" if gap > 1 else "same-stage pairs"
        ),
        Rule.MANAGER: "pairs within a reporting line",
        Rule.PREVIOUS_PARTNER: "repeat partners",
        Rule.EXCLUDED_PAIR: "the excluded pairs",
        Rule.CROSS_DEPARTMENT: "same-department pairs",
    }[cost.rule]
    if cost.extra_pairs == 0 and abs(cost.extra_score) < 0.05:
        return f"allowing {rule} would change nothing"
    pairs = f"{cost.extra_pairs:+d} pair{'' if abs(cost.extra_pairs) == 1 else 's'}"
    return f"allowing {rule} would give {pairs}, {cost.extra_score:+.1f} total score"


def shortfall_note(
    *, pairs: int, total_score: float, bound_pairs: int, bound_score: float, solves: int
) -> str:
    """What an unproven result can be missing at most, from the round's bound."""
    if bound_pairs > pairs:
        more = bound_pairs - pairs
        missing = f"at most {more} more pair{'' if more == 1 else 's'} could be matched"
    else:
        missing = (
            f"the best possible total score is at most "
            f"{max(0.0, bound_score - total_score):.1f} points higher"
        )
    return (
        f"the search for the best sides for 'either' people stopped at its work limit "
        f"({solves} linear programs) before proving this optimal; the result is valid, "
        f"and {missing}"
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


def _rule_phrase(rule: Rule, count: int, *, other_side: str, gap: int) -> str:
    one = count == 1
    be = "is" if one else "are"
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
