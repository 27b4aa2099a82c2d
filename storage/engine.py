"""Engines for SQLite and PostgreSQL, with the durability settings DESIGN.md asks for."""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.errors import DatabaseUnavailable

BUSY_TIMEOUT_MS = 10_000
# Execution option for the retention purge's delete batches (see _sqlite_engine).
PURGE_BATCH = "purge_batch"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def database_exists(engine: Engine) -> bool:
    """True if the database already holds kiosk tables (checked without creating anything)."""
    path = sqlite_path(str(engine.url))
    if path is not None and not path.exists():
        return False
    with engine.connect().execution_options(readonly=True) as conn:
        names = set(inspect(conn).get_table_names())
    return bool(names & {"visits", "kiosk_data_keys", "alembic_version"})


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, synchronous=FULL, secure_delete and IMMEDIATE
    transactions (so concurrent writers wait on the busy timeout instead of deadlocking)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def standby_engine(engine: Engine) -> Engine | None:
    """For a PostgreSQL URL naming several servers and asking for the one that accepts
    writes (``host=a&host=b&target_session_attrs=read-write``): an engine on the same
    servers taking any that answers, a standby included, for reading while no server
    accepts writes (the primary gone, the standby not promoted yet). None otherwise."""
    url = engine.url
    if url.get_backend_name() != "postgresql":
        return None
    hosts = url.query.get("host")
    if not isinstance(hosts, tuple) or len(hosts) < 2:
        return None
    if url.query.get("target_session_attrs") != "read-write":
        return None
    return create_engine(
        url.update_query_dict({"target_session_attrs": "any"}),
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA foreign_keys=ON")
        # 64 MiB of page cache (the default is 2): purging a million rows in batches
        # otherwise re-reads the same index pages batch after batch.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        # A purge batch changed these; a pooled connection gets the defaults back.
        if record.info.pop(PURGE_BATCH, False):
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=1000")
            dbapi_conn.execute("PRAGMA synchronous=FULL")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(PURGE_BATCH):
            # Both may only change outside a transaction. No auto-checkpoint (it would
            # land inside the batch's lock; the purge checkpoints between batches), and
            # the commit does not wait for the disk: the checkpoint after the batch syncs
            # the WAL outside the lock. A power cut can undo batches not yet checkpointed
            # (nothing else, and the file stays consistent); the next purge deletes those
            # rows again.
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.info[PURGE_BATCH] = True
        if options.get("readonly"):
            conn.exec_driver_sql("BEGIN DEFERRED")
        else:
            begin_immediate(conn.connection.driver_connection)

    return engine


def begin_immediate(driver_connection: Any) -> None:
    """BEGIN IMMEDIATE on a pysqlite connection, asking for the write lock every 2 ms until
    the busy timeout. SQLite's own wait sleeps longer and longer between tries (100 ms
    each after the first 200 ms), so a writer waiting behind the purge's batches kept
    waking after the short gap between two had passed: a check-in waited 1.1 s behind a
    purge whose batches hold the lock about 60 ms each. Asking often catches the gap."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    driver_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                driver_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # extended codes too
                if not busy or time.monotonic() > deadline:
                    raise
            time.sleep(0.002)
    finally:
        driver_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def checkpoint(engine: Engine, *, passive: bool = False) -> None:
    """Fold the WAL back into the database file and truncate it (SQLite only).

    ``passive``: copy what it can without waiting for, or blocking, any reader or writer,
    and leave the file as it is; the next write then starts the WAL over from its
    beginning once everything in it was copied."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"PRAGMA wal_checkpoint({'PASSIVE' if passive else 'TRUNCATE'})")
        cur.close()
    finally:
        raw.close()


def _driver_unavailable(exc: BaseException | None) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")  # not imported at all on a SQLite kiosk
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


class db_errors:
    """Turns driver errors (locked, disk full, server gone) into DatabaseUnavailable."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, OperationalError):
            reason = str(exc.orig).splitlines()[0][:200] if exc.orig else "unknown"
            raise DatabaseUnavailable(f"the database could not be used: {reason}") from None
        # The same errors raised by a driver's cursor directly (storage.fastwrite).
        if _driver_unavailable(exc):
            reason = str(exc).splitlines()[0][:200] if str(exc) else "unknown"
            raise DatabaseUnavailable(f"the database could not be used: {reason}") from None
