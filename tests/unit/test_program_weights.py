"""A program's stored score weights, read in one place for the form and for rounds."""

from __future__ import annotations

from bot.db.programs import get_program_weights
from bot.db.tables import ProgramRow
from bot.matching import Weights


def test_stored_weights_are_used_and_each_unusable_one_falls_back_to_its_default() -> None:
    stored = {"learning": 50, "giving_back": "lots", "cross_department": True, "working_hours": 2e9}
    weights = get_program_weights(ProgramRow(weights=stored))
    defaults = Weights()
    assert weights == Weights(
        learning=50.0,
        giving_back=defaults.giving_back,
        cross_department=defaults.cross_department,
        working_hours=defaults.working_hours,
    )


def test_no_stored_weights_are_the_defaults() -> None:
    assert get_program_weights(ProgramRow(weights=None)) == Weights()
    assert get_program_weights(ProgramRow(weights=["not", "a", "map"])) == Weights()
