"""`mentorbot match INPUT.csv [-o OUT.csv] [--unmatched FILE.csv] [--time-limit S]`.

The matching engine on a CSV, no Slack needed. The one module of the package that
prints, and the edge that reads the clock (for the time limit). Exit codes: 0 when
matching ran (even with bad rows skipped), 2 when the input cannot be read or used, or
an output not written.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.domain import Role
from bot.matching import explain
from bot.matching.csvio import format_pairs, format_unmatched, parse_participants
from bot.matching.matcher import match
from bot.matching.model import Candidate, Constraints, MatchResult, Weights
from bot.matching.supply import skill_gaps

LARGE_INPUT_ROWS = 2000  # above this, show a progress bar (on a terminal only)
_NAME_WIDTH = 22
_ROLE_NAMES = {
    Role.MENTOR: "reverse mentor",
    Role.MENTEE: "leader",
    Role.EITHER: "reverse mentor or leader",
}


def run(
    input_path: str,
    output_path: str | None,
    *,
    unmatched_path: str | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    reference_date: dt.date | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        text = Path(input_path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        print(f"mentorbot match: cannot read {input_path}: {exc.strerror or exc}", file=err)
        return 2
    except UnicodeDecodeError as exc:
        print(
            f"mentorbot match: {input_path} is not UTF-8 text (bad byte at offset {exc.start}); "
            "save it as UTF-8 CSV and try again",
            file=err,
        )
        return 2
    parsed = parse_participants(text)
    if parsed.problem:
        print(f"mentorbot match: {input_path}: {parsed.problem}", file=err)
        return 2
    for problem in parsed.errors:
        print(f"line {problem.line}: {problem.message}; row skipped", file=err)
    for problem in parsed.warnings:
        print(f"line {problem.line}: {problem.message}", file=err)

    bar = _ProgressBar(err) if len(parsed.candidates) > LARGE_INPUT_ROWS and err.isatty() else None
    # The CSV carries people, not program rules: the defaults, and the time limit asked.
    constraints = Constraints() if time_limit is None else Constraints(time_limit=time_limit)
    result = match(
        parsed.candidates,
        constraints,
        seed=seed,
        reference_date=reference_date or dt.datetime.now(dt.UTC).date(),
        progress=bar.update if bar else None,
        clock=clock,
    )
    if bar:
        bar.close()

    names = {c.id: c.name for c in parsed.candidates}
    outputs: list[tuple[str | None, Callable[[], str]]] = [
        (output_path, lambda: format_pairs(result.pairs, names))
    ]
    outputs.append((unmatched_path, lambda: format_unmatched(result.unmatched, parsed.candidates)))
    for path, content in outputs:
        if path is None:
            continue
        try:
            Path(path).write_text(content(), encoding="utf-8")
        except OSError as exc:
            print(f"mentorbot match: cannot write {path}: {exc.strerror or exc}", file=err)
            return 2
    width = max(80, shutil.get_terminal_size((120, 24)).columns)
    out.write(format_report(result, parsed.candidates, width=width, constraints=constraints))
    line = explain.summary_line(result)
    if parsed.errors:
        skipped = len(parsed.errors)
        line += f"; {skipped} bad row{'' if skipped == 1 else 's'} skipped"
    if output_path is not None:
        line += f"; pairs written to {output_path}"
    if unmatched_path is not None:
        line += f"; unmatched written to {unmatched_path}"
    print(line, file=out)
    return 0


def format_report(
    result: MatchResult,
    candidates: tuple[Candidate, ...],
    *,
    width: int,
    constraints: Constraints,
    weights: Weights | None = None,
) -> str:
    """The pairs table (weakest first), the unmatched with why, the skills in short
    supply, rule costs and notes (without the summary line)."""
    people = {c.id: c for c in candidates}
    most = f"{(weights or Weights()).maximum:g}"
    lines = [f"Pairs ({len(result.pairs)}), weakest first; scores are out of {most}"]
    why_indent = 2 + 2 * (_NAME_WIDTH + 2) + 8 + 7
    wrap = textwrap.TextWrapper(
        width=width, initial_indent="", subsequent_indent=" " * why_indent, break_on_hyphens=False
    )
    if result.pairs:
        lines.append(
            f"  {'Reverse mentor':<{_NAME_WIDTH}}  {'Leader':<{_NAME_WIDTH}}  Stages  Score  Why"
        )
    weakest_first = sorted(result.pairs, key=lambda p: p.score)  # stable: ties keep order
    for pair in weakest_first:
        mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
        stages = f"{int(mentor.career_stage)} → {int(mentee.career_stage)}"
        head = (
            f"  {_fit(mentor.display_name)}  {_fit(mentee.display_name)}  {stages:<6}  "
            f"{pair.score:5.1f}  "
        )
        lines.append(wrap.fill(head + "; ".join(pair.reasons)))
    if result.unmatched:
        lines += ["", f"Unmatched ({len(result.unmatched)})"]
        unmatched_wrap = textwrap.TextWrapper(width=width, subsequent_indent=" " * 6)
        for unmatched in result.unmatched:
            person = people[unmatched.id]
            who = (
                f"{person.display_name} ({person.id}), {_ROLE_NAMES[person.role]}, "
                f"stage {int(person.career_stage)}"
            )
            lines.append(unmatched_wrap.fill(f"  {who}: {unmatched.reason}"))
    gaps = skill_gaps(c for c in candidates if c.active)
    if gaps:
        lines += ["", "Skills in short supply (wanted by leaders, offered by reverse mentors)"]
        lines += [f"  {g.skill}: wanted by {g.wanted}, offered by {g.offered}" for g in gaps]
    costs = result.summary.constraint_costs
    if costs:
        changes = [c for c in costs if c.extra_pairs or abs(c.extra_score) >= 0.05]
        lines += ["", "What the rules cost"]
        lines += [f"  {explain.cost_sentence(c, constraints=constraints)}" for c in changes]
        if not changes:
            lines.append("  no rule cost a pair or a point of score this round")
    if result.summary.notes:
        lines += ["", "Notes"]
        lines += [f"  {note}" for note in result.summary.notes]
    lines.append("")
    return "\n".join(lines) + "\n"


def _fit(name: str) -> str:
    if len(name) > _NAME_WIDTH:
        name = name[: _NAME_WIDTH - 1] + "…"
    return f"{name:<{_NAME_WIDTH}}"


class _ProgressBar:
    """A one-line bar on stderr, redrawn in place."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = ""

    def update(self, phase: str, done: float) -> None:
        filled = round(done * self.WIDTH)
        text = f"\r{phase:<11}[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:4.0%}"
        if text != self.shown:
            self.stream.write(text)
            self.stream.flush()
            self.shown = text

    def close(self) -> None:
        self.stream.write("\r" + " " * len(self.shown) + "\r")
        self.stream.flush()
