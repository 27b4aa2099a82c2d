"""Writing a check-in quickly: its transaction runs on the driver's own connection.

A check-in is five small statements in one transaction; through SQLAlchemy each costs
tens of microseconds of statement handling, and its Connection, events and BEGIN as much
again, more than the rows themselves. Here the SQL text is built once per table and
column set, values pass through the same bind processors SQLAlchemy would use for the
dialect (UUIDs, UTC timestamps, days, booleans, JSON), and a pooled driver connection
runs the transaction (BEGIN IMMEDIATE on SQLite, as the engine's own writes do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any] | None


class RawWriter:
    """SQL text and bind processors per dialect; runs transactions on driver cursors."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle == "qmark":
            self.mark = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            self.mark = "%s"
        else:  # pragma: no cover - only SQLite and psycopg are supported
            raise ValueError(f"unsupported paramstyle {dialect.paramstyle}")
        self.dialect = dialect
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._processors: dict[str, dict[str, Processor]] = {}

    @contextmanager
    def transaction(self, engine: Engine) -> Iterator[RawCursor]:
        """One write transaction on a pooled driver connection: committed when the block
        ends, rolled back if it raises. The engine's pool, pre-ping and PRAGMAs apply."""
        conn = engine.raw_connection()
        try:
            cursor = conn.driver_connection.cursor()  # type: ignore[union-attr]
            if self.dialect.name == "sqlite":  # pysqlite is in autocommit mode here
                cursor.execute("BEGIN IMMEDIATE")
            yield RawCursor(self, cursor)
            conn.commit()
        except BaseException:
            with suppress(Exception):  # the error that got us here is the one to report
                conn.rollback()
            raise
        finally:
            conn.close()  # back to the pool

    def statement(self, table: Table, columns: tuple[str, ...]) -> tuple[str, list[Processor]]:
        key = (table.name, columns)
        sql = self._sql.get(key)
        if sql is None:
            marks = ", ".join([self.mark] * len(columns))
            sql = self._sql[key] = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
            )
        processors = self._processors.get(table.name)
        if processors is None:
            processors = self._processors[table.name] = {
                c.name: c.type.dialect_impl(self.dialect).bind_processor(self.dialect)
                for c in table.columns
            }
        return sql, [processors[c] for c in columns]

    def sql(self, text: str) -> str:
        """Plain SQL written with ``?`` placeholders, in the driver's style."""
        return text if self.mark == "?" else text.replace("?", self.mark)


class RawCursor:
    def __init__(self, writer: RawWriter, cursor: Any) -> None:
        self.writer = writer
        self.cursor = cursor
        self.dialect = writer.dialect.name

    def insert(self, table: Table, values: dict[str, Any]) -> None:
        sql, processors = self.writer.statement(table, tuple(values))
        params = [
            p(v) if p is not None else v for p, v in zip(processors, values.values(), strict=True)
        ]
        self.cursor.execute(sql, params)

    def first(self, text: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        self.cursor.execute(self.writer.sql(text), params)
        row = self.cursor.fetchone()
        return tuple(row) if row is not None else None
