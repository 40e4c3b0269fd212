"""Run the Alembic migrations shipped inside the package (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from openarc.db.engine import Database


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "openarc.db:migrations")
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to call on every start."""
    config = alembic_config(db)
    with db.write() as conn:
        if not db.is_sqlite:
            # Several workers may start at once: one migrates, the others wait.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7262010)")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
