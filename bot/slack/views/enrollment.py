"""The enrollment modal (`/mentor join`, "Edit profile") and a placeholder to open at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain import CADENCES, CareerStage, Role
from bot.slack import ids
from bot.slack.text import escape, truncate
from bot.slack.views.models import ProfileDraft, ProgramOption, SkillOption, ViewMetadata
from bot.slack.views.skills import MAX_SKILLS_PER_SIDE, OPTION_TEXT_MAX, skill_multi_select

DEPARTMENT_MAX = 80  # people.department is String(80)
GOALS_MAX = 500
MAX_MENTEES_CHOICES = (1, 2, 3)
TITLE_MAX = 24

# Plain words for the roles (VOICE.md); descriptions stay under Slack's 75 chars.
ROLE_LABELS: dict[Role, str] = {
    Role.MENTOR: "Reverse mentor — you share what you know",
    Role.MENTEE: "Leader — you learn from an early-career colleague",
    Role.EITHER: "Either — happy to share or to learn",
}
ROLE_NOUNS: dict[Role, str] = {
    Role.MENTOR: "a reverse mentor",
    Role.MENTEE: "a leader",
    Role.EITHER: "a reverse mentor or leader",
}
_ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.MENTOR: "Show a leader the tools, platforms and trends you know well.",
    Role.MENTEE: "Learn something new, and offer career context in return.",
    Role.EITHER: "We'll pair you where you're needed most.",
}

_CONSENT = (
    ":lock: *What we keep:* your profile, skills and goals; your name and timezone come "
    "from Slack. *Who sees it:* your partner sees your profile; program admins see "
    "profiles and counts. Reflections are yours alone. Leave and delete your data any "
    "time with `/mentor leave`."
)


def role_option(role: Role) -> Option:
    return Option(value=role.value, text=ROLE_LABELS[role], description=_ROLE_DESCRIPTIONS[role])


# One line each, so people place themselves alike (Slack: descriptions up to 75 chars).
STAGE_DESCRIPTIONS: dict[CareerStage, str] = {
    CareerStage.EARLY_CAREER: "Your first years at work, or new to working life",
    CareerStage.DEVELOPING: "Building expertise; you may lead pieces of work",
    CareerStage.EXPERIENCED: "Seasoned in your field; you may lead a team",
    CareerStage.SENIOR_LEADER: "You lead leaders: a department or a function",
    CareerStage.EXECUTIVE: "You lead the organisation or a large part of it",
}


def stage_option(stage: CareerStage) -> Option:
    return Option(value=str(stage.value), text=stage.label, description=STAGE_DESCRIPTIONS[stage])


def cadence_option(days: int) -> Option:
    """The cadence choice nearest to `days` (a program may use another number)."""
    chosen, label = min(CADENCES, key=lambda choice: abs(choice[0] - days))
    return Option(value=str(chosen), text=label)


def max_mentees_option(count: int) -> Option:
    count = min(max(count, MAX_MENTEES_CHOICES[0]), MAX_MENTEES_CHOICES[-1])
    return Option(value=str(count), text="1 leader" if count == 1 else f"{count} leaders")


def program_option(program: ProgramOption) -> Option:
    return Option(value=str(program.id), text=truncate(program.name, OPTION_TEXT_MAX))


def enrollment_modal(
    *,
    programs: Sequence[ProgramOption],
    skills: Sequence[SkillOption],
    draft: ProfileDraft | None,
    display_name: str,
    editing: bool = False,
) -> dict[str, Any]:
    """The join / edit-profile modal.

    `programs` are the open programs (at least one); `skills` are those of the
    program shown, which is `draft.program_id` when open, else the first one.
    A program select appears only when there is a choice; picking another program
    sends a block action (`ids.ENROLL_PROGRAM`) so the caller can rebuild the modal
    with that program's skills.
    """
    if not programs:
        raise ValueError("enrollment needs at least one open program")
    draft = draft or ProfileDraft()
    program = next((p for p in programs if p.id == draft.program_id), programs[0])
    name = escape(truncate(display_name.strip(), 80)) or "there"
    if editing:
        intro = f"Hi {name}! Update anything that's changed."
    else:
        intro = (
            f"Hi {name}! Early-career colleagues share new tools and ways of working with "
            "leaders, who offer career context back. Tell us a little about you and we'll "
            "find you a good partner."
        )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=intro))]
    if len(programs) > 1:
        choices = [program_option(p) for p in programs[:100]]
        blocks.append(
            InputBlock(
                block_id=ids.ENROLL_PROGRAM.block_id,
                label="Program",
                dispatch_action=True,
                element=StaticSelectElement(
                    action_id=ids.ENROLL_PROGRAM.action_id,
                    options=choices,
                    initial_option=program_option(program),
                ),
            )
        )
    roles = [role_option(role) for role in Role]
    stages = [stage_option(stage) for stage in CareerStage]
    blocks += [
        InputBlock(
            block_id=ids.ENROLL_ROLE.block_id,
            label="How would you like to take part?",
            # Picking a role rebuilds the modal (views.update) so that only the fields
            # that role needs are asked, and required ones are not marked "(optional)".
            dispatch_action=True,
            element=RadioButtonsElement(
                action_id=ids.ENROLL_ROLE.action_id,
                options=roles,
                initial_option=role_option(draft.role) if draft.role else None,
            ),
        ),
        InputBlock(
            block_id=ids.ENROLL_STAGE.block_id,
            label="Career stage",
            hint="Where you are in your working life, not your age.",
            element=StaticSelectElement(
                action_id=ids.ENROLL_STAGE.action_id,
                placeholder="Choose your stage",
                options=stages,
                initial_option=stage_option(draft.career_stage) if draft.career_stage else None,
            ),
        ),
        InputBlock(
            block_id=ids.ENROLL_DEPARTMENT.block_id,
            label="Department",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.ENROLL_DEPARTMENT.action_id,
                placeholder="e.g. Marketing",
                initial_value=draft.department[:DEPARTMENT_MAX] or None,
                max_length=DEPARTMENT_MAX,
            ),
        ),
    ]
    if skills:
        blocks += [
            _skill_input(ids.ENROLL_TEACHES, "Skills I can share", skills, draft.teaches,
                         need=_TEACHES_NEED[draft.role]),
            _skill_input(ids.ENROLL_LEARNS, "Skills I want to learn", skills, draft.learns,
                         need=_LEARNS_NEED[draft.role]),
        ]  # fmt: skip
    blocks.append(
        InputBlock(
            block_id=ids.ENROLL_MANAGER.block_id,
            label="Your manager",
            hint="We never pair you with your manager or with someone who reports to you.",
            optional=True,
            element=UserSelectElement(
                action_id=ids.ENROLL_MANAGER.action_id,
                placeholder="Choose your manager",
                initial_user=draft.manager_slack_id,
            ),
        )
    )
    blocks += [
        InputBlock(
            block_id=ids.ENROLL_GOALS.block_id,
            label="What would success look like for you?",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.ENROLL_GOALS.action_id,
                multiline=True,
                placeholder="e.g. Feel at ease using AI tools with my team",
                initial_value=draft.goals[:GOALS_MAX] or None,
                max_length=GOALS_MAX,
            ),
        ),
        InputBlock(
            block_id=ids.ENROLL_CADENCE.block_id,
            label="How often would you like to meet?",
            element=StaticSelectElement(
                action_id=ids.ENROLL_CADENCE.action_id,
                options=[Option(value=str(days), text=label) for days, label in CADENCES],
                initial_option=cadence_option(draft.cadence_days or program.cadence_days),
            ),
        ),
    ]
    if draft.role is not Role.MENTEE:  # a leader mentors no one: not asked (forms: 1)
        blocks.append(
            InputBlock(
                block_id=ids.ENROLL_MAX_MENTEES.block_id,
                label="Leaders you can mentor at once",
                hint="As a reverse mentor."
                if draft.role is Role.MENTOR
                else "If you're paired as a reverse mentor.",
                element=StaticSelectElement(
                    action_id=ids.ENROLL_MAX_MENTEES.action_id,
                    options=[max_mentees_option(n) for n in MAX_MENTEES_CHOICES],
                    initial_option=max_mentees_option(draft.max_mentees),
                ),
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_CONSENT)]))
    view = View(
        type="modal",
        callback_id=ids.ENROLL_VIEW,
        title="Edit your profile" if editing else "Join reverse mentoring",
        submit="Save" if editing else "Join",
        close="Not now",
        private_metadata=ViewMetadata(program_id=program.id, editing=editing).to_json(),
        blocks=blocks,
    )
    return view.to_dict()


def loading_modal(title: str = "Join reverse mentoring") -> dict[str, Any]:
    """Opened at once with the trigger_id (valid ~3 s), then replaced by views.update."""
    view = View(
        type="modal",
        callback_id=ids.LOADING_VIEW,
        title=truncate(title, TITLE_MAX),
        close="Cancel",
        blocks=[SectionBlock(text=MarkdownTextObject(text="One moment…"))],
    )
    return view.to_dict()


@dataclass(frozen=True)
class SkillNeed:
    """What a skill picker asks of the role chosen: required or not, and a one-line why."""

    required: bool
    hint: str


# The rule is the form's (bot/slack/forms.py parse_enrollment): a reverse mentor lists
# what they can share, a leader what they want to learn, "either" both. Before a role
# is picked both are marked required and the hint says for whom; picking a role
# rebuilds the modal with that role's needs.
_TEACHES_NEED: dict[Role | None, SkillNeed] = {
    None: SkillNeed(True, "Reverse mentors: at least one. Leaders: what you could offer back."),
    Role.MENTOR: SkillNeed(True, "At least one: it's what your leader learns from you."),
    Role.MENTEE: SkillNeed(False, "What you could offer back, such as career guidance."),
    Role.EITHER: SkillNeed(True, "At least one, in case you're paired as a reverse mentor."),
}
_LEARNS_NEED: dict[Role | None, SkillNeed] = {
    None: SkillNeed(True, "Leaders: at least one. Reverse mentors: anything you'd like back."),
    Role.MENTOR: SkillNeed(False, "Anything you'd like to learn back, such as career guidance."),
    Role.MENTEE: SkillNeed(True, "At least one: your reverse mentor can teach it."),
    Role.EITHER: SkillNeed(True, "At least one, in case you're paired as a leader."),
}


def _skill_input(
    field: ids.InputId,
    label: str,
    skills: Sequence[SkillOption],
    selected: frozenset[int],
    *,
    need: SkillNeed,
) -> InputBlock:
    """One of the two skill pickers: what I can share, what I want to learn."""
    return InputBlock(
        block_id=field.block_id,
        label=label,
        hint=need.hint,
        optional=not need.required,
        element=skill_multi_select(
            field,
            skills=skills,
            selected=selected,
            placeholder="Pick or search",
            max_selected=MAX_SKILLS_PER_SIDE,
        ),
    )
