"""Apply the Alembic migrations of the records database and of the key store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, inspect, text

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
HEADS: dict[Schema, str] = {"records": "0021", "keystore": "k0001"}
# Any constant: serialises concurrent migrations of one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x6B696F736B


def alembic_config(schema: Schema) -> Config:
    from alembic.config import Config  # only when migrating: see HEADS

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / schema))
    cfg.set_main_option("version_table", VERSION_TABLES[schema])
    return cfg


def upgrade(engine: Engine, schema: Schema, revision: str = "head") -> None:
    """Bring one database to ``revision``, inside one transaction (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: under an advisory lock), so kiosks starting together migrate once."""
    if revision == "head" and current_revision(engine, schema) == HEADS[schema]:
        return
    _migrate(engine, schema, revision, down=False)


def downgrade(engine: Engine, schema: Schema, revision: str) -> None:
    """Take one database back to ``revision`` (for tests and for undoing a release)."""
    _migrate(engine, schema, revision, down=True)


def _migrate(engine: Engine, schema: Schema, revision: str, *, down: bool) -> None:
    from alembic import command  # only when migrating: see HEADS

    cfg = alembic_config(schema)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A migration that rebuilds a table drops the old one, and with foreign keys
            # on that DROP would first delete its rows, cascading into the tables that
            # point at it. SQLite's own recipe: keys off outside the transaction, checked
            # before commit. (The setting cannot change inside a transaction.)
            _driver(conn).execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                    )
                cfg.attributes["connection"] = conn
                (command.downgrade if down else command.upgrade)(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"migration broke a foreign key in {broken[0]}")
        finally:
            if sqlite:
                _driver(conn).execute("PRAGMA foreign_keys=ON")


def _driver(conn: Connection) -> Any:
    """The driver's own connection: its statements run outside SQLAlchemy's transaction
    handling (which would wrap them in a BEGIN)."""
    return conn.connection.driver_connection


def current_revision(engine: Engine, schema: Schema) -> str | None:
    """The revision a database is at, or None if it has no version table yet."""
    table = VERSION_TABLES[schema]
    with engine.connect().execution_options(readonly=True) as conn:
        if not inspect(conn).has_table(table):
            return None
        return conn.execute(text(f"SELECT version_num FROM {table}")).scalar()
