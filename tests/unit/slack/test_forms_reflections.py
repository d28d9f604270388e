"""The reflection modal's parser: every error path and boundary, no I/O."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.learning_log import PairChoice, ReflectionContext, TopicChoice
from bot.slack import ids
from bot.slack.forms import METADATA_MAX
from bot.slack.forms_reflections import (
    ReflectionForm,
    ReflectionMetadata,
    parse_reflection,
    parse_reflection_metadata,
)
from bot.slack.views.reflection import REFLECTION_TEXT_MAX, reflection_metadata

from .blockkit import multi, select, state, text

TODAY = date(2025, 6, 11)
INTRO = date(2025, 6, 2)
DANA = PairChoice(pair_id=7, program_id=1, partner_name="Dana", introduced_on=INTRO)
SAM = PairChoice(pair_id=8, program_id=2, partner_name="Sam", introduced_on=None)
TOPICS = (TopicChoice(10, "AI tools", 1), TopicChoice(11, "TikTok", 1), TopicChoice(20, "SQL", 2))
ONE = ReflectionContext(program_id=1, today=TODAY, pairs=(DANA,), topics=TOPICS)
TWO = ReflectionContext(program_id=1, today=TODAY, pairs=(DANA, SAM), topics=TOPICS)


def day(value: str | None) -> dict[str, Any]:
    field = ids.REFLECT_MET_ON
    return {field.block_id: {field.action_id: {"type": "datepicker", "selected_date": value}}}


def share() -> dict[str, Any]:
    return multi(ids.REFLECT_SHARE, [ids.REFLECT_SHARE_VALUE])


def parse(*parts: dict[str, Any], context: ReflectionContext = ONE) -> Any:
    return parse_reflection(state(*parts), context)


def test_the_meeting_day_may_be_today_or_the_intro_day_but_not_tomorrow_or_before() -> None:
    words = text(ids.REFLECT_LEARNED, "Reels")
    assert parse(words, day("2025-06-11")).met_on == TODAY
    assert parse(words, day("2025-06-02")).met_on == INTRO
    assert parse(words).met_on == TODAY  # no pick: the picker's default, today
    tomorrow = parse(words, day("2025-06-12"))
    assert tomorrow == {ids.REFLECT_MET_ON.block_id: "That's still to come — pick the day you met."}
    before = parse(words, day("2025-06-01"))
    assert before == {
        ids.REFLECT_MET_ON.block_id: "You were introduced on Mon 2 Jun 2025 — "
        "pick that day or later."
    }
    for bad in ("2025-02-30", "11/06/2025", "2025-6-1"):
        assert parse(words, day(bad)) == {ids.REFLECT_MET_ON.block_id: "Pick the day you met."}
    # A pair with no introduction date has no lower bound.
    far = parse(select(ids.REFLECT_PARTNER, "8"), words, day("2020-01-01"), context=TWO)
    assert far.met_on == date(2020, 1, 1) and far.pair_id == 8


def test_an_empty_reflection_is_refused_and_a_rating_alone_is_enough() -> None:
    empty = {
        ids.REFLECT_LEARNED.block_id: "Jot down something you learned, shared or will try — "
        "or just rate it."
    }
    assert parse() == empty
    assert parse(text(ids.REFLECT_LEARNED, "  "), select(ids.REFLECT_RATING, "9")) == empty
    rated = parse(select(ids.REFLECT_RATING, "5"))
    assert isinstance(rated, ReflectionForm) and rated.rating == 5 and rated.learned == ""
    assert parse(text(ids.REFLECT_TRY_NEXT, "Loom")).try_next == "Loom"


def test_each_text_has_a_length_limit() -> None:
    long = "x" * (REFLECTION_TEXT_MAX + 1)
    for field in (ids.REFLECT_LEARNED, ids.REFLECT_TAUGHT, ids.REFLECT_TRY_NEXT):
        assert parse(text(field, long)) == {
            field.block_id: f"Keep it under {REFLECTION_TEXT_MAX} characters."
        }
    assert parse(text(ids.REFLECT_TRY_NEXT, "x" * REFLECTION_TEXT_MAX)).try_next


def test_several_partners_need_a_choice_among_them() -> None:
    words = text(ids.REFLECT_LEARNED, "Reels")
    assert parse(words, select(ids.REFLECT_PARTNER, "8"), context=TWO).pair_id == 8
    for forged in (None, "9", "x"):
        assert parse(words, select(ids.REFLECT_PARTNER, forged), context=TWO) == {
            ids.REFLECT_PARTNER.block_id: "Choose who you met."
        }
    # Built with one partner, submitted with two: asked to reopen, nothing guessed.
    assert list(parse(words, context=TWO)) == [ids.REFLECT_MET_ON.block_id]
    # One partner, or a fixed pair: no choice needed, a forged pick is ignored.
    assert parse(words, select(ids.REFLECT_PARTNER, "8")).pair_id == 7
    fixed = ReflectionContext(program_id=2, today=TODAY, pairs=(SAM,), fixed=True)
    assert parse(words, context=fixed).pair_id == 8


def test_topics_keep_only_the_pairs_program_skills_and_share_needs_a_pair() -> None:
    words = text(ids.REFLECT_LEARNED, "Reels")
    form = parse(words, multi(ids.REFLECT_TOPICS, ["10", "20", "99"]), share())
    assert form.topics == {10} and form.program_id == 1 and form.share is True
    assert parse(words, multi(ids.REFLECT_TOPICS, ["10", "x"])) == {
        ids.REFLECT_TOPICS.block_id: "Some of these topics have changed. Pick again."
    }
    too_many = [str(n) for n in range(101)]
    assert list(parse(words, multi(ids.REFLECT_TOPICS, too_many))) == [ids.REFLECT_TOPICS.block_id]
    alone = ReflectionContext(program_id=3, today=TODAY)
    unpaired = parse(words, share(), context=alone)
    assert unpaired.share is False and unpaired.pair_id is None and unpaired.program_id == 3


def test_the_modal_metadata_reads_back_and_forgeries_are_dropped() -> None:
    metadata = reflection_metadata(pair_id=7, reflection_id=3)
    assert parse_reflection_metadata(metadata) == ReflectionMetadata(pair_id=7, reflection_id=3)
    for forged in ("", "[]", "{", '{"pair_id": true}', '{"reflection_id": -1}', None, "x" * 4000):
        assert parse_reflection_metadata(forged) == ReflectionMetadata()


def test_boundaries_metadata_length_id_one_a_hundred_topics_and_the_stale_modal_message() -> None:
    # Slack's private_metadata limit is accepted exactly; the smallest id is 1.
    padded = '{"pair_id": 1, "reflection_id": 1}'
    padded = padded[:-1] + " " * (METADATA_MAX - len(padded)) + "}"
    assert len(padded) == METADATA_MAX
    assert parse_reflection_metadata(padded) == ReflectionMetadata(pair_id=1, reflection_id=1)
    assert parse_reflection_metadata('{"pair_id": 0}') == ReflectionMetadata()
    words = text(ids.REFLECT_LEARNED, "Reels")
    many = tuple(TopicChoice(n, f"Skill {n}", 1) for n in range(1, 101))
    wide = ReflectionContext(program_id=1, today=TODAY, pairs=(DANA,), topics=many)
    hundred = parse(words, multi(ids.REFLECT_TOPICS, [str(n) for n in range(1, 101)]), context=wide)
    assert len(hundred.topics) == 100
    assert parse(words, context=TWO) == {
        ids.REFLECT_MET_ON.block_id: "You have a new partner since this opened. "
        "Close it and open it again to choose who."
    }
    # No pair at all (or a fixed one that is gone): nothing to choose, no pair, no error.
    for alone in (
        ReflectionContext(program_id=3, today=TODAY),
        ReflectionContext(program_id=3, today=TODAY, fixed=True),
    ):
        assert parse(words, context=alone).pair_id is None


def test_the_topics_and_program_are_the_chosen_pairs_not_the_modals_first() -> None:
    words = text(ids.REFLECT_LEARNED, "Reels")
    form = parse(select(ids.REFLECT_PARTNER, "8"), words, multi(ids.REFLECT_TOPICS, ["10", "20"]),
                 context=TWO)  # fmt: skip
    assert (form.pair_id, form.program_id, form.topics) == (8, 2, {20})


def test_what_i_will_try_is_multiline_and_named_in_its_error() -> None:
    assert parse(text(ids.REFLECT_TRY_NEXT, "Loom\nand Miro")).try_next == "Loom\nand Miro"
    hidden = parse(text(ids.REFLECT_TRY_NEXT, "bell\x07"))
    assert list(hidden) == [ids.REFLECT_TRY_NEXT.block_id]
    assert hidden[ids.REFLECT_TRY_NEXT.block_id].startswith("What you'll try")
