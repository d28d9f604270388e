"""The check-in DM: pure builders, one private 1:1 message per person.

One message may carry several check-ins (a person in two programs, or a reverse
mentor with two leaders gets one combined DM). Every click re-renders the whole
message from the database's state (`chat.update`), so it always shows what was
recorded and a second click or a retry shows the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain import CheckinAnswer
from bot.slack import ids
from bot.slack.text import escape, escape_within, mention, slack_date
from bot.slack.views.blocks import button, section


@dataclass(frozen=True)
class CheckinItem:
    """One partner's check-in for one period, as it stands."""

    checkin_id: int
    program_name: str
    partner_user_id: str
    first: bool = False  # the pair's first period: "since your intro"
    answer: CheckinAnswer | None = None
    met_on: date | None = None  # MET: the meeting's date
    recorded_by_partner: bool = False  # MET: the partner's click recorded it
    ask_again_at: datetime | None = None  # NOT_YET / SNOOZED: the reminder; None: none left
    help_requested: bool = False


def day_label(day: date) -> str:
    """ "Tue 1 Dec": a date needs no timezone."""
    return f"{day:%a} {day.day} {day:%b}"


def _question(item: CheckinItem) -> str:
    since = "since your intro" if item.first else "since the last check-in"
    partner = mention(item.partner_user_id)
    return f"*Have you and {partner} met {since}?* · {escape(item.program_name)}"


def _answered(item: CheckinItem) -> str:
    if item.answer is CheckinAnswer.MET:
        assert item.met_on is not None
        when, partner = day_label(item.met_on), mention(item.partner_user_id)
        if item.recorded_by_partner:
            return f":white_check_mark: {partner} recorded that you met on {when}. Nothing to do."
        return f":white_check_mark: Meeting recorded: you and {partner} met on {when}."
    again = (
        f"We'll check in again {slack_date(item.ask_again_at, fmt='{date_short_pretty}')}."
        if item.ask_again_at is not None
        else "We'll check in again next time."
    )
    if item.answer is CheckinAnswer.SNOOZED:
        return f":zzz: Snoozed. {again} · {escape(item.program_name)}"
    return (
        f"Noted: not yet, and that's fine. {again} An easy start with "
        f"{mention(item.partner_user_id)}: 30 minutes, one tool each of you uses every day. · "
        f"{escape(item.program_name)}"
    )


def _actions(item: CheckinItem) -> dict[str, Any]:
    block_id = f"checkin_{item.checkin_id}"
    reflect = button(ids.CHECKIN_REFLECT, "Log a reflection", item.checkin_id)
    help_ = button(ids.CHECKIN_HELP, "I need help", item.checkin_id)
    if item.answer is CheckinAnswer.MET:
        assert item.met_on is not None
        picker = {
            "type": "datepicker",
            "action_id": ids.CHECKIN_MET_ON,
            "initial_date": item.met_on.isoformat(),
            "placeholder": {"type": "plain_text", "text": "Meeting date"},
        }
        elements: list[dict[str, Any]] = [reflect, picker]
    elif item.answer is None:
        elements = [
            button(ids.CHECKIN_MET, "We met", item.checkin_id, "primary"),
            button(ids.CHECKIN_NOT_YET, "Not yet", item.checkin_id),
            button(ids.CHECKIN_SNOOZE, "Snooze a week", item.checkin_id),
            reflect,
            help_,
        ]
    else:
        elements = [button(ids.CHECKIN_MET, "We met", item.checkin_id, "primary"), reflect]
        if not item.help_requested:
            elements.append(help_)
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _item_blocks(item: CheckinItem) -> list[dict[str, Any]]:
    text = _question(item) if item.answer is None else _answered(item)
    blocks = [section(text), _actions(item)]
    if item.help_requested:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": ":raising_hand: The program admins have your request "
                        "and will reach out privately.",
                    }
                ],
            }
        )
    return blocks


def checkin_message(items: Sequence[CheckinItem], *, reminder: bool = False) -> dict[str, Any]:
    """The check-in DM for one person: every check-in it carries, in the given order."""
    if not items:
        raise ValueError("a check-in message carries at least one check-in")
    lead = "A gentle reminder" if reminder else "Check-in"
    if len(items) == 1:
        text = f"{lead}: have you and {mention(items[0].partner_user_id)} met?"
    else:
        text = f"{lead}: how are your {len(items)} mentoring pairs going?"
    blocks: list[dict[str, Any]] = []
    if reminder:
        blocks.append(section(":wave: A gentle reminder, no pressure:"))
    for item in items:
        blocks.extend(_item_blocks(item))
    return {"text": text, "blocks": blocks}


# --- answering (issue 10, point 4) ------------------------------------------------

CHECKIN_NOT_YOURS = "This check-in is for someone else, so nothing was changed."
MET_ON_IN_FUTURE = "That date is still to come. Pick the day you met — nothing was changed."
MET_ON_BEFORE_INTRO = "That's before your intro. Pick the day you met — nothing was changed."
HELP_TITLE = "Ask for help"
HELP_NOTE_MAX = 1000


def checkin_help_modal(*, checkin_id: int, program_name: str) -> dict[str, Any]:
    """ "I need help": one optional note, and who will read it."""
    return {
        "type": "modal",
        "callback_id": ids.CHECKIN_HELP_VIEW,
        "title": {"type": "plain_text", "text": HELP_TITLE},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"checkin_id": checkin_id}),
        "blocks": [
            section(
                f"We'll pass this on to the admins of {escape(program_name)}, who will "
                "reach out to you privately."
            ),
            {
                "type": "input",
                "block_id": ids.CHECKIN_HELP_NOTE.block_id,
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything they should know?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.CHECKIN_HELP_NOTE.action_id,
                    "multiline": True,
                    "max_length": HELP_NOTE_MAX,
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": ":lock: Only the program admins see this — not your partner.",
                    }
                ],
            },
        ],
    }


def checkin_help_sent_modal(*, reached_admins: bool) -> dict[str, Any]:
    text = (
        "*Passed on.* The program admins will reach out to you privately."
        if reached_admins
        else "*Saved*, but this workspace has no program admin set up yet to pass it to. "
        "Your HR contact can help in the meantime."
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": HELP_TITLE},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [section(text)],
    }


def checkin_notice_modal(text: str) -> dict[str, Any]:
    """What a modal-opening button shows when it cannot (someone else's check-in)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Check-in"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


def help_request_message(
    *, person_user_id: str, partner_user_id: str | None, program_name: str, note: str
) -> dict[str, Any]:
    """The private DM to one admin: who asked, in which program, with whom; the note
    escaped (it is the person's own text)."""
    with_whom = f" with {mention(partner_user_id)}" if partner_user_id else ""
    head = (
        f":raising_hand: *{mention(person_user_id)} asked for help* with their pairing"
        f"{with_whom} in {escape(program_name)}."
    )
    blocks = [section(head)]
    if note:
        # Escaping can make a note up to 5 times longer; a section holds 3000 characters.
        blocks.append(section(escape_within(note, 2900)))
    else:
        blocks.append(section("_No note._"))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Only program admins get this; their partner isn't told. "
                    "A private message to them is the best next step.",
                }
            ],
        }
    )
    text = f"{mention(person_user_id)} asked for help with their pairing."
    return {"text": text, "blocks": blocks}
