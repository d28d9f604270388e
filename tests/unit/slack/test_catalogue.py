from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import (
    DEFAULT_CATALOGUE,
    SKILL_NAME_MAX,
    clean_category,
    clean_skill_name,
    normalise_skill,
    skill_name_error,
)


def test_default_catalogue_is_a_realistic_size() -> None:
    names = [name for _, names in DEFAULT_CATALOGUE for name in names]
    assert 8 <= len(DEFAULT_CATALOGUE) <= 10
    assert 40 <= len(names) <= 60
    assert all(len(names) >= 3 for _, names in DEFAULT_CATALOGUE)


def test_default_catalogue_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    for category, names in DEFAULT_CATALOGUE:
        assert clean_skill_name(category) == category
        assert len(category) <= 60
        for name in names:
            assert skill_name_error(name, taken_keys=taken) is None, name
            assert clean_skill_name(name) == name
            taken.add(normalise_skill(name))


def test_default_catalogue_covers_reverse_mentoring_themes() -> None:
    keys = " | ".join(normalise_skill(n) for _, names in DEFAULT_CATALOGUE for n in names)
    for theme in (
        "tiktok",
        "short-form video",
        "data",
        "ai tools",
        "prompt",
        "augmented reality",
        "gen z",
        "flexible",
        "mental-health",
        "purpose",
        "inclusion",
        "sustainability",
    ):
        assert theme in keys, theme


def test_normalise_trims_collapses_and_casefolds() -> None:
    assert normalise_skill("  AI \t  Tools\n") == "ai tools"
    assert normalise_skill("STRASSE") == normalise_skill("Straße")
    assert clean_skill_name("  AI \t  Tools ") == "AI Tools"


def test_skill_name_errors() -> None:
    taken = {normalise_skill("Prompt writing")}
    assert skill_name_error("   ", taken_keys=taken) == "Give the skill a name."
    assert "already" in (skill_name_error(" PROMPT  writing ", taken_keys=taken) or "")
    assert "60" in (skill_name_error("x" * 61, taken_keys=taken) or "")
    assert skill_name_error("x" * 60, taken_keys=taken) is None
    assert "control" in (skill_name_error("a\x00b", taken_keys=taken) or "")
    # "ß" folds to "ss": the key must fit the column too.
    assert skill_name_error("ß" * 31, taken_keys=set()) is not None
    assert skill_name_error("Prompt libraries", taken_keys=taken) is None


def test_rename_to_a_new_case_is_allowed_when_own_key_is_left_out() -> None:
    assert skill_name_error("prompt WRITING", taken_keys=set()) is None


def test_clean_category_reuses_existing_spelling() -> None:
    existing = {"AI tools", "Data & analytics"}
    assert clean_category("  ai   TOOLS ", existing=existing) == "AI tools"
    assert clean_category("Brand new", existing=existing) == "Brand new"


@given(st.text(max_size=80))
def test_normalise_is_idempotent_and_valid_names_fit(name: str) -> None:
    key = normalise_skill(name)
    assert normalise_skill(key) == key
    if skill_name_error(name, taken_keys=set()) is None:
        assert 1 <= len(clean_skill_name(name)) <= SKILL_NAME_MAX
        assert len(key) <= SKILL_NAME_MAX


def test_a_name_of_only_invisible_characters_is_refused() -> None:
    for name in ("\u200b", " \u200b\u2060\ufeff ", "\u200d", "\u3164", "\u2800\ufe0f"):
        assert skill_name_error(name, taken_keys=set()) == (
            "That name is only invisible characters. Give the skill a name."
        ), repr(name)
    assert skill_name_error(" \t\n ", taken_keys=set()) == "Give the skill a name."


def test_control_characters_in_a_name_are_refused_with_where_they_are() -> None:
    for char in ("\x00", "\x1b", "\x07", "\x7f", "\x9b", "\ud800"):
        problem = skill_name_error(f"AI{char} tools", taken_keys=set())
        assert problem is not None and f"U+{ord(char):04X}" in problem and "“AI”" in problem
    # Formerly collapsed into a space unseen: U+001F is a control, not whitespace.
    assert skill_name_error("AI\x1ftools", taken_keys=set()) is not None


def test_names_are_nfc_and_zero_width_free_so_look_alikes_are_one_skill() -> None:
    assert clean_skill_name("Cafe\u0301\u200b chats") == "Café chats"
    assert normalise_skill("CAFE\u0301 CHATS") == normalise_skill("café chats") == "café chats"
    # Case-folding can decompose; the key is recomposed so both spellings meet.
    assert normalise_skill("\u01f0") == normalise_skill("J\u030c") == "\u01f0"
    taken = {normalise_skill("Café chats")}
    assert "already" in (skill_name_error("Cafe\u0301\u2060 chats", taken_keys=taken) or "")


def test_clean_category_matches_existing_spelling_through_the_rule() -> None:
    existing = {"Café culture"}
    assert clean_category("CAFE\u0301\u200b  culture", existing=existing) == "Café culture"
    assert clean_category("\u200b") == ""
