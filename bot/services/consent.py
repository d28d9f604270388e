"""Consent before an introduction. A placeholder: the consent helper's module replaces it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import PairRow, ProgramRow, RoundRow


async def enqueue_proposals(
    session: AsyncSession,
    *,
    program: ProgramRow,
    round_: RoundRow,
    pairs: list[PairRow],
    now: datetime,
) -> None:
    raise NotImplementedError("consent proposals come with the consent work")
