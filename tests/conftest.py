"""Database fixtures: every DB test runs on SQLite and on PostgreSQL.

MENTORBOT_TEST_DATABASES picks the backends (default "sqlite,postgresql").
MENTORBOT_TEST_POSTGRES_URL is a server the suite may create databases on
(default postgresql://postgres@127.0.0.1:5432/test); the suite creates its own
database there and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import parse_database_url
from bot.db.engine import Sessions, build_engine, build_sessions
from bot.db.migrate import upgrade_to_head
from bot.db.tables import Base

BACKENDS = [
    b.strip() for b in os.environ.get("MENTORBOT_TEST_DATABASES", "sqlite,postgresql").split(",")
]
POSTGRES_URL = os.environ.get(
    "MENTORBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(_pg_dsn(POSTGRES_URL))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory: fresh_database_url(backend) -> an empty database's async URL."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "mentorbot.db"
            return parse_database_url(f"sqlite:///{path}")
        if backend == "postgresql":
            name = f"mentorbot_test_{uuid.uuid4().hex[:10]}"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
            created.append(name)
            url = make_url(parse_database_url(POSTGRES_URL)).set(database=name)
            return url.render_as_string(hide_password=False)
        raise ValueError(f"unknown test database backend {backend!r}")

    yield make
    for name in created:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, fresh_database_url: object) -> str:
    """A migrated database per backend, shared by the session; tests clean up after."""
    url: str = fresh_database_url(request.param)  # type: ignore[operator]
    upgrade_to_head(url)
    return url


async def _truncate_all(url: str) -> None:
    engine = build_engine(url)
    try:
        async with engine.begin() as connection:
            names = [t.name for t in reversed(Base.metadata.sorted_tables)]
            if engine.dialect.name == "postgresql":
                await connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
            else:
                for name in names:
                    await connection.execute(text(f"DELETE FROM {name}"))
    finally:
        await engine.dispose()


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    """Sessions on the migrated test database; every table is emptied afterwards."""
    engine = build_engine(database_url)
    try:
        yield build_sessions(engine)
    finally:
        await engine.dispose()
        await _truncate_all(database_url)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]
