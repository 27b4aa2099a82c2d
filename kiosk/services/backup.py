"""`kiosk backup`: copies of the records and of the key store, kept apart.

A records copy holds ciphertext only; its data keys are in the key store, wrapped by the
master key, which is in neither copy. So the two copies must not travel together: the
key store's goes to another folder than the records', and a key store kept inside the
records database is refused (that copy would carry its own keys). Each copy is audited
with its counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.domain.staff import Actor
from kiosk.services.context import ServiceContext
from storage.backup import BackupCopy, BackupError, copy_database, destination, sqlite_file


@dataclass(frozen=True, slots=True)
class BackupResult:
    records: BackupCopy
    keystore: BackupCopy | None


class BackupService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.repos = ctx.repos

    def backup(
        self, records_to: Path, actor: Actor, keystore_to: Path | None = None
    ) -> BackupResult:
        """Copy the records database to ``records_to`` and, when given, the key store to
        ``keystore_to`` (each a new file, or a folder for a dated file)."""
        db = self.repos.db
        sqlite_file(db.engine)  # PostgreSQL: pg_dump, says the error
        if db.keystore.engine is db.engine:
            raise BackupError(
                "the key store is inside the records database, so a copy of it would carry "
                "its own keys; give the key store its own database (KIOSK_KEYSTORE_URL)"
            )
        now = datetime.now(UTC)
        records_dest = destination(records_to, "records", now)
        keystore_dest = destination(keystore_to, "keystore", now) if keystore_to else None
        if keystore_dest is not None and (
            keystore_dest.parent.resolve() == records_dest.parent.resolve()
        ):
            raise BackupError(
                "the key store's copy must not go in the same folder as the records' copy: "
                "together they open every record"
            )
        records = copy_database(db.engine, records_dest, "visits")
        with db.uow(actor.name) as tx:
            tx.audit("backup.records", details={"visits": records.rows})
        keystore = None
        if keystore_dest is not None:
            keystore = copy_database(db.keystore.engine, keystore_dest, "kiosk_data_keys")
            with db.uow(actor.name) as tx:
                tx.audit("backup.keystore", details={"data_keys": keystore.rows})
        return BackupResult(records, keystore)
