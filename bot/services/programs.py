"""Program management: what admins list, create and edit, and the admin's overview."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from bot.db.engine import Sessions, reading
from bot.db.programs import (
    add_default_skills,
    ensure_workspace,
    get_or_create_default_program,
    get_program,
    get_program_weights,
    list_program_overviews,
    list_programs,
)
from bot.db.tables import ProgramRow
from bot.domain import MatchPriority, RoundStatus
from bot.matching.model import WEIGHT_NAMES
from bot.services.checkin_replan import replan_checkins
from bot.slack.forms_programs import name_key
from bot.slack.views.models import (
    ProgramListItem,
    ProgramSettings,
    ProgramSummary,
    RoundOverview,
)

logger = logging.getLogger(__name__)


def _list_item(program: ProgramRow) -> ProgramListItem:
    return ProgramListItem(
        id=program.id,
        name=program.name,
        is_open=program.is_open,
        is_default=program.is_default,
        cadence_days=program.cadence_days,
        channel_id=program.channel_id,
    )


def program_settings(program: ProgramRow) -> ProgramSettings:
    """A program's settings as the form shows them; unreadable stored weights fall back."""
    stored = get_program_weights(program)
    weights = [(name, getattr(stored, name)) for name in WEIGHT_NAMES]
    priority = next(
        (p for p in MatchPriority if p.value == program.priority), MatchPriority.MOST_MATCHED
    )
    return ProgramSettings(
        name=program.name,
        objectives=program.objectives,
        channel_id=program.channel_id,
        cadence_days=program.cadence_days,
        round_weeks=program.round_weeks,
        starts_on=program.starts_on,
        is_open=program.is_open,
        priority=priority,
        weights=tuple(weights),
        min_stage_gap=program.min_stage_gap,
        min_shared_skills=program.min_shared_skills,
        min_overlap_hours=program.min_overlap_hours,
        pairs_automatically=program.pairs_automatically,
        consent_required=program.consent_required,
        consent_hours=program.consent_hours,
        stories_need_approval=program.stories_need_approval,
        checkin_days=program.checkin_days,
        checkin_minute=program.checkin_minute,
        reminders_per_period=program.reminders_per_period,
        celebrates_milestones=program.celebrates_milestones,
        milestone_meetings=program.milestone_meetings,
        posts_digest=program.posts_digest,
        timezone=program.timezone,
    )


async def list_program_items(
    sessions: Sessions, *, team_id: str, now: datetime
) -> list[ProgramListItem]:
    """The workspace's programs for the admin's list.

    The default program is created here if it does not exist yet, so a workspace's
    first admin sees (and can edit) the program `/mentor join` would enroll into.
    """
    async with sessions() as session, session.begin():
        programs = await list_programs(session, team_id)
        if not programs:
            programs = [await get_or_create_default_program(session, team_id, now=now)]
    return [_list_item(program) for program in programs]


@dataclass(frozen=True)
class ProgramForm:
    """What the program form needs: the program (None: a new one) and the other names."""

    program_id: int | None
    settings: ProgramSettings
    other_names: tuple[str, ...]


async def load_program_form(
    sessions: Sessions, *, team_id: str, program_id: int | None
) -> ProgramForm | None:
    """The form's content; None when `program_id` is not a program of this workspace."""
    async with reading(sessions) as session:
        programs = await list_programs(session, team_id)
    if program_id is None:
        return ProgramForm(None, ProgramSettings(name=""), tuple(p.name for p in programs))
    program = next((p for p in programs if p.id == program_id), None)
    if program is None:
        return None
    others = tuple(p.name for p in programs if p.id != program_id)
    return ProgramForm(program.id, program_settings(program), others)


class SaveProblem(enum.Enum):
    GONE = "gone"  # the program was deleted, or is not this workspace's
    NAME_TAKEN = "name_taken"  # another program took the name meanwhile


@dataclass(frozen=True)
class SavedProgram:
    program_id: int
    created: bool


async def record_program(
    sessions: Sessions,
    *,
    team_id: str,
    program_id: int | None,
    settings: ProgramSettings,
    now: datetime,
) -> SavedProgram | SaveProblem:
    """Create a program (`program_id` None) or change one, in one transaction.

    Names are checked again here, case and spacing aside: the form's check saw the
    names of a moment ago. A new program starts with the starter skill catalogue.
    """
    try:
        async with sessions() as session, session.begin():
            await ensure_workspace(session, team_id, now=now)
            others = [p for p in await list_programs(session, team_id) if p.id != program_id]
            if name_key(settings.name) in {name_key(p.name) for p in others}:
                return SaveProblem.NAME_TAKEN
            if program_id is None:
                program = ProgramRow(team_id=team_id, created_at=now, is_default=False)
                session.add(program)
            else:
                found = await get_program(session, team_id, program_id)
                if found is None:
                    return SaveProblem.GONE
                program = found
            before = _plan_inputs(program) if program_id is not None else None
            _apply(program, settings, now=now)
            await session.flush()
            if before is not None and before != _plan_inputs(program):
                # Check-ins not sent yet move to the new days, time or cadence.
                await replan_checkins(session, program_id=program.id)
            if program_id is None:
                await add_default_skills(session, program, now=now)
            saved = SavedProgram(program.id, created=program_id is None)
    except IntegrityError:  # the unique (team, name) constraint: a save at the same moment
        return SaveProblem.NAME_TAKEN
    logger.info(
        "program %s %s in %s", saved.program_id, "created" if saved.created else "changed", team_id
    )
    return saved


def _plan_inputs(program: ProgramRow) -> tuple[int, int, int]:
    """What a program gives `plan_due_at`: a change re-plans its check-ins."""
    return program.checkin_days, program.checkin_minute, program.cadence_days


def _apply(program: ProgramRow, settings: ProgramSettings, *, now: datetime) -> None:
    program.name = settings.name
    program.objectives = settings.objectives
    program.channel_id = settings.channel_id
    program.cadence_days = settings.cadence_days
    program.round_weeks = settings.round_weeks
    program.starts_on = settings.starts_on
    program.is_open = settings.is_open
    program.priority = settings.priority.value
    program.weights = settings.weight_map
    program.min_stage_gap = settings.min_stage_gap
    program.min_shared_skills = settings.min_shared_skills
    program.min_overlap_hours = settings.min_overlap_hours
    program.pairs_automatically = settings.pairs_automatically
    program.consent_required = settings.consent_required
    program.consent_hours = settings.consent_hours
    program.stories_need_approval = settings.stories_need_approval
    program.checkin_days = settings.checkin_days
    program.checkin_minute = settings.checkin_minute
    program.reminders_per_period = settings.reminders_per_period
    # Turning milestones on later posts no old ones: the sweep marked those as it went.
    program.celebrates_milestones = settings.celebrates_milestones
    program.milestone_meetings = settings.milestone_meetings
    program.posts_digest = settings.posts_digest
    program.timezone = settings.timezone
    program.updated_at = now


def _next_round_on(program: ProgramRow, current: RoundOverview | None, today: date) -> date | None:
    """When the next round starts: after the current one, else on the start date ahead."""
    if current is not None:
        return current.ends_at.date()
    if program.starts_on is not None and program.starts_on >= today:
        return program.starts_on
    return None


async def list_admin_overview(
    sessions: Sessions, *, team_id: str, now: datetime
) -> list[ProgramSummary]:
    """The admin's Home: every program, its current round and counts (three queries)."""
    async with reading(sessions) as session:
        rows = await list_program_overviews(session, team_id, now=now)
    summaries = []
    for row in rows:
        current = None
        if row.current is not None:
            round_row = row.current.round
            status = next(
                (s for s in RoundStatus if s.value == round_row.status), RoundStatus.DRAFT
            )
            current = RoundOverview(
                round_row.number, round_row.starts_at, round_row.ends_at, status
            )
        summaries.append(
            ProgramSummary(
                id=row.program.id,
                name=row.program.name,
                members=row.enrolled,
                paused=row.paused,
                skills=row.skills,
                is_open=row.program.is_open,
                cadence_days=row.program.cadence_days,
                next_round_on=_next_round_on(row.program, current, now.date()),
                current_round=current,
                matched=row.current.matched if row.current else 0,
                met=row.current.met if row.current else 0,
                awaiting_consent=row.current.awaiting_consent if row.current else 0,
            )
        )
    return summaries
