"""Alembic, driven from code: `mentorbot db upgrade`, `serve` at start, tests.

The scripts live in the top-level migrations/ folder, which the package ships as
`bot.migrations`: found through importlib, they work from a wheel or an editable
install, whatever the working directory.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from bot.config import ConfigError

# SQLSTATEs PostgreSQL answers a login with (errcodes-appendix).
_LOGIN_REFUSED = {"28000", "28P01"}  # no such role (or pg_hba says no); wrong password
_NO_SUCH_DATABASE = "3D000"


def script_location() -> str:
    try:
        return str(importlib.resources.files("bot.migrations"))
    except ModuleNotFoundError:
        # A checkout run without (re)installing: the folder beside bot/.
        return str(Path(__file__).resolve().parents[2] / "migrations")


def build_alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    config.attributes["database_url"] = url
    return config


def upgrade_to_head(url: str) -> None:
    """Bring the schema to head. Safe when two processes start at once (see env.py).

    A database that cannot be reached or opened is a ConfigError naming DATABASE_URL.
    """
    _check_sqlite_path(url)
    try:
        command.upgrade(build_alembic_config(url), "head")
    except Exception as exc:
        line = explain_connect_failure(url, exc)
        if line is None:
            raise
        raise ConfigError(line) from None


def downgrade_to_base(url: str) -> None:
    command.downgrade(build_alembic_config(url), "base")


def _check_sqlite_path(url: str) -> None:
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    path = Path(database)
    if path.is_dir():
        raise ConfigError(
            f"DATABASE_URL: {path} is a folder, not a database file: "
            f"name a file in it, e.g. sqlite:///{path / 'mentorbot.db'}."
        )
    if not path.parent.is_dir():
        raise ConfigError(
            f"DATABASE_URL: the folder {path.parent} does not exist: "
            "create it, or name a database file in a folder that exists."
        )


def explain_connect_failure(url: str, exc: BaseException) -> str | None:
    """One line for a database that refused us at start, or None if it is something else."""
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    for cause in _causes(exc):
        state = getattr(cause, "sqlstate", None)
        if state in _LOGIN_REFUSED:
            return (
                f"DATABASE_URL: PostgreSQL at {where} refused the login ({cause}): "
                "check the user name and password in the URL."
            )
        if state == _NO_SUCH_DATABASE:
            return (
                f"DATABASE_URL: {cause} on {where}: create it (createdb {parsed.database}) "
                "or correct the database name in the URL."
            )
        if isinstance(cause, ConnectionRefusedError) or "Connect call failed" in str(cause):
            return (
                f"DATABASE_URL: could not reach the database at {where} (connection "
                "refused): check the host and port in the URL and that the server is running."
            )
        if isinstance(cause, ConnectionError) and "SSL" in str(cause):
            return (
                f"DATABASE_URL: the server at {where} does not offer TLS, which "
                f"sslmode={parsed.query.get('ssl')} asks for: turn TLS on at the server, "
                "or use sslmode=prefer (or disable) in the URL."
            )
        if isinstance(cause, OSError):  # DNS, timeouts, TLS errors, unwritable files
            reason = cause.strerror or str(cause) or type(cause).__name__
            return (
                f"DATABASE_URL: could not reach the database ({reason}); "
                "check the URL and that the server is running."
            )
        if parsed.get_backend_name() == "sqlite" and "unable to open" in str(cause):
            return (
                f"DATABASE_URL: SQLite could not open {parsed.database}: "
                "check that the file and its folder are writable."
            )
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (SQLAlchemy keeps the driver's error in .orig)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen
