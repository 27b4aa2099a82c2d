"""The audit trail as read: its events, and what verifying the chain found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    object_id: str | None
    details: dict[str, Any]
    lane: str = ""

    @property
    def ref(self) -> str:
        """How listings name the event: its seq, after its lane's name if it has one."""
        return f"{self.lane}/{self.seq}" if self.lane else str(self.seq)


class EventFilter(TypedDict, total=False):
    """Which events a listing returns: in [start, end), by actor, by action; with
    ``newest``, only that many of the latest, newest first."""

    start: datetime | None
    end: datetime | None
    actor: str | None
    action: str | None
    newest: int | None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str | None = None
    behind_checkpoint: bool = False
    """The chain is whole but no longer holds the checkpoint's event: its newest events
    were cut off or replaced, or the database was restored from a copy."""


@dataclass(frozen=True, slots=True)
class AcceptedRestore:
    checkpoint_seq: int
    chain_seq: int
