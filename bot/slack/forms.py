"""Parsers of modal submissions and command text: typed values, or errors to show.

Everything here is untrusted input from Slack (state values, private_metadata,
command text): a wrong shape is treated like a missing answer, never raised.
Errors are `{block_id: message}`, ready for `ack(response_action="errors", errors=...)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from bot.catalogue import (
    CATEGORY_MAX,
    OTHER_CATEGORY,
    clean_category,
    clean_skill_name,
    normalise_skill,
    skill_name_error,
)
from bot.domain import CADENCES, CareerStage, Role
from bot.slack import ids
from bot.slack.text import HiddenCharacter, clean_text, find_hidden, read_text
from bot.slack.views.enrollment import DEPARTMENT_MAX, GOALS_MAX, MAX_MENTEES_CHOICES
from bot.slack.views.models import ProfileDraft, ProgramOption, SkillOption, ViewMetadata
from bot.slack.views.skills import MAX_SKILLS_PER_SIDE
from bot.slack.views.status import PAUSE_CHOICES

FormErrors = dict[str, str]  # block_id -> message shown under that input

METADATA_MAX = 3000  # Slack's private_metadata limit
PAUSE_WEEKS_MAX = 52
ADD_SKILLS_MAX = 50  # lines per save

_USER = re.compile(r"[UW][A-Z0-9]{2,20}")  # a Slack user id, as users_select sends it
LEAVE_REASON_MAX = 500
_ID = re.compile(r"[0-9]{1,18}")  # ASCII only: int() would accept "٣" and " 3 "
_PAUSE = re.compile(r"([0-9]{1,3})\s*(?:w|wk|wks|week|weeks)?", re.IGNORECASE)


@dataclass(frozen=True)
class InputError:
    """Why command text could not be read, worded for the person who typed it."""

    message: str


@dataclass(frozen=True)
class EnrollmentForm:
    program_id: int
    role: Role
    career_stage: CareerStage
    department: str
    teaches: frozenset[int]  # skill ids, active in the program
    learns: frozenset[int]
    goals: str
    cadence_days: int
    max_mentees: int
    manager_slack_id: str | None = None  # never paired with them, nor they with reports


@dataclass(frozen=True)
class NewSkill:
    name: str
    category: str


@dataclass(frozen=True)
class SkillRename:
    skill_id: int
    name: str


@dataclass(frozen=True)
class SkillChanges:
    """One save of the skill admin modal."""

    program_id: int
    added: tuple[NewSkill, ...] = ()
    renamed: SkillRename | None = None
    retire: frozenset[int] = frozenset()
    unretire: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.renamed or self.retire or self.unretire)


# --- reading state.values safely -------------------------------------------------


def _element(values: object, field: ids.InputId) -> Mapping[str, Any]:
    if not isinstance(values, Mapping):
        return {}
    block = values.get(field.block_id)
    if not isinstance(block, Mapping):
        return {}
    element = block.get(field.action_id)
    return element if isinstance(element, Mapping) else {}


def _has_block(values: object, field: ids.InputId) -> bool:
    return isinstance(values, Mapping) and isinstance(values.get(field.block_id), Mapping)


def _raw_text(values: object, field: ids.InputId) -> str:
    """A text input's value exactly as sent; "" when missing."""
    value = _element(values, field).get("value")
    return value if isinstance(value, str) else ""


def _hidden_error(what: str, hidden: HiddenCharacter) -> str:
    return f"{what} has {hidden.describe()}. Please retype that part."


def _free_text(
    values: object, field: ids.InputId, *, multiline: bool, what: str, errors: FormErrors
) -> str:
    """A free-text answer read by the one rule (`bot.slack.text.read_text`).

    A refused character becomes an error under the field, naming it as `what`.
    """
    text = read_text(_raw_text(values, field), multiline=multiline)
    if isinstance(text, HiddenCharacter):
        errors[field.block_id] = _hidden_error(what, text)
        return ""
    return text


def _option_value(option: object) -> str | None:
    if isinstance(option, Mapping):
        value = option.get("value")
        if isinstance(value, str):
            return value
    return None


def _selected(values: object, field: ids.InputId) -> str | None:
    return _option_value(_element(values, field).get("selected_option"))


def _selected_many(values: object, field: ids.InputId) -> list[str] | None:
    """The chosen values; None when the element is missing or malformed."""
    options = _element(values, field).get("selected_options")
    if not isinstance(options, list):
        return None
    chosen = [_option_value(option) for option in options]
    return [value for value in chosen if value is not None]


def _selected_user(values: object, field: ids.InputId) -> str | None:
    """A users_select's pick when it is a Slack user id; None when none or malformed."""
    user = _element(values, field).get("selected_user")
    return user if isinstance(user, str) and _USER.fullmatch(user) else None


def _parse_id(text: str | None) -> int | None:
    return int(text) if text is not None and _ID.fullmatch(text) else None


def _parse_choice(text: str | None, choices: Sequence[int]) -> int | None:
    number = _parse_id(text)
    return number if number in choices else None


def _parse_ids(texts: Sequence[str]) -> frozenset[int] | None:
    """All ids, or None when any is not a number."""
    numbers = [_parse_id(text) for text in texts]
    if any(n is None for n in numbers):
        return None
    return frozenset(n for n in numbers if n is not None)


def metadata_object(
    private_metadata: object, *, limit: int = METADATA_MAX
) -> dict[str, object] | None:
    """A modal's private_metadata as the JSON object we wrote into it, or None when it is
    anything else (it comes back from Slack: untrusted)."""
    if not isinstance(private_metadata, str) or len(private_metadata) > limit:
        return None
    try:
        data = json.loads(private_metadata)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def parse_view_metadata(private_metadata: object) -> ViewMetadata | None:
    """What a modal carried, or None when it is missing or not ours."""
    data = metadata_object(private_metadata)
    if data is None:
        return None
    program_id = data.get("program_id")
    editing = data.get("editing", False)
    # bool is an int in Python; a true/false program id is not ours.
    if type(program_id) is not int or program_id < 1 or not isinstance(editing, bool):
        return None
    pair_id = data.get("pair_id")
    if pair_id is not None and (type(pair_id) is not int or pair_id < 1):
        return None
    return ViewMetadata(program_id=program_id, editing=editing, pair_id=pair_id)


# --- enrollment --------------------------------------------------------------------


def _parse_role(text: str | None) -> Role | None:
    return next((role for role in Role if role.value == text), None)


def _parse_stage(text: str | None) -> CareerStage | None:
    number = _parse_id(text)
    if number is None or not min(CareerStage) <= number <= max(CareerStage):
        return None
    return CareerStage(number)


def _stage_floor(stage: int) -> CareerStage:
    """A program's stage setting, held to the five stages whatever the database says."""
    return CareerStage(min(max(stage, CareerStage.EARLY_CAREER), CareerStage.EXECUTIVE))


def _chosen_program(
    values: object, programs: Sequence[ProgramOption], private_metadata: object
) -> ProgramOption | None:
    by_id = {p.id: p for p in programs}
    if _has_block(values, ids.ENROLL_PROGRAM):
        chosen = _parse_id(_selected(values, ids.ENROLL_PROGRAM))
        return by_id.get(chosen) if chosen is not None else None
    metadata = parse_view_metadata(private_metadata)
    return by_id.get(metadata.program_id) if metadata else None


def _parse_skill_picks(
    values: object, field: ids.InputId, *, active: Set[int], errors: FormErrors
) -> frozenset[int]:
    picked = _parse_ids(_selected_many(values, field) or [])
    if picked is None or not picked <= active:
        errors[field.block_id] = "Some of these skills aren't offered any more. Please pick again."
        return frozenset()
    if len(picked) > MAX_SKILLS_PER_SIDE:
        errors[field.block_id] = f"Pick up to {MAX_SKILLS_PER_SIDE} — the ones that matter most."
        return frozenset()
    return picked


def parse_enrollment(
    values: object,
    *,
    programs: Sequence[ProgramOption],
    active_skill_ids: Mapping[int, Set[int]],
    private_metadata: object,
    user_id: str | None = None,
) -> EnrollmentForm | FormErrors:
    """Read the enrollment modal (`view.state.values`).

    `programs` are the open programs; `active_skill_ids` maps each program id to its
    skills that are not retired. The program comes from the program select when the
    modal showed one, else from private_metadata.
    """
    errors: FormErrors = {}
    program = _chosen_program(values, programs, private_metadata)
    if program is None:
        where = ids.ENROLL_PROGRAM if _has_block(values, ids.ENROLL_PROGRAM) else ids.ENROLL_ROLE
        errors[where.block_id] = (
            "Choose a program."
            if where is ids.ENROLL_PROGRAM
            else "This program isn't open any more. Close this and run `/mentor join` again."
        )
    active = active_skill_ids.get(program.id, frozenset()) if program else frozenset()

    role = _parse_role(_selected(values, ids.ENROLL_ROLE))
    if role is None:
        errors.setdefault(ids.ENROLL_ROLE.block_id, "Choose how you'd like to take part.")
    stage = _parse_stage(_selected(values, ids.ENROLL_STAGE))
    if stage is None:
        errors[ids.ENROLL_STAGE.block_id] = "Choose your career stage."

    department = _free_text(
        values, ids.ENROLL_DEPARTMENT, multiline=False, what="Your department", errors=errors
    )
    if len(department) > DEPARTMENT_MAX:
        errors[ids.ENROLL_DEPARTMENT.block_id] = f"Keep it to {DEPARTMENT_MAX} characters."
    goals = _free_text(values, ids.ENROLL_GOALS, multiline=True, what="Your goal", errors=errors)
    if len(goals) > GOALS_MAX:
        errors[ids.ENROLL_GOALS.block_id] = (
            f"Keep it to {GOALS_MAX} characters — a sentence or two is plenty."
        )

    teaches = learns = frozenset[int]()
    if program is not None:  # else the picks can't be checked, and the error says why
        teaches = _parse_skill_picks(values, ids.ENROLL_TEACHES, active=active, errors=errors)
        learns = _parse_skill_picks(values, ids.ENROLL_LEARNS, active=active, errors=errors)
    # With no skills on offer there is nothing to pick: don't block the door.
    if role is not None and active:
        if role in (Role.MENTOR, Role.EITHER) and not teaches:
            errors.setdefault(
                ids.ENROLL_TEACHES.block_id,
                "Pick at least one skill you can share — it's what your partner learns from you.",
            )
        if role in (Role.MENTEE, Role.EITHER) and not learns:
            errors.setdefault(
                ids.ENROLL_LEARNS.block_id, "Pick at least one skill you'd like to learn."
            )

    if program is not None and role is not None and stage is not None:
        floor = _stage_floor(program.min_leader_stage)
        if role is Role.MENTEE and stage < floor:
            errors.setdefault(
                ids.ENROLL_STAGE.block_id,
                f"This program pairs leaders from {floor.label} upwards. If that's not your "
                "stage yet, join as a reverse mentor or choose Either.",
            )
        # A reverse mentor needs someone at least min_stage_gap stages further along.
        if role is Role.MENTOR and stage + max(program.min_stage_gap, 1) > CareerStage.EXECUTIVE:
            errors.setdefault(
                ids.ENROLL_ROLE.block_id,
                "Reverse mentors share with colleagues further along, and there's no one "
                "further along here. Try Leader or Either.",
            )

    cadence = _parse_choice(_selected(values, ids.ENROLL_CADENCE), [d for d, _ in CADENCES])
    if cadence is None:
        errors[ids.ENROLL_CADENCE.block_id] = "Choose how often you'd like to meet."
    max_mentees = _parse_choice(_selected(values, ids.ENROLL_MAX_MENTEES), MAX_MENTEES_CHOICES)
    # Asked of reverse mentors only: a leader's answer (a modal built before the role
    # was picked) is ignored, and a modal without the question means one.
    if role is Role.MENTEE or not _has_block(values, ids.ENROLL_MAX_MENTEES):
        max_mentees = 1
    elif max_mentees is None:
        errors[ids.ENROLL_MAX_MENTEES.block_id] = "Choose 1, 2 or 3."

    manager = _selected_user(values, ids.ENROLL_MANAGER)
    if manager is not None and manager == user_id:
        errors[ids.ENROLL_MANAGER.block_id] = "That's you. Pick your manager, or leave it empty."

    if errors or not (program and role and stage and cadence and max_mentees):
        return errors
    return EnrollmentForm(
        program_id=program.id,
        role=role,
        career_stage=stage,
        department=department,
        teaches=teaches,
        learns=learns,
        goals=goals,
        cadence_days=cadence,
        max_mentees=max_mentees,
        manager_slack_id=manager,
    )


def parse_enrollment_draft(values: object, *, private_metadata: object) -> ProfileDraft:
    """Whatever the person has filled in so far, to rebuild the modal for another program.

    Lenient: unreadable answers are left out. Skill picks are kept as ids;
    `enrollment_modal` prefills only those the shown program offers.
    """
    metadata = parse_view_metadata(private_metadata)
    program_id = _parse_id(_selected(values, ids.ENROLL_PROGRAM))
    cadence = _parse_choice(_selected(values, ids.ENROLL_CADENCE), [d for d, _ in CADENCES])
    max_mentees = _parse_choice(_selected(values, ids.ENROLL_MAX_MENTEES), MAX_MENTEES_CHOICES)
    return ProfileDraft(
        program_id=program_id or (metadata.program_id if metadata else None),
        role=_parse_role(_selected(values, ids.ENROLL_ROLE)),
        career_stage=_parse_stage(_selected(values, ids.ENROLL_STAGE)),
        # Shown back as typed, less what the rule refuses: the submit reports those.
        department=clean_text(_raw_text(values, ids.ENROLL_DEPARTMENT), multiline=False)[
            :DEPARTMENT_MAX
        ],
        goals=clean_text(_raw_text(values, ids.ENROLL_GOALS), multiline=True)[:GOALS_MAX],
        teaches=_parse_ids(_selected_many(values, ids.ENROLL_TEACHES) or []) or frozenset(),
        learns=_parse_ids(_selected_many(values, ids.ENROLL_LEARNS) or []) or frozenset(),
        cadence_days=cadence,
        max_mentees=max_mentees or 1,
        manager_slack_id=_selected_user(values, ids.ENROLL_MANAGER),
    )


# --- commands and small modals --------------------------------------------------------


def parse_pause_weeks(text: str) -> int | InputError | None:
    """`/mentor pause [weeks]`: weeks to pause, or None for "until I resume"."""
    text = text.strip()
    if not text:
        return None
    match = _PAUSE.fullmatch(text)
    if match is None:
        return InputError(
            "Try `/mentor pause 4` to pause for four weeks, or `/mentor pause` "
            "to pause until you resume."
        )
    weeks = int(match.group(1))
    if not 1 <= weeks <= PAUSE_WEEKS_MAX:
        return InputError(
            f"Pick between 1 and {PAUSE_WEEKS_MAX} weeks, or `/mentor pause` "
            "to pause until you resume."
        )
    return weeks


def parse_leave(values: object) -> bool:
    """True when the person ticked "also delete my profile, reflections and stories"."""
    return ids.LEAVE_DELETE_VALUE in (_selected_many(values, ids.LEAVE_DELETE) or [])


def parse_leave_reason(values: object) -> str | FormErrors:
    """The optional, private reason for leaving ("" when none), or an error under it."""
    errors: FormErrors = {}
    reason = _free_text(values, ids.LEAVE_REASON, multiline=True, what="Your reason", errors=errors)
    if len(reason) > LEAVE_REASON_MAX:
        errors[ids.LEAVE_REASON.block_id] = f"Keep it to {LEAVE_REASON_MAX} characters."
    return errors or reason


def parse_pause_choice(value: object) -> int | InputError | None:
    """A Home pause length: weeks, None for "until I resume", or an InputError."""
    choice = _parse_choice(value if isinstance(value, str) else None, [w for w, _ in PAUSE_CHOICES])
    if choice is None:
        return InputError("Pick how long to pause.")
    return choice or None


# --- skill admin -------------------------------------------------------------------


def _parse_added_skills(
    text: str, *, skills: Sequence[SkillOption], taken: set[str]
) -> tuple[NewSkill, ...] | str:
    """New skills, one per line ("Category: name" or "name"), or the first problem.

    `text` is the field as sent, so line numbers are the ones the admin sees.
    """
    hidden = find_hidden(text)
    if hidden is not None:
        where = hidden.describe(line_named=True)
        return f"Line {hidden.line}: this line has {where}. Please retype that part."
    lines = text.splitlines()
    if sum(1 for line in lines if line.strip()) > ADD_SKILLS_MAX:
        return f"Add up to {ADD_SKILLS_MAX} at a time."
    retired = {normalise_skill(s.name) for s in skills if s.retired}
    categories = {s.category for s in skills if s.category}
    added: list[NewSkill] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        category, colon, name = line.partition(":")
        if not colon:
            category, name = OTHER_CATEGORY, line
        elif category.strip() and not clean_category(category):
            return (
                f"Line {number}: that category is only invisible characters. "
                "Type one or leave it out."
            )
        category = clean_category(category, existing=categories) or OTHER_CATEGORY
        if len(category) > CATEGORY_MAX:
            return f"Line {number}: keep categories to {CATEGORY_MAX} characters."
        if normalise_skill(name) in retired:
            return (
                f"Line {number}: “{clean_skill_name(name)}” is retired — "
                "take it off the retired list to bring it back."
            )
        problem = skill_name_error(name, taken_keys=taken)
        if problem:
            return f"Line {number}: {problem}"
        taken.add(normalise_skill(name))
        categories.add(category)
        added.append(NewSkill(name=clean_skill_name(name), category=category))
    return tuple(added)


def parse_skill_admin(
    values: object, *, program_id: int, skills: Sequence[SkillOption]
) -> SkillChanges | FormErrors:
    """Read the skill admin modal against the program's current skills.

    The caller reads `program_id` from private_metadata (`parse_view_metadata`)
    and checks the person may manage that program before loading `skills`.
    """
    errors: FormErrors = {}
    by_id = {s.id: s for s in skills}
    taken = {normalise_skill(s.name) for s in skills}

    renamed: SkillRename | None = None
    rename_pick = _selected(values, ids.SKILLS_RENAME)
    new_name = _raw_text(values, ids.SKILLS_NEW_NAME)
    if rename_pick is not None:
        skill = by_id.get(_parse_id(rename_pick) or 0)
        if skill is None:
            errors[ids.SKILLS_RENAME.block_id] = "That skill has changed. Please pick it again."
        elif not new_name.strip():
            errors[ids.SKILLS_NEW_NAME.block_id] = f"Type a new name for “{skill.name}”."
        # A refused character is reported even when the rest spells the same name.
        elif find_hidden(new_name) or clean_skill_name(new_name) != skill.name:
            taken_by_others = taken - {normalise_skill(skill.name)}
            problem = skill_name_error(new_name, taken_keys=taken_by_others)
            if problem:
                errors[ids.SKILLS_NEW_NAME.block_id] = problem
            else:
                renamed = SkillRename(skill_id=skill.id, name=clean_skill_name(new_name))
                taken = taken_by_others | {normalise_skill(new_name)}
    elif new_name.strip():
        errors[ids.SKILLS_RENAME.block_id] = "Pick the skill to rename."

    added = _parse_added_skills(_raw_text(values, ids.SKILLS_ADD), skills=skills, taken=taken)
    if isinstance(added, str):
        errors[ids.SKILLS_ADD.block_id] = added
        added = ()

    retire: frozenset[int] = frozenset()
    unretire: frozenset[int] = frozenset()
    picked = _selected_many(values, ids.SKILLS_RETIRED)
    if picked is not None:  # a missing list changes nothing; an empty one retires nothing
        retired_now = _parse_ids(picked)
        if retired_now is None or not retired_now <= by_id.keys():
            errors[ids.SKILLS_RETIRED.block_id] = "The list has changed. Please pick again."
        else:
            was_retired = {s.id for s in skills if s.retired}
            retire = frozenset(retired_now - was_retired)
            unretire = frozenset(was_retired - retired_now)

    if errors:
        return errors
    return SkillChanges(
        program_id=program_id, added=added, renamed=renamed, retire=retire, unretire=unretire
    )
