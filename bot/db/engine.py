"""The async engine and session factory.

SQLite: pysqlite's own transaction handling begins transactions lazily, only before
a write, and commits on its own around DDL — which breaks SAVEPOINT (a nested step
commits its caller's work) and leaves reads before the first write outside any
transaction. As SQLAlchemy documents for pysqlite and aiosqlite, we switch it off
and emit BEGIN ourselves:
https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl

Transactions that write take the write lock at BEGIN (BEGIN IMMEDIATE), so two
read-modify-writes run one after the other instead of one overwriting the other, or
failing with SQLITE_BUSY when its snapshot turns stale. Read-only sessions
(`reading`) begin deferred, so readers never queue behind writers (WAL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

Sessions = async_sessionmaker[AsyncSession]

_READ_ONLY = "mentorbot_read_only"


def build_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for an async URL (see config.parse_database_url)."""
    if url.startswith("sqlite"):
        # Two processes share one file: wait for the writer instead of failing.
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit BEGIN/COMMIT from the driver
    cursor = dbapi_connection.cursor()
    # Per connection. WAL (readers don't block the writer) is set once, by the
    # migrations: it stays with the file, and asking again takes a lock each connect.
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def build_sessions(engine: AsyncEngine) -> Sessions:
    # No lazy loads after commit in async code: keep loaded values.
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def reading(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A session that only reads: one consistent snapshot, never waiting on writers."""
    async with sessions() as session:
        await session.connection(execution_options={_READ_ONLY: True})
        yield session
