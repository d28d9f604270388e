"""`mentorbot match INPUT.csv [-o OUT.csv]` through `bot.matching.command.run`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from matching_reference import lp_path

from bot.cli import build_parser
from bot.matching import command

ON = dt.date(2026, 11, 25)
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "participants.csv"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report fits the terminal it is shown in; these tests read it 120 columns wide,
    whatever terminal (or pytest-xdist worker, which says 80) runs them."""
    monkeypatch.setenv("COLUMNS", "120")


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
    assert "Reverse mentor" in out and "Why" in out and "working hours overlap" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Matched ") and "of 60 people" in summary
    assert summary.endswith(f"pairs written to {target}")
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:5] == ["mentor_id", "mentee_id", "score", "shared_skills", "reasons"]
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
        "Lone (l), leader, stage 1: no eligible reverse mentor: of 1 reverse mentor, "
        "1 is not at least 1 career stage below" in out
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


SMALL = (
    "id,name,role,career_stage,department,timezone,teaches,wants\n"
    "sam,Sam Lee,mentor,1,Sales,Europe/Berlin,TikTok;AI tools,\n"
    "ana,Ana Ruiz,either,3,Legal,Europe/Berlin,podcasts,TikTok\n"
    "dana,Dana Cho,mentee,4,Finance,Europe/Berlin,,TikTok;AI tools\n"
    "lee,Lee Park,mentee,5,Sales,Europe/Berlin,,podcasts;budgets\n"
    "zed,Zed Obi,mentee,4,Sales,Europe/Berlin,,sailing\n"
)


def test_the_report_sorts_weakest_first_with_a_scale_stages_and_the_either_side(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(SMALL, encoding="utf-8")
    code, out, _ = run(str(source), None)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Pairs (2), weakest first; scores are out of 100"
    assert lines[1].split() == ["Reverse", "mentor", "Leader", "Stages", "Score", "Why"]
    ana_row = next(i for i, line in enumerate(lines) if line.startswith("  Ana Ruiz"))
    sam_row = next(i for i, line in enumerate(lines) if line.startswith("  Sam Lee"))
    assert ana_row < sam_row  # 50 before 80
    assert "3 → 5" in lines[ana_row] and "1 → 4" in lines[sam_row]
    text = " ".join(out.split())  # the report wraps long lines
    assert "Ana could take either side and is the reverse mentor here" in text
    assert "Zed Obi (zed), leader, stage 4: no reverse mentor teaches any of: sailing" in text
    assert "Skills in short supply (wanted by leaders, offered by reverse mentors)" in out
    assert "  sailing: wanted by 1, offered by 0" in out


def test_unmatched_file_and_names_in_the_pairs_file(tmp_path: Path) -> None:
    source, pairs, unmatched = tmp_path / "in.csv", tmp_path / "p.csv", tmp_path / "u.csv"
    source.write_text(SMALL, encoding="utf-8")
    out = io.StringIO()
    code = command.run(
        str(source), str(pairs), unmatched_path=str(unmatched), reference_date=ON, stdout=out
    )
    assert code == 0
    assert (
        out.getvalue()
        .strip()
        .endswith(f"pairs written to {pairs}; unmatched written to {unmatched}")
    )
    with pairs.open(encoding="utf-8") as f:
        rows = {r["mentee_id"]: r for r in csv.DictReader(f)}
    assert (rows["dana"]["mentor_name"], rows["dana"]["mentee_name"]) == ("Sam Lee", "Dana Cho")
    with unmatched.open(encoding="utf-8") as f:
        left = list(csv.DictReader(f))
    assert left == [
        {
            "id": "zed",
            "name": "Zed Obi",
            "role": "mentee",
            "career_stage": "4",
            "reason": "no reverse mentor teaches any of: sailing",
        }
    ]
    code = command.run(str(source), None, unmatched_path=str(tmp_path), stderr=io.StringIO())
    assert code == 2


def test_without_a_timezone_column_the_overlap_is_unknown_not_8_hours(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,role,career_stage,teaches,wants\nm,mentor,1,x,\ne,mentee,4,,x\n")
    code, out, _ = run(str(source), None)
    assert code == 0
    text = " ".join(out.split())  # the report wraps long lines
    assert "working hours overlap unknown (no timezone given)" in text
    assert "8 working hours" not in text


def test_past_the_time_limit_the_report_says_how_far_from_proven(tmp_path: Path) -> None:
    # A clock that jumps a minute per reading: the search is out of time at once.
    source = tmp_path / "in.csv"
    source.write_text(
        "id,role,career_stage,teaches,wants\nm,mentor,1,x,\nx,either,3,x,x\nl,mentee,5,,x\n"
    )
    ticks = iter(range(0, 10_000, 60))
    out = io.StringIO()
    with lp_path():
        code = command.run(
            str(source),
            None,
            time_limit=5,
            reference_date=ON,
            stdout=out,
            clock=lambda: float(next(ticks)),
        )
    assert code == 0
    text = " ".join(out.getvalue().split())
    assert "stopped at its time limit (5 s) before proving this optimal" in text


def test_the_match_command_line_takes_unmatched_and_time_limit() -> None:
    args = build_parser().parse_args(
        ["match", "in.csv", "--unmatched", "u.csv", "--time-limit", "2.5"]
    )
    assert (args.unmatched, args.time_limit) == ("u.csv", 2.5)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["match", "in.csv", "--time-limit", "0"])
