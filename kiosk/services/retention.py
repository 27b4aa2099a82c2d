"""Retention: the purge run at start, periodically, and by `kiosk purge`; and the periods
in force, which an admin may change in any console or kiosk sharing the settings file."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from kiosk.config import ConfigError, read_retention
from storage.records import PurgeReport
from storage.store import Store

log = logging.getLogger(__name__)


class RetentionService:
    def __init__(self, store: Store, *, actor: str = "system") -> None:
        self.store = store
        self.actor = actor

    def purge(self, as_of: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
        return self.store.purge(as_of, dry_run=dry_run, actor=self.actor)


def follow_saved(store: Store, path: Path | None) -> bool:
    """Apply to ``store`` the retention periods the settings file holds now, saved
    meanwhile by an admin in another process (a console at the desk, another console,
    a kiosk's staff menu), so that purges, the privacy notice and the days a console
    may open follow them. Reads a file: call from a worker. True when they changed. A
    file that does not read or check is logged and ignored (the periods stay)."""
    if path is None:
        return False
    from kiosk.runtime import retention_policy

    try:
        saved = retention_policy(read_retention(path))
    except (ConfigError, OSError) as exc:
        log.warning("retention not re-read: %s", exc)
        return False
    if saved == store.retention:
        return False
    store.retention = saved
    log.info("retention periods changed in %s; applied", path)
    return True
