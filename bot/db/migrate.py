"""Alembic, driven from code: `mentorbot db upgrade`, `serve` at start, tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = url
    return config


def upgrade_to_head(url: str) -> None:
    """Bring the schema to head. Safe when two processes start at once (see env.py)."""
    command.upgrade(build_alembic_config(url), "head")


def downgrade_to_base(url: str) -> None:
    command.downgrade(build_alembic_config(url), "base")
