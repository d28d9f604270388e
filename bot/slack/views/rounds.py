"""The round preview modal (`/mentor pair`) and its companions. Pure builders.

Large programs: a summary, then 20 pairs a page (weakest first, where an admin's eye
is needed), so a view stays far below Slack's 100 blocks and every text below 3000
characters, however many pairs the round has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.db.tables import ProgramRow
from bot.domain import RoundStatus
from bot.services.rounds import Confirmed, ConfirmOutcome, Preview
from bot.slack import ids
from bot.slack.text import escape, escape_within, mention, plural, slack_date, truncate_mrkdwn
from bot.slack.views.blocks import section

TITLE = "Next round"
PAGE_SIZE = 20
UNMATCHED_SHOWN = 15

RULE_NAMES = {
    "stage_gap": "the career-stage gap",
    "manager": "never with their manager",
    "previous_partner": "no repeat partners",
    "excluded_pair": "your exclusions",
    "cross_department": "different departments",
    "shared_skills": "teaches what the leader wants",
    "working_hours": "shared working hours",
}
PAIR_MENU = (
    ("pin", "Keep this pair (pin)"),
    ("exclude", "Never pair these two"),
    ("exclude_mentor", "Leave the reverse mentor out"),
    ("exclude_mentee", "Leave the leader out"),
)


@dataclass(frozen=True)
class PreviewMetadata:
    program_id: int
    round_id: int
    page: int = 0

    def dump(self) -> str:
        return json.dumps(
            {"program_id": self.program_id, "round_id": self.round_id, "page": self.page}
        )


def parse_preview_metadata(raw: object) -> PreviewMetadata | None:
    """Untrusted on the way back: ids are checked against the workspace by the service."""
    if not isinstance(raw, str) or len(raw) > 3000:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    program_id, round_id, page = (data.get(k) for k in ("program_id", "round_id", "page"))
    if not (type(program_id) is int and type(round_id) is int and type(page) is int):
        return None  # bool is an int in Python, but not ours
    if min(program_id, round_id, page) < 0:
        return None
    return PreviewMetadata(program_id, round_id, page)


def _modal(callback_id: str, blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": TITLE},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
        **extra,
    }


def working_modal() -> dict[str, Any]:
    """Opened with the trigger_id at once; the matching runs after."""
    return _modal(ids.LOADING_VIEW, [section("Working out the pairs… ⏳")])


def notice(text: str) -> dict[str, Any]:
    return _modal(ids.ROUND_DONE_VIEW, [section(text)])


def program_choice_modal(programs: list[ProgramRow]) -> dict[str, Any]:
    buttons = [
        {
            "type": "button",
            "action_id": f"{ids.ROUND_CHOOSE_PROGRAM}",
            "text": {"type": "plain_text", "text": escape(program.name)[:75]},
            "value": str(program.id),
        }
        for program in programs[:25]
    ]
    # Action ids must be unique within a block: one actions block per program.
    blocks: list[dict[str, Any]] = [section("Which program's next round?")]
    blocks += [
        {"type": "actions", "block_id": f"program_{b['value']}", "elements": [b]} for b in buttons
    ]
    return _modal(ids.ROUND_PROGRAM_VIEW, blocks)


def _costs_line(summary: dict[str, Any]) -> str:
    costs = summary.get("constraint_costs") or []
    if not summary.get("costs_known", True):
        return "Rule costs were not worked out: the round is too large to re-solve per rule."
    if not costs:
        return "No rule kept anyone apart who could otherwise be paired."
    parts = []
    for cost in costs:
        name = RULE_NAMES.get(str(cost.get("rule")), str(cost.get("rule")))
        extra = int(cost.get("extra_pairs") or 0)
        points = float(cost.get("extra_score") or 0)
        if extra:
            parts.append(f"“{name}” keeps {plural(extra, 'pair')} out")
        else:
            parts.append(f"“{name}” costs {points:.1f} points")
    return "What each rule cost: " + "; ".join(parts) + "."


def preview_modal(preview: Preview, *, page: int = 0) -> dict[str, Any]:
    round_, program = preview.round_, preview.program
    summary = round_.summary or {}
    pages = max(1, -(-len(preview.pairs) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    metadata = PreviewMetadata(program.id, round_.id, page)
    header = (
        f"*Round {round_.number} of {escape_within(program.name, 80)}* · starts "
        f"{slack_date(round_.starts_at, fmt='{date_long_pretty}')}\n"
        f"{plural(int(summary.get('pairs', len(preview.pairs))), 'pair')} · "
        f"{int(summary.get('people_matched', 0))} of "
        f"{plural(int(summary.get('people', 0)), 'person', 'people')} matched · "
        f"{int(summary.get('unmatched', len(preview.unmatched)))} without a partner\n"
        "Nobody has been told anything yet. *Confirm* sends the introductions."
    )
    blocks: list[dict[str, Any]] = [section(header)]
    context = [_costs_line(summary), *[escape(str(n)) for n in summary.get("notes") or []][:2]]
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": truncate_mrkdwn(c, 2000)} for c in context],
        }
    )
    blocks.append({"type": "divider"})
    shown = preview.pairs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if shown:
        first = page * PAGE_SIZE + 1
        blocks.append(
            section(
                f"*Pairs {first}–{first + len(shown) - 1} of {len(preview.pairs)}*, weakest first"
            )
        )
    else:
        blocks.append(section("*No pairs* — see below for why."))
    for pair, mentor, mentee in shown:
        pin = " 📌" if pair.pinned else ""
        skills = ", ".join(escape(s) for s in pair.shared_skills[:4])
        reasons = "; ".join(escape(r) for r in pair.reasons[:3])
        text = (
            f"{mention(mentor.slack_user_id)} → {mention(mentee.slack_user_id)} · "
            f"{pair.score:.0f} pts{pin}\n" + (f"_{skills}_ · " if skills else "") + reasons
        )
        blocks.append(
            {
                "type": "section",
                "block_id": f"pair_{pair.id}",
                "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, 700)},
                "accessory": {
                    "type": "overflow",
                    "action_id": ids.ROUND_PAIR_MENU,
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": label},
                            "value": f"{kind}:{pair.id}",
                        }
                        for kind, label in PAIR_MENU
                    ],
                },
            }
        )
    # An action_id is unique within its block: each page button has a block of its own.
    if page > 0:
        blocks.append(_actions("round_prev", ids.ROUND_PAGE, "Previous 20 pairs", str(page - 1)))
    if page < pages - 1:
        blocks.append(_actions("round_next", ids.ROUND_PAGE, "Next 20 pairs", str(page + 1)))
    blocks.append(_actions("round_rerun", ids.ROUND_RERUN, "Re-run the matching", str(round_.id)))
    if preview.unmatched:
        lines = [
            f"• {mention(person.slack_user_id)} — {escape_within(row.reason, 200)}"
            for row, person in preview.unmatched[:UNMATCHED_SHOWN]
        ]
        more = len(preview.unmatched) - UNMATCHED_SHOWN
        if more > 0:
            lines.append(f"…and {more} more")
        blocks.append(
            section(f"*Without a partner ({len(preview.unmatched)})*\n" + "\n".join(lines))
        )
    blocks.append(
        {
            "type": "input",
            "block_id": ids.ROUND_EXCLUDE_PERSON.block_id,
            "optional": True,
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "Leave someone out, then re-run"},
            "element": {"type": "users_select", "action_id": ids.ROUND_EXCLUDE_PERSON.action_id},
        }
    )
    submit = round_.status == RoundStatus.DRAFT.value and bool(preview.pairs)
    extra: dict[str, Any] = {"private_metadata": metadata.dump()}
    if submit:
        extra["submit"] = {"type": "plain_text", "text": "Confirm round"}
    return _modal(ids.ROUND_PREVIEW_VIEW, blocks, **extra)


def _actions(block_id: str, action_id: str, text: str, value: str) -> dict[str, Any]:
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    return {"type": "actions", "block_id": block_id, "elements": [button]}


def confirmed_modal(confirmed: Confirmed) -> dict[str, Any]:
    if confirmed.outcome != ConfirmOutcome.CONFIRMED or confirmed.round_ is None:
        return notice("Nothing to confirm: this round was confirmed already. 👍")
    return notice(
        f"*Round {confirmed.round_.number} is confirmed.* "
        f"{plural(confirmed.pairs, 'introduction')} and "
        f"{plural(confirmed.unmatched, 'note')} to people without a partner are on their way."
    )
