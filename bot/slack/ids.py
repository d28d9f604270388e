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
# Issue 11: which partner (a static select of pair ids, when there are several), the
# meeting's date, what I will try next, topics (skills), "share as a success story".
REFLECT_PARTNER = InputId("reflect_partner", "partner")
REFLECT_MET_ON = InputId("reflect_met_on", "met_on")
REFLECT_TRY_NEXT = InputId("reflect_try_next", "try_next")
REFLECT_TOPICS = InputId("reflect_topics", "topics")
REFLECT_SHARE = InputId("reflect_share", "share")
REFLECT_SHARE_VALUE = "share"  # the checkbox option's value
# The learning log: Home shows the last entries; "See all" opens a modal. Each entry's
# overflow menu edits (the reflection modal, prefilled) or deletes (with a confirm).
HOME_LEARNING_LOG = "home_learning_log"
LEARNING_LOG_VIEW = "learning_log"
REFLECTION_MENU = "reflection_menu"  # overflow; option values "edit:<id>", "delete:<id>"
REFLECTION_DELETE_VIEW = "reflection_delete"  # "Delete this reflection?" before it goes

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

# --- Pairing rounds (`/mentor pair`, the Home "Preview the next round" button) --------
# All admin-only (added to ADMIN_ACTIONS / ADMIN_VIEWS below). Button values carry a
# program, round or pair id; they are untrusted and checked against the workspace.
PAIR_PREVIEW_BUTTON = "admin_pair_preview"  # App Home button (programs helper renders it)
ROUND_PROGRAM_VIEW = "round_program"  # which program to pair, when there are several
ROUND_CHOOSE_PROGRAM = "round_choose_program"  # value: program id
ROUND_PREVIEW_VIEW = "round_preview"  # submit = confirm the round
ROUND_DONE_VIEW = "round_done"
ROUND_PAGE = "round_page"  # value: page number
ROUND_RERUN = "round_rerun"
ROUND_PAIR_MENU = "round_pair_menu"  # overflow; option value "<kind>:<pair id>"
ROUND_EXCLUDE_PERSON = InputId("round_exclude_person", "exclude_person")  # dispatches
ROUND_ACTIONS = frozenset(
    {
        PAIR_PREVIEW_BUTTON,
        ROUND_CHOOSE_PROGRAM,
        ROUND_PAGE,
        ROUND_RERUN,
        ROUND_PAIR_MENU,
        ROUND_EXCLUDE_PERSON.action_id,
    }
)
ADMIN_ACTIONS = ADMIN_ACTIONS | ROUND_ACTIONS
ADMIN_VIEWS = {
    **ADMIN_VIEWS,
    ROUND_PROGRAM_VIEW: ROUND_EXCLUDE_PERSON.block_id,
    ROUND_PREVIEW_VIEW: ROUND_EXCLUDE_PERSON.block_id,
}

# --- Program management (`/mentor admin`, Home "Manage programs") -----------------
# One modal: the list of programs, replaced in place by a program's form (views.update),
# and by the list again once the form is saved. Both callback ids are admin views.
PROGRAMS_VIEW = "programs_admin"  # the list; it has no inputs
PROGRAM_EDIT_VIEW = "program_edit"
PROGRAM_NEW = "program_new"  # button in the list
PROGRAM_EDIT = "program_edit_button"  # button per program in the list; value: program id
HOME_MANAGE_PROGRAMS = "home_manage_programs"  # Home button: opens the list

PROGRAM_NAME = InputId("program_name", "name")
PROGRAM_OBJECTIVES = InputId("program_objectives", "objectives")
PROGRAM_CHANNEL = InputId("program_channel", "channel")  # conversations_select
PROGRAM_CADENCE = InputId("program_cadence", "cadence")
PROGRAM_ROUND_WEEKS = InputId("program_round_weeks", "round_weeks")
PROGRAM_STARTS_ON = InputId("program_starts_on", "starts_on")  # datepicker
PROGRAM_OPEN = InputId("program_open", "is_open")  # radio: open / closed
PROGRAM_PRIORITY = InputId("program_priority", "priority")
PROGRAM_WEIGHT_LEARNING = InputId("program_weight_learning", "learning")
PROGRAM_WEIGHT_GIVING_BACK = InputId("program_weight_giving_back", "giving_back")
PROGRAM_WEIGHT_CROSS_DEPARTMENT = InputId("program_weight_cross_department", "cross_department")
PROGRAM_WEIGHT_WORKING_HOURS = InputId("program_weight_working_hours", "working_hours")
PROGRAM_STAGE_GAP = InputId("program_stage_gap", "min_stage_gap")
PROGRAM_SHARED_SKILLS = InputId("program_shared_skills", "min_shared_skills")
PROGRAM_OVERLAP_HOURS = InputId("program_overlap_hours", "min_overlap_hours")
PROGRAM_RULES = InputId("program_rules", "rules")  # checkboxes: the yes/no settings
PROGRAM_CONSENT_HOURS = InputId("program_consent_hours", "consent_hours")
# PROGRAM_RULES option values, one per yes/no column of `programs`.
PROGRAM_RULE_AUTOMATIC = "pairs_automatically"
PROGRAM_RULE_CONSENT = "consent_required"
PROGRAM_RULE_STORY_APPROVAL = "stories_need_approval"

ADMIN_ACTIONS = ADMIN_ACTIONS | {
    PROGRAM_NEW,
    PROGRAM_EDIT,
    HOME_MANAGE_PROGRAMS,
}
ADMIN_VIEWS = {
    **ADMIN_VIEWS,
    PROGRAMS_VIEW: PROGRAM_NAME.block_id,  # no inputs: a forged submission is refused
    PROGRAM_EDIT_VIEW: PROGRAM_NAME.block_id,
}
# --- Consent, fit check and round end (issue 9 points 4, 6, 7) ---------------------
# DM buttons whose value is a pair id; the listener checks the clicker is in that pair.
CONSENT_ACCEPT = "consent_accept"
CONSENT_DECLINE = "consent_decline"  # opens CONSENT_DECLINE_VIEW
CONSENT_DECLINE_VIEW = "consent_decline"
CONSENT_REASON = InputId("consent_reason", "reason")  # optional, admins only
FIT_GOOD = "fit_good"
FIT_DECIDING = "fit_deciding"
FIT_NOT_A_FIT = "fit_not_a_fit"
CLOSING_CONTINUE = "closing_continue"
CLOSING_REMATCH = "closing_rematch"

# The roster import's admin-only surfaces join the one gate's lists (issue 9, point 2).
ADMIN_ACTIONS = ADMIN_ACTIONS | ROSTER_ADMIN_ACTIONS
ADMIN_VIEWS = {**ADMIN_VIEWS, **ROSTER_ADMIN_VIEWS}

# --- Check-ins (issue 10) ------------------------------------------------------------
# DM buttons whose value is a check-in id; the listener checks the clicker is in its pair.
CHECKIN_MET = "checkin_met"  # records a meeting today
CHECKIN_MET_ON = "checkin_met_on"  # datepicker on an answered check-in: changes the date
CHECKIN_NOT_YET = "checkin_not_yet"
CHECKIN_SNOOZE = "checkin_snooze"
CHECKIN_REFLECT = "checkin_reflect"  # opens the reflection modal for that pair
CHECKIN_HELP = "checkin_help"  # opens CHECKIN_HELP_VIEW
CHECKIN_HELP_VIEW = "checkin_help"
CHECKIN_HELP_NOTE = InputId("checkin_help_note", "note")  # optional, admins only
CHECKIN_RESUME = "checkin_resume"  # on the "paused after three unanswered" notice
# Stalled pairs: value is a pair id.
RISK_NEW_MATCH = "risk_new_match"
RISK_PAUSE = "risk_pause"
RISK_KEEP_GOING = "risk_keep_going"
# Home tab: a participant's own check-in day and time (static selects).
HOME_CHECKIN_DAY = "home_checkin_day"  # values "0".."4", or "program"
HOME_CHECKIN_TIME = "home_checkin_time"  # minutes after midnight, or "program"
# Program form: check-in days (checkboxes, values "0".."4"), time, reminder budget.
PROGRAM_CHECKIN_DAYS = InputId("program_checkin_days", "checkin_days")
PROGRAM_CHECKIN_TIME = InputId("program_checkin_time", "checkin_time")
PROGRAM_REMINDERS = InputId("program_reminders", "reminders_per_period")

# --- Success stories (issue 11) -----------------------------------------------------
HOME_STORY = "home_story"  # Home button: opens the story modal
STORY_WRITE = "story_write"  # a DM button (invitation, round end): value is a pair id
STORY_VIEW = "story"
STORY_SAVED_VIEW = "story_saved"
STORY_PAIR = InputId("story_pair", "pair")  # static select of pair ids, when several
STORY_TITLE = InputId("story_title", "title")
STORY_TEXT = InputId("story_text", "what_changed")
STORY_SKILLS = InputId("story_skills", "skills")
STORY_CREDIT = InputId("story_credit", "credit")  # radio: "named" or "anonymous"
# Buttons whose value is "<story id>:<version>": a click on an older version is refused.
STORY_APPROVE = "story_approve"  # the partner's
STORY_DECLINE = "story_decline"
STORY_ADMIN_APPROVE = "story_admin_approve"
STORY_ADMIN_DECLINE = "story_admin_decline"
STORY_EDIT = "story_edit"  # the author's: reopens the modal; a save restarts approval
STORY_WITHDRAW = "story_withdraw"  # either partner's, before or after posting
ADMIN_ACTIONS = ADMIN_ACTIONS | {STORY_ADMIN_APPROVE, STORY_ADMIN_DECLINE}

# --- Milestones and the monthly digest (issue 11, point 5) --------------------------
# The program form's channel-post settings: checkboxes (milestones, digest), the
# milestone's meeting count, and the program's zone (a common one, or typed).
PROGRAM_CHANNEL_POSTS = InputId("program_channel_posts", "channel_posts")
PROGRAM_POST_MILESTONES = "celebrates_milestones"  # PROGRAM_CHANNEL_POSTS option values
PROGRAM_POST_DIGEST = "posts_digest"
PROGRAM_MILESTONE_MEETINGS = InputId("program_milestone_meetings", "milestone_meetings")
PROGRAM_TIMEZONE = InputId("program_timezone", "timezone")  # static select
PROGRAM_TIMEZONE_TYPED = InputId("program_timezone_typed", "timezone_typed")

# --- Reports (issue 12) -------------------------------------------------------------
# `/mentor report`: a modal asks which program and period, then shows the report in
# place (REPORT_VIEW); its "Export CSV" button's value is "<program id>:<period>".
REPORT_PICK_VIEW = "report_pick"
REPORT_PROGRAM = InputId("report_program", "program")  # static select, when several
REPORT_PERIOD = InputId("report_period", "period")  # static select
REPORT_VIEW = "report"
REPORT_EXPORT = "report_export"

ADMIN_ACTIONS = ADMIN_ACTIONS | {REPORT_EXPORT}
ADMIN_VIEWS = {
    **ADMIN_VIEWS,
    REPORT_PICK_VIEW: REPORT_PERIOD.block_id,
    REPORT_VIEW: REPORT_PERIOD.block_id,  # no inputs: a forged submission is refused
}

# --- Close-out (issue 12) -------------------------------------------------------------
# The round-end prompt's "Two-minute survey" button (value: pair id) opens CLOSEOUT_VIEW
# (private_metadata: {"pair_id": N}); after a save with "again: yes" the modal offers
# the next round in one click (CLOSEOUT_REJOIN, value: pair id), answered in place.
CLOSEOUT_SURVEY = "closeout_survey"
CLOSEOUT_VIEW = "closeout"
CLOSEOUT_VALUE = InputId("closeout_value", "value")  # radio buttons 1–5
CLOSEOUT_AGAIN = InputId("closeout_again", "again")  # radio buttons yes / no
CLOSEOUT_SWITCH = InputId("closeout_switch", "switch")  # radio buttons yes / no, optional
CLOSEOUT_YES = "yes"  # CLOSEOUT_AGAIN / CLOSEOUT_SWITCH option values
CLOSEOUT_NO = "no"
CLOSEOUT_REJOIN = "closeout_rejoin"
