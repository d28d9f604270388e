"""Channel shout-outs for milestones and completed rounds, and the monthly digest.

Pure builders. What they say is public: names (as mentions the bot builds from the
pair's Slack ids), counts, the pair's matched skills and posted stories' titles —
never reflections, ratings, check-in answers or notes. Every string a person typed
(program name, skill names, story titles) is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.slack.text import escape, escape_within, mention, plural, truncate_mrkdwn

TOP_SKILLS = 5
DIGEST_STORIES_MAX = 10  # listed by title; the rest are counted
STORY_TITLE_SHOWN = 150  # stories.title is String(150)
SECTION_MAX = 3000  # a section's text


def _pair_credit(user_ids: Sequence[str]) -> str:
    return " and ".join(mention(user_id) for user_id in user_ids)


def _message(text: str, blocks: list[Block]) -> dict[str, Any]:
    return {"text": text, "blocks": [block.to_dict() for block in blocks]}


def milestone_message(
    *, mentor_user_id: str, leader_user_id: str, program_name: str, meetings: int
) -> dict[str, Any]:
    """🎉 <@A> and <@B> have met 5 times in Pilot — keep it going!"""
    pair = _pair_credit((mentor_user_id, leader_user_id))
    text = (
        f"🎉 {pair} have met {plural(meetings, 'time')} in {escape(program_name)} — keep it going!"
    )
    return _message(text, [SectionBlock(text=MarkdownTextObject(text=text))])


def completion_message(
    *,
    mentor_user_id: str,
    leader_user_id: str,
    program_name: str,
    round_number: int,
    meetings: int,
) -> dict[str, Any]:
    """🏁 <@A> and <@B> completed round 2 of Pilot together (4 meetings)."""
    pair = _pair_credit((mentor_user_id, leader_user_id))
    text = (
        f"🏁 {pair} completed round {round_number} of {escape(program_name)} together"
        f" ({plural(meetings, 'meeting')})."
    )
    return _message(text, [SectionBlock(text=MarkdownTextObject(text=text))])


@dataclass(frozen=True)
class DigestStory:
    """A story posted in the digest's month. `credited`: the pair's Slack ids, empty
    when the story is anonymous (or nobody of the pair is left to credit)."""

    title: str
    credited: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonthDigest:
    program_name: str
    month: date  # its first day
    meetings: int
    pairs_met: int
    top_skills: tuple[tuple[str, int], ...] = ()  # (skill name, meetings), most first
    stories: tuple[DigestStory, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.meetings and not self.stories


def _story_line(story: DigestStory) -> str:
    title = escape_within(story.title, STORY_TITLE_SHOWN) or "A story"
    credit = f"by {_pair_credit(story.credited)}" if story.credited else "anonymous"
    return f"• *{title}* — {credit}"


def digest_message(digest: MonthDigest) -> dict[str, Any]:
    """The month in the program channel: at most four short blocks."""
    month = f"{digest.month:%B %Y}"
    program = escape(digest.program_name)
    headline = f"📅 *{month} in {program}*"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=headline))]
    fallback = f"{month} in {program}: {plural(digest.meetings, 'meeting')}"
    if digest.meetings:
        met = f"*{plural(digest.meetings, 'meeting')}* held by {plural(digest.pairs_met, 'pair')}."
        blocks.append(SectionBlock(text=MarkdownTextObject(text=met)))
    if digest.top_skills:
        skills = ", ".join(f"{escape(name)} ({count})" for name, count in digest.top_skills)
        line = truncate_mrkdwn(f"Top skills exchanged: {skills}", SECTION_MAX)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=line)]))
    if digest.stories:
        lines = [_story_line(story) for story in digest.stories[:DIGEST_STORIES_MAX]]
        more = len(digest.stories) - DIGEST_STORIES_MAX
        if more > 0:
            lines.append(f"…and {more} more.")
        heading = "Story of the month" if len(digest.stories) == 1 else "Stories of the month"
        body = truncate_mrkdwn(f"*{heading}*\n" + "\n".join(lines), SECTION_MAX)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=body)))
        fallback += f", {plural(len(digest.stories), 'story', 'stories')}"
    return _message(fallback + ".", blocks)
