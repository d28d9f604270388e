"""The matching engine: pure (no Slack, no database), numpy for scores, scipy to solve.

`match(candidates, constraints, weights, seed=..., reference_date=...)` returns the
optimal pairs for one round with the reasons for each, why everyone else is unmatched,
and what each rule cost; `summary.optimal` says whether optimality was proven (always
without `either` people; see `sides` for them). `csvio` and `command` add the offline
`mentorbot match` command.
"""

from bot.matching.matcher import Progress, match
from bot.matching.model import (
    Candidate,
    ConstraintCost,
    Constraints,
    MatchResult,
    MatchSummary,
    Pair,
    Rule,
    Unmatched,
    Weights,
    normalise_key,
)

__all__ = [
    "Candidate",
    "ConstraintCost",
    "Constraints",
    "MatchResult",
    "MatchSummary",
    "Pair",
    "Progress",
    "Rule",
    "Unmatched",
    "Weights",
    "match",
    "normalise_key",
]
