"""The offline CSV (PRODUCT §6): parsing with line numbers, and the output columns."""

from __future__ import annotations

from bot.domain import CareerStage, Role
from bot.matching import Candidate, Pair, Unmatched
from bot.matching.csvio import format_pairs, format_unmatched, parse_participants

HEADER = (
    "id,name,role,career_stage,department,manager_id,timezone,teaches,wants,"
    "max_mentees,previous_partners\n"
)


def test_a_full_row_becomes_a_candidate() -> None:
    text = (
        HEADER + "u1,Sam Lee,Mentor,2,Sales,u9,Europe/Berlin, TikTok ;AI tools;,Strategy,2,u3;u4\n"
    )
    parsed = parse_participants(text)
    assert parsed.errors == () and parsed.warnings == () and parsed.problem is None
    (sam,) = parsed.candidates
    assert (sam.id, sam.name, sam.role, sam.career_stage) == (
        "u1",
        "Sam Lee",
        Role.MENTOR,
        CareerStage(2),
    )
    assert (sam.department, sam.manager_id, sam.timezone) == ("Sales", "u9", "Europe/Berlin")
    assert sam.teaches == ("TikTok", "AI tools") and sam.wants == ("Strategy",)
    assert sam.max_mentees == 2 and sam.previous_partners == frozenset({"u3", "u4"})


def test_columns_in_any_order_extra_ignored_only_required_needed() -> None:
    parsed = parse_participants("Career_Stage , extra, ROLE,id\n3,x,either,a\n")
    (a,) = parsed.candidates
    assert (a.id, a.role, a.career_stage, a.max_mentees, a.timezone) == (
        "a",
        Role.EITHER,
        3,
        1,
        "",  # no timezone column: unknown (scored as UTC, never ruled out on hours)
    )


def test_bad_rows_are_reported_by_line_number_and_skipped() -> None:
    text = (
        "id,role,career_stage,max_mentees\n"  # line 1
        "a,mentor,1,\n"  # 2: fine
        "\n"  # 3: blank, ignored
        ",mentee,4,\n"  # 4
        "b,boss,4,\n"  # 5
        "c,mentee,6,\n"  # 6
        "d,mentee,three,\n"  # 7
        "e,mentor,1,0\n"  # 8
        "a,mentee,4,\n"  # 9
        '"f\n'  # 10: a quoted id over two lines is fine
        'f",mentee,5,\n'  # 11
        "g,mentor,x\n"  # 12, after the two-line row
    )
    parsed = parse_participants(text)
    assert [c.id for c in parsed.candidates] == ["a", "f\nf"]
    assert [(e.line, e.message) for e in parsed.errors] == [
        (4, "id is empty"),
        (5, "role must be one of mentor, mentee, either, got 'boss'"),
        (6, "career_stage must be a whole number from 1 to 5, got '6'"),
        (7, "career_stage must be a whole number from 1 to 5, got 'three'"),
        (8, "max_mentees must be a whole number from 1 to 1000, got '0'"),
        (9, "duplicate id 'a' (first on line 2)"),
        (12, "career_stage must be a whole number from 1 to 5, got 'x'"),
    ]


def test_unknown_timezone_is_a_warning_and_the_row_kept() -> None:
    parsed = parse_participants("id,role,career_stage,timezone\na,mentor,1,Mars/Base\n")
    assert len(parsed.candidates) == 1
    assert [(w.line, w.message) for w in parsed.warnings] == [
        (2, "unknown timezone 'Mars/Base'; using UTC")
    ]


def test_a_file_without_the_required_columns_is_unusable() -> None:
    assert parse_participants("").problem == "the file is empty (a header row is needed)"
    parsed = parse_participants("id,name\na,b\n")
    assert parsed.problem == "missing required column(s): role, career_stage"


def test_output_csv_has_one_row_per_pair_with_the_names_after_the_contract_columns() -> None:
    pair = Pair(
        "m", "e", 71.25, ("AI tools", "TikTok"), ("Sam can teach, well", "8 working hours overlap")
    )
    assert format_pairs([pair], {"m": "Sam Lee", "e": "Dana Cho"}) == (
        "mentor_id,mentee_id,score,shared_skills,reasons,mentor_name,mentee_name\n"
        'm,e,71.2,AI tools;TikTok,"Sam can teach, well; 8 working hours overlap",Sam Lee,Dana Cho\n'
    )


def test_unmatched_csv_has_one_row_per_person_with_the_reason() -> None:
    dana = Candidate("d1", Role.MENTEE, CareerStage(4), name="Dana, VP")
    text = format_unmatched([Unmatched("d1", "no reverse mentor teaches any of: x")], [dana])
    assert text == (
        "id,name,role,career_stage,reason\n"
        'd1,"Dana, VP",mentee,4,no reverse mentor teaches any of: x\n'
    )
