from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import CareerStage, Role
from bot.slack import ids
from bot.slack.forms import (
    EnrollmentForm,
    InputError,
    NewSkill,
    SkillChanges,
    SkillRename,
    parse_enrollment,
    parse_enrollment_draft,
    parse_leave,
    parse_pause_weeks,
    parse_skill_admin,
    parse_view_metadata,
)
from bot.slack.views.models import ProgramOption, SkillOption, ViewMetadata

from .blockkit import multi, radio, select, state, text

PILOT = ProgramOption(id=7, name="Pilot", min_leader_stage=3, min_stage_gap=1)
ENG = ProgramOption(id=8, name="Engineering")
SKILLS = {PILOT.id: frozenset({1, 2, 3, 4}), ENG.id: frozenset({11, 12})}
META = ViewMetadata(program_id=PILOT.id).to_json()


def good_values(**overrides: dict[str, Any]) -> dict[str, Any]:
    values = state(
        radio(ids.ENROLL_ROLE, "mentor"),
        select(ids.ENROLL_STAGE, "1"),
        text(ids.ENROLL_DEPARTMENT, "  Growth   marketing "),
        multi(ids.ENROLL_TEACHES, ["1", "2"]),
        multi(ids.ENROLL_LEARNS, []),
        text(ids.ENROLL_GOALS, " Help a leader feel at home on TikTok \n"),
        select(ids.ENROLL_CADENCE, "14"),
        select(ids.ENROLL_MAX_MENTEES, "2"),
    )
    for part in overrides.values():
        values.update(part)
    return values


def parse(values: Any, *, programs: list[ProgramOption] | None = None, meta: Any = META) -> Any:
    return parse_enrollment(
        values,
        programs=[PILOT] if programs is None else programs,
        active_skill_ids=SKILLS,
        private_metadata=meta,
    )


def test_good_mentor() -> None:
    assert parse(good_values()) == EnrollmentForm(
        program_id=PILOT.id,
        role=Role.MENTOR,
        career_stage=CareerStage.EARLY_CAREER,
        department="Growth marketing",
        teaches=frozenset({1, 2}),
        learns=frozenset(),
        goals="Help a leader feel at home on TikTok",
        cadence_days=14,
        max_mentees=2,
    )


def test_good_leader_and_either() -> None:
    leader = parse(
        good_values(
            role=radio(ids.ENROLL_ROLE, "mentee"),
            stage=select(ids.ENROLL_STAGE, "4"),
            teaches=multi(ids.ENROLL_TEACHES, []),
            learns=multi(ids.ENROLL_LEARNS, ["3"]),
        )
    )
    assert isinstance(leader, EnrollmentForm)
    assert leader.role is Role.MENTEE and leader.learns == {3} and leader.teaches == frozenset()
    either = parse(
        good_values(role=radio(ids.ENROLL_ROLE, "either"), learns=multi(ids.ENROLL_LEARNS, ["4"]))
    )
    assert isinstance(either, EnrollmentForm) and either.role is Role.EITHER


def test_missing_choices_are_required() -> None:
    errors = parse(
        good_values(
            role=radio(ids.ENROLL_ROLE, None),
            stage=select(ids.ENROLL_STAGE, None),
            cadence=select(ids.ENROLL_CADENCE, None),
            mentees=select(ids.ENROLL_MAX_MENTEES, None),
        )
    )
    assert set(errors) == {
        ids.ENROLL_ROLE.block_id,
        ids.ENROLL_STAGE.block_id,
        ids.ENROLL_CADENCE.block_id,
        ids.ENROLL_MAX_MENTEES.block_id,
    }


def test_mentor_must_share_a_skill() -> None:
    errors = parse(good_values(teaches=multi(ids.ENROLL_TEACHES, [])))
    assert list(errors) == [ids.ENROLL_TEACHES.block_id]
    assert "at least one" in errors[ids.ENROLL_TEACHES.block_id]


def test_leader_must_want_a_skill() -> None:
    errors = parse(
        good_values(role=radio(ids.ENROLL_ROLE, "mentee"), stage=select(ids.ENROLL_STAGE, "4"))
    )
    assert list(errors) == [ids.ENROLL_LEARNS.block_id]


def test_either_needs_both_sides() -> None:
    errors = parse(
        good_values(role=radio(ids.ENROLL_ROLE, "either"), teaches=multi(ids.ENROLL_TEACHES, []))
    )
    assert set(errors) == {ids.ENROLL_TEACHES.block_id, ids.ENROLL_LEARNS.block_id}


def test_no_skill_rule_when_the_program_offers_none() -> None:
    form = parse_enrollment(
        good_values(teaches=multi(ids.ENROLL_TEACHES, [])),
        programs=[PILOT],
        active_skill_ids={},
        private_metadata=META,
    )
    assert isinstance(form, EnrollmentForm)


def test_leader_below_the_program_minimum_gets_a_kind_error() -> None:
    errors = parse(
        good_values(
            role=radio(ids.ENROLL_ROLE, "mentee"),
            stage=select(ids.ENROLL_STAGE, "2"),
            learns=multi(ids.ENROLL_LEARNS, ["3"]),
        )
    )
    message = errors[ids.ENROLL_STAGE.block_id]
    assert list(errors) == [ids.ENROLL_STAGE.block_id]
    assert "Experienced" in message and "reverse mentor" in message


def test_leader_at_the_minimum_is_fine_and_either_has_no_stage_rule() -> None:
    at_minimum = good_values(
        role=radio(ids.ENROLL_ROLE, "mentee"),
        stage=select(ids.ENROLL_STAGE, "3"),
        learns=multi(ids.ENROLL_LEARNS, ["3"]),
    )
    assert isinstance(parse(at_minimum), EnrollmentForm)
    either_early = good_values(
        role=radio(ids.ENROLL_ROLE, "either"), learns=multi(ids.ENROLL_LEARNS, ["3"])
    )
    assert isinstance(parse(either_early), EnrollmentForm)


def test_executive_cannot_be_only_a_reverse_mentor() -> None:
    errors = parse(good_values(stage=select(ids.ENROLL_STAGE, "5")))
    assert list(errors) == [ids.ENROLL_ROLE.block_id]


def test_text_limits() -> None:
    errors = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "d" * 81),
            goals=text(ids.ENROLL_GOALS, "g" * 501),
        )
    )
    assert set(errors) == {ids.ENROLL_DEPARTMENT.block_id, ids.ENROLL_GOALS.block_id}
    assert "500" in errors[ids.ENROLL_GOALS.block_id]
    ok = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, "d" * 80),
            goals=text(ids.ENROLL_GOALS, "g" * 500),
        )
    )
    assert isinstance(ok, EnrollmentForm)


def test_empty_optional_text_is_fine() -> None:
    form = parse(
        good_values(
            department=text(ids.ENROLL_DEPARTMENT, None), goals=text(ids.ENROLL_GOALS, None)
        )
    )
    assert isinstance(form, EnrollmentForm) and form.department == "" and form.goals == ""


@pytest.mark.parametrize("picked", [["99"], ["11"], ["1", "x"], ["-1"], ["1.0"], ["٣"]])
def test_unknown_or_foreign_skills_are_rejected(picked: list[str]) -> None:
    errors = parse(good_values(teaches=multi(ids.ENROLL_TEACHES, picked)))
    assert ids.ENROLL_TEACHES.block_id in errors


def test_too_many_skills() -> None:
    many = frozenset(range(1, 20))
    values = good_values(teaches=multi(ids.ENROLL_TEACHES, [str(i) for i in many]))
    errors = parse_enrollment(
        values, programs=[PILOT], active_skill_ids={PILOT.id: many}, private_metadata=META
    )
    assert isinstance(errors, dict)
    assert "up to 10" in errors[ids.ENROLL_TEACHES.block_id]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (ids.ENROLL_ROLE, "boss"),
        (ids.ENROLL_STAGE, "6"),
        (ids.ENROLL_STAGE, "0"),
        (ids.ENROLL_STAGE, "two"),
        (ids.ENROLL_CADENCE, "10"),
        (ids.ENROLL_CADENCE, "14.0"),
        (ids.ENROLL_MAX_MENTEES, "4"),
        (ids.ENROLL_MAX_MENTEES, "99999999999999999999999"),
    ],
)
def test_bad_choices_are_rejected(field: ids.InputId, value: str) -> None:
    errors = parse(good_values(bad=select(field, value)))
    assert field.block_id in errors


def test_program_from_the_select_when_shown() -> None:
    values = good_values(
        program=select(ids.ENROLL_PROGRAM, str(ENG.id)),
        teaches=multi(ids.ENROLL_TEACHES, ["11"]),
    )
    form = parse(values, programs=[PILOT, ENG])
    assert isinstance(form, EnrollmentForm) and form.program_id == ENG.id
    # Skills shown for the other program don't belong to this one.
    errors = parse(
        good_values(program=select(ids.ENROLL_PROGRAM, str(ENG.id))), programs=[PILOT, ENG]
    )
    assert ids.ENROLL_TEACHES.block_id in errors


def test_program_select_must_name_an_open_program() -> None:
    for value in (None, "99", "abc"):
        errors = parse(good_values(program=select(ids.ENROLL_PROGRAM, value)), programs=[PILOT])
        assert ids.ENROLL_PROGRAM.block_id in errors


@pytest.mark.parametrize(
    "meta",
    [
        None,
        "",
        "not json",
        "[]",
        '{"program_id": "7"}',
        '{"program_id": true}',
        '{"program_id": 7, "editing": "yes"}',
        '{"program_id": 99}',
        ViewMetadata(program_id=PILOT.id).to_json() + " " * 3000,
    ],
)
def test_bad_or_stale_metadata_is_an_error_not_a_crash(meta: Any) -> None:
    errors = parse(good_values(), meta=meta)
    assert isinstance(errors, dict)
    assert "isn't open" in errors[ids.ENROLL_ROLE.block_id]


def test_view_metadata_round_trip() -> None:
    meta = ViewMetadata(program_id=3, editing=True)
    assert parse_view_metadata(meta.to_json()) == meta
    assert parse_view_metadata('{"program_id": 3}') == ViewMetadata(program_id=3)
    assert parse_view_metadata('{"program_id": 0}') is None
    assert parse_view_metadata(12) is None


def test_draft_from_partial_state() -> None:
    values = state(
        select(ids.ENROLL_PROGRAM, str(ENG.id)),
        radio(ids.ENROLL_ROLE, "either"),
        select(ids.ENROLL_STAGE, "9"),
        text(ids.ENROLL_GOALS, "  grow  "),
        multi(ids.ENROLL_TEACHES, ["1", "2"]),
    )
    draft = parse_enrollment_draft(values, private_metadata=META)
    assert draft.program_id == ENG.id
    assert draft.role is Role.EITHER
    assert draft.career_stage is None
    assert draft.goals == "grow"
    assert draft.teaches == {1, 2}
    assert draft.cadence_days is None and draft.max_mentees == 1
    assert parse_enrollment_draft({}, private_metadata=META).program_id == PILOT.id
    assert parse_enrollment_draft(None, private_metadata=None).program_id is None


# --- pause ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "weeks"),
    [("", None), ("   ", None), ("4", 4), (" 2 weeks", 2), ("1 week", 1), ("3w", 3), ("52", 52)],
)
def test_pause_weeks(raw: str, weeks: int | None) -> None:
    assert parse_pause_weeks(raw) == weeks


@pytest.mark.parametrize("raw", ["0", "53", "1000", "-1", "two", "1.5", "٣", "4 days", "4 4"])
def test_pause_weeks_errors(raw: str) -> None:
    result = parse_pause_weeks(raw)
    assert isinstance(result, InputError)
    assert "/mentor pause" in result.message


# --- leave ---------------------------------------------------------------------------


def test_parse_leave() -> None:
    ticked = multi(ids.LEAVE_DELETE, [ids.LEAVE_DELETE_VALUE])
    assert parse_leave(ticked) is True
    assert parse_leave(multi(ids.LEAVE_DELETE, [])) is False
    assert parse_leave({}) is False
    assert parse_leave({ids.LEAVE_DELETE.block_id: "junk"}) is False


# --- skill admin ---------------------------------------------------------------------

ADMIN_SKILLS = [
    SkillOption(1, "TikTok for brands", "Social media"),
    SkillOption(2, "Prompt writing", "AI tools"),
    SkillOption(3, "Fax etiquette", "Old ways", retired=True),
]


def admin(*parts: dict[str, Any]) -> SkillChanges | dict[str, str]:
    return parse_skill_admin(state(*parts), program_id=7, skills=ADMIN_SKILLS)


def admin_errors(*parts: dict[str, Any]) -> dict[str, str]:
    result = admin(*parts)
    assert isinstance(result, dict), result
    return result


def test_nothing_changed() -> None:
    changes = admin(
        text(ids.SKILLS_ADD, None),
        select(ids.SKILLS_RENAME, None),
        text(ids.SKILLS_NEW_NAME, None),
        multi(ids.SKILLS_RETIRED, ["3"]),
    )
    assert changes == SkillChanges(program_id=7)
    assert isinstance(changes, SkillChanges) and changes.is_empty


def test_add_with_and_without_category() -> None:
    changes = admin(
        text(ids.SKILLS_ADD, "ai TOOLS:  Prompt   libraries\n\nBeReal\nNew cat: Threads")
    )
    assert isinstance(changes, SkillChanges)
    assert changes.added == (
        NewSkill("Prompt libraries", "AI tools"),  # existing category spelling reused
        NewSkill("BeReal", "Other"),
        NewSkill("Threads", "New cat"),
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("BeReal\n prompt WRITING", "Line 2"),
        ("BeReal\nbereal", "Line 2"),
        ("Fax etiquette", "retired"),
        ("AI: ", "Line 1"),
        ("x" * 61, "60"),
        ("C" * 61 + ": Name", "categories"),
        ("\n".join(f"Skill {i}" for i in range(51)), "50"),
    ],
)
def test_add_errors(lines: str, expected: str) -> None:
    errors = admin(text(ids.SKILLS_ADD, lines))
    assert isinstance(errors, dict)
    assert expected in errors[ids.SKILLS_ADD.block_id]


def test_rename() -> None:
    changes = admin(select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, " Prompt  craft "))
    assert isinstance(changes, SkillChanges)
    assert changes.renamed == SkillRename(skill_id=2, name="Prompt craft")
    case_only = admin(select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, "Prompt Writing"))
    assert isinstance(case_only, SkillChanges) and case_only.renamed is not None
    same = admin(select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, "Prompt writing"))
    assert same == SkillChanges(program_id=7)


def test_rename_errors() -> None:
    assert ids.SKILLS_NEW_NAME.block_id in admin_errors(select(ids.SKILLS_RENAME, "2"))
    assert ids.SKILLS_RENAME.block_id in admin_errors(text(ids.SKILLS_NEW_NAME, "Something"))
    assert ids.SKILLS_RENAME.block_id in admin_errors(
        select(ids.SKILLS_RENAME, "42"), text(ids.SKILLS_NEW_NAME, "x")
    )
    clash = admin_errors(
        select(ids.SKILLS_RENAME, "2"), text(ids.SKILLS_NEW_NAME, "tiktok for BRANDS")
    )
    assert "already" in clash[ids.SKILLS_NEW_NAME.block_id]
    # A rename and an added line can't land on the same name.
    both = admin_errors(
        select(ids.SKILLS_RENAME, "2"),
        text(ids.SKILLS_NEW_NAME, "Prompt craft"),
        text(ids.SKILLS_ADD, "prompt craft"),
    )
    assert ids.SKILLS_ADD.block_id in both


def test_retire_and_bring_back() -> None:
    changes = admin(multi(ids.SKILLS_RETIRED, ["1"]))
    assert isinstance(changes, SkillChanges)
    assert changes.retire == {1} and changes.unretire == {3}
    assert admin(multi(ids.SKILLS_RETIRED, ["1", "77"])) == {
        ids.SKILLS_RETIRED.block_id: "The list has changed. Please pick again."
    }


# --- never raises --------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
_value_text = st.sampled_from(
    [
        "",
        "1",
        "2",
        "3",
        "4",
        "5",
        "7",
        "8",
        "11",
        "14",
        "28",
        "mentor",
        "mentee",
        "either",
        ids.LEAVE_DELETE_VALUE,
        "x" * 600,
        "-1",
    ]
)
_option = st.one_of(st.fixed_dictionaries({"value": _value_text}), _json)
_element = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(
            ["static_select", "radio_buttons", "plain_text_input", "checkboxes"]
        ),
        "value": st.one_of(st.none(), st.text(max_size=600), _json),
        "selected_option": st.one_of(st.none(), _option),
        "selected_options": st.one_of(st.lists(_option, max_size=12), _json),
    },
)
_fields = [v for v in vars(ids).values() if isinstance(v, ids.InputId)]
_values = st.one_of(
    st.dictionaries(
        st.sampled_from(_fields).map(lambda f: f.block_id),
        st.one_of(
            st.dictionaries(
                st.sampled_from(sorted({f.action_id for f in _fields})), _element, max_size=2
            ),
            _json,
        ),
        max_size=len(_fields),
    ),
    _json,
)
_metadata = st.one_of(st.just(META), st.just('{"program_id": 8}'), st.text(max_size=40), _json)


@settings(max_examples=150, deadline=None)
@given(values=_values, meta=_metadata)
def test_parsers_never_raise(values: Any, meta: Any) -> None:
    known = {f.block_id for f in _fields}
    result = parse_enrollment(
        values, programs=[PILOT, ENG], active_skill_ids=SKILLS, private_metadata=meta
    )
    if isinstance(result, dict):
        assert result and set(result) <= known
        assert all(isinstance(m, str) and m for m in result.values())
    else:
        assert result.program_id in {PILOT.id, ENG.id}
        assert result.teaches <= SKILLS[result.program_id]
    parse_enrollment_draft(values, private_metadata=meta)
    parse_leave(values)
    changes = parse_skill_admin(values, program_id=7, skills=ADMIN_SKILLS)
    if isinstance(changes, dict):
        assert changes and set(changes) <= known


@given(st.text(max_size=30))
def test_pause_never_raises(raw: str) -> None:
    result = parse_pause_weeks(raw)
    assert result is None or isinstance(result, InputError) or 1 <= result <= 52
