"""Safe text for Slack: reading what people type, escaping it, mentions and dates from ids."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

# --- free text people type --------------------------------------------------------
#
# One rule for every free-text field (department, goals, reflections, skill names and
# categories). It refuses what no one means to type and no database should hold, and
# cleans what is merely invisible:
# - Refused, with an error that says where: C0/C1 control characters (U+0000 makes
#   PostgreSQL fail and SQLite store it; ESC and BEL would be stored and echoed) other
#   than tab and line breaks, and lone surrogates ("\ud800" in JSON; not UTF-8, so no
#   database can store them). Refusing, not stripping, so nothing is changed unseen.
# - Cleaned: NFC, so a name typed with a combining accent is the same name; CR LF, CR
#   and U+2028/9 become LF; zero-width spaces, word joiners and byte-order marks are
#   dropped (they show nothing and only make look-alike strings differ); single-line
#   fields collapse every run of whitespace (tabs, line breaks) to one space; both ends
#   are trimmed. Text with nothing visible left (only invisible characters) is empty.
# ZWJ/ZWNJ, variation selectors and tag characters are kept inside text: emoji
# sequences and several scripts need them; they only don't count as visible.

_ALLOWED_CONTROLS = frozenset("\t\n\r")
_DROPPED = re.compile("[\u200b\u2060\ufeff\u180e]")
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029]")
_WHITESPACE = re.compile(r"\s+")
_CONTEXT = 16  # characters shown before a refused one, to find it by
# Characters that draw nothing though Unicode gives them a visible category: Hangul
# fillers, Khmer inherent vowels, the braille blank, CGJ, variation selectors.
_BLANK = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0}
    | {*range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})


@dataclass(frozen=True)
class HiddenCharacter:
    """A refused character in typed text: which one, and what comes before it."""

    code_point: int
    line: int  # 1-based, counting the text's own line breaks
    before: str  # up to _CONTEXT characters before it on its line, trimmed

    def describe(self, *, line_named: bool = False) -> str:
        """E.g. 'a hidden control character (U+0000) after “Mark”'.

        `line_named`: the caller's message already says which line.
        """
        surrogate = 0xD800 <= self.code_point <= 0xDFFF
        kind = "a broken character" if surrogate else "a hidden control character"
        if self.before:
            where = f"after “{self.before}”"
        elif self.line == 1 or line_named:
            where = "at the start"
        else:
            where = f"at the start of line {self.line}"
        return f"{kind} (U+{self.code_point:04X}) {where}"


def _refused(char: str) -> bool:
    category = unicodedata.category(char)
    return (category == "Cc" and char not in _ALLOWED_CONTROLS) or category == "Cs"


def find_hidden(text: str) -> HiddenCharacter | None:
    """The first refused character in `text`, or None when there is none."""
    for index, char in enumerate(text):
        if _refused(char):
            head = _LINE_BREAK.sub("\n", text[:index])
            line_start = head.rfind("\n") + 1
            before = _DROPPED.sub("", head[line_start:])[-_CONTEXT:].strip()
            return HiddenCharacter(ord(char), line=head.count("\n") + 1, before=before)
    return None


def is_invisible(char: str) -> bool:
    """True for a character that draws nothing: spaces, controls, format characters."""
    return (
        char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES or ord(char) in _BLANK
    )


def has_visible(text: str) -> bool:
    return not all(is_invisible(char) for char in text)


def clean_text(text: str, *, multiline: bool) -> str:
    """`text` cleaned by the rule above; refused characters are dropped, not reported.

    For text already checked with `find_hidden`, or shown back leniently (a draft).
    """
    text = "".join(char for char in text if not _refused(char))
    text = _DROPPED.sub("", unicodedata.normalize("NFC", text))
    text = _LINE_BREAK.sub("\n", text) if multiline else _WHITESPACE.sub(" ", text)
    text = text.strip()
    return text if has_visible(text) else ""


def read_text(text: str, *, multiline: bool) -> str | HiddenCharacter:
    """What someone typed, cleaned; or the first character to refuse."""
    return find_hidden(text) or clean_text(text, multiline=multiline)


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: only &, < and > are special to Slack.

    Refused characters are dropped too: text stored before the rule (SQLite kept ESC
    and BEL) is never echoed with them.
    """
    text = "".join(char for char in text if not _refused(char))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A user mention, built from a validated id only."""
    if not _USER_ID.match(user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"


def slack_date(when: datetime, *, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A time every reader sees in their own timezone (Slack's date formatting)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (Slack rejects longer fields).

    For plain text and raw user text only: cutting mrkdwn could split an entity or a
    mention; use `escape_within` or `truncate_mrkdwn` for that.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape_within(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn in at most `limit` characters, cut before escaping.

    The raw text is shortened so that its escaped form plus the ellipsis fits, so an
    entity (`&amp;`) is never cut in half and the limit holds after escaping.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    used = 0
    kept = 0
    for char in text:
        used += len(escape(char))
        if used > limit - 1:  # room for the ellipsis
            break
        kept += 1
    return escape(text[:kept].rstrip()) + "…"


def truncate_mrkdwn(text: str, limit: int) -> str:
    """At most `limit` characters of mrkdwn, never ending inside `&…;` or `<…>`.

    For composed text (escaped user text, mentions, dates): in it every `&` starts an
    entity and every `<` a token, so a cut inside one moves back to before it.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    for opener, closer in (("&", ";"), ("<", ">")):
        start = head.rfind(opener)
        if start != -1 and closer not in head[start:]:
            head = head[:start]
    return head.rstrip() + "…"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Count and noun: "1 meeting", "3 meetings"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
