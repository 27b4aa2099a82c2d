"""The audit trail for security: verifying the chain, listing events, and recording that
the database was restored from a copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

from kiosk.domain.audit import AcceptedRestore, AuditEntry, EventFilter, VerifyResult
from kiosk.domain.staff import Actor
from kiosk.services.context import ServiceContext


class AuditService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos

    def verify(self, actor: Actor, witness: Path | None = None) -> VerifyResult:
        """Check the whole chain and the checkpoint kept outside the database, and
        against a witness's record of the chain's heads: the file given (a witness
        file, or a syslog server's log), else the configured witness file."""
        actor.require("audit")
        return self.repos.audit.verify(witness or self.witness_file())

    def witness_file(self) -> Path | None:
        """The configured witness when it is a file this machine can read ([audit]
        witness; a syslog witness is checked against the log server's file, given)."""
        configured = self.ctx.settings.audit.witness
        if not configured or configured.startswith("syslog"):
            return None
        return Path(configured)

    def accept_restore(self, actor: Actor) -> AcceptedRestore:
        """After restoring the database from a backup: record the restore in the trail
        and move the checkpoint to the restored chain (refused for a broken chain)."""
        actor.require("audit")
        return self.repos.audit.accept_restore(actor.name)

    def events(self, actor: Actor, which: EventFilter) -> Iterator[AuditEntry]:
        """The events ``which`` matches, in order, read a batch at a time."""
        actor.require("audit")
        return self.repos.audit.iter_events(**which)

    def newest(
        self,
        actor: Actor,
        start: date | None = None,
        end: date | None = None,
        who: str = "",
        action: str = "",
        limit: int = 500,
    ) -> list[AuditEntry]:
        """The newest ``limit`` events matching, newest first; days are site-local."""
        actor.require("audit")

        def moment(day: date | None) -> datetime | None:
            return datetime.combine(day, time(), self.ctx.tz) if day else None

        return self.repos.audit.events(
            start=moment(start),
            end=moment(end + timedelta(days=1) if end else None),
            actor=who.strip() or None,
            action=action.strip() or None,
            newest=limit,
        )
