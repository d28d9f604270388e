"""Safe text for Slack: escaping user input, mentions and dates built from ids."""

from __future__ import annotations

import re
from datetime import datetime

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: only &, < and > are special to Slack."""
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
    """At most `limit` characters, with an ellipsis when cut (Slack rejects longer fields)."""
    if limit < 1:
        raise ValueError("limit must be positive")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Count and noun: "1 meeting", "3 meetings"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
