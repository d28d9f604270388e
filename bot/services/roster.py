"""HR roster import (issue 9, point 2): the §6 CSV into a program, all rows or none.

Three steps, so that Slack I/O stays in the listener: `parse_roster` reads the file
(pure, line-numbered problems), the listener looks up the e-mail addresses it names
(`emails_to_look_up`, then `users.lookupByEmail`), `resolve_roster` turns every key
into a Slack user id (pure: any row it cannot place is a problem), and `record_roster`
writes the lot in one transaction. Nobody is enrolled by an import: people in the
roster who have not joined are listed, and an admin may invite them
(`record_invitations`), once each.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.programs import get_or_create_default_program, get_program
from bot.db.tables import MembershipRow, PersonRow, ProgramRow, RosterEntryRow
from bot.delivery import enqueue_message
from bot.domain import CareerStage, MembershipStatus, Role
from bot.matching.csvio import RowProblem, parse_participants
from bot.slack.text import HiddenCharacter, read_text
from bot.slack.views.models import ProgramOption
from bot.slack.views.roster import invitation_message

logger = logging.getLogger(__name__)

NAME_MAX = 120  # roster_entries.name, people.name
DEPARTMENT_MAX = 80  # roster_entries.department, people.department
ROWS_MAX = 5000

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_EMAIL = re.compile(r"[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+")


def is_user_id(key: str) -> bool:
    return _USER_ID.fullmatch(key) is not None


def is_email(key: str) -> bool:
    return _EMAIL.fullmatch(key) is not None


@dataclass(frozen=True)
class RosterRow:
    """One readable row; `key` and the other ids are as written (Slack id or e-mail)."""

    line: int
    key: str
    name: str
    role: Role
    career_stage: CareerStage
    department: str
    manager_key: str | None
    previous_keys: tuple[str, ...]


@dataclass(frozen=True)
class RosterFile:
    rows: tuple[RosterRow, ...]
    problems: tuple[RowProblem, ...]  # any of these: nothing is imported
    problem: str | None = None  # the whole file is unusable


def _id_lines(text: str) -> dict[str, int]:
    """The line each id first appears on, counted as `parse_participants` counts them."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return {}
    names = [name.strip().casefold() for name in header]
    if "id" not in names:
        return {}
    column = names.index("id")
    lines: dict[str, int] = {}
    last_line = reader.line_num
    while True:
        line = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            last_line = reader.line_num
            continue
        last_line = reader.line_num
        if column < len(cells):
            lines.setdefault(cells[column].strip(), line)
    return lines


def _key_problem(what: str, key: str) -> str | None:
    if is_user_id(key) or is_email(key):
        return None
    return f"{what} must be a Slack member id (U…) or an e-mail address, got {key[:60]!r}"


def _text(value: str, *, what: str, limit: int) -> str:
    """The cleaned value; `_BadRowError` says why it can't be kept."""
    text = read_text(value, multiline=False)
    if isinstance(text, HiddenCharacter):
        raise _BadRowError(f"{what} has {text.describe()}")
    if len(text) > limit:
        raise _BadRowError(f"{what} is longer than {limit} characters")
    return text


class _BadRowError(ValueError):
    pass


def parse_roster(text: str) -> RosterFile:
    """The roster's rows, or every problem with its line number (1 is the header).

    The §6 parser (`bot.matching.csvio`) reads the columns and its line-numbered errors
    are kept; on top of it, ids must be Slack member ids or e-mail addresses.
    """
    parsed = parse_participants(text)
    if parsed.problem is not None:
        return RosterFile((), (), parsed.problem)
    if len(parsed.candidates) + len(parsed.errors) > ROWS_MAX:
        return RosterFile((), (), f"more than {ROWS_MAX} rows; split the file")
    lines = _id_lines(text)
    problems = list(parsed.errors)
    rows: list[RosterRow] = []
    for candidate in parsed.candidates:
        line = lines.get(candidate.id, 0)
        found = [
            _key_problem("id", candidate.id),
            _key_problem("manager_id", candidate.manager_id) if candidate.manager_id else None,
            *(_key_problem("previous_partners", key) for key in candidate.previous_partners),
        ]
        if candidate.manager_id and candidate.manager_id == candidate.id:
            found.append("manager_id is the person themselves")
        try:
            name = _text(candidate.name, what="name", limit=NAME_MAX)
            department = _text(candidate.department, what="department", limit=DEPARTMENT_MAX)
        except _BadRowError as exc:
            found.append(str(exc))
            name = department = ""
        messages = [message for message in found if message]
        if messages:
            problems.extend(RowProblem(line, message) for message in messages)
            continue
        rows.append(
            RosterRow(
                line=line,
                key=candidate.id,
                name=name,
                role=candidate.role,
                career_stage=candidate.career_stage,
                department=department,
                manager_key=candidate.manager_id,
                previous_keys=tuple(sorted(candidate.previous_partners)),
            )
        )
    problems.sort(key=lambda p: p.line)
    return RosterFile(tuple(rows), tuple(problems))


def emails_to_look_up(roster: RosterFile) -> list[str]:
    """Every e-mail address the roster names (people, managers, partners), once each."""
    keys: dict[str, None] = {}
    for row in roster.rows:
        for key in (row.key, row.manager_key, *row.previous_keys):
            if key and is_email(key):
                keys.setdefault(key.casefold())
    return list(keys)


@dataclass(frozen=True)
class RosterEntry:
    """A roster row placed on a Slack member."""

    line: int
    user_id: str
    name: str
    role: Role
    career_stage: CareerStage
    department: str
    manager_id: str | None
    previous_partners: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedRoster:
    entries: tuple[RosterEntry, ...]  # empty whenever there is a problem
    problems: tuple[RowProblem, ...]


def resolve_roster(roster: RosterFile, members: Mapping[str, str | None]) -> ResolvedRoster:
    """Each row on its Slack member; or every row that can't be placed, with its line.

    `members` maps each looked-up e-mail (case-folded) to its member id, None when no
    member has it. A problem from parsing, an unknown address, or one person on two
    lines (an id and an e-mail) means nothing is imported.
    """
    problems = list(roster.problems)

    def place(key: str) -> str | None:
        return key if is_user_id(key) else members.get(key.casefold())

    entries: list[RosterEntry] = []
    first_line: dict[str, int] = {}
    for row in roster.rows:
        found: list[str] = []
        user_id = place(row.key)
        if user_id is None:
            found.append(f"no Slack member has the e-mail {row.key!r}")
        manager = place(row.manager_key) if row.manager_key else None
        if row.manager_key and manager is None:
            found.append(f"manager_id: no Slack member has the e-mail {row.manager_key!r}")
        previous = []
        for key in row.previous_keys:
            partner = place(key)
            if partner is None:
                found.append(f"previous_partners: no Slack member has the e-mail {key!r}")
            else:
                previous.append(partner)
        if user_id is not None and user_id in first_line:
            found.append(f"the same person as on line {first_line[user_id]}")
        elif user_id is not None:
            first_line[user_id] = row.line
        if user_id is not None and manager == user_id:
            found.append("manager_id is the person themselves")
        if found or user_id is None:
            problems.extend(RowProblem(row.line, message) for message in found)
            continue
        entries.append(
            RosterEntry(
                line=row.line,
                user_id=user_id,
                name=row.name,
                role=row.role,
                career_stage=row.career_stage,
                department=row.department,
                manager_id=manager,
                previous_partners=tuple(sorted(set(previous) - {user_id})),
            )
        )
    if problems:
        return ResolvedRoster((), tuple(sorted(problems, key=lambda p: p.line)))
    return ResolvedRoster(tuple(entries), ())


async def list_roster_programs(
    sessions: Sessions, *, team_id: str, now: datetime
) -> list[ProgramOption]:
    """Every program of the workspace a roster can go into (the default one first)."""
    async with sessions() as session, session.begin():
        await get_or_create_default_program(session, team_id, now=now)
        programs = await session.scalars(
            select(ProgramRow)
            .where(ProgramRow.team_id == team_id)
            .order_by(ProgramRow.is_default.desc(), ProgramRow.name)
        )
        return [ProgramOption(id=p.id, name=p.name) for p in programs]


@dataclass(frozen=True)
class RosterImported:
    program_id: int
    program_name: str
    imported: int
    profiles_updated: int  # enrolled people whose profile the roster filled in
    not_enrolled: tuple[str, ...]  # Slack user ids in the roster, not in the program
    to_invite: int  # of those, not invited yet


async def record_roster(
    sessions: Sessions,
    *,
    team_id: str,
    program_id: int,
    entries: tuple[RosterEntry, ...],
    now: datetime,
) -> RosterImported | None:
    """Replace the program's roster with `entries`, in one transaction; None if the
    program is gone. Enrolled people get manager, department and career stage from it;
    nobody is enrolled. An invitation already sent is remembered across imports."""
    async with sessions() as session, session.begin():
        program = await get_program(session, team_id, program_id)
        if program is None:
            return None
        existing = {
            entry.slack_user_id: entry
            for entry in await session.scalars(
                select(RosterEntryRow).where(RosterEntryRow.program_id == program.id)
            )
        }
        wanted = {entry.user_id for entry in entries}
        gone = [user for user in existing if user not in wanted]
        if gone:
            await session.execute(
                delete(RosterEntryRow).where(
                    RosterEntryRow.program_id == program.id,
                    RosterEntryRow.slack_user_id.in_(gone),
                )
            )
        for entry in entries:
            row = existing.get(entry.user_id)
            if row is None:
                row = RosterEntryRow(
                    team_id=team_id, program_id=program.id, slack_user_id=entry.user_id
                )
                session.add(row)
            row.name = entry.name
            row.role = entry.role.value
            row.career_stage = int(entry.career_stage)
            row.department = entry.department
            row.manager_slack_id = entry.manager_id
            row.previous_partners = list(entry.previous_partners)
            row.imported_at = now
        enrolled = await _enrolled_people(session, program, wanted)
        for entry in entries:
            person = enrolled.get(entry.user_id)
            if person is None:
                continue
            person.career_stage = int(entry.career_stage)
            if entry.department:
                person.department = entry.department
            if entry.manager_id:
                person.manager_slack_id = entry.manager_id
            person.updated_at = now
        not_enrolled = tuple(e.user_id for e in entries if e.user_id not in enrolled)
        invited = {user for user, row in existing.items() if row.invited_at is not None}
    logger.info(
        "roster for program %s: %d rows, %d enrolled, %d not enrolled",
        program.id, len(entries), len(enrolled), len(not_enrolled),
    )  # fmt: skip
    return RosterImported(
        program_id=program.id,
        program_name=program.name,
        imported=len(entries),
        profiles_updated=len(enrolled),
        not_enrolled=not_enrolled,
        to_invite=sum(1 for user in not_enrolled if user not in invited),
    )


async def _enrolled_people(
    session: AsyncSession, program: ProgramRow, user_ids: set[str]
) -> dict[str, PersonRow]:
    """The roster's people with a current (not left) membership in the program."""
    if not user_ids:
        return {}
    rows = await session.scalars(
        select(PersonRow)
        .join(MembershipRow, MembershipRow.person_id == PersonRow.id)
        .where(
            PersonRow.team_id == program.team_id,
            PersonRow.slack_user_id.in_(user_ids),
            MembershipRow.program_id == program.id,
            MembershipRow.status != MembershipStatus.LEFT.value,
        )
    )
    return {person.slack_user_id: person for person in rows}


@dataclass(frozen=True)
class InvitationsSent:
    program_name: str
    sent: int


async def record_invitations(
    sessions: Sessions, *, team_id: str, program_id: int, now: datetime
) -> InvitationsSent | None:
    """Invite, by DM, everyone in the program's roster who has not joined and has not
    been invited; each once (`invited_at`, and the outbox key). None if no program."""
    async with sessions() as session, session.begin():
        program = await get_program(session, team_id, program_id)
        if program is None:
            return None
        entries = list(
            await session.scalars(
                select(RosterEntryRow)
                .where(RosterEntryRow.program_id == program.id, RosterEntryRow.invited_at.is_(None))
                .with_for_update()
            )
        )
        enrolled = await _enrolled_people(session, program, {e.slack_user_id for e in entries})
        sent = 0
        for entry in entries:
            if entry.slack_user_id in enrolled:
                continue
            await enqueue_message(
                session,
                team_id=team_id,
                key=f"roster-invite:{program.id}:{entry.slack_user_id}",
                channel=entry.slack_user_id,
                payload=invitation_message(
                    program_name=program.name, objectives=program.objectives
                ),
                due_at=now,
            )
            entry.invited_at = now
            sent += 1
    logger.info("roster invitations for program %s: %d", program_id, sent)
    return InvitationsSent(program.name, sent)
