"""The round's supply gap: skills leaders want that few reverse mentors offer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import Role
from bot.matching.model import Candidate, normalise_key

_LEARNERS = (Role.MENTEE, Role.EITHER)
_TEACHERS = (Role.MENTOR, Role.EITHER)


@dataclass(frozen=True)
class SkillGap:
    skill: str  # as the first person who wanted it wrote it
    wanted: int  # people on the leader side who want it
    offered: int  # people on the reverse-mentor side who teach it


def skill_gaps(candidates: Iterable[Candidate], *, limit: int = 10) -> tuple[SkillGap, ...]:
    """Up to `limit` skills wanted more often than offered, the widest gap first
    (then the most wanted, then by name, so the order never depends on input order)."""
    wanted: Counter[str] = Counter()
    offered: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for person in candidates:
        if person.role in _LEARNERS:
            for skill in person.wants:
                key = normalise_key(skill)
                wanted[key] += 1
                shown.setdefault(key, skill)
        if person.role in _TEACHERS:
            offered.update(normalise_key(skill) for skill in person.teaches)
    gaps = [
        SkillGap(shown[key], count, offered[key])
        for key, count in wanted.items()
        if count > offered[key]
    ]
    gaps.sort(key=lambda g: (g.offered - g.wanted, -g.wanted, normalise_key(g.skill)))
    return tuple(gaps[:limit])
