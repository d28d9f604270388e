"""The async engine and session factory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

Sessions = async_sessionmaker[AsyncSession]


def build_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for an async URL (see config.parse_database_url)."""
    if url.startswith("sqlite"):
        # Two processes share one file: wait for the writer instead of failing.
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Per connection. WAL (readers don't block the writer) is set once, by the
    # migrations: it stays with the file, and asking again takes a lock each connect.
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def build_sessions(engine: AsyncEngine) -> Sessions:
    # No lazy loads after commit in async code: keep loaded values.
    return async_sessionmaker(engine, expire_on_commit=False)
