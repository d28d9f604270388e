"""The close-out survey's pure parser (every error) and the modal's role wording."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import Role
from bot.services.closeout import CloseoutAnswers, SurveyTarget
from bot.slack import ids
from bot.slack.forms import METADATA_MAX
from bot.slack.forms_closeout import (
    CHOOSE_AGAIN,
    CHOOSE_SWITCH,
    CHOOSE_VALUE,
    parse_closeout,
    parse_closeout_pair,
)
from bot.slack.views.closeout import SWITCH_QUESTIONS, closeout_metadata, closeout_modal

BOTH_REQUIRED = {
    ids.CLOSEOUT_VALUE.block_id: CHOOSE_VALUE,
    ids.CLOSEOUT_AGAIN.block_id: CHOOSE_AGAIN,
}


def values(
    value: str | None = "5", again: str | None = "yes", switch: str | None = None
) -> dict[str, Any]:
    def radio(field: ids.InputId, chosen: str | None) -> dict[str, Any]:
        option = {"value": chosen} if chosen is not None else None
        return {field.block_id: {field.action_id: {"selected_option": option}}}

    return {
        **radio(ids.CLOSEOUT_VALUE, value),
        **radio(ids.CLOSEOUT_AGAIN, again),
        **radio(ids.CLOSEOUT_SWITCH, switch),
    }


def test_a_full_answer_and_one_without_the_optional_role_question() -> None:
    assert parse_closeout(values("5", "yes", "yes")) == CloseoutAnswers(5, True, True)
    assert parse_closeout(values("1", "no", "no")) == CloseoutAnswers(1, False, False)
    assert parse_closeout(values("3", "yes", None)) == CloseoutAnswers(3, True, None)


@pytest.mark.parametrize(
    ("state", "errors"),
    [
        (values(value=None), {ids.CLOSEOUT_VALUE.block_id: CHOOSE_VALUE}),
        (values(value="0"), {ids.CLOSEOUT_VALUE.block_id: CHOOSE_VALUE}),
        (values(value="6"), {ids.CLOSEOUT_VALUE.block_id: CHOOSE_VALUE}),
        (values(value="five"), {ids.CLOSEOUT_VALUE.block_id: CHOOSE_VALUE}),
        (values(again=None), {ids.CLOSEOUT_AGAIN.block_id: CHOOSE_AGAIN}),
        (values(again="maybe"), {ids.CLOSEOUT_AGAIN.block_id: CHOOSE_AGAIN}),
        (values(switch="perhaps"), {ids.CLOSEOUT_SWITCH.block_id: CHOOSE_SWITCH}),
        (
            values(value=None, again=None, switch="x"),
            {
                ids.CLOSEOUT_VALUE.block_id: CHOOSE_VALUE,
                ids.CLOSEOUT_AGAIN.block_id: CHOOSE_AGAIN,
                ids.CLOSEOUT_SWITCH.block_id: CHOOSE_SWITCH,
            },
        ),
        ({}, BOTH_REQUIRED),
        ("not a mapping", BOTH_REQUIRED),
    ],
)  # fmt: skip
def test_every_error_is_shown_under_its_question(state: object, errors: dict[str, str]) -> None:
    assert parse_closeout(state) == errors


def test_the_pair_id_is_read_from_the_metadata_and_nothing_else() -> None:
    assert parse_closeout_pair(closeout_metadata(42)) == 42
    for forged in ("", "{", "[]", '{"pair_id": "42"}', '{"pair_id": true}', '{"pair_id": 0}',
                   '{"pair_id": -3}', None, "x" * 4000):  # fmt: skip
        assert parse_closeout_pair(forged) is None


def _switch_label(view: dict[str, Any]) -> str:
    [block] = [b for b in view["blocks"] if b.get("block_id") == ids.CLOSEOUT_SWITCH.block_id]
    assert block["optional"] is True
    return str(block["label"]["text"])


def test_the_role_question_is_worded_for_a_leader_and_for_a_reverse_mentor() -> None:
    leader = closeout_modal(SurveyTarget(7, "Pilot <!channel>", Role.MENTEE))
    mentor = closeout_modal(SurveyTarget(7, "Pilot", Role.MENTOR))
    assert _switch_label(leader) == (
        "Would you now mentor someone earlier in their career in what you learned?"
    )
    assert _switch_label(mentor) == "Would you like to be mentored in leadership next time?"
    assert _switch_label(leader) == SWITCH_QUESTIONS[Role.MENTEE]
    assert "<!channel>" not in str(leader)  # the program name is escaped
    required = [b for b in leader["blocks"] if b.get("block_id") in
                (ids.CLOSEOUT_VALUE.block_id, ids.CLOSEOUT_AGAIN.block_id)]  # fmt: skip
    assert [b.get("optional", False) for b in required] == [False, False]
    assert leader["callback_id"] == ids.CLOSEOUT_VIEW
    assert parse_closeout_pair(leader["private_metadata"]) == 7


def test_a_second_survey_shows_the_earlier_answer() -> None:
    view = closeout_modal(SurveyTarget(7, "Pilot", Role.MENTOR, CloseoutAnswers(4, False, True)))
    chosen = {
        b["block_id"]: b["element"]["initial_option"]["value"]
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert chosen == {
        ids.CLOSEOUT_VALUE.block_id: "4",
        ids.CLOSEOUT_AGAIN.block_id: ids.CLOSEOUT_NO,
        ids.CLOSEOUT_SWITCH.block_id: ids.CLOSEOUT_YES,
    }


def test_the_pair_metadata_takes_id_one_and_slacks_longest_metadata() -> None:
    assert parse_closeout_pair('{"pair_id": 1}') == 1
    assert parse_closeout_pair('{"pair_id": 0}') is None
    longest = '{"pair_id": 1' + " " * (METADATA_MAX - len('{"pair_id": 1}')) + "}"
    assert len(longest) == METADATA_MAX and parse_closeout_pair(longest) == 1
    assert parse_closeout_pair(longest + " ") is None
