from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.domain import CareerStage, MembershipStatus, Role, RoundStatus
from bot.learning_log import ReflectionStats
from bot.slack import ids
from bot.slack.views.home import home_view
from bot.slack.views.models import (
    MembershipSummary,
    Partner,
    PersonalStatus,
    ProgramSummary,
    RoundOverview,
)

from .blockkit import block_texts, check_home, walk

HOSTILE = "<!channel> <@U999> & <https://evil.example|click>"
WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def membership(**changes: Any) -> MembershipSummary:
    base: dict[str, Any] = {
        "program_id": 7,
        "program_name": "Pilot",
        "role": Role.MENTEE,
        "status": MembershipStatus.ACTIVE,
        "partners": (Partner("U0SAM", "Sam"),),
        "next_checkin_at": WHEN,
        "meetings_count": 2,
    }
    return MembershipSummary(**(base | changes))


def person(*memberships: MembershipSummary, **changes: Any) -> PersonalStatus:
    base: dict[str, Any] = {
        "name": "Dana",
        "career_stage": CareerStage.SENIOR_LEADER,
        "department": "Brand",
        "goals": "Post our first short video",
        "teaches": ("Career guidance",),
        "learns": ("TikTok for brands", "Prompt writing"),
        "memberships": memberships,
    }
    return PersonalStatus(**(base | changes))


def buttons(view: dict[str, Any]) -> dict[str, list[str | None]]:
    found: dict[str, list[str | None]] = {}
    for node in walk(view["blocks"]):
        if node.get("type") == "button":
            found.setdefault(node["action_id"], []).append(node.get("value"))
    return found


def test_enrolled_home() -> None:
    view = home_view(person(membership()), is_admin=False)
    check_home(view)
    texts = block_texts(view)
    assert "<@U0SAM>" in texts
    assert "Senior leader" in texts and "TikTok for brands" in texts
    assert f"<!date^{int(WHEN.timestamp())}^" in texts
    assert "Meetings so far: 2" in texts
    assert buttons(view) == {ids.HOME_EDIT_PROFILE: ["7"], ids.HOME_REFLECT: ["7"]}
    assert pause_lengths(view) == ["2 weeks", "1 month", "3 months", "Until I resume"]
    assert "Program admin" not in texts


def pause_lengths(view: dict[str, Any]) -> list[str]:
    """The options of Home's "Pause for…" select (ids.HOME_PAUSE_FOR)."""
    for node in walk(view["blocks"]):
        if node.get("type") == "static_select" and node.get("action_id") == ids.HOME_PAUSE_FOR:
            return [option["text"]["text"] for option in node["options"]]
    return []


def test_paused_shows_resume_and_the_pause_but_promises_no_round() -> None:
    view = home_view(
        person(membership(status=MembershipStatus.PAUSED, partners=(), next_checkin_at=None)),
        is_admin=False,
    )
    check_home(view)
    assert set(buttons(view)) == {ids.HOME_EDIT_PROFILE, ids.HOME_RESUME}
    assert pause_lengths(view) == []
    texts = block_texts(view)
    assert "Paused until you resume" in texts
    assert "next round" not in texts and "paired" not in texts


def test_unpaired_home_says_when_the_next_round_starts_or_who_decides() -> None:
    dated = home_view(
        person(membership(partners=(), next_checkin_at=None, next_round_on=date(2025, 4, 7))),
        is_admin=False,
    )
    check_home(dated)
    noon = int(datetime(2025, 4, 7, 12, tzinfo=UTC).timestamp())
    assert f"when the next round starts on <!date^{noon}^" in block_texts(dated)
    undated = home_view(person(membership(partners=(), next_checkin_at=None)), is_admin=False)
    assert "when the program's admins start the next round" in block_texts(undated)


def test_not_enrolled_home_invites_to_join() -> None:
    left = membership(status=MembershipStatus.LEFT)
    for status in (None, person(left)):
        view = home_view(status, is_admin=False)
        check_home(view)
        assert buttons(view) == {ids.HOME_JOIN: [None]}
        texts = block_texts(view)
        assert "Early-career colleagues" in texts and "private" in texts


def test_admin_sees_programs_with_manage_skills() -> None:
    programs = [ProgramSummary(id=7, name="Pilot", members=12, paused=1, skills=54)]
    view = home_view(None, is_admin=True, programs=programs)
    check_home(view)
    assert buttons(view)[ids.HOME_MANAGE_SKILLS] == ["7"]
    assert "12 enrolled · 1 paused" in block_texts(view)
    assert "54 skills" in block_texts(view)
    empty = home_view(None, is_admin=True)
    check_home(empty)
    assert "Manage programs" in block_texts(empty)
    assert buttons(empty) == {ids.HOME_JOIN: [None], ids.HOME_MANAGE_PROGRAMS: [None]}


def test_home_fits_100_blocks_at_the_extremes() -> None:
    many = tuple(membership(program_id=i, program_name=f"P{i}") for i in range(1, 40))
    programs = [ProgramSummary(id=i, name=f"P{i}") for i in range(1, 80)]
    view = home_view(person(*many), is_admin=True, programs=programs)
    check_home(view)
    assert "more" in block_texts(view)


def test_home_escapes_user_text() -> None:
    hostile = person(
        membership(program_name=HOSTILE, partners=(Partner("bad id", HOSTILE),)),
        name=HOSTILE,
        department=HOSTILE,
        goals=HOSTILE * 8,
        teaches=(HOSTILE,),
        learns=(HOSTILE,),
    )
    view = home_view(hostile, is_admin=True, programs=[ProgramSummary(id=1, name=HOSTILE)])
    check_home(view)
    texts = block_texts(view)
    assert "<!channel>" not in texts and "<@U999>" not in texts and "<https://evil" not in texts


def test_an_over_long_profile_section_is_cut_between_entities() -> None:
    # Within the field limits, escaping can still pass 3000: 10 x 60 "&" is 3000 alone.
    view = home_view(
        person(membership(), teaches=tuple("&" * 60 for _ in range(10)), goals="<" * 500),
        is_admin=False,
    )
    check_home(view)
    profile = view["blocks"][1]["text"]["text"]
    assert len(profile) <= 3000 and profile.endswith("…")
    assert re.search(r"&(?!amp;|lt;|gt;)", profile) is None, "no entity cut in half"


def test_stored_control_characters_are_never_echoed() -> None:
    view = home_view(
        person(membership(), department="Mark\x1beting\x07", goals="Grow\x00 fast"),
        is_admin=False,
    )
    texts = block_texts(view)
    assert "Marketing" in texts and "Grow fast" in texts
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", texts)


# --- the admin's program view (issue 9) -------------------------------------------


def test_admin_home_shows_each_program_its_round_counts_and_actions() -> None:
    running = ProgramSummary(
        id=3, name="AI Pilot", members=14, paused=2, skills=20, is_open=False, cadence_days=28,
        next_round_on=date(2026, 3, 2),
        current_round=RoundOverview(2, WHEN, WHEN + timedelta(weeks=12), RoundStatus.ANNOUNCED),
        matched=5, met=4, awaiting_consent=1,
    )  # fmt: skip
    idle = ProgramSummary(id=4, name="Exchange", next_round_on=None)
    view = home_view(person(membership()), is_admin=True, programs=[running, idle])
    check_home(view)
    texts = block_texts(view)
    assert "*AI Pilot* · closed · monthly · next round Mon 2 Mar 2026" in texts
    assert f"Round 2 · <!date^{int(WHEN.timestamp())}^{{date_short}}|" in texts
    assert "· running" in texts
    assert "14 enrolled · 2 paused · 5 matched · 4 met at least once · 1 waiting for consent" in (
        texts
    )
    assert "*Exchange* · open · every 2 weeks\nNo round running." in texts
    found = buttons(view)
    assert found[ids.PAIR_PREVIEW_BUTTON] == ["3", "4"]
    assert found[ids.HOME_MANAGE_SKILLS] == ["3", "4"]
    assert found[ids.HOME_MANAGE_PROGRAMS] == [None]


def test_a_non_admin_home_has_no_admin_part_even_when_programs_are_passed() -> None:
    programs = [ProgramSummary(id=3, name="AI Pilot", members=14)]
    view = home_view(person(membership()), is_admin=False, programs=programs)
    check_home(view)
    found = buttons(view)
    admin_buttons = {ids.HOME_MANAGE_PROGRAMS, ids.PAIR_PREVIEW_BUTTON, ids.HOME_MANAGE_SKILLS}
    assert not admin_buttons & found.keys()
    assert "Program admin" not in block_texts(view) and "AI Pilot" not in block_texts(view)


def test_admins_see_an_average_rating_only_once_three_people_have_rated() -> None:
    programs = [ProgramSummary(id=3, name="AI Pilot"), ProgramSummary(id=4, name="Exchange")]

    def shown(raters: int) -> str:
        stats = {3: ReflectionStats(count=7, average_rating=4.25, raters=raters)}
        return block_texts(home_view(None, is_admin=True, programs=programs,
                                     reflection_stats=stats))  # fmt: skip

    assert "7 reflections · average 4.2 of 5" in shown(3)
    two = shown(2)
    assert "average 4" not in two and "shows once 3 people have rated" in two
    assert "No reflections yet" in shown(3)  # the other program
