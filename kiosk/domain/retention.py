"""Retention: the categories kept for a time, the periods in force, and a purge's report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Category(enum.StrEnum):
    """A retention category: each has its own data keys and its own retention period."""

    VISIT = "visit"
    HEALTH = "health"
    NDA = "nda"
    OUTBOX = "outbox"
    REQUEST = "request"
    WATCHLIST = "watchlist"  # keyed by the day an entry expires, destroyed the day after


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many days each category is kept (already checked against the caps)."""

    visit_days: int = 30
    health_answers_days: int = 0
    nda_days: int = 730
    outbox_days: int = 7
    audit_days: int = 365
    request_days: int = 1095


@dataclass(slots=True)
class PurgeReport:
    """Counts of what a purge removed (or would remove, in a dry run)."""

    as_of: datetime
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    keys_destroyed: dict[str, int] = field(default_factory=dict)
    # How long each of the purge's write transactions on the records database held its
    # lock (what a check-in arriving meanwhile waits), in the order they ran.
    locks_ms: list[float] = field(default_factory=list)

    @property
    def longest_lock_ms(self) -> float:
        return max(self.locks_ms, default=0.0)
