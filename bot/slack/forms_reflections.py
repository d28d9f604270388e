"""The reflection modal's submission, read purely: typed values or inline errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.learning_log import PairChoice, ReflectionContext
from bot.slack import ids
from bot.slack.forms import (
    FormErrors,
    _element,
    _free_text,
    _has_block,
    _parse_choice,
    _parse_id,
    _parse_ids,
    _selected,
    _selected_many,
    metadata_object,
)
from bot.slack.views.reflection import RATINGS, REFLECTION_TEXT_MAX

TOPICS_MAX = 100  # a multi static select's options, and so its picks
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ReflectionForm:
    learned: str
    taught: str
    rating: int | None
    try_next: str = ""
    met_on: date | None = None
    pair_id: int | None = None
    program_id: int | None = None
    topics: frozenset[int] = frozenset()
    share: bool = False


@dataclass(frozen=True)
class ReflectionMetadata:
    """What the reflection modal carries: a fixed pair, or the reflection being edited."""

    pair_id: int | None = None
    reflection_id: int | None = None


def parse_reflection_metadata(private_metadata: object) -> ReflectionMetadata:
    """The modal's pair and reflection ids; unreadable ones are left out (untrusted)."""
    data = metadata_object(private_metadata)
    if data is None:
        return ReflectionMetadata()

    def positive(key: str) -> int | None:
        value = data.get(key)
        return value if type(value) is int and value >= 1 else None

    return ReflectionMetadata(pair_id=positive("pair_id"), reflection_id=positive("reflection_id"))


def _calendar_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _parse_date(value: object) -> date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _chosen_pair(
    values: object, context: ReflectionContext, errors: FormErrors
) -> PairChoice | None:
    """The pair the reflection is about: fixed, chosen, the only one, or none."""
    if context.fixed or len(context.pairs) == 1:
        return context.pairs[0] if context.pairs else None
    if not context.pairs:
        return None
    if _has_block(values, ids.REFLECT_PARTNER):
        chosen = context.pair(_parse_id(_selected(values, ids.REFLECT_PARTNER)))
        if chosen is None:
            errors[ids.REFLECT_PARTNER.block_id] = "Choose who you met."
        return chosen
    # The modal was built when there was one partner; now there are several.
    errors[ids.REFLECT_MET_ON.block_id] = (
        "You have a new partner since this opened. Close it and open it again to choose who."
    )
    return None


def parse_reflection(
    values: object, context: ReflectionContext | None = None
) -> ReflectionForm | FormErrors:
    """A reflection needs a few words (learned, shared or to try next) or a rating.

    With `context` (the author's pairs, topics and local today, from the database),
    the partner, the meeting date and the topics are checked too: no date in the
    future or before the pair was introduced; topics only from those offered.
    """
    errors: FormErrors = {}
    learned = _free_text(
        values, ids.REFLECT_LEARNED, multiline=True, what="What you learned", errors=errors
    )
    taught = _free_text(
        values, ids.REFLECT_TAUGHT, multiline=True, what="What you shared", errors=errors
    )
    try_next = _free_text(
        values, ids.REFLECT_TRY_NEXT, multiline=True, what="What you'll try", errors=errors
    )
    for field, text in (
        (ids.REFLECT_LEARNED, learned),
        (ids.REFLECT_TAUGHT, taught),
        (ids.REFLECT_TRY_NEXT, try_next),
    ):
        if len(text) > REFLECTION_TEXT_MAX:
            errors[field.block_id] = f"Keep it under {REFLECTION_TEXT_MAX} characters."
    rating = _parse_choice(_selected(values, ids.REFLECT_RATING), [v for v, _ in RATINGS])
    if not (learned or taught or try_next) and rating is None and not errors:
        errors[ids.REFLECT_LEARNED.block_id] = (
            "Jot down something you learned, shared or will try — or just rate it."
        )

    pair = _chosen_pair(values, context, errors) if context is not None else None
    raw_day = _element(values, ids.REFLECT_MET_ON).get("selected_date")
    met_on = _parse_date(raw_day)
    if raw_day is not None and met_on is None:
        errors[ids.REFLECT_MET_ON.block_id] = "Pick the day you met."
    elif context is not None:
        met_on = met_on or context.today  # the picker's default
        if met_on > context.today:
            errors[ids.REFLECT_MET_ON.block_id] = "That's still to come — pick the day you met."
        elif pair and pair.introduced_on and met_on < pair.introduced_on:
            errors[ids.REFLECT_MET_ON.block_id] = (
                f"You were introduced on {_calendar_day(pair.introduced_on)} — "
                "pick that day or later."
            )

    picked = _parse_ids(_selected_many(values, ids.REFLECT_TOPICS) or [])
    if picked is None or len(picked) > TOPICS_MAX:
        errors[ids.REFLECT_TOPICS.block_id] = "Some of these topics have changed. Pick again."
        picked = frozenset()
    program_id = pair.program_id if pair else (context.program_id if context else None)
    if context is not None:  # only the program's skills; a stale or forged pick is dropped
        offered = {t.id for t in context.topics if t.program_id == program_id}
        picked = picked & offered
    share = pair is not None and ids.REFLECT_SHARE_VALUE in (
        _selected_many(values, ids.REFLECT_SHARE) or []
    )
    if errors:
        return errors
    return ReflectionForm(
        learned=learned,
        taught=taught,
        rating=rating,
        try_next=try_next,
        met_on=met_on,
        pair_id=pair.pair_id if pair else None,
        program_id=program_id,
        topics=picked,
        share=share,
    )
