"""Skill pickers (static or searched) and the skill admin modal for one program."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

from bot.catalogue import OTHER_CATEGORY, SKILL_NAME_MAX, category_rank, normalise_skill
from bot.slack import ids
from bot.slack.text import escape, plural, truncate
from bot.slack.views.models import ProgramOption, SkillOption, ViewMetadata

# Slack caps static menus at 100 options and external-select answers at 100 too.
STATIC_OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
QUERY_MAX = 100
ADD_SKILLS_MAX_CHARS = 3000
MAX_SKILLS_PER_SIDE = 10  # picks per "share" / "learn" list: a focus, not a CV


def skill_option(skill: SkillOption, *, mark_retired: bool = False) -> Option:
    """The option for one skill; its value is the skill id."""
    name = f"{skill.name} (retired)" if mark_retired and skill.retired else skill.name
    return Option(value=str(skill.id), text=truncate(name, OPTION_TEXT_MAX))


def skill_option_groups(
    skills: Sequence[SkillOption], *, mark_retired: bool = False
) -> list[OptionGroup]:
    """Skills grouped by category: groups in `category_rank` order, skills in the order given."""
    groups: dict[str, tuple[str, list[Option]]] = {}
    for skill in skills:
        label = truncate(skill.category.strip() or OTHER_CATEGORY, OPTION_TEXT_MAX)
        _, options = groups.setdefault(normalise_skill(label), (label, []))
        options.append(skill_option(skill, mark_retired=mark_retired))
    ordered = sorted(groups.values(), key=lambda group: category_rank(group[0]))
    return [OptionGroup(label=label, options=options) for label, options in ordered]


def skill_options(
    query: str, skills: Sequence[SkillOption], *, include_retired: bool = False
) -> dict[str, Any]:
    """The answer to an external select's options request, for `ack(...)`.

    Matches the query as a case-insensitive substring of the skill name or its
    category; at most 100 options. Enrollment offers active skills only; the admin
    modal passes `include_retired=True`.
    """
    needle = normalise_skill(query[:QUERY_MAX])
    matches = [
        s
        for s in skills
        if (include_retired or not s.retired)
        and (needle in normalise_skill(s.name) or needle in normalise_skill(s.category))
    ][:STATIC_OPTIONS_MAX]
    if not matches:
        return {"options": []}
    groups = skill_option_groups(matches, mark_retired=include_retired)
    return {"option_groups": [group.to_dict() for group in groups]}


def skill_multi_select(
    field: ids.InputId,
    *,
    skills: Sequence[SkillOption],
    selected: Collection[int],
    placeholder: str,
    include_retired: bool = False,
    max_selected: int | None = None,
) -> InputInteractiveElement:
    """A multi-select of skills: static with groups when it fits, searched otherwise."""
    offered = [s for s in skills if include_retired or not s.retired]
    initial = [
        skill_option(s, mark_retired=include_retired) for s in offered if s.id in selected
    ] or None
    if len(offered) <= STATIC_OPTIONS_MAX:
        return StaticMultiSelectElement(
            action_id=field.action_id,
            placeholder=placeholder,
            option_groups=skill_option_groups(offered, mark_retired=include_retired),
            initial_options=initial,
            max_selected_items=max_selected,
        )
    return ExternalDataMultiSelectElement(
        action_id=field.action_id,
        placeholder=placeholder,
        min_query_length=0,
        initial_options=initial,
        max_selected_items=max_selected,
    )


def _skill_select(
    field: ids.InputId, *, skills: Sequence[SkillOption], placeholder: str
) -> InputInteractiveElement:
    if len(skills) <= STATIC_OPTIONS_MAX:
        return StaticSelectElement(
            action_id=field.action_id,
            placeholder=placeholder,
            option_groups=skill_option_groups(skills, mark_retired=True),
        )
    return ExternalDataSelectElement(
        action_id=field.action_id, placeholder=placeholder, min_query_length=0
    )


def skill_admin_modal(*, program: ProgramOption, skills: Sequence[SkillOption]) -> dict[str, Any]:
    """Add, rename, retire and bring back skills for one program."""
    active = sum(1 for s in skills if not s.retired)
    retired = len(skills) - active
    summary = f"*{escape(program.name)}* offers {plural(active, 'skill')}"
    summary += f" ({retired} retired)." if retired else "."
    summary += " People pick from these when they join."
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=summary)),
        InputBlock(
            block_id=ids.SKILLS_ADD.block_id,
            label="Add skills",
            hint="One per line. Put a category first if you like: “AI tools: Prompt libraries”.",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.SKILLS_ADD.action_id,
                multiline=True,
                max_length=ADD_SKILLS_MAX_CHARS,
                placeholder="Data & analytics: Looker Studio",
            ),
        ),
    ]
    if skills:
        blocks += [
            InputBlock(
                block_id=ids.SKILLS_RENAME.block_id,
                label="Rename a skill",
                hint="Profiles keep the skill; everyone sees the new name.",
                optional=True,
                element=_skill_select(ids.SKILLS_RENAME, skills=skills, placeholder="Choose one"),
            ),
            InputBlock(
                block_id=ids.SKILLS_NEW_NAME.block_id,
                label="New name",
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.SKILLS_NEW_NAME.action_id, max_length=SKILL_NAME_MAX
                ),
            ),
            InputBlock(
                block_id=ids.SKILLS_RETIRED.block_id,
                label="Retired skills",
                hint="People can't pick these. Remove one from the list to bring it back.",
                optional=True,
                element=skill_multi_select(
                    ids.SKILLS_RETIRED,
                    skills=skills,
                    selected={s.id for s in skills if s.retired},
                    placeholder="None retired",
                    include_retired=True,
                ),
            ),
        ]
    else:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text="No skills yet. Add a few above.")])
        )
    view = View(
        type="modal",
        callback_id=ids.SKILLS_VIEW,
        title="Manage skills",
        submit="Save",
        close="Cancel",
        private_metadata=ViewMetadata(program_id=program.id).to_json(),
        blocks=blocks,
    )
    return view.to_dict()


def skills_saved_modal(
    *,
    program_name: str,
    added: Sequence[str],
    renamed: tuple[str, str] | None,
    retired: int,
    brought_back: int,
) -> dict[str, Any]:
    """What the skill admin modal becomes after a save: what changed, in one glance.

    `renamed` is (old name, new name).
    """
    lines = []
    if added:
        names = ", ".join(escape(name) for name in added[:10])
        more = f" and {len(added) - 10} more" if len(added) > 10 else ""
        lines.append(f"Added {plural(len(added), 'skill')}: {names}{more}.")
    if renamed:
        lines.append(f"Renamed “{escape(renamed[0])}” to “{escape(renamed[1])}”.")
    if retired:
        lines.append(f"Retired {plural(retired, 'skill')}: people can't pick them any more.")
    if brought_back:
        lines.append(f"Brought back {plural(brought_back, 'skill')}.")
    if not lines:
        lines.append("Nothing changed.")
    text = f"*Saved — {escape(program_name)}'s skills.*\n" + "\n".join(lines)
    return View(
        type="modal",
        callback_id=ids.SKILLS_SAVED_VIEW,
        title="Manage skills",
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    ).to_dict()
