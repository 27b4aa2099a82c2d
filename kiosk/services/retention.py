"""Retention: the purge run at start, periodically, and by `kiosk purge`."""

from __future__ import annotations

from datetime import datetime

from storage.records import PurgeReport
from storage.store import Store


class RetentionService:
    def __init__(self, store: Store, *, actor: str = "system") -> None:
        self.store = store
        self.actor = actor

    def purge(self, as_of: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
        return self.store.purge(as_of, dry_run=dry_run, actor=self.actor)
