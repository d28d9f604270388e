"""Roster import, pure parts: rows with line numbers, e-mails to look up, all or nothing."""

from __future__ import annotations

from bot.domain import CareerStage, Role
from bot.services.roster import emails_to_look_up, parse_roster, resolve_roster
from bot.slack import ids
from bot.slack.listeners.roster import decode_roster, is_slack_file_url, parse_roster_submission

HEADER = "id,name,role,career_stage,department,manager_id,previous_partners\n"


def test_good_rows_keep_their_line_numbers_and_fields() -> None:
    roster = parse_roster(
        HEADER
        + "U0SAM,Sam,mentor,1,Marketing,boss@example.com,U0OLD;u0bad@example.com\n"
        + "\n"
        + "Dana@Example.com,Dana,mentee,4,Brand,,\n"
    )
    assert roster.problem is None and roster.problems == ()
    sam, dana = roster.rows
    assert (sam.line, sam.key, sam.role, sam.career_stage) == (2, "U0SAM", Role.MENTOR, 1)
    assert sam.manager_key == "boss@example.com"
    assert dana.line == 4 and dana.career_stage is CareerStage.SENIOR_LEADER
    assert emails_to_look_up(roster) == [
        "boss@example.com",
        "u0bad@example.com",
        "dana@example.com",
    ]


def test_bad_rows_come_back_with_their_line_numbers() -> None:
    roster = parse_roster(
        HEADER
        + "U0SAM,Sam,mentor,1,,,\n"
        + "U0LEE,Lee,boss,2,,,\n"  # line 3: the §6 parser's own error
        + '"U0KIM","Kim\nKimura",mentee,9,,,\n'  # lines 4-5: a quoted name spans two lines
        + "sam smith,Sam,mentor,1,,,\n"  # line 6: neither an id nor an e-mail
        + "U0ZED,Zed,mentor,1,Sales\u0007,,\n"  # line 7: a hidden control character
        + "U0ME,Me,mentor,1,,U0ME,\n"  # line 8: their own manager
        + "U0SAM,Again,mentor,1,,,\n"  # line 9: duplicate
    )
    lines = [problem.line for problem in roster.problems]
    assert lines == [3, 4, 6, 7, 8, 9]
    messages = " | ".join(p.message for p in roster.problems)
    assert "role must be one of" in messages and "career_stage" in messages
    assert "Slack member id (U…) or an e-mail" in messages and "control character" in messages
    assert [row.key for row in roster.rows] == ["U0SAM"]


def test_an_unusable_file_says_why() -> None:
    assert parse_roster("").problem is not None
    assert "career_stage" in (parse_roster("id,role\nU0A,mentor\n").problem or "")


def test_resolving_places_every_key_or_names_each_row_that_cannot_be_placed() -> None:
    roster = parse_roster(
        HEADER
        + "U0SAM,Sam,mentor,1,,boss@example.com,dana@example.com\n"
        + "dana@example.com,Dana,mentee,4,,,\n"
    )
    members = {"boss@example.com": "U0BOSS", "dana@example.com": "U0DANA"}
    resolved = resolve_roster(roster, members)
    assert resolved.problems == ()
    sam, dana = resolved.entries
    assert (sam.user_id, sam.manager_id, sam.previous_partners) == ("U0SAM", "U0BOSS", ("U0DANA",))
    assert dana.user_id == "U0DANA"

    unknown = resolve_roster(roster, {"boss@example.com": None, "dana@example.com": "U0SAM"})
    assert unknown.entries == ()  # nothing half-imported
    assert [(p.line, p.message.split(":")[0]) for p in unknown.problems] == [
        (2, "manager_id"),
        (3, "the same person as on line 2"),
    ]


def test_parse_problems_and_lookup_problems_are_reported_together() -> None:
    roster = parse_roster(HEADER + "U0SAM,Sam,nobody,1,,,\nlost@example.com,L,mentor,1,,,\n")
    resolved = resolve_roster(roster, {"lost@example.com": None})
    assert [p.line for p in resolved.problems] == [2, 3]
    assert "no Slack member has the e-mail 'lost@example.com'" in resolved.problems[1].message


def test_the_token_goes_only_to_slacks_file_host() -> None:
    api = "http://127.0.0.1:4000/api/"
    assert is_slack_file_url("https://files.slack.com/files-pri/T1-F1/download/a.csv", api_url=api)
    assert is_slack_file_url("http://127.0.0.1:4000/files-pri/T1-F1/download/a.csv", api_url=api)
    for url in (
        "http://files.slack.com/files-pri/T1-F1/download/a.csv",  # not https
        "https://files.slack.com.evil.example/a.csv",
        "https://evil.example/files-pri/T1-F1/download/a.csv",
        "http://127.0.0.1:4001/a.csv",
        "file:///etc/passwd",
    ):
        assert not is_slack_file_url(url, api_url=api), url


def test_excel_byte_order_marks_are_dropped_and_other_encodings_refused() -> None:
    assert decode_roster("\ufeffid,role\n".encode()) == "id,role\n"
    assert decode_roster("Zoë".encode("latin-1")) is None


def test_a_submission_needs_one_csv_file() -> None:
    meta = '{"program_id": 3}'

    def values(*files: dict[str, object]) -> dict[str, object]:
        return {ids.ROSTER_FILE.block_id: {ids.ROSTER_FILE.action_id: {
            "type": "file_input", "files": list(files)}}}  # fmt: skip

    csv_file = {"name": "r.csv", "filetype": "csv", "url_private_download": "https://x"}
    assert parse_roster_submission(values(csv_file), meta) == (3, csv_file)
    field = ids.ROSTER_FILE.block_id
    assert field in parse_roster_submission(values(), meta)  # type: ignore[operator]
    assert field in parse_roster_submission(values(csv_file, csv_file), meta)  # type: ignore[operator]
    xlsx = {"name": "r.xlsx", "filetype": "xlsx", "url_private_download": "https://x"}
    assert "CSV" in str(parse_roster_submission(values(xlsx), meta))
    assert field in parse_roster_submission(values(csv_file), "{}")  # type: ignore[operator]
