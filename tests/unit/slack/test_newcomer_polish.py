"""What a newcomer meets (issue 9, point 9): each fix proven on the pure views and forms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.catalogue import DEFAULT_CATALOGUE, category_rank
from bot.domain import CareerStage, MembershipStatus, Role
from bot.slack import ids
from bot.slack.forms import (
    InputError,
    parse_enrollment,
    parse_enrollment_draft,
    parse_leave_reason,
    parse_pause_choice,
)
from bot.slack.views.enrollment import enrollment_modal
from bot.slack.views.models import MembershipSummary, ProfileDraft, ProgramOption, SkillOption
from bot.slack.views.skills import skill_option_groups
from bot.slack.views.status import (
    enrollment_saved_modal,
    leave_modal,
    program_in_sentence,
    welcome_message,
)

from .blockkit import (
    block_texts,
    check_message,
    check_modal,
    default_skills,
    radio,
    select,
    state,
    text,
)

PILOT = ProgramOption(id=7, name="Pilot")
SKILLS = {PILOT.id: frozenset({1, 2, 3})}


def modal(role: Role | None, **draft: Any) -> dict[str, Any]:
    view = enrollment_modal(
        programs=[PILOT],
        skills=default_skills(),
        draft=ProfileDraft(role=role, **draft),
        display_name="Sam",
    )
    check_modal(view, callback_id=ids.ENROLL_VIEW)
    return view


def block(view: dict[str, Any], field: ids.InputId) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == field.block_id), None)


@pytest.mark.parametrize(
    ("role", "teaches_required", "learns_required"),
    [
        (Role.MENTOR, True, False),
        (Role.MENTEE, False, True),
        (Role.EITHER, True, True),
    ],
)
def test_skill_pickers_are_marked_optional_exactly_when_the_form_lets_that_role_skip_them(
    role: Role, teaches_required: bool, learns_required: bool
) -> None:
    view = modal(role)
    teaches, learns = block(view, ids.ENROLL_TEACHES), block(view, ids.ENROLL_LEARNS)
    assert teaches is not None and learns is not None
    assert teaches.get("optional", False) is not teaches_required
    assert learns.get("optional", False) is not learns_required
    # ...and the form agrees: leaving a required picker empty is refused, an optional one not.
    values = state(
        radio(ids.ENROLL_ROLE, role.value),
        select(ids.ENROLL_STAGE, "3"),
        select(ids.ENROLL_CADENCE, "14"),
        select(ids.ENROLL_MAX_MENTEES, "1"),
    )
    errors = parse_enrollment(
        values, programs=[PILOT], active_skill_ids=SKILLS,
        private_metadata='{"program_id": 7, "editing": false}',
    )  # fmt: skip
    assert isinstance(errors, dict)
    assert (ids.ENROLL_TEACHES.block_id in errors) is teaches_required
    assert (ids.ENROLL_LEARNS.block_id in errors) is learns_required


def test_before_a_role_is_picked_the_hints_say_who_needs_which_picker() -> None:
    view = modal(None)
    teaches, learns = block(view, ids.ENROLL_TEACHES), block(view, ids.ENROLL_LEARNS)
    assert teaches is not None and learns is not None
    assert "Reverse mentors: at least one" in teaches["hint"]["text"]
    assert "Leaders: at least one" in learns["hint"]["text"]
    role = block(view, ids.ENROLL_ROLE)
    assert role is not None and role["dispatch_action"] is True  # picking one rebuilds


def test_leaders_are_not_asked_how_many_leaders_they_can_mentor() -> None:
    assert block(modal(Role.MENTEE), ids.ENROLL_MAX_MENTEES) is None
    for role in (None, Role.MENTOR, Role.EITHER):
        assert block(modal(role), ids.ENROLL_MAX_MENTEES) is not None


def test_a_leaders_capacity_answer_is_ignored_and_a_missing_question_means_one() -> None:
    base = state(
        radio(ids.ENROLL_ROLE, "mentee"),
        select(ids.ENROLL_STAGE, "4"),
        {ids.ENROLL_LEARNS.block_id: {ids.ENROLL_LEARNS.action_id: {
            "type": "multi_static_select", "selected_options": [{"value": "1"}]}}},
        select(ids.ENROLL_CADENCE, "14"),
    )  # fmt: skip
    meta = '{"program_id": 7, "editing": false}'
    for extra in ({}, select(ids.ENROLL_MAX_MENTEES, "3")):
        form = parse_enrollment(
            {**base, **extra}, programs=[PILOT], active_skill_ids=SKILLS, private_metadata=meta
        )
        assert not isinstance(form, dict), form
        assert form.max_mentees == 1


def test_every_career_stage_is_explained_in_one_line() -> None:
    stage = block(modal(Role.MENTOR), ids.ENROLL_STAGE)
    assert stage is not None
    options = stage["element"]["options"]
    assert [o["value"] for o in options] == [str(s.value) for s in CareerStage]
    descriptions = [o["description"]["text"] for o in options]
    assert all(10 < len(d) <= 75 for d in descriptions)
    assert len(set(descriptions)) == len(CareerStage)


def test_theme_groups_follow_the_catalogue_not_the_alphabet() -> None:
    skills = sorted(default_skills(), key=lambda s: s.category)  # as the database sorts them
    labels = [g.to_dict()["label"]["text"] for g in skill_option_groups(skills)]
    assert labels == [category for category, _ in DEFAULT_CATALOGUE]
    assert labels != sorted(labels)
    # Admins' own categories come after the catalogue's, A-Z; "Other" is last.
    mixed = [SkillOption(1, "x", "Zoo"), SkillOption(2, "y", ""), SkillOption(3, "z", "Art"),
             SkillOption(4, "w", "AI tools")]  # fmt: skip
    labels = [g.to_dict()["label"]["text"] for g in skill_option_groups(mixed)]
    assert labels == ["AI tools", "Art", "Zoo", "Other"]
    assert category_rank(" leadership & CAREER ") < category_rank("Art")


def test_the_manager_picker_is_optional_prefilled_and_cannot_be_yourself() -> None:
    view = modal(Role.MENTOR, manager_slack_id="U0BOSS")
    manager = block(view, ids.ENROLL_MANAGER)
    assert manager is not None and manager["optional"] is True
    assert manager["element"]["type"] == "users_select"
    assert manager["element"]["initial_user"] == "U0BOSS"
    picked = {ids.ENROLL_MANAGER.block_id: {ids.ENROLL_MANAGER.action_id: {
        "type": "users_select", "selected_user": "U0SAM"}}}  # fmt: skip
    draft = parse_enrollment_draft(picked, private_metadata=None)
    assert draft.manager_slack_id == "U0SAM"
    errors = parse_enrollment(
        picked, programs=[PILOT], active_skill_ids=SKILLS, private_metadata=None, user_id="U0SAM"
    )
    assert isinstance(errors, dict) and ids.ENROLL_MANAGER.block_id in errors
    forged = {ids.ENROLL_MANAGER.block_id: {ids.ENROLL_MANAGER.action_id: {
        "type": "users_select", "selected_user": "<!channel>"}}}  # fmt: skip
    assert parse_enrollment_draft(forged, private_metadata=None).manager_slack_id is None


def test_program_names_read_as_names_not_brands() -> None:
    assert program_in_sentence("Reverse mentoring program") == "the Reverse mentoring program"
    assert program_in_sentence("Reverse Mentoring Pilot") == "the Reverse Mentoring Pilot"
    assert program_in_sentence("Q3 Leaders") == "Q3 Leaders"
    assert program_in_sentence("The Big Program") == "The Big Program"
    assert program_in_sentence("<b> & program") == "the &lt;b&gt; &amp; program"


def test_welcome_and_saved_modal_say_when_the_next_round_starts_or_who_decides() -> None:
    noon = int(datetime(2027, 1, 11, 12, tzinfo=UTC).timestamp())
    dated = welcome_message(program_name="Q3 Leaders", role=Role.MENTOR,
                            next_round_on=date(2027, 1, 11))  # fmt: skip
    check_message(dated)
    assert f"when the next round starts on <!date^{noon}^" in block_texts(dated)
    undated = welcome_message(program_name="Q3 Leaders", role=Role.MENTOR)
    assert "when the program's admins start the next round" in block_texts(undated)
    saved = enrollment_saved_modal(program_name="Reverse mentoring program", joined=True,
                                   next_round_on=date(2027, 1, 11))  # fmt: skip
    texts = block_texts(saved)
    assert "You're in the Reverse mentoring program." in texts
    assert f"<!date^{noon}^" in texts


def test_the_leave_modal_asks_an_optional_private_reason() -> None:
    view = leave_modal(
        MembershipSummary(program_id=7, program_name="Pilot", role=Role.MENTOR,
                          status=MembershipStatus.ACTIVE)
    )  # fmt: skip
    check_modal(view, callback_id=ids.LEAVE_VIEW)
    reason = block(view, ids.LEAVE_REASON)
    assert reason is not None and reason["optional"] is True
    assert "partner never sees it" in reason["hint"]["text"]
    assert parse_leave_reason(state(text(ids.LEAVE_REASON, "  Too busy \n"))) == "Too busy"
    assert parse_leave_reason(state()) == ""
    too_long = parse_leave_reason(state(text(ids.LEAVE_REASON, "x" * 501)))
    assert isinstance(too_long, dict) and ids.LEAVE_REASON.block_id in too_long
    hidden = parse_leave_reason(state(text(ids.LEAVE_REASON, "ok\x07")))
    assert isinstance(hidden, dict)


@pytest.mark.parametrize(("value", "weeks"), [("2", 2), ("4", 4), ("13", 13), ("0", None)])
def test_home_pause_lengths_read_as_weeks_or_until_resumed(value: str, weeks: int | None) -> None:
    assert parse_pause_choice(value) == weeks


@pytest.mark.parametrize("value", [None, "", "5", "-1", "2 weeks", 2])
def test_a_pause_length_that_is_not_offered_is_refused(value: object) -> None:
    assert isinstance(parse_pause_choice(value), InputError)
