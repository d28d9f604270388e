"""MENTORBOT_ADMIN_IDS per workspace (issue 13): a `TEAM_ID:USER_ID` entry makes an admin
in that team only — the same user id in another workspace is someone else."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import ShiftedClock
from bot.db.engine import Sessions
from bot.db.people import list_admin_user_ids
from bot.db.tables import PersonRow, WorkspaceRow
from bot.slack.admins import AdminDirectory
from tests.support.fake_slack import FakeSlack

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ALPHA, BETA = "T0ALPHA01", "T0BETA002"
ADMIN, BOSS = "U0ADMIN01", "U0BOSS002"
ENTRIES = frozenset({f"{ALPHA}:{ADMIN}", f"{BETA}:{BOSS}"})


async def _people_in_both(sessions: Sessions) -> None:
    """ADMIN and BOSS enrolled in both workspaces; Slack says neither is a workspace admin."""
    async with sessions() as session, session.begin():
        for team in (ALPHA, BETA):
            session.add(WorkspaceRow(team_id=team, created_at=NOW))
            await session.flush()
            for user in (ADMIN, BOSS):
                session.add(PersonRow(team_id=team, slack_user_id=user, name=user,
                                      created_at=NOW, updated_at=NOW))  # fmt: skip


async def test_private_admin_notices_go_to_each_teams_own_configured_admins(
    sessions: Sessions,
) -> None:
    await _people_in_both(sessions)
    async with sessions() as session:
        assert await list_admin_user_ids(session, team_id=ALPHA, configured=ENTRIES) == [ADMIN]
        assert await list_admin_user_ids(session, team_id=BETA, configured=ENTRIES) == [BOSS]
        # A plain id is the one workspace's admin (single-token mode has only one).
        plain = frozenset({ADMIN})
        assert await list_admin_user_ids(session, team_id=BETA, configured=plain) == [ADMIN]


async def test_a_configured_admin_of_one_workspace_is_asked_about_like_anyone_in_another() -> None:
    with FakeSlack(team_id=ALPHA) as alpha:
        beta = alpha.add_workspace(BETA)
        for workspace in (alpha, beta):
            workspace.add_user(ADMIN, name="same-id")
        client = AsyncWebClient(token=beta.token, base_url=alpha.base_url, retry_handlers=[])
        admins = AdminDirectory(ENTRIES, client, clock=ShiftedClock(NOW))

        assert await admins.is_admin(ALPHA, ADMIN)
        assert beta.calls_to("users.info") == []  # configured: Slack is not asked
        assert not await admins.is_admin(BETA, ADMIN)
        assert [c.params["user"] for c in beta.calls_to("users.info")] == [ADMIN]
