"""The `/mentor help` reply: the subcommands the caller may use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.slack.text import clean_text, escape


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # what follows `/mentor`, e.g. "pause [weeks]"
    summary: str
    admin_only: bool = False


def help_message(
    subcommands: Sequence[Subcommand], *, is_admin: bool, unknown: str | None = None
) -> dict[str, Any]:
    """An ephemeral reply listing what the caller can do."""
    visible = [s for s in subcommands if is_admin or not s.admin_only]
    lines = [f"`/mentor {s.usage}` — {s.summary}" for s in visible if not s.admin_only]
    admin_lines = [f"`/mentor {s.usage}` — {s.summary}" for s in visible if s.admin_only]
    intro = "*Reverse mentoring, made easy.* Here's what you can do:"
    if unknown:
        # Echoed back, so cleaned like typed text: no control characters shown.
        shown = clean_text(unknown, multiline=False)[:40]
        intro = f"I don't know `{escape(shown)}` yet. Here's what I can do:"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=intro))]
    blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
    if admin_lines:
        admin_text = "*For program admins*\n" + "\n".join(admin_lines)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=admin_text)))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Early-career colleagues share what they know with leaders who want "
                    "to learn it — and learn from them in return."
                )
            ]
        )
    )
    fallback = "mentorbot help: " + ", ".join(f"/mentor {s.name}" for s in visible)
    return {
        "response_type": "ephemeral",
        "text": fallback,
        "blocks": [block.to_dict() for block in blocks],
    }
