"""What a regular install ships: every package under bot/, and the migrations."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from bot.db.migrate import script_location
from bot.slack.installs import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_under_bot_is_listed_for_setuptools() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "bot").rglob("__init__.py")
    }
    listed = set(config["packages"])
    assert on_disk | {"bot.migrations"} == listed
    assert config["package-dir"] == {"bot.migrations": "migrations"}
    assert (ROOT / "migrations" / "__init__.py").exists()  # a package, for importlib


def test_the_migrations_are_found_as_part_of_the_package() -> None:
    location = Path(script_location())
    assert (location / "env.py").is_file() and (location / "script.py.mako").is_file()
    assert sorted(p.name for p in (location / "versions").glob("0*.py"))[:2] == [
        "0001_initial_schema.py",
        "0002_checks_and_indexes.py",
    ]


def test_the_install_asks_for_exactly_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert manifest["oauth_config"]["redirect_urls"] == [
        f"https://mentorbot.example.com{REDIRECT_PATH}"
    ]
