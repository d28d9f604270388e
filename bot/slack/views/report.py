"""The program report modal, pure: the picker (program and period) and the report.

What it shows comes from bot/services/reports.py, where privacy is decided: no
reflection text, no per-person rating, small groups already without a number. Story
titles are user text: escaped here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.services.reports import (
    AVERAGE_MIN_RATERS,
    HIDDEN,
    PERIODS_OFFERED,
    ProgramChoice,
    Report,
)
from bot.slack import ids
from bot.slack.text import escape, escape_within, truncate_mrkdwn
from bot.slack.views.blocks import section

TITLE = "Program report"
STORIES_LISTED_MAX = 10
STORY_TITLE_MAX = 150
SECTION_MAX = 3000
FIT_LABELS = {"good": "Good fit", "deciding": "Still deciding", "not_a_fit": "Not a fit"}
NO_PROGRAMS = "There are no programs yet. Create one with `/mentor admin`."
EXPORTED = "The participation chart and the two CSV files are in your DM with me."


def picker_modal(programs: Sequence[ProgramChoice]) -> dict[str, Any]:
    """Which program (only asked when there are several) and which period."""
    if not programs:
        blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=NO_PROGRAMS))]
        return View(type="modal", title=TITLE, close="Close", blocks=blocks).to_dict()
    blocks = []
    if len(programs) > 1:
        options = [Option(value=str(p.program_id), text=p.name[:75]) for p in programs[:100]]
        blocks.append(
            InputBlock(
                block_id=ids.REPORT_PROGRAM.block_id,
                label="Program",
                element=StaticSelectElement(
                    action_id=ids.REPORT_PROGRAM.action_id,
                    options=options,
                    initial_option=options[0],
                ),
            )
        )
    periods = [Option(value=p.value, text=p.label) for p in PERIODS_OFFERED]
    blocks.append(
        InputBlock(
            block_id=ids.REPORT_PERIOD.block_id,
            label="Period",
            element=StaticSelectElement(
                action_id=ids.REPORT_PERIOD.action_id, options=periods, initial_option=periods[0]
            ),
        )
    )
    view = View(
        type="modal", callback_id=ids.REPORT_PICK_VIEW, title=TITLE, submit="Show report",
        close="Cancel", blocks=blocks,
        private_metadata=json.dumps({"program_id": programs[0].program_id}),
    )  # fmt: skip
    return view.to_dict()


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}% ({part} of {whole})" if whole else "—"


def _number(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:.1f}".removesuffix(".0") + unit


def _groups(groups: dict[str, int | None]) -> str:
    if not groups:
        return "—"
    return ", ".join(f"{name}: {HIDDEN if n is None else n}" for name, n in groups.items())


def _skills(skills: list[tuple[str, int]]) -> str:
    if not skills:
        return "nothing recorded yet"
    return ", ".join(f"{escape_within(name, 60)} ({n})" for name, n in skills)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate_mrkdwn(text, SECTION_MAX)))


def report_lines(report: Report) -> list[str]:
    """The report's sections as mrkdwn, in reading order."""
    e, m, c, r = report.enrollment, report.meetings, report.checkins, report.ratings
    ratings = f"{r.count} ratings from {r.raters} people"
    if r.average is not None:
        ratings += f" · average {r.average:.1f} of 5"
    else:
        ratings += f" · the average shows once {AVERAGE_MIN_RATERS} people have rated"
    if r.histogram is not None:
        ratings += "\n" + "  ".join(f"{value}★ {n}" for value, n in r.histogram.items())
    fit = ", ".join(
        f"{label}: {report.fit_answers[key]}"
        for key, label in FIT_LABELS.items()
        if key in report.fit_answers
    )
    stories = [f"• {escape_within(t, STORY_TITLE_MAX)}" for t in report.story_titles]
    more = len(stories) - STORIES_LISTED_MAX
    story_text = f"*Stories posted:* {len(stories)}"
    if stories:
        story_text += "\n" + "\n".join(stories[:STORIES_LISTED_MAX])
        if more > 0:
            story_text += f"\n…and {more} more"
    return [
        f"*Enrolled:* {e.total}\nBy role: {_groups(e.by_role)}\n"
        f"By career stage: {_groups(e.by_stage)}",
        f"*Matched:* {m.matched_people} people in {m.pairs} pairs\n"
        f"*Pairs that met at least once:* {_percent(m.pairs_met, m.pairs)}\n"
        f"*Meetings:* {m.meetings} · per pair {_number(m.per_pair_mean)} on average, "
        f"median {_number(m.per_pair_median)}",
        f"*Meeting rate by check-in period:* {_percent(m.periods_with_meeting, m.periods_passed)}\n"
        f"*Days from intro to first meeting (median):* "
        f"{_number(m.median_days_to_first_meeting)}\n"
        f"*Check-ins answered:* {_percent(c.answered, c.sent)}",
        f"*What leaders learned:* {_skills(report.skills.leaders_learned)}\n"
        f"*What leaders shared back:* {_skills(report.skills.leaders_shared)}",
        f"*Reflection ratings:* {ratings}",
        f"*Fit checks:* {fit or 'no answers yet'}\n*Pairs at risk now:* {report.at_risk_pairs}",
        story_text,
        closeout_line(report),
    ]


def closeout_line(report: Report) -> str:
    """The close-out survey's counts (never an answer per person)."""
    o = report.closeout
    if o.average is not None:
        value = f"valuable {o.average:.1f} of 5 on average"
    else:
        value = f"the average shows once {AVERAGE_MIN_RATERS} people have answered"
    return (
        f"*Close-out survey:* {o.answered} answered · {value}\n"
        f"Would do it again: yes {o.again_yes} / no {o.again_no} · "
        f"would switch roles: {o.would_switch} · took the next round: {o.rejoined}"
    )


def report_modal(report: Report, *, notice: str | None = None) -> dict[str, Any]:
    """The report; `notice` (our own words) says what the export did."""
    w = report.window
    blocks: list[Block] = [
        HeaderBlock(text=report.program_name[:150]),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{w.period.label}: {w.start:%Y-%m-%d} to {w.end:%Y-%m-%d}. "
                    "Counts only: reflections stay private to their authors."
                )
            ]
        ),
    ]
    for line in report_lines(report):
        blocks.extend([DividerBlock(), _section(line)])
    export = ButtonElement(
        text="Chart and CSV to my DM", action_id=ids.REPORT_EXPORT,
        value=f"{report.program_id}:{w.period.value}",
    )  # fmt: skip
    blocks.append(ActionsBlock(elements=[export]))
    if notice:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=notice)]))
    view = View(type="modal", callback_id=ids.REPORT_VIEW, title=TITLE, close="Done", blocks=blocks)
    return view.to_dict()


def admin_digest_message(report: Report, *, month: date) -> dict[str, Any]:
    """The admins' monthly DM: a month's headline numbers (the chart follows as a file)."""
    m, c = report.meetings, report.checkins
    name = escape(report.program_name)
    text = (
        f"*{month:%B %Y} in {name}* 📊\n"
        f"• {m.meetings} meetings; {_percent(m.pairs_met, m.pairs)} of pairs met at least once\n"
        f"• Meeting rate by check-in period: "
        f"{_percent(m.periods_with_meeting, m.periods_passed)}\n"
        f"• Check-ins answered: {_percent(c.answered, c.sent)}\n"
        f"• Enrolled: {report.enrollment.total} · pairs at risk now: {report.at_risk_pairs} · "
        f"stories posted: {len(report.story_titles)}"
    )
    more = "The chart of participation by week follows. `/mentor report` has the rest."
    return {
        "text": f"{month:%B %Y} in {name}: {m.meetings} meetings.",
        "blocks": [section(text), {"type": "context", "elements": [
            {"type": "mrkdwn", "text": more}]}],
    }  # fmt: skip
