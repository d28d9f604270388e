"""The report picker's submission and the export button's value, read purely."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.reports import PERIODS_OFFERED, Period
from bot.slack import ids
from bot.slack.forms import FormErrors, _has_block, _parse_id, _selected, parse_view_metadata

PICK_AGAIN = "Pick a program and a period."


@dataclass(frozen=True)
class ReportChoice:
    program_id: int  # untrusted: the listener checks it is a program of the workspace
    period: Period


def _period(text: str | None) -> Period | None:
    return Period(text) if text in {p.value for p in PERIODS_OFFERED} else None


def parse_report_pick(values: object, private_metadata: object) -> ReportChoice | FormErrors:
    """The chosen program (the select when shown, else the modal's one program) and period."""
    errors = {ids.REPORT_PERIOD.block_id: PICK_AGAIN}
    period = _period(_selected(values, ids.REPORT_PERIOD))
    if _has_block(values, ids.REPORT_PROGRAM):
        program_id = _parse_id(_selected(values, ids.REPORT_PROGRAM))
    else:
        metadata = parse_view_metadata(private_metadata)
        program_id = metadata.program_id if metadata is not None else None
    if period is None or program_id is None:
        return errors
    return ReportChoice(program_id, period)


def parse_export_value(value: object) -> ReportChoice | None:
    """The "Export CSV" button's "<program id>:<period>", or None when it is not ours."""
    if not isinstance(value, str):
        return None
    program, _, period_text = value.partition(":")
    program_id, period = _parse_id(program), _period(period_text)
    return ReportChoice(program_id, period) if program_id and period else None
