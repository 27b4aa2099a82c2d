"""Errors raised by the storage layer. Messages name ids and paths, never personal data."""

from __future__ import annotations

import uuid


class StorageError(Exception):
    """Base class: every message is safe to show to an operator."""


class KeyFileError(StorageError):
    """The master key file is missing, malformed or too widely readable."""


class DataDirError(StorageError):
    """This user cannot make or write the folders and files of the store."""


class WrongMasterKey(StorageError):
    """The master key does not open the key store."""


class RecordTampered(StorageError):
    """A ciphertext failed authentication: edited, moved to another row, or corrupt."""

    def __init__(self, table: str, row_id: uuid.UUID, column: str) -> None:
        self.table = table
        self.row_id = row_id
        self.column = column
        if column == "record":  # a visit: its envelope and every column it seals
            what = "failed its integrity check (a field edited in the database, moved or corrupt)"
        else:
            what = f"field {column!r} failed authentication (edited, moved or corrupt)"
        super().__init__(f"{table} record {row_id}: {what}")


class KeyDestroyed(StorageError):
    """The data key of a record is not in the key store: destroyed by retention, or a key
    store older than the records. The record is unreadable."""

    def __init__(self, key_id: uuid.UUID) -> None:
        self.key_id = key_id
        super().__init__(
            f"data key {key_id} is not in the key store (destroyed by retention, or missing)"
        )


class NotFound(StorageError):
    pass


class AlreadyCheckedOut(StorageError):
    pass


class InvalidDeparture(StorageError):
    """A departure time staff entered is before the arrival or in the future."""


class DuplicateName(StorageError):
    """Another host of the site has a name visitors could not tell apart from this one."""

    def __init__(self, existing_id: uuid.UUID, active: bool) -> None:
        self.existing_id = existing_id
        self.active = active
        state = "active" if active else "inactive"
        super().__init__(f"host {existing_id} ({state}) already has this name")


class DatabaseUnavailable(StorageError):
    """The database could not be reached or written (locked, disk full, server down)."""
