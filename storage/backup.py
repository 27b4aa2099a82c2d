"""Online copies of the SQLite files: the records and the key store, each on its own.

Copying a live database with ``cp`` can catch it between its main file and its WAL and
give a copy that does not open. SQLite's backup API copies one consistent snapshot while
kiosks keep checking visitors in (in WAL mode a reader blocks no writer). The copy is
written under a temporary name beside its destination with mode 0600, checked with
``PRAGMA integrity_check``, made a single self-contained file (no WAL), synced, and only
then given its name; a copy that fails leaves nothing behind.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from storage.engine import BUSY_TIMEOUT_MS, sqlite_path
from storage.errors import StorageError
from storage.files import place

_EXISTS = "{} exists already; give a new file name or a folder"


class BackupError(StorageError):
    """A backup could not be made; the message names the path, never a record."""


@dataclass(frozen=True, slots=True)
class BackupCopy:
    path: Path
    size: int
    rows: int
    """Visits in a records copy, data keys in a key-store copy."""


def destination(target: Path, kind: str, at: datetime) -> Path:
    """``target`` itself, or in a folder a new file named after ``kind`` and the UTC time
    (``-2``, ``-3``... after it when that second already has a copy)."""
    if not target.is_dir():
        return target
    stem = f"kiosk-{kind}-{at.strftime('%Y%m%dT%H%M%SZ')}"
    path, n = target / f"{stem}.db", 1
    while path.exists():
        n += 1
        path = target / f"{stem}-{n}.db"
    return path


def sqlite_file(engine: Engine) -> Path:
    """The file behind ``engine``; other databases have their own backup tools."""
    source = sqlite_path(str(engine.url))
    if source is None:
        raise BackupError(
            f"{engine.url.get_backend_name()} databases are backed up with their own tools "
            "(for PostgreSQL: pg_dump of the records and, separately, of the key store)"
        )
    return source


def copy_database(engine: Engine, dest: Path, count_table: str) -> BackupCopy:
    """Copy the SQLite database behind ``engine`` to the new file ``dest``."""
    source = sqlite_file(engine)
    if dest.exists():
        raise BackupError(_EXISTS.format(dest))
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent} is not a folder")
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            rows = _copy(source, partial, count_table)
            _sync(partial)
            try:
                place(partial, dest)
            except FileExistsError:
                raise BackupError(_EXISTS.format(dest)) from None
            _sync(dest.parent)
        finally:
            partial.unlink(missing_ok=True)
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy the database to {dest}: {exc}") from None
    except OSError as exc:
        raise BackupError(f"could not write {dest}: {exc.strerror or exc}") from None
    return BackupCopy(dest, dest.stat().st_size, rows)


def _copy(source: Path, partial: Path, count_table: str) -> int:
    with (
        closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)) as src,
        closing(sqlite3.connect(partial)) as dst,
    ):
        src.backup(dst)  # all pages in one step: one snapshot, a read lock only
        dst.execute("PRAGMA journal_mode=DELETE")  # one file, openable on its own
        (check,) = dst.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check ({check})")
        (rows,) = dst.execute(f"SELECT count(*) FROM {count_table}").fetchone()
    return int(rows)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
