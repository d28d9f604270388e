"""The HR roster import modal (admins), its outcome, and the invitation DM.

Plain dicts: slack_sdk has no model for `file_input`, so these views are built by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.slack import ids
from bot.slack.text import escape, escape_within, mention, plural, truncate
from bot.slack.views.blocks import SECTION_MAX, section
from bot.slack.views.models import ProgramOption
from bot.slack.views.status import program_in_sentence

TITLE = "Import a roster"
PROBLEMS_SHOWN = 15
NOT_ENROLLED_SHOWN = 25
_COLUMNS = (
    "A UTF-8 CSV with a header row. Required: `id` (Slack member id or e-mail), `role` "
    "(mentor, mentee or either), `career_stage` (1–5). Also read: `name`, `department`, "
    "`manager_id`, `previous_partners` (`;`-separated)."
)


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text, **({"emoji": True} if kind == "plain_text" else {})}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_text("mrkdwn", text)]}


def _modal(
    callback_id: str, blocks: list[dict[str, Any]], *, submit: str | None, metadata: str = ""
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _text("plain_text", TITLE),
        "close": _text("plain_text", "Cancel" if submit else "Done"),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = _text("plain_text", submit)
    if metadata:
        view["private_metadata"] = metadata
    return view


def roster_metadata(program_id: int) -> str:
    return json.dumps({"program_id": program_id})


def _problem_lines(problems: Sequence[tuple[int, str]]) -> str:
    shown = [
        f"• Line {line}: {message}" if line else f"• {message}"
        for line, message in problems[:PROBLEMS_SHOWN]
    ]
    more = len(problems) - PROBLEMS_SHOWN
    text = "\n".join(shown) + (f"\n…and {more} more." if more > 0 else "")
    return escape_within(text, SECTION_MAX - 200)


def roster_import_modal(
    *,
    programs: Sequence[ProgramOption],
    program_id: int | None,
    problems: Sequence[tuple[int, str]] = (),
    problem: str | None = None,
) -> dict[str, Any]:
    """Pick a program (when there are several) and a CSV. Shown again with the file's
    problems when an import found any: then nothing was imported."""
    if not programs:
        raise ValueError("a roster is imported into a program")
    chosen = next((p for p in programs if p.id == program_id), programs[0])
    blocks: list[dict[str, Any]] = []
    if problem or problems:
        headline = ":warning: *Nothing was imported.* "
        if problem:
            headline += f"The file can't be used: {escape(problem)}."
        else:
            headline += f"{plural(len(problems), 'row')} need fixing — then upload it again:"
        blocks.append(section(headline))
        if problems:
            blocks.append(section(_problem_lines(problems)))
    else:
        blocks.append(
            section(
                "Managers, departments, career stages and previous partners from your HR "
                "roster fill in profiles, so nobody is paired with their manager or a past "
                "partner. *Nobody is enrolled by an import*: you'll see who hasn't joined "
                "and can invite them."
            )
        )
    if len(programs) > 1:
        options = [
            {"text": _text("plain_text", truncate(p.name, 75)), "value": str(p.id)}
            for p in programs[:100]
        ]
        initial = next(o for o in options if o["value"] == str(chosen.id))
        blocks.append(
            {
                "type": "input",
                "block_id": ids.ROSTER_PROGRAM.block_id,
                "label": _text("plain_text", "Program"),
                "element": {
                    "type": "static_select",
                    "action_id": ids.ROSTER_PROGRAM.action_id,
                    "options": options,
                    "initial_option": initial,
                },
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": ids.ROSTER_FILE.block_id,
            "label": _text("plain_text", "Roster (CSV)"),
            "element": {
                "type": "file_input",
                "action_id": ids.ROSTER_FILE.action_id,
                "filetypes": ["csv"],
                "max_files": 1,
            },
        },
        _context(_COLUMNS),
    ]
    return _modal(ids.ROSTER_VIEW, blocks, submit="Import", metadata=roster_metadata(chosen.id))


def roster_working_modal() -> dict[str, Any]:
    """Shown at once on submit, while the file is read and its people looked up."""
    return _modal(
        ids.ROSTER_RESULT_VIEW,
        [section("Reading the roster and finding its people in Slack… One moment.")],
        submit=None,
    )


def roster_result_modal(
    *,
    program_id: int,
    program_name: str,
    imported: int,
    profiles_updated: int,
    not_enrolled: Sequence[str],
    to_invite: int,
) -> dict[str, Any]:
    """What an import did, who hasn't joined, and a button to invite them."""
    program = escape(program_name)
    blocks = [
        section(
            f"*Imported {plural(imported, 'person', 'people')} into {program}.*\n"
            f"{plural(profiles_updated, 'enrolled profile')} filled in from the roster."
        )
    ]
    if not_enrolled:
        shown = ", ".join(mention(user) for user in not_enrolled[:NOT_ENROLLED_SHOWN])
        more = len(not_enrolled) - NOT_ENROLLED_SHOWN
        if more > 0:
            shown += f" and {more} more"
        blocks.append(
            section(f"*Not enrolled yet* ({len(not_enrolled)}): {shown}. Nobody was enrolled.")
        )
    if to_invite:
        invitees = plural(to_invite, "person", "people")
        blocks.append(
            {
                "type": "actions",
                "block_id": "roster_invite_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.ROSTER_INVITE,
                        "text": _text("plain_text", f"Invite {invitees}"),
                        "value": str(program_id),
                        "style": "primary",
                        "confirm": {
                            "title": _text("plain_text", "Send invitations?"),
                            "text": _text(
                                "mrkdwn",
                                f"Each gets one DM inviting them to join {program}. "
                                "Nobody is enrolled until they choose to.",
                            ),
                            "confirm": _text("plain_text", "Send"),
                            "deny": _text("plain_text", "Not now"),
                        },
                    }
                ],
            }
        )
    elif not_enrolled:
        blocks.append(_context("Everyone not enrolled has been invited already."))
    return _modal(ids.ROSTER_RESULT_VIEW, blocks, submit=None, metadata=roster_metadata(program_id))


def invitations_sent_modal(*, program_name: str, sent: int) -> dict[str, Any]:
    text = (
        f"*Invitations sent* to {plural(sent, 'person', 'people')} for {escape(program_name)}."
        if sent
        else "Everyone on the roster has joined or been invited already."
    )
    return _modal(ids.ROSTER_RESULT_VIEW, [section(text)], submit=None)


def invitation_message(*, program_name: str, objectives: str) -> dict[str, Any]:
    """The one DM someone on an imported roster gets; easy to ignore, nothing assumed."""
    program = program_in_sentence(program_name)
    about = escape_within(objectives.strip(), 600) if objectives.strip() else ""
    lines = [f"*You're invited to {program}* 👋"]
    if about:
        lines.append(about)
    lines.append(
        "Early-career colleagues and leaders learn from each other, in pairs. "
        "Interested? `/mentor join` takes about a minute."
    )
    return {
        "text": f"You're invited to {program}. Interested? /mentor join takes about a minute.",
        "blocks": [
            section("\n".join(lines)),
            _context("Not for you? No need to reply — you won't be signed up."),
        ],
    }
