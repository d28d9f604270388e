"""`mentorbot match INPUT.csv [-o OUT.csv]`: the matching engine on a CSV, no Slack needed.

The one module of the package that prints. Exit codes: 0 when matching ran (even with
bad rows skipped), 2 when the input cannot be read or used, or the output not written.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TextIO

from bot.matching import explain
from bot.matching.csvio import format_pairs, parse_participants
from bot.matching.matcher import match
from bot.matching.model import Candidate, Constraints, MatchResult

LARGE_INPUT_ROWS = 2000  # above this, show a progress bar (on a terminal only)
_NAME_WIDTH = 22


def run(
    input_path: str,
    output_path: str | None,
    *,
    seed: int = 0,
    reference_date: dt.date | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
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
    constraints = Constraints()  # the CSV carries people, not program rules: defaults
    result = match(
        parsed.candidates,
        constraints,
        seed=seed,
        reference_date=reference_date or dt.datetime.now(dt.UTC).date(),
        progress=bar.update if bar else None,
    )
    if bar:
        bar.close()

    if output_path is not None:
        try:
            Path(output_path).write_text(format_pairs(result.pairs), encoding="utf-8")
        except OSError as exc:
            print(f"mentorbot match: cannot write {output_path}: {exc.strerror or exc}", file=err)
            return 2
    width = max(80, shutil.get_terminal_size((120, 24)).columns)
    out.write(format_report(result, parsed.candidates, width=width, gap=constraints.min_stage_gap))
    line = explain.summary_line(result)
    if parsed.errors:
        skipped = len(parsed.errors)
        line += f"; {skipped} bad row{'' if skipped == 1 else 's'} skipped"
    if output_path is not None:
        line += f"; pairs written to {output_path}"
    print(line, file=out)
    return 0


def format_report(
    result: MatchResult, candidates: tuple[Candidate, ...], *, width: int, gap: int
) -> str:
    """The pairs table, the unmatched with why, rule costs and notes (without the summary)."""
    names = {c.id: c.display_name for c in candidates}
    lines = [f"Pairs ({len(result.pairs)})"]
    why_indent = 2 + 2 * (_NAME_WIDTH + 2) + 7
    wrap = textwrap.TextWrapper(
        width=width, initial_indent="", subsequent_indent=" " * why_indent, break_on_hyphens=False
    )
    if result.pairs:
        lines.append(f"  {'Mentor':<{_NAME_WIDTH}}  {'Mentee':<{_NAME_WIDTH}}  Score  Why")
    for pair in result.pairs:
        head = (
            f"  {_fit(names[pair.mentor_id])}  {_fit(names[pair.mentee_id])}  {pair.score:5.1f}  "
        )
        lines.append(wrap.fill(head + "; ".join(pair.reasons)))
    if result.unmatched:
        lines += ["", f"Unmatched ({len(result.unmatched)})"]
        unmatched_wrap = textwrap.TextWrapper(width=width, subsequent_indent=" " * 6)
        for person in result.unmatched:
            lines.append(
                unmatched_wrap.fill(f"  {names[person.id]} ({person.id}): {person.reason}")
            )
    costs = result.summary.constraint_costs
    if costs:
        changes = [c for c in costs if c.extra_pairs or abs(c.extra_score) >= 0.05]
        lines += ["", "What the rules cost"]
        lines += [f"  {explain.cost_sentence(c, gap=gap)}" for c in changes]
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
