"""The story modal's pure parser: every error, and the boundaries."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack import ids
from bot.slack.forms_stories import (
    STORY_SKILLS_MAX,
    STORY_TEXT_MAX,
    STORY_TITLE_MAX,
    StoryForm,
    StoryMetadata,
    parse_story,
    parse_story_metadata,
)


def values(
    *, title: str = "A title", text: str = "What changed", skills: list[str] | None = None,
    credit: str | None = "named", pair: str | None = None, with_pair: bool = False,
) -> dict[str, Any]:  # fmt: skip
    state: dict[str, Any] = {
        ids.STORY_TITLE.block_id: {ids.STORY_TITLE.action_id: {"value": title}},
        ids.STORY_TEXT.block_id: {ids.STORY_TEXT.action_id: {"value": text}},
        ids.STORY_SKILLS.block_id: {
            ids.STORY_SKILLS.action_id: {"selected_options": [{"value": s} for s in (skills or [])]}
        },
        ids.STORY_CREDIT.block_id: {
            ids.STORY_CREDIT.action_id: {
                "selected_option": {"value": credit} if credit is not None else None
            }
        },
    }
    if with_pair:
        state[ids.STORY_PAIR.block_id] = {
            ids.STORY_PAIR.action_id: {"selected_option": {"value": pair} if pair else None}
        }
    return state


def test_a_full_form_parses_with_limits_exactly_reached() -> None:
    form = parse_story(
        values(title="t" * STORY_TITLE_MAX, text="x" * STORY_TEXT_MAX,
               skills=[str(i) for i in range(1, STORY_SKILLS_MAX + 1)], credit="anonymous",
               pair="7", with_pair=True)
    )  # fmt: skip
    assert isinstance(form, StoryForm)
    assert form.anonymous and form.pair_id == 7 and len(form.skill_ids) == STORY_SKILLS_MAX
    assert len(form.title) == STORY_TITLE_MAX and len(form.text) == STORY_TEXT_MAX


@pytest.mark.parametrize(
    ("state", "block"),
    [
        (values(title="  "), ids.STORY_TITLE.block_id),
        (values(title="t" * (STORY_TITLE_MAX + 1)), ids.STORY_TITLE.block_id),
        (values(title="bad\x00"), ids.STORY_TITLE.block_id),
        (values(text=""), ids.STORY_TEXT.block_id),
        (values(text="x" * (STORY_TEXT_MAX + 1)), ids.STORY_TEXT.block_id),
        (values(text="bell\x07"), ids.STORY_TEXT.block_id),
        (values(skills=["1", "two"]), ids.STORY_SKILLS.block_id),
        (
            values(skills=[str(i) for i in range(1, STORY_SKILLS_MAX + 2)]),
            ids.STORY_SKILLS.block_id,
        ),
        (values(credit=None), ids.STORY_CREDIT.block_id),
        (values(credit="everyone"), ids.STORY_CREDIT.block_id),
        (values(with_pair=True), ids.STORY_PAIR.block_id),
        (values(with_pair=True, pair="x1"), ids.STORY_PAIR.block_id),
    ],
)
def test_each_bad_field_gets_its_own_inline_error(state: dict[str, Any], block: str) -> None:
    errors = parse_story(state)
    assert isinstance(errors, dict) and list(errors) == [block]


def test_text_is_cleaned_and_the_pair_is_optional_without_a_choice() -> None:
    form = parse_story(values(title="  Two\n lines ", text="a\r\nb\u200b"))
    assert isinstance(form, StoryForm)
    assert form.title == "Two lines" and form.text == "a\nb" and form.pair_id is None


def test_metadata_round_trips_and_refuses_what_is_not_ours() -> None:
    metadata = StoryMetadata(pair_id=3, story_id=4, reflection_id=5)
    assert parse_story_metadata(metadata.to_json()) == metadata
    assert parse_story_metadata(StoryMetadata().to_json()) == StoryMetadata()
    for bad in ('{"pair_id": true}', '{"story_id": -1}', "[1]", "nope", None, "x" * 500):
        assert parse_story_metadata(bad) is None


def test_every_error_says_what_to_do() -> None:
    assert parse_story(values(title="", text="")) == {
        ids.STORY_TITLE.block_id: "Give it a short title.",
        ids.STORY_TEXT.block_id: "Say in a few words what changed.",
    }
    long = parse_story(values(title="t" * (STORY_TITLE_MAX + 1), text="x" * (STORY_TEXT_MAX + 1)))
    assert long == {
        ids.STORY_TITLE.block_id: f"Please keep it under {STORY_TITLE_MAX} characters.",
        ids.STORY_TEXT.block_id: f"Please keep it under {STORY_TEXT_MAX} characters.",
    }
    # A title refused for a hidden character still lets the text be checked.
    hidden = parse_story(values(title="bad\x00", text=""))
    assert isinstance(hidden, dict) and hidden[ids.STORY_TITLE.block_id].startswith("The title")
    assert hidden[ids.STORY_TEXT.block_id] == "Say in a few words what changed."
    bell = parse_story(values(text="bell\x07"))
    assert isinstance(bell, dict) and bell[ids.STORY_TEXT.block_id].startswith("What changed")
    assert parse_story(values(with_pair=True)) == {
        ids.STORY_PAIR.block_id: "Choose whose story this is."
    }
    assert parse_story(values(skills=["x"])) == {
        ids.STORY_SKILLS.block_id: "Choose skills from the list."
    }
    too_many = [str(i) for i in range(1, STORY_SKILLS_MAX + 2)]
    assert parse_story(values(skills=too_many)) == {
        ids.STORY_SKILLS.block_id: f"Choose up to {STORY_SKILLS_MAX} skills."
    }
    assert parse_story(values(credit=None)) == {
        ids.STORY_CREDIT.block_id: "Choose whether to name you both."
    }


def test_the_smallest_ids_and_the_longest_metadata_are_accepted() -> None:
    form = parse_story(values(with_pair=True, pair="1"))
    assert isinstance(form, StoryForm) and form.pair_id == 1
    one = StoryMetadata(pair_id=1, story_id=1, reflection_id=1)
    assert parse_story_metadata(one.to_json()) == one
    assert parse_story_metadata('{"story_id": 0}') is None
    longest = '{"pair_id": 1' + " " * (200 - len('{"pair_id": 1}')) + "}"
    assert len(longest) == 200 and parse_story_metadata(longest) == StoryMetadata(pair_id=1)
    assert parse_story_metadata("") == StoryMetadata()  # a modal opened without any
