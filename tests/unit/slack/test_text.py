"""The free-text rule (refuse controls, clean the invisible) and mrkdwn-safe truncation."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.text import (
    HiddenCharacter,
    clean_text,
    escape,
    escape_within,
    find_hidden,
    has_visible,
    is_invisible,
    mention,
    plural,
    read_text,
    slack_date,
    truncate,
    truncate_mrkdwn,
)

C0_REFUSED = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
REFUSED = [*C0_REFUSED, "\x7f", *C1, "\ud800", "\udfff"]
# Zero-width characters the rule drops wherever they are.
DROPPED = ["\u200b", "\u2060", "\ufeff", "\u180e"]
# Characters that draw nothing but are kept inside text (emoji and scripts need some).
INVISIBLE_KEPT = [
    "\u200c",  # ZWNJ
    "\u200d",  # ZWJ
    "\u00ad",  # soft hyphen
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufe0f",  # variation selector 16
    "\U000e0100",  # variation selector 17
    "\u034f",  # combining grapheme joiner
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u3164",  # Hangul filler
    "\uffa0",  # halfwidth Hangul filler
    "\u17b4",  # Khmer inherent vowel
    "\u2800",  # braille blank
    "\u180b",  # Mongolian variation selector
    "\U000e0041",  # tag latin capital A
]
SPACES = [" ", "\u00a0", "\u2002", "\u3000", "\u2028", "\u2029", "\t"]
ENTITY_OR_BROKEN = re.compile(r"&(?!amp;|lt;|gt;)")


# --- refused: controls and lone surrogates ----------------------------------------


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("multiline", [False, True])
def test_every_c0_c1_control_and_lone_surrogate_is_refused(char: str, multiline: bool) -> None:
    found = read_text(f"Mark{char}eting", multiline=multiline)
    assert found == HiddenCharacter(ord(char), line=1, before="Mark")


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_tab_and_line_breaks_are_not_refused(char: str) -> None:
    assert find_hidden(f"a{char}b") is None


def test_the_first_refused_character_is_the_one_reported() -> None:
    assert find_hidden("ok\x07 then \x00") == HiddenCharacter(7, line=1, before="ok")


def test_a_refused_character_is_located_by_line_and_what_precedes_it() -> None:
    text = "First line\r\nsecond\r third\u2028a very long fourth line\x1b[0m"
    assert find_hidden(text) == HiddenCharacter(0x1B, line=4, before="long fourth line")
    assert find_hidden("\x00x") == HiddenCharacter(0, line=1, before="")
    assert find_hidden("a\n\n\x00") == HiddenCharacter(0, line=3, before="")
    assert find_hidden("one\ntwo\nthree\x00") == HiddenCharacter(0, line=3, before="three")
    # Zero-width characters are not shown as context (they would look like nothing).
    assert find_hidden("ab\u200b\x00") == HiddenCharacter(0, line=1, before="ab")
    # Only the _CONTEXT (16) characters just before it, trimmed.
    assert find_hidden("x" * 20 + "\x00") == HiddenCharacter(0, line=1, before="x" * 16)
    assert find_hidden(" " * 3 + "y" * 14 + "\x00").before == "y" * 14  # type: ignore[union-attr]


def test_describe_names_the_character_and_where_it_is() -> None:
    assert HiddenCharacter(0, line=1, before="Mark").describe() == (
        "a hidden control character (U+0000) after “Mark”"
    )
    assert HiddenCharacter(0x1B, line=1, before="").describe() == (
        "a hidden control character (U+001B) at the start"
    )
    assert HiddenCharacter(0x07, line=3, before="").describe() == (
        "a hidden control character (U+0007) at the start of line 3"
    )
    assert HiddenCharacter(0x07, line=3, before="").describe(line_named=True) == (
        "a hidden control character (U+0007) at the start"
    )
    assert HiddenCharacter(0x85, line=2, before="x").describe() == (
        "a hidden control character (U+0085) after “x”"
    )
    for surrogate in (0xD800, 0xDFFF):
        assert (
            HiddenCharacter(surrogate, line=1, before="")
            .describe()
            .startswith("a broken character")
        )
    for near in (0xD7FF, 0xE000):
        assert HiddenCharacter(near, line=1, before="").describe().startswith("a hidden")
    assert "(U+E0100)" in HiddenCharacter(0xE0100, line=1, before="").describe()


# --- cleaned: NFC, line breaks, zero-width, whitespace, invisible-only -------------


def test_nfc_makes_one_spelling_of_an_accent() -> None:
    assert read_text("Caf\u0065\u0301", multiline=False) == "Caf\u00e9"
    assert read_text("e\u0301\nx", multiline=True) == "\u00e9\nx"


def test_line_breaks_become_lf_in_multiline_text_and_tabs_stay() -> None:
    assert read_text(" a\r\nb\rc\u2028d\u2029e\n\tf \n", multiline=True) == "a\nb\nc\nd\ne\n\tf"


def test_single_line_text_collapses_every_whitespace_run() -> None:
    assert read_text("  Growth \t\n  marketing\u00a0\u3000team  ", multiline=False) == (
        "Growth marketing team"
    )


@pytest.mark.parametrize("char", DROPPED, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("multiline", [False, True])
def test_zero_width_characters_are_dropped_anywhere(char: str, multiline: bool) -> None:
    assert read_text(f"{char}AI{char} tools{char}", multiline=multiline) == "AI tools"
    assert read_text(char * 3, multiline=multiline) == ""


@pytest.mark.parametrize("char", INVISIBLE_KEPT, ids=lambda c: f"U+{ord(c):04X}")
def test_text_of_only_invisible_characters_is_empty(char: str) -> None:
    assert is_invisible(char)
    assert read_text(char, multiline=False) == ""
    assert read_text(f" {char}\u200b{char} ", multiline=True) == ""


@pytest.mark.parametrize("char", [*SPACES, *DROPPED, "\x00", "\x1b", "\ud800"])
def test_spaces_and_controls_are_invisible(char: str) -> None:
    assert is_invisible(char) and not has_visible(char * 2)


@pytest.mark.parametrize("char", ["a", "é", "\u0301", "😀", "\ue000", "-", "·", "ß"])
def test_letters_marks_symbols_and_private_use_are_visible(char: str) -> None:
    assert not is_invisible(char) and has_visible(f"\u200d{char}\u200d")


def test_emoji_sequences_keep_their_joiners_and_selectors() -> None:
    technologist = "\U0001f469\u200d\U0001f4bb"
    heart = "\u2764\ufe0f"
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    for emoji in (technologist, heart, scotland):
        assert read_text(f" {emoji} ", multiline=False) == emoji
    assert has_visible("\u200dx") and not has_visible("")


def test_clean_text_drops_what_read_text_refuses() -> None:
    assert clean_text("Mark\x00et\x1bing\ud800", multiline=False) == "Marketing"
    assert clean_text("\x00\x07", multiline=True) == ""


_typed = st.lists(
    st.one_of(
        st.characters(codec=None),
        st.sampled_from([*REFUSED, *DROPPED, *INVISIBLE_KEPT, *SPACES, "\r", "\n", "e\u0301"]),
    ),
    max_size=40,
).map("".join)


@given(_typed, st.booleans())
def test_read_text_refuses_or_returns_clean_visible_text(text: str, multiline: bool) -> None:
    result = read_text(text, multiline=multiline)
    if any(
        unicodedata.category(c) == "Cs" or (unicodedata.category(c) == "Cc" and c not in "\t\n\r")
        for c in text
    ):
        assert isinstance(result, HiddenCharacter)
        assert chr(result.code_point) in text
        return
    assert isinstance(result, str)
    assert result == clean_text(result, multiline=multiline), "cleaning is idempotent"
    assert result == unicodedata.normalize("NFC", result)
    assert not any(c in result for c in [*DROPPED, "\r", "\u2028", "\u2029"])
    assert result == result.strip()
    assert result == "" or has_visible(result)
    if not multiline:
        assert "\n" not in result and "\t" not in result and "  " not in result


# --- escaping ------------------------------------------------------------------------


def test_escape_makes_markup_inert_and_drops_stored_controls() -> None:
    assert escape("a & <b> > c") == "a &amp; &lt;b&gt; &gt; c"
    assert escape("&amp;") == "&amp;amp;"
    assert escape("Mark\x1beting\x07\n\tok") == "Marketing\n\tok"


def test_mention_and_date_are_built_from_validated_parts() -> None:
    assert mention("U0DANA") == "<@U0DANA>"
    assert mention("W12") == "<@W12>"
    for bad in ("<!channel>", "u0dana", "U1", "U0DANA>", "C0GENERAL", ""):
        with pytest.raises(ValueError, match=r"^not a Slack user id: "):
            mention(bad)
    when = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    assert slack_date(when) == (
        f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|2025-03-04 09:30 UTC>"
    )
    with pytest.raises(ValueError, match=r"^naive datetime$"):
        slack_date(datetime(2025, 3, 4))  # noqa: DTZ001 - the naive datetime is the point


# --- truncation ----------------------------------------------------------------------


def test_truncate_keeps_short_text_and_marks_a_cut() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcd", 3) == "ab…"
    assert truncate("ab  cd", 4) == "ab…"  # no space before the ellipsis
    assert truncate("abcd", 1) == "…"
    with pytest.raises(ValueError, match=r"^limit must be positive$"):
        truncate("abc", 0)


def test_escape_within_fits_the_limit_after_escaping() -> None:
    assert escape_within("a&b", 7) == "a&amp;b"  # exactly fits: no cut
    assert escape_within("a&b", 6) == "a…"  # never "a&amp…" or "a&am…"
    assert escape_within("a&b", 2) == "a…"
    assert escape_within("&&&", 11) == "&amp;&amp;…"
    assert escape_within("&&&", 10) == "&amp;…"
    assert escape_within("<@U1> hi", 8) == "&lt;@U1…"
    assert escape_within("ab cd", 4) == "ab…"
    assert escape_within("abc", 1) == "…"
    assert escape_within("a\x00b", 2) == "ab", "dropped characters take no room"
    with pytest.raises(ValueError, match=r"^limit must be positive$"):
        escape_within("abc", 0)


@given(st.text(st.sampled_from("a &<>\x00é"), max_size=60), st.integers(1, 80))
def test_escape_within_never_breaks_an_entity_nor_passes_the_limit(text: str, limit: int) -> None:
    result = escape_within(text, limit)
    assert len(result) <= limit
    assert not ENTITY_OR_BROKEN.search(result), result
    assert "<" not in result and ">" not in result
    if len(escape(text)) <= limit:
        assert result == escape(text)
    else:
        assert result.endswith("…")
        kept = result[:-1].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert escape(text).startswith(escape(kept))


def test_truncate_mrkdwn_never_ends_inside_an_entity_or_a_token() -> None:
    assert truncate_mrkdwn("short", 5) == "short"
    assert truncate_mrkdwn("x &amp; y", 6) == "x…"
    assert truncate_mrkdwn("x &amp; y", 8) == "x &amp;…"
    assert truncate_mrkdwn("hi <@U0DANA> there", 10) == "hi…"
    assert truncate_mrkdwn("hi <@U0DANA> there", 14) == "hi <@U0DANA>…"
    date = "<!date^1^{time}|a &amp; b>"
    assert truncate_mrkdwn(f"at {date}!", 20) == "at…"  # an entity inside a token
    assert truncate_mrkdwn("abcdef", 1) == "…"
    with pytest.raises(ValueError, match=r"^limit must be positive$"):
        truncate_mrkdwn("abc", 0)


_pieces = st.lists(
    st.one_of(
        st.text(st.sampled_from("ab &<>"), max_size=12).map(escape),
        st.sampled_from(["<@U0DANA>", "<!date^1700000000^{time}|9:00 UTC>", "*bold*", "\n"]),
    ),
    max_size=12,
)


@given(_pieces, st.integers(1, 120))
def test_truncated_mrkdwn_is_a_whole_prefix_within_the_limit(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    result = truncate_mrkdwn(text, limit)
    assert len(result) <= limit
    if result == text:
        return
    head = result.removesuffix("…")
    assert result.endswith("…") and text.startswith(head)
    assert not ENTITY_OR_BROKEN.search(head)
    assert head.count("<") == head.count(">"), "no token cut open"


def test_plural_counts_one_as_singular_only() -> None:
    assert [plural(n, "meeting") for n in (0, 1, 2)] == ["0 meetings", "1 meeting", "2 meetings"]
    assert (
        plural(2, "person", "people") == "2 people" and plural(1, "person", "people") == "1 person"
    )
