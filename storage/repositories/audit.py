"""Reading and checking the audit trail (appending is the unit of work's: storage.audit
holds the chain itself)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Unpack

from sqlalchemy import func, select

from kiosk.domain.audit import AcceptedRestore, AuditEntry, EventFilter, VerifyResult
from storage.audit import chain_head, chain_holds, head_query, verify_chain
from storage.database import Database
from storage.engine import db_errors
from storage.errors import StorageError
from storage.models import AuditEvent, Site
from storage.witness import WitnessHead, read_witness

_ON_SITE_ACTIONS = ("visit.check_in", "visit.check_out", "visit.auto_check_out", "person.erase")


class NothingToAccept(StorageError):
    """accept_restore found the chain and the checkpoint in agreement, or a broken chain."""


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def verify(self, witness: Path | None = None) -> VerifyResult:
        """Check the whole chain and the checkpoint, and against the ``witness`` file
        when one is given (storage.witness); never moves the checkpoint."""
        checkpoint = self.db.checkpoint
        heads: dict[str, WitnessHead] = {}
        if witness is not None:
            try:
                heads, forged = read_witness(witness, self.db.witness_key, self.db.site_id)
            except FileNotFoundError:
                forged = 0  # nothing witnessed: fine only for an empty chain
            except OSError as exc:
                raise StorageError(
                    f"cannot read the audit witness {witness} ({type(exc).__name__})"
                ) from None
            if forged:
                return VerifyResult(
                    False, 0, f"the witness holds {forged} line(s) with a wrong seal (forged)"
                )
        with db_errors(), self.db.read_session() as s:
            return verify_chain(
                s,
                self.db.audit_key,
                checkpoint.read if checkpoint else None,
                heads,
                witnessed=witness is not None,
            )

    def accept_restore(self, actor: str) -> AcceptedRestore:
        """After the records database was restored from a copy, the checkpoint (outside
        the database) records events the copy does not hold, and verification fails, as
        it should. This records the restore as an audit event (``audit.restore_accepted``:
        the checkpoint's event and the chain's head), then moves the checkpoint to the
        chain's new head. Only for a chain that is whole and behind its checkpoint: an
        edited or deleted event in the chain is not what a restore does."""
        checkpoint = self.db.checkpoint
        if checkpoint is None:
            raise NothingToAccept("this store keeps no audit checkpoint")
        result = self.verify()
        if result.ok:
            raise NothingToAccept("the audit trail is intact: there is no restore to accept")
        if not result.behind_checkpoint:
            raise NothingToAccept(f"the audit chain itself is broken ({result.problem})")
        try:
            last = checkpoint.read()
        except ValueError:
            last = None  # forged or damaged: replaced below
        last_seq = last.seq if last is not None else 0
        lane = self.db.audit_lane
        with db_errors(), self.db.read_connection() as conn:
            chain_seq, _ = chain_head(conn, lane)
        with self.db.uow(actor) as tx:
            tx.audit(
                "audit.restore_accepted",
                details={"checkpoint_seq": last_seq, "chain_seq": chain_seq},
            )
        with db_errors(), self.db.read_connection() as conn:
            head = conn.execute(head_query(lane)).first()
            assert head is not None
            if last is None or not chain_holds(conn, last):
                checkpoint.reset(int(head[0]), bytes(head[1]))
        return AcceptedRestore(last_seq, chain_seq)

    def check_ins_out(self, since: datetime) -> tuple[dict[str, datetime], set[str]]:
        """From the trail, since ``since``: this site's check-ins (visit id -> when) and
        the visits checked out (by hand or automatically) or erased. A cross-check of what the
        records say against what the trail says (the on-site list). A check-in event
        from before they named their site counts as this site's when the database
        holds no other."""
        stmt = (
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.at, AuditEvent.details)
            .where(AuditEvent.at >= since, AuditEvent.action.in_(_ON_SITE_ACTIONS))
            .order_by(AuditEvent.at, AuditEvent.seq)
        )
        site = self.db.site_id.hex
        arrived: dict[str, datetime] = {}
        left: set[str] = set()
        with db_errors(), self.db.read_connection() as conn:
            alone = conn.execute(select(func.count()).select_from(Site)).scalar() == 1
            for action, object_id, at, details in conn.execute(stmt):
                if action == "person.erase":  # erased on a visitor's request
                    left.update(details.get("visit_ids", ()))
                elif object_id is None:
                    continue
                elif action != "visit.check_in":
                    left.add(object_id)
                elif details.get("site", site if alone else None) == site:
                    arrived[object_id] = at
        return arrived, left

    def events(self, **which: Unpack[EventFilter]) -> list[AuditEntry]:
        """Matching events in order (see :class:`EventFilter`)."""
        return list(self.iter_events(**which))

    def iter_events(self, **which: Unpack[EventFilter]) -> Iterator[AuditEntry]:
        """:meth:`events` one at a time, read in batches: a year's trail listed whole
        (``kiosk audit show``) is hundreds of thousands of events."""
        start, end, newest = which.get("start"), which.get("end"), which.get("newest")
        actor, action = which.get("actor"), which.get("action")
        stmt = select(
            AuditEvent.lane,
            AuditEvent.seq,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.object_id,
            AuditEvent.details,
        )
        # In time, lanes interleaved; one unit of work's events (dated alike) in seq order.
        if newest is None:
            stmt = stmt.order_by(AuditEvent.at, AuditEvent.seq, AuditEvent.lane)
        else:
            stmt = stmt.order_by(
                AuditEvent.at.desc(), AuditEvent.seq.desc(), AuditEvent.lane.desc()
            ).limit(newest)
        if start is not None:
            stmt = stmt.where(AuditEvent.at >= start)
        if end is not None:
            stmt = stmt.where(AuditEvent.at < end)
        if actor is not None:
            stmt = stmt.where(AuditEvent.actor == actor)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        with db_errors(), self.db.read_session() as s:
            rows = s.connection().execute(stmt.execution_options(yield_per=2000))
            for lane, seq, at, who, what, object_id, details in rows:
                yield AuditEntry(int(seq), at, who, what, object_id, dict(details), lane)
