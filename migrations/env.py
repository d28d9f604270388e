"""Alembic environment: async engine, batch mode for SQLite, one migrator at a time."""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from bot.config import load_settings
from bot.db.engine import build_engine
from bot.db.tables import Base, UTCDateTime

# Any constant shared by every mentorbot process: the PostgreSQL advisory lock id.
_MIGRATION_LOCK = 0x6D656E746F72


def _database_url() -> str:
    url = context.config.attributes.get("database_url")
    return str(url) if url else load_settings().DATABASE_URL


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations spell out plain types so later model changes cannot rewrite history.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Persistent in the file: readers never block the writer, in every process.
        # On the raw connection: SQLite refuses to change the journal inside a transaction.
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    if connection.dialect.name == "postgresql":
        # Two dynos starting together: the second waits here, then finds head.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """SQLite has no advisory locks; a lock file beside the database stands in."""
    database = make_url(url).database
    if not url.startswith("sqlite") or not database or database == ":memory:":
        yield
        return
    with Path(database + ".migrate.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def _run_online(url: str) -> None:
    engine = build_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    url = _database_url()
    with _sqlite_file_lock(url):
        asyncio.run(_run_online(url))


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `mentorbot db upgrade`")
run_migrations_online()
