"""`mentorbot match INPUT.csv [-o OUT.csv]` through `bot.matching.command.run`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.matching import command

ON = dt.date(2026, 11, 25)
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "participants.csv"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: str | None, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    code = command.run(*args, reference_date=ON, stdout=out, stderr=err)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_the_example_shows_pairs_unmatched_and_a_summary(tmp_path: Path) -> None:
    target = tmp_path / "pairs.csv"
    code, out, err = run(str(EXAMPLE), str(target))
    assert code == 0 and err == ""
    assert out.startswith("Pairs (")
    assert "Mentor" in out and "Why" in out and "working hours overlap" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Matched ") and "of 60 people" in summary
    assert summary.endswith(f"pairs written to {target}")
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["mentor_id", "mentee_id", "score", "shared_skills", "reasons"]
    assert f"Matched {len(rows)} pairs" in summary


def test_same_input_same_output() -> None:
    assert run(str(EXAMPLE), None) == run(str(EXAMPLE), None)


def test_bad_rows_go_to_stderr_with_line_numbers(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,name,role,career_stage,wants,teaches\n"
        "m,Sam,mentor,1,,TikTok\n"
        "e,Dana,mentee,4,tiktok,\n"
        "x,Bad,mentee,9,,\n"
        "l,Lone,mentee,1,,\n",
        encoding="utf-8",
    )
    code, out, err = run(str(source), None)
    assert code == 0
    assert err == "line 4: career_stage must be a whole number from 1 to 5, got '9'; row skipped\n"
    assert "Sam can teach the one thing Dana wants — tiktok" in out
    assert (
        "Lone (l): no eligible mentor: of 1 mentor, 1 is not at least 1 career stage below" in out
    )
    assert out.strip().splitlines()[-1] == (
        "Matched 1 pair (2 of 3 people); 1 unmatched; total score 70.0; 1 bad row skipped"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"id,role,career_stage\nm,mentor,1,\xff\n", "is not UTF-8"),
        (b"id,name\n", "missing required column(s): role, career_stage"),
    ],
)
def test_an_unreadable_file_exits_2(tmp_path: Path, content: bytes | None, message: str) -> None:
    source = tmp_path / "in.csv"
    if content is not None:
        source.write_bytes(content)
    code, out, err = run(str(source), None)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_an_unwritable_output_exits_2(tmp_path: Path) -> None:
    code, _, err = run(str(EXAMPLE), str(tmp_path))
    assert code == 2 and f"cannot write {tmp_path}" in err


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    source = tmp_path / "bom.csv"
    source.write_bytes("\ufeffid,role,career_stage\nm,mentor,1\ne,mentee,3\n".encode())
    code, out, _ = run(str(source), None)
    assert code == 0 and "Matched 1 pair" in out


def test_progress_bar_only_on_a_terminal_for_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "LARGE_INPUT_ROWS", 10)
    code, _, plain = run(str(EXAMPLE), None)
    assert code == 0 and "\r" not in plain
    code, _, shown = run(str(EXAMPLE), None, stderr=Terminal())
    assert code == 0 and "scoring" in shown and "100%" in shown
