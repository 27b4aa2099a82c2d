"""Writing a check-in quickly: its rows go on the driver's own connection.

A check-in is a handful of small rows and an audit event; through SQLAlchemy each
statement costs tens of microseconds of statement handling, and its Connection, events
and BEGIN as much again, more than the rows themselves. Here the SQL text is built once
per table and column set, values pass through the same bind processors SQLAlchemy would
use for the dialect (UUIDs, UTC timestamps, days, booleans, JSON), and a driver
connection runs them.

The check-in's unit of work gathers its rows (Pending) and sends them when it ends
(storage.unit_of_work). On PostgreSQL, where the kiosk knows the head of its audit lane
(its own last event), they go with the events in ONE statement (data-modifying WITH
clauses, :meth:`RawWriter.insert_chained`): one round trip, its own transaction. The
statement takes the lane's lock and inserts its rows only where that event is still the
lane's newest; if another writer appended meanwhile, or the event is gone, it stores
nothing, and the check-in goes through :meth:`RawWriter.transaction`. That one (and
SQLite's, BEGIN IMMEDIATE as the engine's own writes) locks the lane and reads its head.
On PostgreSQL it runs in psycopg's pipeline mode: statements are sent without waiting
for each one's answer, so it waits for the server twice (for the head, and for COMMIT,
which goes with the pipeline's closing sync), not once per statement. Its connection is
in autocommit mode and sends BEGIN itself: psycopg's own BEGIN in pipeline mode waits
for its answer.

The writer keeps one connection of its own for these writes: checking a connection out
of SQLAlchemy's pool and back in costs a twentieth of a check-in on SQLite, and on
PostgreSQL two more waits for the server (the pool's pre-ping, and the rollback that
resets a connection given back). It is taken from the pool once (so the engine's set-up
applies), detached from it, and closed when the engine is disposed, or as soon as a
write on it fails and it cannot even roll back (a server that went away, or failed
over: the check-in is tried again on a new connection). A second thread writing while it
is busy uses the pool.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Table, event

from storage.engine import begin_immediate

Processor = Callable[[Any], Any] | None


class RawWriter:
    """SQL text and bind processors per dialect; runs transactions on driver cursors."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        if dialect.paramstyle == "qmark":
            self.mark = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            self.mark = "%s"
        else:  # pragma: no cover - only SQLite and psycopg are supported
            raise ValueError(f"unsupported paramstyle {dialect.paramstyle}")
        self.engine = engine
        self.dialect = dialect
        self._sql: dict[tuple[str, tuple[str, ...], str], str] = {}
        self._processors: dict[str, dict[str, Processor]] = {}
        self._shapes: dict[tuple[tuple[str, tuple[str, ...]], ...], str] = {}
        self._sqlite = dialect.name == "sqlite"
        self.chains = not self._sqlite  # insert_chained can store a check-in at once
        self._held: Any = None  # the kept driver connection, made on first use
        self._chains: dict[tuple[Any, ...], str] = {}  # insert_chained's statements
        self._column_types: dict[str, dict[str, str]] = {}
        # The driver's own (DB-API) error for a constraint a statement broke.
        self._integrity_error: type[BaseException] = dialect.loaded_dbapi.IntegrityError
        self._held_lock = threading.Lock()
        event.listen(engine, "engine_disposed", self._on_disposed)

    @contextmanager
    def transaction(self) -> Iterator[RawCursor]:
        """One write transaction on a driver connection: committed when the block ends,
        rolled back if it raises."""
        kept = self._held_lock.acquire(blocking=False)
        pooled = None
        try:
            if kept:
                if self._held is None:
                    self._held = self._detached_connection()
                conn = self._held
            else:
                pooled = self.engine.raw_connection()
                conn = pooled.driver_connection
            cursor = conn.cursor()
            try:
                if self._sqlite:  # pysqlite is in autocommit mode here
                    begin_immediate(conn)
                    yield RawCursor(self, cursor)
                    conn.commit()
                else:  # psycopg: statements are sent without waiting for each answer
                    if pooled is not None:  # BEGIN sent by us: psycopg's own waits for it
                        conn.autocommit = True
                    with conn.pipeline():
                        cursor.execute("BEGIN")
                        yield RawCursor(self, cursor)
                        cursor.execute("COMMIT")  # sent with the pipeline's last sync
            except BaseException:
                self._failed(conn, kept)
                raise
        finally:
            if pooled is not None:
                if not self._sqlite:
                    try:
                        conn.autocommit = False  # as the pool gave it
                    except Exception:  # a connection gone: not back to the pool
                        pooled.invalidate()
                pooled.close()  # back to the pool
            if kept:
                self._held_lock.release()

    def insert_chained(
        self, pending: Pending, events: Table, chain: list[dict[str, Any]], lock: int
    ) -> bool:
        """PostgreSQL: ``pending``'s inserts and the audit events ``chain`` (rows of
        ``events``, each after the one before it) in ONE statement on the kept
        connection: one round trip, no transaction of its own (a statement is one). It
        appends after the head the first event names (its lane, seq - 1 and prev_hash),
        which must still be the lane's newest event: the statement takes the lane's lock
        (``lock``) and inserts its rows only where that event is there and none after it.
        True when stored; False, having stored nothing, where that head no longer holds
        (another writer appended meanwhile, the event was cut off, a restored database),
        with no kept connection free, or on SQLite: the caller then locks the lane and
        reads its head in :meth:`transaction`."""
        if not self.chains or pending.updates or not self._held_lock.acquire(blocking=False):
            return False
        try:
            if self._held is None:
                self._held = self._detached_connection()
            conn = self._held
            rows = [*pending.inserts, *((events, values, "") for values in chain)]
            lane, after, prev = chain[0]["lane"], chain[0]["seq"] - 1, chain[0]["prev_hash"]
            params: list[Any] = [lock, lane, after, prev, lane, after]
            for table, values, _ in rows:
                processors = self.processors(table)
                params += [v if (p := processors[c]) is None else p(v) for c, v in values.items()]
            cursor = conn.cursor()
            shape = tuple((t, tuple(v), a) for t, v, a in rows)
            try:
                cursor.execute(self._chained_sql(shape, events), params)
            except self._integrity_error:  # the lane's next seq taken while we waited
                return False
            except BaseException:
                self._failed(conn, kept=True)
                raise
            return bool(cursor.rowcount == 1)  # the last event: 0 where the head moved
        finally:
            self._held_lock.release()

    def _chained_sql(
        self, shape: tuple[tuple[Table, tuple[str, ...], str], ...], events: Table
    ) -> str:
        """The statement of insert_chained: each row inserted FROM the guard, a row
        only where the lane's lock is taken and the head is as given. Values are cast to
        their columns' types (from a SELECT list, as against VALUES, PostgreSQL would
        take an untyped value for text), without lengths (a value too long is refused
        when stored, not cut short)."""
        sql = self._chains.get(shape)
        if sql is None:
            mark, table = self.mark, events.name
            guard = (
                f"head AS MATERIALIZED (SELECT FROM lock, {table} e WHERE e.lane = {mark}"
                f" AND e.seq = {mark} AND e.hash = {mark} AND NOT EXISTS (SELECT FROM"
                f" {table} n WHERE n.lane = {mark} AND n.seq > {mark}))"
            )
            clauses = [f"lock AS MATERIALIZED (SELECT pg_advisory_xact_lock({mark}))", guard]
            for into, columns, if_absent in shape:
                types = self._types(into)
                values = ", ".join(f"CAST({mark} AS {types[c]})" for c in columns)
                insert = f"INSERT INTO {into.name} ({', '.join(columns)}) SELECT {values} FROM head"
                if if_absent:
                    insert += f" ON CONFLICT ({if_absent}) DO NOTHING"
                clauses.append(insert)
            body = ", ".join(f"w{i} AS ({c})" if i > 1 else c for i, c in enumerate(clauses[:-1]))
            sql = self._chains[shape] = f"WITH {body} {clauses[-1]}"
        return sql

    def _types(self, table: Table) -> dict[str, str]:
        """Each column's type in the dialect's SQL, without a length."""
        types = self._column_types.get(table.name)
        if types is None:
            types = self._column_types[table.name] = {
                c.name: re.sub(r"\(\d+\)", "", c.type.compile(dialect=self.dialect))
                for c in table.columns
            }
        return types

    def _failed(self, conn: Any, kept: bool) -> None:
        """After an error on ``conn``: roll back what is open; a kept connection that
        cannot even do that (a server gone, or failed over) is closed, and the next
        write opens another."""
        try:
            conn.rollback()
        except Exception:  # the error that got us here is the one to report
            if kept:
                self._close_held()

    def _detached_connection(self) -> Any:
        pooled = self.engine.raw_connection()  # through the pool: its PRAGMAs apply
        driver: Any = pooled.driver_connection
        pooled.detach()  # ours now; the pool makes another in its place when needed
        if not self._sqlite:  # transactions begun by us (transaction()) or one statement
            driver.autocommit = True
        return driver

    def _close_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.close()

    def _on_disposed(self, _engine: Engine) -> None:
        with self._held_lock:
            self._close_held()

    def statement(
        self, table: Table, columns: tuple[str, ...], if_absent: str = ""
    ) -> tuple[str, list[Processor]]:
        key = (table.name, columns, if_absent)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._insert(table.name, columns)
            if if_absent:  # the same words on SQLite (3.24+) and PostgreSQL
                sql += f" ON CONFLICT ({if_absent}) DO NOTHING"
            self._sql[key] = sql
        processors = self.processors(table)
        return sql, [processors[c] for c in columns]

    def statement_all(self, shape: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
        """One statement inserting a row into each (table, columns) of ``shape``, in that
        order: on PostgreSQL, data-modifying WITH clauses (one statement to parse, bind
        and answer, not one per row)."""
        sql = self._shapes.get(shape)
        if sql is None:
            inserts = [self._insert(table, columns) for table, columns in shape]
            clauses = ", ".join(f"w{i} AS ({insert})" for i, insert in enumerate(inserts[:-1]))
            sql = self._shapes[shape] = f"WITH {clauses} {inserts[-1]}"
        return sql

    def _insert(self, table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join([self.mark] * len(columns))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def processors(self, table: Table) -> dict[str, Processor]:
        """Each column's bind processor for this dialect (None where values pass as is)."""
        processors = self._processors.get(table.name)
        if processors is None:
            processors = self._processors[table.name] = {
                c.name: c.type.dialect_impl(self.dialect).bind_processor(self.dialect)
                for c in table.columns
            }
        return processors

    def sql(self, text: str) -> str:
        """Plain SQL written with ``?`` placeholders, in the driver's style."""
        return text if self.mark == "?" else text.replace("?", self.mark)


class Pending:
    """A check-in's writes, gathered while its unit of work runs and sent when it ends
    (storage.unit_of_work): rows to insert in order (a row may refer to an earlier one),
    and updates."""

    def __init__(self) -> None:
        self.inserts: list[tuple[Table, dict[str, Any], str]] = []
        self.updates: list[tuple[Table, dict[str, Any], dict[str, Any]]] = []

    def insert(self, table: Table, values: dict[str, Any], *, if_absent: str = "") -> None:
        """Insert a row; with ``if_absent`` (the key's columns), none when one is there."""
        self.inserts.append((table, values, if_absent))

    def insert_all(self, rows: list[tuple[Table, dict[str, Any]]]) -> None:
        """Insert the rows in order."""
        for table, values in rows:
            self.insert(table, values)

    def update(self, table: Table, values: dict[str, Any], where: dict[str, Any]) -> None:
        """Set ``values`` in the rows whose columns equal ``where`` (None: IS NULL), after
        the inserts."""
        self.updates.append((table, values, where))


class RawCursor:
    def __init__(self, writer: RawWriter, cursor: Any) -> None:
        self.writer = writer
        self.cursor = cursor
        self.dialect = writer.dialect.name

    def insert(self, table: Table, values: dict[str, Any], *, if_absent: str = "") -> None:
        """Insert a row; with ``if_absent`` (the key's columns), none when one is there."""
        sql, processors = self.writer.statement(table, tuple(values), if_absent)
        params = [
            p(v) if p is not None else v for p, v in zip(processors, values.values(), strict=True)
        ]
        self.cursor.execute(sql, params)

    def insert_all(self, rows: list[tuple[Table, dict[str, Any]]]) -> None:
        """Insert the rows in order (a row may refer to an earlier one): on PostgreSQL
        in one statement, on SQLite (whose WITH clauses cannot insert) one by one."""
        if self.dialect == "sqlite" or len(rows) == 1:
            for table, values in rows:
                self.insert(table, values)
            return
        params: list[Any] = []
        for table, values in rows:
            processors = self.writer.processors(table)
            params += [v if (p := processors[c]) is None else p(v) for c, v in values.items()]
        shape = tuple((table.name, tuple(values)) for table, values in rows)
        self.cursor.execute(self.writer.statement_all(shape), params)

    def update(self, table: Table, values: dict[str, Any], where: dict[str, Any]) -> None:
        """Set ``values`` in the rows whose columns equal ``where`` (None: IS NULL)."""
        processors = self.writer.processors(table)
        mark = self.writer.mark
        sets = ", ".join(f"{c} = {mark}" for c in values)
        conds = " AND ".join(
            f"{c} IS NULL" if v is None else f"{c} = {mark}" for c, v in where.items()
        )
        params = []
        for c, v in [*values.items(), *((c, v) for c, v in where.items() if v is not None)]:
            process = processors[c]
            params.append(process(v) if process is not None else v)
        self.cursor.execute(f"UPDATE {table.name} SET {sets} WHERE {conds}", params)

    def write(self, pending: Pending) -> None:
        """Send ``pending``'s inserts in order (one after another without ``if_absent``
        together), then its updates."""
        together: list[tuple[Table, dict[str, Any]]] = []
        for table, values, if_absent in pending.inserts:
            if not if_absent:
                together.append((table, values))
                continue
            if together:
                self.insert_all(together)
                together = []
            self.insert(table, values, if_absent=if_absent)
        if together:
            self.insert_all(together)
        for table, values, where in pending.updates:
            self.update(table, values, where)

    def run(self, text: str, params: tuple[Any, ...] = ()) -> None:
        """Run a statement whose answer is not needed (on PostgreSQL: sent along with
        the next one whose answer is, not waited for on its own)."""
        self.cursor.execute(self.writer.sql(text), params)

    def first(self, text: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        self.cursor.execute(self.writer.sql(text), params)
        row = self.cursor.fetchone()
        return tuple(row) if row is not None else None
