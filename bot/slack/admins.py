"""Who may run programs: the team's MENTORBOT_ADMIN_IDS plus workspace admins and owners."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import admins_of
from bot.slack.tokens import WorkspaceTokens
from bot.slack.users import fetch_user


class AdminDirectory:
    """Answers "is this user an admin?" fast enough to sit inside a 3-second ack.

    `users.info` is asked at most once per user per `ttl`, and never waited on longer
    than `timeout`: when Slack is slow the answer is "not an admin" for now. It goes with
    the workspace's own token (`tokens`; without, the client's): one client serves all.
    """

    def __init__(
        self,
        admin_ids: frozenset[str],
        client: AsyncWebClient,
        *,
        clock: Clock,
        ttl: timedelta = timedelta(minutes=5),
        timeout: float = 1.0,
        tokens: WorkspaceTokens | None = None,
    ) -> None:
        self._admin_ids = admin_ids
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._timeout = timeout
        self._tokens = tokens
        self._cache: dict[tuple[str, str], tuple[datetime, bool]] = {}

    async def is_admin(self, team_id: str, user_id: str) -> bool:
        if user_id in admins_of(self._admin_ids, team_id):
            return True
        key = (team_id, user_id)
        cached = self._cache.get(key)
        if cached and cached[0] > self._clock.now():
            return cached[1]
        token = await self._tokens.bot_token(team_id) if self._tokens else None
        if self._tokens and token is None:
            return False  # the app is not installed there: nobody runs programs
        user = await fetch_user(self._client, user_id, within=self._timeout, token=token)
        if user is None:
            return False  # unknown for now: not cached, so asked again next time
        answer = bool(user.get("is_admin") or user.get("is_owner"))
        self._cache[key] = (self._clock.now() + self._ttl, answer)
        return answer

    def forget(self, team_id: str, user_id: str) -> None:
        """Drop a cached answer (a user_change event may have changed it)."""
        self._cache.pop((team_id, user_id), None)
