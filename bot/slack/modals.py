"""Opening a modal whose content needs data: open at once, fill in after."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.views.enrollment import loading_modal
from bot.slack.views.status import text_modal

logger = logging.getLogger(__name__)

# How long "One moment…" may show before the modal says sorry instead. The trigger_id
# is spent already, so nothing else can reach a person looking at this modal: an
# ephemeral apology would land in the channel behind it.
FILL_WITHIN = 8.0
MODAL_SORRY = (
    "Sorry — this didn't load, and nothing was changed. "
    "Please close this and try again in a minute."
)
# Someone else changed or closed the modal since it opened: it no longer says
# "One moment…", so there is nothing to apologise for in it.
_MOVED_ON = frozenset({"hash_conflict", "not_found", "view_not_found"})


def apology_modal(title: str = "Reverse mentoring") -> dict[str, Any]:
    return text_modal(MODAL_SORRY, title=title)


async def open_then_fill(
    client: AsyncWebClient,
    *,
    trigger_id: str,
    title: str,
    build: Callable[[], Awaitable[dict[str, Any]]],
    within: float = FILL_WITHIN,
) -> None:
    """Spend the trigger_id (3 s, single use) on a placeholder, then build the real view.

    If the build fails or takes longer than `within` seconds, or Slack refuses the
    filled-in view, the modal itself shows the apology.
    """
    opened = await client.views_open(trigger_id=trigger_id, view=loading_modal(title))
    view_id, view_hash = opened["view"]["id"], opened["view"]["hash"]
    try:
        view = await asyncio.wait_for(build(), timeout=within)
    except TimeoutError:
        logger.warning("modal %s not built within %.1f s", view_id, within)
    except Exception:  # whatever broke, the person must not be left on "One moment…"
        logger.exception("modal %s could not be built", view_id)
    else:
        try:
            await client.views_update(view_id=view_id, hash=view_hash, view=view)
            return
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in _MOVED_ON:
                logger.info("modal %s moved on before it was filled (%s)", view_id, error)
                return
            logger.warning("modal %s: views.update failed: %s", view_id, error)
        except (SlackClientError, TimeoutError, OSError) as exc:
            logger.warning("modal %s: views.update failed: %s", view_id, type(exc).__name__)
    # The placeholder's hash: if a failed-looking update did land after all, Slack
    # answers hash_conflict and the real content stays.
    try:
        await client.views_update(view_id=view_id, hash=view_hash, view=apology_modal(title))
    except SlackApiError as exc:
        if exc.response.get("error") not in _MOVED_ON:
            raise
