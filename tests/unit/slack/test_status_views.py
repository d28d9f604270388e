from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.domain import CareerStage, MembershipStatus, Role
from bot.slack import ids
from bot.slack.forms import parse_view_metadata
from bot.slack.views.models import MembershipSummary, Partner, PersonalStatus
from bot.slack.views.status import (
    PROFILE_LINE_MAX,
    leave_done_message,
    leave_modal,
    not_enrolled_message,
    partner_deactivated_message,
    partner_left_message,
    pause_confirmation,
    profile_line,
    resume_confirmation,
    status_message,
)

from .blockkit import block_texts, check_message, check_modal

HOSTILE = "<!channel> <@U999> & <https://evil.example|click>"
WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
PILOT = MembershipSummary(
    program_id=7,
    program_name="Reverse Mentoring Pilot",
    role=Role.MENTOR,
    status=MembershipStatus.ACTIVE,
    partners=(Partner("U0DANA", "Dana"),),
    next_checkin_at=WHEN,
    meetings_count=3,
)
SAM = PersonalStatus(
    name="Sam",
    career_stage=CareerStage.EARLY_CAREER,
    department="Marketing",
    goals="Help a leader feel at home on TikTok",
    teaches=("TikTok for brands", "AI tools for everyday work"),
    learns=("Stakeholder management",),
    memberships=(PILOT,),
)


def assert_inert(payload: dict[str, Any]) -> None:
    texts = block_texts(payload)
    assert "<!channel>" not in texts
    assert "<@U999>" not in texts
    assert "<https://evil" not in texts
    assert "&lt;!channel&gt;" in texts


def test_status_for_a_paired_mentor() -> None:
    message = status_message(SAM)
    check_message(message)
    assert message["response_type"] == "ephemeral"
    texts = block_texts(message)
    assert "<@U0DANA>" in texts
    assert f"<!date^{int(WHEN.timestamp())}^" in texts
    assert "Meetings so far: 3" in texts
    assert "Reverse mentor — you share what you know" in texts
    assert "Reverse Mentoring Pilot" in message["text"] and "reverse mentor" in message["text"]


def test_status_paused_shows_the_pause_first_and_promises_no_pairing() -> None:
    paused = MembershipSummary(
        program_id=7,
        program_name="Pilot",
        role=Role.MENTEE,
        status=MembershipStatus.PAUSED,
        paused_until=WHEN,
    )
    message = status_message(PersonalStatus(name="Dana", memberships=(paused,)))
    check_message(message)
    texts = block_texts(message)
    assert "next round" not in texts and "paired" not in texts
    assert texts.index("Paused until <!date^") < texts.index("No check-ins")
    forever = MembershipSummary(
        program_id=7, program_name="Pilot", role=Role.EITHER, status=MembershipStatus.PAUSED
    )
    assert "until you resume" in block_texts(
        status_message(PersonalStatus("D", memberships=(forever,)))
    )


def test_not_enrolled_points_to_join() -> None:
    left = MembershipSummary(
        program_id=7, program_name="P", role=Role.MENTOR, status=MembershipStatus.LEFT
    )
    for status in (None, PersonalStatus(name="X"), PersonalStatus(name="X", memberships=(left,))):
        message = status_message(status)
        check_message(message)
        assert "/mentor join" in message["text"]
        assert message == not_enrolled_message()


def test_status_stays_short_with_many_programs() -> None:
    many = tuple(
        MembershipSummary(
            program_id=i, program_name=f"P{i}", role=Role.MENTOR, status=MembershipStatus.ACTIVE
        )
        for i in range(1, 9)
    )
    check_message(status_message(PersonalStatus(name="Sam", memberships=many)))


def test_status_escapes_user_text() -> None:
    hostile = PersonalStatus(
        name=HOSTILE,
        department=HOSTILE,
        goals=HOSTILE,
        teaches=(HOSTILE,),
        memberships=(
            MembershipSummary(
                program_id=7,
                program_name=HOSTILE,
                role=Role.MENTOR,
                status=MembershipStatus.ACTIVE,
                partners=(Partner("not-an-id", HOSTILE),),
            ),
        ),
    )
    message = status_message(hostile)
    check_message(message)
    assert_inert(message)


def test_pause_and_resume() -> None:
    until = pause_confirmation(WHEN)
    check_message(until)
    assert "<!date^" in until["text"] and "/mentor resume" in until["text"]
    forever = pause_confirmation(None)
    check_message(forever)
    assert "until you resume" in forever["text"]
    back = resume_confirmation()
    check_message(back)
    assert back["response_type"] == "ephemeral"


def test_leave_modal() -> None:
    view = leave_modal(PILOT)
    check_modal(view, callback_id=ids.LEAVE_VIEW)
    meta = parse_view_metadata(view["private_metadata"])
    assert meta is not None and meta.program_id == PILOT.program_id
    box = next(b for b in view["blocks"] if b.get("block_id") == ids.LEAVE_DELETE.block_id)
    assert box["optional"] is True
    assert box["element"]["options"][0]["value"] == ids.LEAVE_DELETE_VALUE
    assert "delete my profile and reflections" in block_texts(view)
    assert "stories" not in block_texts(view)  # no stories in this build (VOICE.md)
    assert "<@U0DANA>" in block_texts(view)
    assert view["close"]["text"] == "Stay"


def test_leave_modal_escapes_and_works_without_partner() -> None:
    lonely = MembershipSummary(
        program_id=7, program_name=HOSTILE, role=Role.MENTEE, status=MembershipStatus.ACTIVE
    )
    view = leave_modal(lonely)
    check_modal(view, callback_id=ids.LEAVE_VIEW)
    assert_inert(view)


def test_leave_done() -> None:
    deleted = leave_done_message(deleted=True, program_name=HOSTILE)
    check_message(deleted)
    assert "deleted" in deleted["text"]
    assert "response_type" not in deleted
    assert_inert(deleted)
    kept = leave_done_message(deleted=False, program_name="Pilot")
    check_message(kept)
    assert "/mentor join" in kept["text"]


def test_partner_notices_are_kind_and_safe() -> None:
    for build in (partner_left_message, partner_deactivated_message):
        message = build(partner_name=HOSTILE, program_name=HOSTILE)
        check_message(message)
        assert_inert(message)
        texts = block_texts(message)
        assert "next round" in texts
        assert "/mentor pause" in texts
        for blame in ("why", "because", "reason:", "failed", "sorry to"):
            assert blame not in texts.lower()
        unnamed = build(partner_name=None, program_name="Pilot")
        check_message(unnamed)
        assert unnamed["text"].startswith("A change to your pairing in the Pilot: Your partner")


def test_profile_line_is_cut_before_escaping_and_stays_within_its_limit() -> None:
    ampersands = PersonalStatus(
        name="Sam",
        career_stage=CareerStage.EARLY_CAREER,
        department="&" * 80,
        teaches=tuple("R&D " + "&" * 50 for _ in range(10)),
        learns=("Q&A",),
        memberships=(PILOT,),
    )
    line = profile_line(ampersands)
    assert len(line) <= PROFILE_LINE_MAX and line.endswith("…")
    assert re.search(r"&(?!amp;|lt;|gt;)", line) is None, "no entity cut in half"
    short = profile_line(SAM)
    assert short == (
        "Early career · Marketing · shares TikTok for brands, AI tools for everyday work · "
        "learning Stakeholder management"
    )
