"""The migrations build exactly the models' schema, both ways, on every backend."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db.engine import build_engine
from bot.db.migrate import build_alembic_config, downgrade_to_base, upgrade_to_head
from bot.db.tables import Base
from tests.conftest import BACKENDS


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str, fn: Any) -> Any:
    engine = build_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_matches_models(backend: str, fresh_database_url: Any) -> None:
    url = fresh_database_url(backend)
    upgrade_to_head(url)
    assert asyncio.run(_inspect(url, _diff)) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_to_base_and_up_again(backend: str, fresh_database_url: Any) -> None:
    url = fresh_database_url(backend)
    upgrade_to_head(url)
    downgrade_to_base(url)
    assert asyncio.run(_inspect(url, _tables)) <= {"alembic_version"}
    upgrade_to_head(url)
    assert asyncio.run(_inspect(url, _diff)) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_upgrading_at_once_both_succeed(
    backend: str, fresh_database_url: Any
) -> None:
    # Alembic keeps global state, so "two processes" means two real processes.
    url = fresh_database_url(backend)
    env = {**os.environ, "DATABASE_URL": url}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert sum("Running upgrade  -> 0001" in out for out in outputs) == 1
    assert asyncio.run(_inspect(url, _diff)) == []


def test_single_head() -> None:
    script = ScriptDirectory.from_config(build_alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1
