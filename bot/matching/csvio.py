"""The offline matching CSV (PRODUCT §6): participants in, pairs out.

Parsing never raises on bad data: a bad row becomes a `RowProblem` with its line
number (1 is the header; a quoted field spanning lines counts every line) and is
skipped; a file that cannot be used at all (no header, a required column missing)
comes back with `problem` set.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain import CareerStage, Role
from bot.matching.model import Candidate, Pair, Unmatched
from bot.matching.overlap import get_zone

REQUIRED_COLUMNS = ("id", "role", "career_stage")
# The §6 columns first and unchanged; more may follow.
OUTPUT_COLUMNS = (
    "mentor_id",
    "mentee_id",
    "score",
    "shared_skills",
    "reasons",
    "mentor_name",
    "mentee_name",
)
UNMATCHED_COLUMNS = ("id", "name", "role", "career_stage", "reason")
_ROLES = ", ".join(r.value for r in Role)


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


@dataclass(frozen=True)
class ParsedParticipants:
    candidates: tuple[Candidate, ...]
    errors: tuple[RowProblem, ...]  # rows skipped
    warnings: tuple[RowProblem, ...]  # rows kept, with a value replaced by its default
    problem: str | None = None  # the whole file is unusable


class _RowError(ValueError):
    pass


def parse_participants(text: str) -> ParsedParticipants:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return ParsedParticipants((), (), (), problem="the file is empty (a header row is needed)")
    except csv.Error as exc:
        return ParsedParticipants((), (), (), problem=f"line 1: {exc}")
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        columns.setdefault(name.strip().casefold(), position)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return ParsedParticipants(
            (), (), (), problem=f"missing required column(s): {', '.join(missing)}"
        )

    candidates: list[Candidate] = []
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    first_line: dict[str, int] = {}
    last_line = reader.line_num
    while True:
        line = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowProblem(line, str(exc)))
            last_line = reader.line_num
            continue
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        row = {name: cells[i].strip() if i < len(cells) else "" for name, i in columns.items()}
        try:
            candidate = _candidate(row)
        except _RowError as exc:
            errors.append(RowProblem(line, str(exc)))
            continue
        if candidate.id in first_line:
            errors.append(
                RowProblem(
                    line,
                    f"duplicate id {candidate.id!r} (first on line {first_line[candidate.id]})",
                )
            )
            continue
        first_line[candidate.id] = line
        if row.get("timezone") and get_zone(row["timezone"]) is None:
            warnings.append(RowProblem(line, f"unknown timezone {row['timezone']!r}; using UTC"))
        candidates.append(candidate)
    return ParsedParticipants(tuple(candidates), tuple(errors), tuple(warnings))


def format_pairs(pairs: Sequence[Pair], names: Mapping[str, str] | None = None) -> str:
    """The output CSV: one row per pair; `names` maps ids to display names."""
    names = names or {}
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for p in pairs:
        writer.writerow(
            [
                p.mentor_id,
                p.mentee_id,
                f"{p.score:.1f}",
                ";".join(p.shared_skills),
                "; ".join(p.reasons),
                names.get(p.mentor_id, ""),
                names.get(p.mentee_id, ""),
            ]
        )
    return out.getvalue()


def format_unmatched(unmatched: Sequence[Unmatched], candidates: Sequence[Candidate]) -> str:
    """The `--unmatched` CSV: one row per unmatched person, with the reason."""
    by_id = {c.id: c for c in candidates}
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNMATCHED_COLUMNS)
    for u in unmatched:
        person = by_id[u.id]
        writer.writerow([u.id, person.name, person.role.value, int(person.career_stage), u.reason])
    return out.getvalue()


def _candidate(row: dict[str, str]) -> Candidate:
    person_id = row["id"]
    if not person_id:
        raise _RowError("id is empty")
    role_text = row["role"].casefold()
    if role_text not in {r.value for r in Role}:
        raise _RowError(f"role must be one of {_ROLES}, got {row['role']!r}")
    return Candidate(
        id=person_id,
        name=row.get("name", ""),
        role=Role(role_text),
        career_stage=_stage(row["career_stage"]),
        department=row.get("department", ""),
        manager_id=row.get("manager_id") or None,
        timezone=row.get("timezone", ""),  # blank: unknown (scored as UTC, never ruled out)
        teaches=_list(row.get("teaches", "")),
        wants=_list(row.get("wants", "")),
        max_mentees=_capacity(row.get("max_mentees", "")),
        previous_partners=frozenset(_list(row.get("previous_partners", ""))),
    )


def _stage(text: str) -> CareerStage:
    if _is_whole(text) and 1 <= int(text) <= 5:
        return CareerStage(int(text))
    raise _RowError(f"career_stage must be a whole number from 1 to 5, got {text!r}")


def _capacity(text: str) -> int:
    if not text:
        return 1
    if _is_whole(text) and 1 <= int(text) <= 1000:
        return int(text)
    raise _RowError(f"max_mentees must be a whole number from 1 to 1000, got {text!r}")


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _is_whole(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 6
