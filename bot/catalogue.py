"""The default skill catalogue and the rules for skill names.

A program starts with DEFAULT_CATALOGUE; admins then add, rename and retire skills.
Skills are told apart by `normalise_skill(name)`, so "AI tools" and " ai  TOOLS"
are the same skill.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Set

from bot.slack.text import clean_text, find_hidden

SKILL_NAME_MAX = 60  # skills.name and skills.name_key are String(60)
CATEGORY_MAX = 60
OTHER_CATEGORY = "Other"  # shown for skills without a category

# Category -> skills. Reverse-mentoring themes first; the last category is what
# leaders commonly offer back, since the exchange runs both ways.
DEFAULT_CATALOGUE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Social media & short video",
        (
            "TikTok for brands",
            "Instagram Reels",
            "YouTube Shorts",
            "Short-form video editing",
            "LinkedIn personal branding",
            "Creator and influencer culture",
            "Online communities (Discord, Reddit)",
        ),
    ),
    (
        "AI tools",
        (
            "AI tools for everyday work",
            "Prompt writing",
            "AI note-takers and meeting assistants",
            "AI for writing and editing",
            "AI image and video generation",
            "No-code automation",
            "Using AI responsibly",
        ),
    ),
    (
        "Data & analytics",
        (
            "Data dashboards",
            "Spreadsheet power skills",
            "Data storytelling",
            "SQL basics",
            "A/B testing",
        ),
    ),
    (
        "Emerging tech",
        (
            "Augmented reality (AR)",
            "Virtual reality (VR)",
            "Gaming and esports culture",
            "Mobile-first design",
            "Cybersecurity habits",
            "Digital payments and fintech apps",
        ),
    ),
    (
        "Collaboration tools",
        (
            "Slack power tips",
            "Shared docs and wikis (Notion, Confluence)",
            "Virtual whiteboards (Miro, FigJam)",
            "Async video updates (Loom)",
            "Running great hybrid meetings",
            "Project boards (Trello, Asana, Jira)",
        ),
    ),
    (
        "Workplace culture",
        (
            "Gen Z workplace expectations",
            "Flexible and remote work",
            "Feedback that lands with younger teams",
            "Onboarding new joiners",
            "Internet culture and memes",
            "Work-life boundaries",
        ),
    ),
    (
        "Wellbeing & inclusion",
        (
            "Mental-health advocacy",
            "Diversity, equity and inclusion",
            "Inclusive language",
            "Neurodiversity at work",
            "Accessible digital content",
        ),
    ),
    (
        "Purpose & sustainability",
        (
            "Purpose-driven work",
            "Sustainability at work",
            "Climate and green tech",
            "Ethical consumer trends",
            "Volunteering and social impact",
        ),
    ),
    (
        "Leadership & career",
        (
            "Career guidance",
            "Navigating the organisation",
            "Stakeholder management",
            "Presenting to senior audiences",
            "Strategic thinking",
            "Business and financial basics",
            "Negotiation",
        ),
    ),
)


# The theme groups in pickers, in a deliberate order (not A-Z): the reverse-mentoring
# themes first, since they carry the picks the form requires (what a reverse mentor
# shares, what a leader learns); then "Leadership & career", what leaders offer back
# (the optional picks: the pickers' hints name career guidance); admins' own
# categories after those, A-Z; Other last.
_THEME_ORDER = {name.casefold(): rank for rank, (name, _) in enumerate(DEFAULT_CATALOGUE)}


def category_rank(category: str) -> tuple[int, str]:
    """Sort key of a skill category for pickers: the catalogue's order, then A-Z, Other last."""
    key = clean_text(category, multiline=False).casefold()
    if key in _THEME_ORDER:
        return (0, f"{_THEME_ORDER[key]:04d}")
    if not key or key == OTHER_CATEGORY.casefold():
        return (2, "")
    return (1, key)


def clean_skill_name(name: str) -> str:
    """The name as shown: the one free-text rule (bot.slack.text) for one line, case kept.

    Trimmed, inner whitespace collapsed, NFC, zero-width characters dropped; empty when
    nothing visible is left.
    """
    return clean_text(name, multiline=False)


def normalise_skill(name: str) -> str:
    """The identity key of a skill name: cleaned and case-folded.

    NFC again after folding: case-folding can decompose ("ǰ"), and the key must be one
    spelling however the name was typed.
    """
    return unicodedata.normalize("NFC", clean_skill_name(name).casefold())


def skill_name_error(name: str, *, taken_keys: Set[str]) -> str | None:
    """Why `name` can't be a new (or renamed) skill, or None when it can.

    `taken_keys` are the normalised names already in the program (retired ones
    included), without the skill being renamed, so a change of case is allowed.
    """
    hidden = find_hidden(name)
    if hidden is not None:
        return f"Skill names can't contain {hidden.describe()}. Please retype that part."
    cleaned = clean_skill_name(name)
    if not cleaned:
        if name.strip():  # something was typed, but nothing that shows
            return "That name is only invisible characters. Give the skill a name."
        return "Give the skill a name."
    # The key can be longer than the name ("ß" folds to "ss"); both must fit.
    if len(cleaned) > SKILL_NAME_MAX or len(normalise_skill(cleaned)) > SKILL_NAME_MAX:
        return f"Keep skill names to {SKILL_NAME_MAX} characters."
    if normalise_skill(cleaned) in taken_keys:
        return f"“{cleaned}” is already in the catalogue."
    return None


def clean_category(category: str, *, existing: Set[str] = frozenset()) -> str:
    """A category as stored: cleaned, and spelt like an existing one when it matches."""
    cleaned = clean_skill_name(category)
    by_key = {normalise_skill(c): c for c in existing}
    return by_key.get(normalise_skill(cleaned), cleaned)
