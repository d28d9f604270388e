"""Replies and notices about taking part: status, pause, resume, leave.

Command replies (`status`, `pause`, `resume`) carry `response_type: ephemeral`;
DMs (`leave_done`, the partner notices) are plain `{text, blocks}` payloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain import MembershipStatus, Role
from bot.slack import ids
from bot.slack.text import escape, escape_within, mention, slack_date, truncate
from bot.slack.views.enrollment import ROLE_LABELS, ROLE_NOUNS
from bot.slack.views.models import MembershipSummary, Partner, PersonalStatus, ViewMetadata

NAME_MAX = 80
PROFILE_LINE_MAX = 1000
MESSAGE_MEMBERSHIPS_MAX = 3  # messages stay at 5 blocks or fewer (VOICE.md)
_DAY = "{date_long_pretty}"
LEAVE_REASON_MAX = 500

# Home's pause lengths, in weeks; 0 means until the person resumes (forms.parse_pause_choice).
PAUSE_CHOICES: tuple[tuple[int, str], ...] = (
    (2, "2 weeks"),
    (4, "1 month"),
    (13, "3 months"),
    (0, "Until I resume"),
)
_NAMED_AS_A_THING = ("program", "programme", "pilot", "scheme", "circle")


def program_in_sentence(name: str) -> str:
    """A program's name, escaped, as it reads inside a sentence.

    "You're in the Reverse mentoring program" but "You're in Q3 Leaders": a name that
    ends in a common noun takes "the", so no name reads like a brand.
    """
    cleaned = name.strip()
    lowered = cleaned.casefold()
    if lowered.endswith(_NAMED_AS_A_THING) and not lowered.startswith("the "):
        cleaned = "the " + cleaned
    return escape(cleaned)


def round_day(day: date) -> str:
    """A round's start day in each reader's own calendar (Slack date formatting).

    Noon UTC shows the same calendar day from UTC-11 to UTC+11.
    """
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    fallback = f"{day:%A} {day.day} {day:%B %Y}"
    return f"<!date^{int(noon.timestamp())}^{_DAY}|{fallback}>"


def next_round_phrase(day: date | None) -> str:
    """When the next round starts, or who decides: "on <date>" / "when the admins …"."""
    if day is None:
        return "when the program's admins start the next round"
    return f"when the next round starts on {round_day(day)}"


def _message(text: str, blocks: Sequence[Block], *, ephemeral: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": text, "blocks": [block.to_dict() for block in blocks]}
    if ephemeral:
        payload["response_type"] = "ephemeral"
    return payload


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _name(name: str | None, fallback: str) -> str:
    """User-supplied name, made safe for mrkdwn."""
    cleaned = (name or "").strip()
    return escape(truncate(cleaned, NAME_MAX)) if cleaned else fallback


def partner_ref(partner: Partner) -> str:
    """A mention when the id is sound, else the escaped name."""
    try:
        return mention(partner.user_id)
    except ValueError:
        return _name(partner.name, "your partner")


def membership_lines(membership: MembershipSummary, *, is_active: bool = True) -> list[str]:
    """Partner, next check-in, meetings and pause state, one short line each."""
    if not is_active:  # a deleted or guest account: promise no round
        return ["Your Slack account can't take part right now, so no pairing or check-ins."]
    lines = []
    paused = membership.status is MembershipStatus.PAUSED
    if paused:  # the pause comes first, and a paused person is promised no pairing
        until = membership.paused_until
        when = f"until {slack_date(until, fmt=_DAY)}" if until else "until you resume"
        lines.append(f":double_vertical_bar: Paused {when}. No check-ins or new pairs meanwhile.")
    if membership.partners:
        names = ", ".join(partner_ref(p) for p in membership.partners)
        label = "Partner" if len(membership.partners) == 1 else "Partners"
        lines.append(f"{label}: {names}")
    elif not paused:
        lines.append(f"You'll be paired {next_round_phrase(membership.next_round_on)}.")
    if not paused and membership.next_checkin_at is not None:
        lines.append(f"Next check-in: {slack_date(membership.next_checkin_at)}")
    if membership.partners:
        lines.append(f"Meetings so far: {membership.meetings_count}")
    return lines


def profile_line(status: PersonalStatus) -> str:
    """Stage, department and skills on one line, escaped within its limit.

    Composed raw and escaped last, so the cut can't split an entity (`&amp;`).
    """
    parts = []
    if status.career_stage is not None:
        parts.append(status.career_stage.label)
    if status.department:
        parts.append(truncate(status.department, NAME_MAX))
    if status.teaches:
        parts.append("shares " + ", ".join(status.teaches))
    if status.learns:
        parts.append("learning " + ", ".join(status.learns))
    return escape_within(" · ".join(parts), PROFILE_LINE_MAX)


def not_enrolled_message() -> dict[str, Any]:
    text = (
        "You're not in a reverse mentoring program yet. Run `/mentor join` to sign up — "
        "it takes about a minute."
    )
    return _message(text, [_section(text)], ephemeral=True)


def status_message(status: PersonalStatus | None) -> dict[str, Any]:
    """The `/mentor status` reply."""
    current = status.current if status else ()
    if status is None or not current:
        return not_enrolled_message()
    shown = current[:MESSAGE_MEMBERSHIPS_MAX]
    blocks: list[Block] = []
    summaries = []
    for membership in shown:
        role = ROLE_LABELS[membership.role]
        heading = f"*{escape(membership.program_name)}* · {role}"
        lines = membership_lines(membership, is_active=status.is_active)
        blocks.append(_section("\n".join([heading, *lines])))
        summary = f"{program_in_sentence(membership.program_name)} as {ROLE_NOUNS[membership.role]}"
        if membership.partners:
            names = ", ".join(_name(p.name, "your partner") for p in membership.partners)
            summary += f", paired with {names}"
        summaries.append(summary)
    profile = profile_line(status)
    if profile:
        blocks.append(_context(profile))
    blocks.append(
        _context(
            f"Reflections: {status.reflections} (only you can see them)\n"
            "Edit your profile with `/mentor join` · take a break with `/mentor pause`"
        )
    )
    text = "You're in " + "; ".join(summaries) + "."
    if not status.is_active:
        text = "Your Slack account can't take part in reverse mentoring right now."
    return _message(text, blocks, ephemeral=True)


def pause_confirmation(until: datetime | None) -> dict[str, Any]:
    """The reply to `/mentor pause [weeks]`; `until` None means until they resume."""
    if until is None:
        text = (
            "*Paused* until you're ready. No check-ins, and you'll sit out new rounds. "
            "`/mentor resume` brings you back."
        )
        fallback = "Paused until you resume. /mentor resume brings you back."
    else:
        day = slack_date(until, fmt=_DAY)
        text = (
            f"*Paused* until {day}. No check-ins, and you'll sit out new rounds until then. "
            "Back sooner? `/mentor resume`."
        )
        fallback = f"Paused until {day}. Back sooner? /mentor resume."
    return _message(fallback, [_section(text)], ephemeral=True)


def resume_confirmation() -> dict[str, Any]:
    text = (
        "*Welcome back!* Check-ins are on again, and you're back in line for pairing — "
        "`/mentor status` shows when."
    )
    return _message("Welcome back! Check-ins are on again.", [_section(text)], ephemeral=True)


def leave_modal(membership: MembershipSummary) -> dict[str, Any]:
    """Confirms leaving one program, with an optional private reason and an opt-in to
    delete the person's data."""
    program = program_in_sentence(membership.program_name)
    if membership.partners:
        names = ", ".join(partner_ref(p) for p in membership.partners)
        told = f"We'll let {names} know kindly — no reason needed. "
    else:
        told = ""
    blocks: list[Block] = [
        _section(
            f"You're leaving *{program}*. {told}You won't be paired in future rounds, "
            "and you can rejoin any time with `/mentor join`."
        ),
        InputBlock(
            block_id=ids.LEAVE_REASON.block_id,
            label="Anything we could do better?",
            hint="Only the program's admins read this, to improve the program. "
            "Your partner never sees it.",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.LEAVE_REASON.action_id,
                multiline=True,
                placeholder="e.g. Too busy this quarter",
                max_length=LEAVE_REASON_MAX,
            ),
        ),
        InputBlock(
            block_id=ids.LEAVE_DELETE.block_id,
            label="Your data",
            optional=True,
            element=CheckboxesElement(
                action_id=ids.LEAVE_DELETE.action_id,
                options=[
                    Option(
                        value=ids.LEAVE_DELETE_VALUE,
                        text="Also delete my profile and reflections",
                        description="Erases your profile, skills, goals and reflections. No undo.",
                    )
                ],
            ),
        ),
        _context("If you keep your data, rejoining is quick. Reflections stay private either way."),
    ]
    view = View(
        type="modal",
        callback_id=ids.LEAVE_VIEW,
        title="Leave the program",
        submit="Leave",
        close="Stay",
        private_metadata=ViewMetadata(program_id=membership.program_id).to_json(),
        blocks=blocks,
    )
    return view.to_dict()


def erase_modal() -> dict[str, Any]:
    """For someone who left and kept their data: delete it now (the join modal promises it)."""
    blocks: list[Block] = [
        _section(
            "You've left the program and we kept your profile. Delete your profile, skills, "
            "goals and reflections now? *There's no undo.*"
        ),
        _context("Pairs you were in keep counts only; nothing that names you stays."),
    ]
    view = View(
        type="modal",
        callback_id=ids.ERASE_VIEW,
        title="Delete my data",
        submit="Delete",
        close="Keep",
        blocks=blocks,
    )
    return view.to_dict()


def erased_message() -> dict[str, Any]:
    text = "Done — your profile and reflections are deleted."
    return _message(text, [_section(text)], ephemeral=True)


def leave_done_message(*, deleted: bool, program_name: str) -> dict[str, Any]:
    """A DM to the person who left."""
    program = program_in_sentence(program_name)
    first = f"You've left *{program}*. Thank you for the time you gave to it."
    if deleted:
        second = "Your profile and reflections are deleted."
    else:
        second = "We've kept your profile, so rejoining with `/mentor join` is quick."
    return _message(
        f"You've left {program}. {second}", [_section(f"{first}\n{second}")], ephemeral=False
    )


def _partner_gone(
    headline: str, *, program_name: str, next_round_on: date | None
) -> dict[str, Any]:
    program = program_in_sentence(program_name)
    body = (
        f"*A change to your pairing in {program}*\n{headline} Thank you for the time you "
        f"spent together. You'll be considered for a new partner "
        f"{next_round_phrase(next_round_on)} — nothing to do meanwhile."
    )
    return _message(
        f"A change to your pairing in {program}: {headline}",
        [
            _section(body),
            _context("Not a good time for a new partner? `/mentor pause` — no reason needed."),
        ],
        ephemeral=False,
    )


def partner_left_message(
    *, partner_name: str | None, program_name: str, next_round_on: date | None = None
) -> dict[str, Any]:
    """A kind DM to someone whose partner left the program (no why, no blame)."""
    name = _name(partner_name, "Your partner")
    return _partner_gone(
        f"{name} has stepped back from the program.",
        program_name=program_name,
        next_round_on=next_round_on,
    )


def partner_deactivated_message(
    *, partner_name: str | None, program_name: str, next_round_on: date | None = None
) -> dict[str, Any]:
    """A kind DM to someone whose partner's Slack account was deactivated."""
    name = _name(partner_name, "Your partner")
    return _partner_gone(
        f"{name} isn't on Slack here any more, so your pairing has ended.",
        program_name=program_name,
        next_round_on=next_round_on,
    )


def welcome_message(
    *, program_name: str, role: Role, next_round_on: date | None = None
) -> dict[str, Any]:
    """The DM a newcomer gets once their enrollment is saved."""
    program = program_in_sentence(program_name)
    if role is Role.MENTOR:
        what = "You'll be paired with a leader who wants to learn what you know."
    elif role is Role.MENTEE:
        what = (
            "You'll be paired with an early-career colleague who can teach what you want to learn."
        )
    else:
        what = "You'll be paired on whichever side fits best: sharing what you know, or learning."
    text = f"Welcome to {program}! {what}"
    blocks = [
        _section(f"*Welcome to {program}!* 🎉\n{what}"),
        _context(
            f"I'll introduce you both {next_round_phrase(next_round_on)}. Until then: "
            "`/mentor status` to check in, `/mentor join` to edit your profile, "
            "`/mentor pause` if now isn't a good time."
        ),
    ]
    return _message(text, blocks, ephemeral=False)


def enrollment_saved_modal(
    *, program_name: str, joined: bool, next_round_on: date | None = None
) -> dict[str, Any]:
    """What the enrollment modal turns into after a valid submission."""
    program = program_in_sentence(program_name)
    if joined:
        headline = f"*You're in {program}.* I've sent you a welcome note."
        more = f"I'll introduce you to your partner {next_round_phrase(next_round_on)}."
    else:
        headline = "*Profile saved.*"
        more = "Your partner and the next round will see the new details."
    return View(
        type="modal",
        callback_id=ids.ENROLL_SAVED_VIEW,
        title="Reverse mentoring",
        close="Done",
        blocks=[_section(f"{headline}\n{more}")],
    ).to_dict()


def resumed_message(*, program_name: str, next_round_on: date | None = None) -> dict[str, Any]:
    """The DM when a timed pause ends by itself."""
    text = (
        f"Welcome back to {program_in_sentence(program_name)}: your pause is over, so "
        f"check-ins are on again and you'll be paired {next_round_phrase(next_round_on)}."
    )
    return _message(
        text,
        [_section(text), _context("Need longer? `/mentor pause 4` gives you four more weeks.")],
        ephemeral=False,
    )


def text_modal(text: str, *, title: str = "Reverse mentoring") -> dict[str, Any]:
    """A line of our own mrkdwn in a modal (a notice, a refusal, an apology)."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return notice_modal({"blocks": [section]}, title=title)


def notice_modal(message: dict[str, Any], *, title: str = "Reverse mentoring") -> dict[str, Any]:
    """A message's blocks shown in a modal: in place of a submitted one, or instead of one."""
    return View(type="modal", title=title, close="Close", blocks=message["blocks"]).to_dict()
