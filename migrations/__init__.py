"""Alembic migrations, shipped inside the package as bot.migrations (see pyproject.toml)."""
