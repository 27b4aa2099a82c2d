"""Retention: the purge run at start, periodically, and by `kiosk purge`; and the periods
in force. An admin sets those for the whole database (the console's Retention tab,
`kiosk retention set`): every kiosk and console on it purges by them and tells visitors
of them. A period no admin has set comes from the settings file (or its default); a
``KIOSK_RETENTION_*`` variable pins a period on its machine."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from datetime import datetime

from kiosk.config import RetentionSettings, Settings, retention_env_name, retention_range
from storage.errors import StorageError
from storage.records import PurgeReport, RetentionPolicy
from storage.retention_periods import RetentionPeriods
from storage.store import Store

log = logging.getLogger(__name__)

FROM_DATABASE = "database"
FROM_SETTINGS = "settings"

CATEGORIES = tuple(f.name for f in dataclasses.fields(RetentionSettings))


class RetentionService:
    def __init__(self, store: Store, *, actor: str = "system") -> None:
        self.store = store
        self.actor = actor

    def purge(self, as_of: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
        return self.store.purge(as_of, dry_run=dry_run, actor=self.actor)


@dataclasses.dataclass(frozen=True, slots=True)
class Period:
    days: int
    source: str  # FROM_DATABASE, FROM_SETTINGS, or the environment variable that pins it
    changed_at: datetime | None = None  # when an admin set it (FROM_DATABASE)


def in_force(
    store: Store, settings: Settings, environ: Mapping[str, str] | None = None
) -> dict[str, Period]:
    """Each category's period on this machine, and where it comes from. Reads the
    database: call from a worker."""
    env = os.environ if environ is None else environ
    saved = RetentionPeriods(store).saved()
    periods: dict[str, Period] = {}
    for key in CATEGORIES:
        mine = getattr(settings.retention, key)
        pin = retention_env_name(key)
        lo, hi = retention_range(key)
        if pin in env:
            periods[key] = Period(mine, pin)
        elif key in saved and lo <= saved[key][0] <= hi:
            days, at = saved[key]
            periods[key] = Period(days, FROM_DATABASE, at)
        else:
            if key in saved:  # a cap lowered since it was saved
                log.warning("retention.%s in the database is outside %d..%d; ignored", key, lo, hi)
            periods[key] = Period(mine, FROM_SETTINGS)
    return periods


def not_in_force(periods: Mapping[str, Period], settings: Settings) -> list[str]:
    """What the settings file says that does not hold, because an admin set that period
    for the database: an operator who edits the file would otherwise see no effect."""
    notes = []
    for key, p in periods.items():
        mine = getattr(settings.retention, key)
        if key in settings.retention_in_file and p.source == FROM_DATABASE and p.days != mine:
            notes.append(
                f"retention.{key} = {mine} in {settings.config_file} is not in force: an "
                f"admin set {p.days} days for the database (see `kiosk retention show`)"
            )
    return notes


def policy(periods: Mapping[str, Period]) -> RetentionPolicy:
    return RetentionPolicy(**{key: p.days for key, p in periods.items()})


def follow_saved(
    store: Store, settings: Settings, environ: Mapping[str, str] | None = None
) -> bool:
    """Apply to ``store`` the periods in force now, which an admin may have changed
    meanwhile on any machine on this database, so that purges, the privacy notice and
    the days a console may open follow them. Reads the database: call from a worker.
    True when they changed; a database that does not answer leaves them as they are."""
    try:
        now = policy(in_force(store, settings, environ))
    except StorageError as exc:
        log.warning("retention not re-read: %s", exc)
        return False
    if now == store.retention:
        return False
    store.retention = now
    log.info("retention periods changed by an admin; applied")
    return True
