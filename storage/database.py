"""The records database opened for one site.

It holds what every repository shares: the engine and its session makers, the key store,
the keys derived from the master key (blind indexes, audit chain, PIN pepper), the audit
witness, the site,
its time zone and the retention in force, and the audit checkpoint. Reads take a read
session or connection; every write is one unit of work (:meth:`Database.uow`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.text import search_key
from storage.checkpoint import ChainCheckpoint
from storage.crypto import blind_index, derive_subkey
from storage.engine import PURGE_BATCH, db_errors, standby_engine
from storage.fastwrite import Pending, RawWriter
from storage.keystore import KeyStore
from storage.unit_of_work import UnitOfWork
from storage.witness import Witness


def utcnow() -> datetime:
    return datetime.now(UTC)


class Database:
    def __init__(
        self,
        engine: Engine,
        keystore: KeyStore,
        *,
        site_id: uuid.UUID,
        timezone: ZoneInfo,
        retention: RetentionPolicy,
        blind_index_bits: int = 16,
        checkpoint_path: Path | None = None,
        witness: str = "",
        audit_lane: str = "",
    ) -> None:
        self.engine = engine
        self.keystore = keystore
        self.site_id = site_id
        self.timezone = timezone
        self.retention = retention  # the periods in force: an admin may change them
        self.blind_index_bits = blind_index_bits
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._purger = sessionmaker(engine.execution_options(**{PURGE_BATCH: True}))
        self._read_engine = engine.execution_options(readonly=True)
        # Reading goes on from a standby while no server accepts writes (storage.engine).
        self._standby = standby_engine(engine)
        self.reading_standby = False  # the last read was the standby's (read-only)
        self._writer = RawWriter(engine)
        # The lane's head as this process last appended to it (a check-in appends after
        # it in one statement, which stores nothing where it no longer holds).
        self._appended: tuple[int, bytes] | None = None
        secret = keystore.index_secret()
        self._email_key = derive_subkey(secret, "blind-index/email")
        self._phone_key = derive_subkey(secret, "blind-index/phone")
        self._name_key = derive_subkey(secret, "blind-index/name")
        self.audit_key = derive_subkey(secret, "audit-chain")
        # The audit chain's lane this kiosk appends to (storage.audit): "" unless given.
        self.audit_lane = audit_lane
        self.seal_key = derive_subkey(secret, "visit-seal")  # storage.sealing.seal_mac
        self.pepper = derive_subkey(secret, "pin-pepper")
        self.checkpoint = (
            ChainCheckpoint(
                checkpoint_path, derive_subkey(secret, "audit-checkpoint"), engine, audit_lane
            )
            if checkpoint_path is not None
            else None
        )
        self.witness_key = derive_subkey(secret, "audit-witness")
        self.witness = Witness(witness, self.witness_key, site_id) if witness else None

    @contextmanager
    def uow(
        self,
        actor: str,
        *,
        now: datetime | None = None,
        fast: bool = False,
        purge_batch: bool = False,
    ) -> Iterator[UnitOfWork]:
        """One write transaction by ``actor`` (as the audit trail names them), dated
        ``now``: committed when the block ends, rolled back if it raises; then the audit
        checkpoint follows the events it appended. ``fast``: on the driver's cursor (a
        check-in); ``purge_batch``: a purge batch's (storage.engine.PURGE_BATCH)."""
        unit = partial(
            UnitOfWork,
            actor=actor,
            now=now or utcnow(),
            audit_key=self.audit_key,
            lane=self.audit_lane,
        )
        with db_errors():
            if fast:
                recorded = self.checkpoint.newest() if self.checkpoint is not None else None
                tx = unit(pending=Pending(), recorded=recorded)
                yield tx
                try:
                    tx.send(self._writer, self._appended)
                except BaseException:
                    self._appended = None  # not known any more
                    raise
            else:
                sessions = self._purger if purge_batch else self._sessions
                with sessions() as session, session.begin():
                    tx = unit(session=session)
                    yield tx
        if tx.head is not None:
            self._appended = tx.head[:2]
            if self.checkpoint is not None:
                self.checkpoint.follow(*tx.head, confirmed=tx.confirmed)
            if self.witness is not None:
                self.witness.record(self.audit_lane, *tx.head[:2])
        for callback in tx.committed:
            callback()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading (SQLite: a deferred transaction, no write lock)."""
        with self.read_connection() as conn, Session(bind=conn) as session:
            yield session

    def read_connection(self) -> Connection:
        """A connection for reading: to the server that accepts writes, or, when none
        does and the URL names a standby, to the standby (``reading_standby`` then says
        so: what is read may lag by the commits the primary could not pass on)."""
        try:
            conn = self._read_engine.connect()
        except OperationalError:
            if self._standby is None:
                raise
            conn = self._standby.connect()
            self.reading_standby = True
        else:
            self.reading_standby = False
        return conn

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    def email_index(self, email: str) -> int:
        return blind_index(self._email_key, email.casefold(), self.blind_index_bits)

    def phone_index(self, phone: str) -> int:
        return blind_index(self._phone_key, phone, self.blind_index_bits)

    def name_index(self, name: str) -> int:
        """A name's blind index, as search compares names (case, accents, hyphens and
        spacing ignored): for the watchlist, which matches names so."""
        return blind_index(self._name_key, search_key(name), self.blind_index_bits)

    def dispose(self) -> None:
        """Close every connection of both databases, and the checkpoint file."""
        if self.checkpoint is not None:
            self.checkpoint.close()
        if self.witness is not None:
            self.witness.close()
        self.engine.dispose()
        if self._standby is not None:
            self._standby.dispose()
        self.keystore.engine.dispose()
