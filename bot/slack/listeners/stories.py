"""Success stories: drafting, the partner's (and an admin's) approval, withdrawal."""

from __future__ import annotations

from typing import Any

from bot.runtime import Runtime
from bot.slack.views.status import notice_modal


async def build_story_modal(
    runtime: Runtime,
    *,
    team_id: str,
    user_id: str,
    pair_id: int | None = None,
    reflection_id: int | None = None,
) -> dict[str, Any]:
    """The story modal for this person (the pair preselected, prefilled from their own
    reflection when one is given), or a notice saying why there is nothing to share.
    Contract for the reflection modal's "share as a success story" (it answers the
    submission with `response_action="update"` and this view)."""
    text = {"type": "section", "text": {"type": "mrkdwn", "text": "Stories are coming soon."}}
    return notice_modal({"blocks": [text]}, title="Success story")
