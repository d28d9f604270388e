"""Every action_id, callback_id and block_id the app uses, once.

A string literal id anywhere else is a bug (ARCHITECTURE.md, Names).
Input fields carry both ids: `block_id` keys `state.values` and modal `errors`,
`action_id` keys the element inside the block (and `app.options` / `app.action`).
"""

from __future__ import annotations

from dataclasses import dataclass

COMMAND = "/mentor"


@dataclass(frozen=True)
class InputId:
    """Where one modal input lives in `view.state.values[block_id][action_id]`."""

    block_id: str
    action_id: str


# Enrollment modal (`/mentor join`, "Edit profile").
ENROLL_VIEW = "enroll"
ENROLL_PROGRAM = InputId("enroll_program", "program")  # dispatches: rebuild for that program
ENROLL_ROLE = InputId("enroll_role", "role")
ENROLL_STAGE = InputId("enroll_stage", "career_stage")
ENROLL_DEPARTMENT = InputId("enroll_department", "department")
ENROLL_TEACHES = InputId("enroll_teaches", "teaches")  # external select: app.options
ENROLL_LEARNS = InputId("enroll_learns", "learns")  # external select: app.options
ENROLL_GOALS = InputId("enroll_goals", "goals")
ENROLL_CADENCE = InputId("enroll_cadence", "cadence")
ENROLL_MAX_MENTEES = InputId("enroll_max_mentees", "max_mentees")

ENROLL_SAVED_VIEW = "enroll_saved"  # what the modal becomes after a valid submit

# A placeholder opened at once with the trigger_id, then replaced by views.update.
LOADING_VIEW = "loading"

# Skill admin modal (one program).
SKILLS_VIEW = "skills_admin"
SKILLS_ADD = InputId("skills_add", "add")
SKILLS_RENAME = InputId("skills_rename", "rename")  # external select: app.options
SKILLS_NEW_NAME = InputId("skills_new_name", "new_name")
SKILLS_RETIRED = InputId("skills_retired", "retired")  # external select: app.options

# The actions whose external selects need an options handler (`app.options(action_id)`).
# Enrollment lists active skills only; the admin modal lists retired ones too.
ENROLL_SKILL_OPTION_ACTIONS = (ENROLL_TEACHES.action_id, ENROLL_LEARNS.action_id)
ADMIN_SKILL_OPTION_ACTIONS = (SKILLS_RENAME.action_id, SKILLS_RETIRED.action_id)

# Leave confirmation modal.
LEAVE_VIEW = "leave"
LEAVE_DELETE = InputId("leave_delete", "delete_data")
LEAVE_DELETE_VALUE = "delete"  # the checkbox option's value
ERASE_VIEW = "erase_data"  # a former participant deletes what was kept

# Private reflection modal (`/mentor reflect`, "Log a reflection").
REFLECT_VIEW = "reflect"
REFLECT_SAVED_VIEW = "reflect_saved"
REFLECT_LEARNED = InputId("reflect_learned", "learned")
REFLECT_TAUGHT = InputId("reflect_taught", "taught")
REFLECT_RATING = InputId("reflect_rating", "rating")

# App Home buttons. Button values carry a program id where one applies.
HOME_JOIN = "home_join"
HOME_EDIT_PROFILE = "home_edit_profile"
HOME_PAUSE = "home_pause"
HOME_RESUME = "home_resume"
HOME_REFLECT = "home_reflect"
HOME_MANAGE_SKILLS = "home_manage_skills"

# --- newcomer polish, reporting lines, roster import (issue 9: points 2 and 9) ---
ENROLL_MANAGER = InputId("enroll_manager", "manager")  # users_select: people.manager_slack_id
LEAVE_REASON = InputId("leave_reason", "reason")  # optional, private: memberships.left_reason
HOME_PAUSE_FOR = "home_pause_for"  # a select of pause lengths (values: weeks, "0" = until resume)
SKILLS_SAVED_VIEW = "skills_saved"  # what the skill admin modal becomes after a save
ROSTER_IMPORT_BUTTON = "admin_roster_import"  # opens the roster import modal (admins)
ROSTER_VIEW = "roster_import"
ROSTER_PROGRAM = InputId("roster_program", "program")
ROSTER_FILE = InputId("roster_file", "file")  # file_input: one CSV
ROSTER_RESULT_VIEW = "roster_result"  # the import's outcome, with the invite button
ROSTER_INVITE = "roster_invite"  # button value: program id; sends invitations once
ROSTER_ADMIN_ACTIONS = frozenset({ROSTER_IMPORT_BUTTON, ROSTER_INVITE})
ROSTER_ADMIN_VIEWS = {ROSTER_VIEW: ROSTER_FILE.block_id, ROSTER_RESULT_VIEW: ROSTER_FILE.block_id}

# Admin-only surfaces besides `admin_only` subcommands: bot/slack/guard.py refuses them
# to anyone else, in one place. A view maps to the input its refusal is shown under;
# actions and searches inside an admin view are admin-only too.
ADMIN_ACTIONS = frozenset({HOME_MANAGE_SKILLS})
ADMIN_OPTIONS = frozenset(ADMIN_SKILL_OPTION_ACTIONS)
ADMIN_VIEWS = {SKILLS_VIEW: SKILLS_ADD.block_id}

# The roster import's admin-only surfaces join the one gate's lists (issue 9, point 2).
ADMIN_ACTIONS = ADMIN_ACTIONS | ROSTER_ADMIN_ACTIONS
ADMIN_VIEWS = {**ADMIN_VIEWS, **ROSTER_ADMIN_VIEWS}
