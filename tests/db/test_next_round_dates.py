"""Each program's next round start, read from its rounds in one query."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.db.engine import Sessions
from bot.db.programs import ensure_workspace, list_next_round_dates
from bot.db.tables import ProgramRow, RoundRow

TEAM = "T0ROUNDS"
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


async def test_the_last_round_that_was_not_cancelled_sets_the_next_start(
    sessions: Sessions,
) -> None:
    async with sessions() as session, session.begin():
        await ensure_workspace(session, TEAM, now=NOW)
        running, fresh, manual = (
            ProgramRow(team_id=TEAM, name=name, created_at=NOW, updated_at=NOW, **extra)
            for name, extra in (
                ("Running", {}),
                ("Fresh", {"starts_on": date(2027, 1, 11)}),
                ("Manual", {"starts_on": date(2026, 9, 7)}),
            )
        )
        session.add_all([running, fresh, manual])
        await session.flush()
        for number, ends, status in (
            (1, NOW - timedelta(weeks=2), "announced"),
            (2, NOW + timedelta(weeks=10), "announced"),
            (3, NOW + timedelta(weeks=30), "cancelled"),
        ):
            session.add(
                RoundRow(
                    team_id=TEAM,
                    program_id=running.id,
                    number=number,
                    status=status,
                    starts_at=ends - timedelta(weeks=12),
                    ends_at=ends,
                    created_at=NOW,
                )
            )
        await session.flush()
        dates = await list_next_round_dates(session, [running, fresh, manual], today=NOW.date())
    assert dates == {
        running.id: (NOW + timedelta(weeks=10)).date(),
        fresh.id: date(2027, 1, 11),
        manual.id: None,  # started, no round yet, not automatic: the admins decide
    }
