"""A program's skill catalogue: what admins add, rename and retire."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from bot.catalogue import normalise_skill
from bot.db.engine import Sessions
from bot.db.programs import get_or_create_default_program, get_program, list_skills
from bot.db.tables import SkillRow
from bot.services.enrollment import program_option, skill_option
from bot.slack.forms import SkillChanges
from bot.slack.views.models import ProgramOption, SkillOption

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Catalogue:
    program: ProgramOption
    skills: list[SkillOption]


async def load_catalogue(
    sessions: Sessions, *, team_id: str, program_id: int | None, now: datetime
) -> Catalogue | None:
    """A program's catalogue (the default program's when none is named); None if not ours."""
    async with sessions() as session, session.begin():
        program = (
            await get_or_create_default_program(session, team_id, now=now)
            if program_id is None
            else await get_program(session, team_id, program_id)
        )
        if program is None:
            return None
        skills = await list_skills(session, [program.id])
    return Catalogue(program_option(program), [skill_option(s) for s in skills])


async def record_skill_changes(
    sessions: Sessions, *, team_id: str, changes: SkillChanges, now: datetime
) -> None:
    """Apply one save of the skill admin modal (already validated against the catalogue)."""
    async with sessions() as session, session.begin():
        program = await get_program(session, team_id, changes.program_id)
        if program is None:
            return
        owned = {s.id for s in await list_skills(session, [program.id])}
        if changes.renamed and changes.renamed.skill_id in owned:
            await session.execute(
                update(SkillRow)
                .where(SkillRow.id == changes.renamed.skill_id)
                .values(name=changes.renamed.name, name_key=normalise_skill(changes.renamed.name))
            )
        for retired, skill_ids in ((True, changes.retire), (False, changes.unretire)):
            if skill_ids:
                await session.execute(
                    update(SkillRow)
                    .where(SkillRow.id.in_(skill_ids & owned))
                    .values(retired=retired)
                )
        session.add_all(
            SkillRow(
                team_id=team_id,
                program_id=program.id,
                name=skill.name,
                name_key=normalise_skill(skill.name),
                category=skill.category,
                created_at=now,
            )
            for skill in changes.added
        )
    logger.info(
        "program %s skills: +%d, renamed %d, retired %d, back %d",
        changes.program_id, len(changes.added), int(changes.renamed is not None),
        len(changes.retire), len(changes.unretire),
    )  # fmt: skip
