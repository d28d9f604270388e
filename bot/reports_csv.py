"""The program report as files, pure: the pairs and enrollment CSVs, and one JSON object.

Cells are written as stored, except that a cell starting with = + - @ (or a tab or CR,
which some spreadsheets skip before reading a formula) is prefixed with ' so a
spreadsheet shows it as text instead of running it (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from bot.services.reports import HIDDEN, EnrollmentLine, PairLine, Report

PAIRS_HEADER = (
    "pair_id", "round", "reverse_mentor", "reverse_mentor_slack_id", "leader",
    "leader_slack_id", "introduced_on", "status", "meetings", "first_met_on", "last_met_on",
)  # fmt: skip
ENROLLMENT_HEADER = (
    "person", "slack_id", "program", "role", "career_stage", "status", "joined_on",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def _pair_row(line: PairLine) -> tuple[object, ...]:
    return (
        line.pair_id, line.round_number, line.mentor_name, line.mentor_user_id, line.leader_name,
        line.leader_user_id, line.introduced_on, line.status, line.meetings, line.first_met_on,
        line.last_met_on,
    )  # fmt: skip


def _enrollment_row(line: EnrollmentLine) -> tuple[object, ...]:
    return (
        line.name, line.user_id, line.program, line.role, line.career_stage, line.status,
        line.joined_on,
    )  # fmt: skip


def pairs_csv(lines: list[PairLine]) -> str:
    return _csv(PAIRS_HEADER, [_pair_row(line) for line in lines])


def enrollment_csv(lines: list[EnrollmentLine]) -> str:
    return _csv(ENROLLMENT_HEADER, [_enrollment_row(line) for line in lines])


def _breakdown(groups: dict[str, int | None]) -> dict[str, int | str]:
    return {name: HIDDEN if n is None else n for name, n in groups.items()}


def report_numbers(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data: the same numbers as the modal, nothing more."""
    numbers = asdict(report)
    numbers["window"] = {
        "period": report.window.period.value,
        "start": report.window.start.isoformat(),
        "end": report.window.end.isoformat(),
    }
    numbers["enrollment"]["by_role"] = _breakdown(report.enrollment.by_role)
    numbers["enrollment"]["by_stage"] = _breakdown(report.enrollment.by_stage)
    numbers["skills"] = {
        "leaders_learned": [{"skill": s, "meetings": n} for s, n in report.skills.leaders_learned],
        "leaders_shared": [{"skill": s, "meetings": n} for s, n in report.skills.leaders_shared],
    }
    if report.ratings.histogram is not None:
        numbers["ratings"]["histogram"] = {str(k): v for k, v in report.ratings.histogram.items()}
    return numbers


def report_json(report: Report, pairs: list[PairLine], enrollment: list[EnrollmentLine]) -> str:
    """One JSON object: the report numbers and both tables (as lists of objects)."""
    document = {
        "report": report_numbers(report),
        "pairs": [dict(zip(PAIRS_HEADER, _json_row(_pair_row(p)), strict=True)) for p in pairs],
        "enrollment": [
            dict(zip(ENROLLMENT_HEADER, _json_row(_enrollment_row(e)), strict=True))
            for e in enrollment
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _json_row(row: tuple[object, ...]) -> list[object]:
    return [cell.isoformat() if isinstance(cell, date) else cell for cell in row]


def report_csv(pairs: list[PairLine], enrollment: list[EnrollmentLine]) -> str:
    """`--format csv`: the pairs CSV, one blank line, then the enrollment CSV."""
    return pairs_csv(pairs) + "\r\n" + enrollment_csv(enrollment)
