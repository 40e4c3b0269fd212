"""Storage: the engine, the tables, and the Alembic migrations that create them."""

from openarc.db.engine import Database, describe
from openarc.db.migrate import upgrade

__all__ = ["Database", "describe", "upgrade"]
