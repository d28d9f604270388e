"""The either-side search: exact within its budget, valid and honest past it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bot.domain import CareerStage, Role
from bot.matching import Candidate, match
from bot.matching import solve as solve_module
from bot.matching.solve import solve_assignment

ON = dt.date(2026, 11, 25)


def test_a_person_used_on_both_sides_is_split_by_the_search() -> None:
    # Rows: people 0 (either) and 1; slots: people 0 and 2. The relaxation pairs
    # 0 -> row 1 and 2 -> row 0 (weight 10 + 10), using person 0 twice.
    cost = -np.array([[0.0, 10.0], [10.0, 1.0]])
    people_rows = np.array([0, 1])
    people_slots = np.array([0, 2])
    result = solve_assignment(cost, people_rows, people_slots)
    assert result.optimal and result.value == 10.0 and len(result.rows) == 1
    assert cost.tolist() == [[-0.0, -10.0], [-10.0, -1.0]]  # restored


def test_past_the_budget_the_result_is_valid_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "MIN_NODES", 1)
    monkeypatch.setattr(solve_module, "MAX_NODES", 1)
    people = [
        Candidate("m", Role.MENTOR, CareerStage(1)),
        Candidate("x", Role.EITHER, CareerStage(3)),
        Candidate("lead", Role.MENTEE, CareerStage(5)),
    ]
    result = match(people, reference_date=ON)
    s = result.summary
    assert len(result.pairs) == 1 and not s.optimal
    assert s.bound_pairs == 2  # the relaxation's m -> x -> lead
    assert any("may not be optimal" in note for note in s.notes)
