"""The success-story modal's submission, read purely: typed values or inline errors."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.slack import ids
from bot.slack.forms import (
    FormErrors,
    _free_text,
    _has_block,
    _parse_id,
    _parse_ids,
    _selected,
    _selected_many,
    metadata_object,
)

STORY_TITLE_MAX = 150
STORY_TEXT_MAX = 2000
STORY_SKILLS_MAX = 10  # skills named in one story; more reads as a list, not a story
CREDIT_NAMED = "named"
CREDIT_ANONYMOUS = "anonymous"
_METADATA_MAX = 200


@dataclass(frozen=True)
class StoryForm:
    title: str
    text: str  # "what changed"
    skill_ids: frozenset[int]
    anonymous: bool
    pair_id: int | None = None  # chosen in the modal, when the person had several pairs


@dataclass(frozen=True)
class StoryMetadata:
    """What the story modal carries to its submission (untrusted on the way back)."""

    pair_id: int | None = None  # the pair when there was no choice to make
    story_id: int | None = None  # an edit of this story
    reflection_id: int | None = None  # drafted from this reflection

    def to_json(self) -> str:
        data = {"pair_id": self.pair_id, "story_id": self.story_id,
                "reflection_id": self.reflection_id}  # fmt: skip
        return json.dumps({k: v for k, v in data.items() if v is not None})


def _positive(value: object) -> int | None:
    return value if type(value) is int and value > 0 else None


def parse_story_metadata(private_metadata: object) -> StoryMetadata | None:
    """The modal's metadata, or None when it is missing or not ours."""
    if not isinstance(private_metadata, str):
        return None
    # An empty string is a modal opened without metadata: nothing fixed.
    data = metadata_object(private_metadata or "{}", limit=_METADATA_MAX)
    if data is None:
        return None
    found = {key: data.get(key) for key in ("pair_id", "story_id", "reflection_id")}
    if any(v is not None and _positive(v) is None for v in found.values()):
        return None
    return StoryMetadata(
        pair_id=_positive(found["pair_id"]),
        story_id=_positive(found["story_id"]),
        reflection_id=_positive(found["reflection_id"]),
    )


def parse_story(values: object) -> StoryForm | FormErrors:
    """Title and what changed are required and limited; the pair (when the modal asks),
    skills and credit must be options the modal offered in shape (the service checks
    they belong to the pair)."""
    errors: FormErrors = {}
    title = _free_text(values, ids.STORY_TITLE, multiline=False, what="The title", errors=errors)
    text = _free_text(values, ids.STORY_TEXT, multiline=True, what="What changed", errors=errors)
    for field, value, limit, missing in (
        (ids.STORY_TITLE, title, STORY_TITLE_MAX, "Give it a short title."),
        (ids.STORY_TEXT, text, STORY_TEXT_MAX, "Say in a few words what changed."),
    ):
        if field.block_id in errors:
            continue
        if not value:
            errors[field.block_id] = missing
        elif len(value) > limit:
            errors[field.block_id] = f"Please keep it under {limit} characters."
    pair_id = None
    if _has_block(values, ids.STORY_PAIR):
        pair_id = _parse_id(_selected(values, ids.STORY_PAIR))
        if pair_id is None or pair_id < 1:
            errors[ids.STORY_PAIR.block_id] = "Choose whose story this is."
    picked = _selected_many(values, ids.STORY_SKILLS) or []
    skill_ids = _parse_ids(picked)
    if skill_ids is None:
        errors[ids.STORY_SKILLS.block_id] = "Choose skills from the list."
    elif len(skill_ids) > STORY_SKILLS_MAX:
        errors[ids.STORY_SKILLS.block_id] = f"Choose up to {STORY_SKILLS_MAX} skills."
    credit = _selected(values, ids.STORY_CREDIT)
    if credit not in (CREDIT_NAMED, CREDIT_ANONYMOUS):
        errors[ids.STORY_CREDIT.block_id] = "Choose whether to name you both."
    if errors:
        return errors
    assert skill_ids is not None
    return StoryForm(
        title=title, text=text, skill_ids=skill_ids,
        anonymous=credit == CREDIT_ANONYMOUS, pair_id=pair_id,
    )  # fmt: skip
