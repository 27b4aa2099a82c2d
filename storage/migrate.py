"""Apply the Alembic migrations of the records database and of the key store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

Schema = Literal["records", "keystore"]
_HERE = Path(__file__).parent / "migrations"
VERSION_TABLES: dict[Schema, str] = {
    "records": "alembic_version",
    "keystore": "kiosk_keystore_version",
}
# The newest revision of each schema. A database already there is not handed to Alembic
# at start (importing it and reading the scripts costs a tenth of a second); a test
# checks these against the scripts.
HEADS: dict[Schema, str] = {"records": "0003", "keystore": "k0001"}
# Any constant: serialises concurrent migrations of one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x6B696F736B


def alembic_config(schema: Schema) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / schema))
    cfg.set_main_option("version_table", VERSION_TABLES[schema])
    return cfg


def upgrade(engine: Engine, schema: Schema, revision: str = "head") -> None:
    """Bring one database to ``revision``, inside one transaction (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: under an advisory lock), so kiosks starting together migrate once."""
    if revision == "head" and current_revision(engine, schema) == HEADS[schema]:
        return
    from alembic import command

    cfg = alembic_config(schema)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine, schema: Schema) -> str | None:
    """The revision a database is at, or None if it has no version table yet."""
    table = VERSION_TABLES[schema]
    with engine.connect().execution_options(readonly=True) as conn:
        if not inspect(conn).has_table(table):
            return None
        return conn.execute(text(f"SELECT version_num FROM {table}")).scalar()
