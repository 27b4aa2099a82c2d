"""Apply the Alembic migrations of the records database and of the key store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

Schema = Literal["records", "keystore"]
_HERE = Path(__file__).parent / "migrations"
VERSION_TABLES: dict[Schema, str] = {
    "records": "alembic_version",
    "keystore": "kiosk_keystore_version",
}
# Any constant: serialises concurrent migrations of one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x6B696F736B


def alembic_config(schema: Schema) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / schema))
    cfg.set_main_option("version_table", VERSION_TABLES[schema])
    return cfg


def upgrade(engine: Engine, schema: Schema, revision: str = "head") -> None:
    """Bring one database to ``revision``, inside one transaction (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: under an advisory lock), so kiosks starting together migrate once."""
    cfg = alembic_config(schema)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
