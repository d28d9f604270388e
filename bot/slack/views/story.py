"""Success stories: the modal, the channel shout-out, and the DMs around its approval.

Pure builders. The shout-out is rendered once, by `story_post`; the approval DMs show
those very blocks, so what a partner or an admin approves is exactly what is posted.
Every user-typed word (title, what changed, skill and program names) is escaped;
mentions are built from the pair's Slack ids, never taken from text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import ids
from bot.slack.forms_stories import (
    CREDIT_ANONYMOUS,
    CREDIT_NAMED,
    STORY_TEXT_MAX,
    STORY_TITLE_MAX,
    StoryMetadata,
)
from bot.slack.text import escape, escape_within, mention, truncate
from bot.slack.views.blocks import button, section

STORY_OPTIONS_MAX = 100  # Block Kit: options in a select
_OPTION_TEXT_MAX = 75  # Block Kit: an option's text


@dataclass(frozen=True)
class StoryPost:
    """Everything the channel shout-out shows."""

    program_name: str
    title: str
    text: str
    skills: Sequence[str]
    anonymous: bool
    mentor_user_id: str | None  # the reverse mentor's Slack id (None: erased)
    leader_user_id: str | None


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _credit(post: StoryPost) -> str:
    if post.anonymous or not (post.mentor_user_id and post.leader_user_id):
        return "Shared by a reverse mentor and a leader, who both agreed to post it."
    return (
        f"Shared by {mention(post.mentor_user_id)} (reverse mentor) and "
        f"{mention(post.leader_user_id)} (leader), who both agreed to post it."
    )


def story_post_blocks(post: StoryPost) -> list[dict[str, Any]]:
    head = f"🌟 *{escape_within(post.title, STORY_TITLE_MAX * 5)}*"
    lines = [head, escape(post.text)]
    details = []
    if post.skills:
        details.append("Skills: " + ", ".join(f"_{escape_within(s, 60)}_" for s in post.skills))
    details.append(_credit(post))
    return [section("\n".join(lines)), _context(" · ".join(details))]


def story_post(post: StoryPost) -> dict[str, Any]:
    """The shout-out as the program channel gets it."""
    program = escape(post.program_name)
    return {
        "text": f"A success story from {program}: {escape(post.title)}",
        "blocks": [_context(f"A success story from *{program}*"), *story_post_blocks(post)],
    }


def _quote(post: StoryPost) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = story_post(post)["blocks"]
    return blocks[1:]


def _where(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "the program channel"


def story_value(story_id: int, version: int) -> str:
    return f"{story_id}:{version}"


def approval_request_message(
    post: StoryPost,
    *,
    story_id: int,
    version: int,
    author_user_id: str,
    channel_id: str | None,
    admin_next: bool,
) -> dict[str, Any]:
    """The partner's DM: the exact post, Approve / Decline (easy to say no)."""
    then = ", then by a program admin" if admin_next else ""
    head = (
        f"*{mention(author_user_id)} would like to share a success story about you two.* "
        f"This is exactly what would be posted in {_where(channel_id)}:"
    )
    value = story_value(story_id, version)
    approve = button(ids.STORY_APPROVE, "Approve", value, "primary")
    approve["confirm"] = {
        "title": {"type": "plain_text", "text": "Approve this story?"},
        "text": {"type": "plain_text", "text": "It is posted once every approval is in."},
        "confirm": {"type": "plain_text", "text": "Approve"},
        "deny": {"type": "plain_text", "text": "Not yet"},
    }
    return {
        "text": "Your partner would like to share a success story — approve or decline.",
        "blocks": [
            section(head),
            *_quote(post),
            _context(
                f"Nothing is posted unless you approve{then}. Declining is fine — "
                "no reason needed, and your partner won't be asked why."
            ),
            {"type": "actions", "elements": [approve,
                                             button(ids.STORY_DECLINE, "Decline", value)]},
        ],
    }  # fmt: skip


def admin_approval_message(
    post: StoryPost, *, story_id: int, version: int, channel_id: str | None
) -> dict[str, Any]:
    value = story_value(story_id, version)
    head = (
        "*A success story is waiting for an admin's approval.* Both partners agreed; "
        f"this is exactly what would be posted in {_where(channel_id)}:"
    )
    return {
        "text": "A success story is waiting for an admin's approval.",
        "blocks": [
            section(head),
            *_quote(post),
            {"type": "actions", "elements": [
                button(ids.STORY_ADMIN_APPROVE, "Approve and post", value, "primary"),
                button(ids.STORY_ADMIN_DECLINE, "Decline", value),
            ]},
        ],
    }  # fmt: skip


def author_waiting_message(
    post: StoryPost, *, story_id: int, version: int, partner_user_id: str, admin_next: bool
) -> dict[str, Any]:
    then = ", then a program admin" if admin_next else ""
    head = (
        f"*Your story is waiting for {mention(partner_user_id)}'s approval{then}.* "
        "Nothing is posted until then. This is the exact text:"
    )
    value = story_value(story_id, version)
    return {
        "text": "Your success story is waiting for approval.",
        "blocks": [
            section(head),
            *_quote(post),
            {"type": "actions", "elements": [
                button(ids.STORY_EDIT, "Edit", value),
                button(ids.STORY_WITHDRAW, "Withdraw", value),
            ]},
        ],
    }  # fmt: skip


def _withdraw_actions(story_id: int, version: int) -> dict[str, Any]:
    withdraw = button(ids.STORY_WITHDRAW, "Withdraw", story_value(story_id, version))
    withdraw["confirm"] = {
        "title": {"type": "plain_text", "text": "Withdraw this story?"},
        "text": {"type": "plain_text", "text": "If it was posted, it is removed from the channel."},
        "confirm": {"type": "plain_text", "text": "Withdraw"},
        "deny": {"type": "plain_text", "text": "Keep it"},
    }
    return {"type": "actions", "elements": [withdraw]}


def answered_message(*, story_id: int, version: int, approved: bool) -> dict[str, Any]:
    """The partner's DM once they answered (their choice shown in place)."""
    if not approved:
        text = "You declined this story. Nothing will be posted — thank you for saying so."
        return {"text": text, "blocks": [section(text)]}
    text = "You approved this story. You can still withdraw it at any time."
    return {"text": text, "blocks": [section(text), _withdraw_actions(story_id, version)]}


def admin_answered_message(*, approved: bool, admin_user_id: str) -> dict[str, Any]:
    verb = "approved" if approved else "declined"
    text = f"This story was {verb} by {mention(admin_user_id)}."
    return {"text": text, "blocks": [section(text)]}


def story_posted_message(
    *, story_id: int, version: int, channel_id: str, title: str
) -> dict[str, Any]:
    text = (
        f"*Your story “{escape_within(title, STORY_TITLE_MAX * 5)}” is posted in "
        f"<#{channel_id}>* 🎉 Either of you can withdraw it at any time."
    )
    return {
        "text": "Your success story is posted.",
        "blocks": [section(text), _withdraw_actions(story_id, version)],
    }


def story_declined_message(*, title: str) -> dict[str, Any]:
    text = (
        f"*Your story “{escape_within(title, STORY_TITLE_MAX * 5)}” won't be posted.* "
        "Not every story is one to share, and that's fine — thank you for writing it."
    )
    return {"text": "Your success story won't be posted.", "blocks": [section(text)]}


def story_no_channel_message(*, title: str) -> dict[str, Any]:
    text = (
        f"*Your story “{escape_within(title, STORY_TITLE_MAX * 5)}” is approved,* but the "
        "program has no channel to post it in yet. Ask a program admin to set one."
    )
    return {"text": "Your approved story has no channel to go to yet.", "blocks": [section(text)]}


def story_withdrawn_message(*, by_user_id: str) -> dict[str, Any]:
    """What a request or notice about a withdrawn story becomes (chat.update)."""
    text = f"This story was withdrawn by {mention(by_user_id)}."
    return {"text": "This success story was withdrawn.", "blocks": [section(text)]}


def story_withdrawn_notice(
    *, by_user_id: str, title: str, channel_id: str | None
) -> dict[str, Any]:
    """Told to the partner who did not withdraw it."""
    where = f", and it is being taken down from <#{channel_id}>" if channel_id else ""
    text = (
        f"{mention(by_user_id)} withdrew your success story “{escape(title)}”{where}. "
        + ("" if channel_id else "Nothing will be posted.")
    ).strip()
    return {"text": "A success story was withdrawn.", "blocks": [section(text)]}


def story_all_approved_message() -> dict[str, Any]:
    """What the author's "waiting" DM becomes once the story is posted."""
    text = "Everyone approved this story, so it's being posted."
    return {"text": "Your success story was approved.", "blocks": [section(text)]}


def story_replaced_message() -> dict[str, Any]:
    text = "This version was replaced by an edit; a new request with the new text follows."
    return {"text": "This version of the story was replaced.", "blocks": [section(text)]}


def removal_failed_message(
    *, program_name: str, channel_id: str, posted_ts: str, permalink: str | None, error: str
) -> dict[str, Any]:
    where = f"<{permalink}|this message>" if permalink else f"the message at {posted_ts}"
    text = (
        f"*A withdrawn success story could not be removed* from <#{channel_id}> "
        f"({escape(program_name)}): Slack said `{escape(error)}`. Please delete {where} "
        "by hand — both partners no longer want it shown."
    )
    return {"text": "A withdrawn success story could not be removed.", "blocks": [section(text)]}


def story_invitation_message(*, pair_id: int, partner_user_id: str) -> dict[str, Any]:
    text = (
        # Not "you both rated it 5": ratings are private to each author.
        f"*Your conversations with {mention(partner_user_id)} sound like they're going "
        "really well* 🌟\n"
        "Want to share what changed as a success story? You draft it, your partner "
        "approves the exact text, and nothing is posted before that. No pressure at all."
    )
    return {
        "text": "Share a success story?",
        "blocks": [
            section(text),
            {"type": "actions", "elements": [
                button(ids.STORY_WRITE, "Draft a success story", pair_id, "primary"),
            ]},
        ],
    }  # fmt: skip


# --- the modal -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoryDraft:
    """What the modal is prefilled with."""

    title: str = ""
    text: str = ""
    skill_ids: frozenset[int] = frozenset()
    anonymous: bool = False


def story_modal(
    *,
    metadata: StoryMetadata,
    pairs: Sequence[tuple[int, str]],  # (pair id, partner name) when there is a choice
    skills: Sequence[tuple[int, str]],  # (skill id, name)
    partner_name: str,
    admin_next: bool,
    draft: StoryDraft,
) -> dict[str, Any]:
    blocks: list[Any] = []
    if len(pairs) > 1:
        options = [Option(value=str(pid), text=truncate(f"With {name}", _OPTION_TEXT_MAX))
                   for pid, name in pairs[:STORY_OPTIONS_MAX]]  # fmt: skip
        blocks.append(InputBlock(
            block_id=ids.STORY_PAIR.block_id, label="Whose story",
            element=StaticSelectElement(action_id=ids.STORY_PAIR.action_id, options=options),
        ))  # fmt: skip
    blocks.append(InputBlock(
        block_id=ids.STORY_TITLE.block_id, label="Title",
        element=PlainTextInputElement(
            action_id=ids.STORY_TITLE.action_id, max_length=STORY_TITLE_MAX,
            initial_value=draft.title or None,
            placeholder="e.g. Our brand team now drafts with AI tools",
        ),
    ))  # fmt: skip
    blocks.append(InputBlock(
        block_id=ids.STORY_TEXT.block_id, label="What changed",
        element=PlainTextInputElement(
            action_id=ids.STORY_TEXT.action_id, multiline=True, max_length=STORY_TEXT_MAX,
            initial_value=draft.text or None,
        ),
    ))  # fmt: skip
    if skills:
        options = [Option(value=str(sid), text=truncate(name, _OPTION_TEXT_MAX))
                   for sid, name in skills[:STORY_OPTIONS_MAX]]  # fmt: skip
        initial = [o for o in options if int(o.value or 0) in draft.skill_ids] or None
        blocks.append(InputBlock(
            block_id=ids.STORY_SKILLS.block_id, label="Skills involved", optional=True,
            element=StaticMultiSelectElement(
                action_id=ids.STORY_SKILLS.action_id, options=options, initial_options=initial,
            ),
        ))  # fmt: skip
    named = Option(value=CREDIT_NAMED, text="Name us both")
    anonymous = Option(value=CREDIT_ANONYMOUS, text="Keep us anonymous")
    blocks.append(InputBlock(
        block_id=ids.STORY_CREDIT.block_id, label="Credit",
        element=RadioButtonsElement(
            action_id=ids.STORY_CREDIT.action_id, options=[named, anonymous],
            initial_option=anonymous if draft.anonymous else named,
        ),
    ))  # fmt: skip
    then = ", then a program admin" if admin_next else ""
    who = escape(partner_name) if partner_name else "Your partner"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text=f"👀 {who} is asked to approve this exact text first{then}; "
        "nothing is posted until then.",
    )]))  # fmt: skip
    return View(
        type="modal", callback_id=ids.STORY_VIEW, title="Success story",
        submit="Ask for approval", close="Cancel",
        private_metadata=metadata.to_json(), blocks=blocks,
    ).to_dict()  # fmt: skip


def story_saved_modal(*, partner_name: str) -> dict[str, Any]:
    who = escape(partner_name) if partner_name else "your partner"
    text = (
        f"*Sent to {who} for approval.* You'll hear when it's decided; "
        "you can edit or withdraw it from the DM I just sent you."
    )
    return View(
        type="modal", callback_id=ids.STORY_SAVED_VIEW, title="Success story", close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    ).to_dict()  # fmt: skip
