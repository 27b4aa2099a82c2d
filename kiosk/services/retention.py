"""Retention: the periods in force, and the purge run at start, periodically, and by
`kiosk purge`. An admin sets the periods for the whole database (the console's
Retention tab, `kiosk retention set`): every kiosk and console on it purges by them and
tells visitors of them. A period no admin has set comes from the settings file (or its
default); a ``KIOSK_RETENTION_*`` variable pins a period on its machine."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from kiosk.config import (
    ConfigError,
    RetentionSettings,
    Settings,
    check_retention,
    retention_env_name,
    retention_range,
)
from kiosk.domain.retention import PurgeReport, RetentionPolicy
from kiosk.domain.staff import Actor
from kiosk.services.context import ServiceContext
from storage.errors import StorageError

log = logging.getLogger(__name__)

FROM_DATABASE = "database"
FROM_SETTINGS = "settings"

CATEGORIES = tuple(f.name for f in dataclasses.fields(RetentionSettings))

RETENTION_LABELS = {
    "visit_days": "Visit records",
    "health_answers_days": "Health answers (0: never stored)",
    "nda_days": "NDA acceptances",
    "outbox_days": "Host notifications",
    "audit_days": "Audit events",
    "request_days": "Rights requests (after closing)",
}


@dataclass(frozen=True, slots=True)
class Period:
    days: int
    source: str  # FROM_DATABASE, FROM_SETTINGS, or the environment variable that pins it
    changed_at: datetime | None = None  # when an admin set it (FROM_DATABASE)


@dataclass(frozen=True, slots=True)
class RetentionRow:
    """A period as the admin's form shows it."""

    key: str
    label: str
    days: int
    lowest: int
    highest: int
    fixed_by: str | None  # the environment variable that sets it, if any


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


class RetentionService:
    def __init__(self, ctx: ServiceContext, environ: Mapping[str, str] | None = None) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.settings = ctx.settings
        self.environ = os.environ if environ is None else environ

    @property
    def policy(self) -> RetentionPolicy:
        """The periods in force here: what the purge applies and visitors are told."""
        return self.repos.db.retention

    def in_force(self) -> dict[str, Period]:
        """Each category's period on this machine, and where it comes from. Reads the
        database: call from a worker."""
        saved = self.repos.retention.saved()
        periods: dict[str, Period] = {}
        for key in CATEGORIES:
            mine = getattr(self.settings.retention, key)
            pin = retention_env_name(key)
            lo, hi = retention_range(key)
            if pin in self.environ:
                periods[key] = Period(mine, pin)
            elif key in saved and lo <= saved[key][0] <= hi:
                days, at = saved[key]
                periods[key] = Period(days, FROM_DATABASE, at)
            else:
                if key in saved:  # a cap lowered since it was saved
                    log.warning(
                        "retention.%s in the database is outside %d..%d; ignored", key, lo, hi
                    )
                periods[key] = Period(mine, FROM_SETTINGS)
        return periods

    def apply(self) -> None:
        """Take the periods in force (at opening), saying on stderr, or in the app's log,
        what the settings file sets that does not hold."""
        periods = self.in_force()
        for note in not_in_force(periods, self.settings):
            log.warning("%s", note)
        self.repos.db.retention = policy(periods)

    def follow(self) -> bool:
        """Apply the periods in force now, which an admin may have changed meanwhile on
        any machine on this database, so that purges, the privacy notice and the days a
        console may open follow them. Reads the database: call from a worker. True when
        they changed; a database that does not answer leaves them as they are."""
        try:
            now = policy(self.in_force())
        except StorageError as exc:
            log.warning("retention not re-read: %s", exc)
            return False
        if now == self.repos.db.retention:
            return False
        self.repos.db.retention = now
        log.info("retention periods changed by an admin; applied")
        return True

    def rows(self, actor: Actor) -> list[RetentionRow]:
        """The periods in force, as the admin's form shows them."""
        actor.require("retention")
        current = self.repos.db.retention
        rows = []
        for key, label in RETENTION_LABELS.items():
            lo, hi = retention_range(key)
            env = retention_env_name(key)
            fixed = env if env in self.environ else None
            rows.append(RetentionRow(key, label, getattr(current, key), lo, hi, fixed))
        return rows

    def save(self, values: Mapping[str, str], actor: Actor) -> dict[str, int]:
        """Check and save, for every machine on this database, the periods the admin
        changed (only those: a period another admin set meanwhile is not put back);
        apply them here at once; the change is audited with the new periods. Raises
        ConfigError naming a wrong or pinned one. Returns what changed."""
        actor.require("retention")
        for key in values:
            if (env := retention_env_name(key)) in self.environ:
                raise ConfigError(f"retention.{key} is set by {env} on this machine")
        self.follow()
        current = self.repos.db.retention
        checked = check_retention({k: v.strip() for k, v in values.items()})
        changes = {k: v for k, v in checked.items() if v != getattr(current, k)}
        if changes:
            with self.repos.db.uow(actor.name) as tx:
                self.repos.retention.save(tx, changes)
            self.follow()
        return changes

    def purge(
        self, actor: Actor, as_of: datetime | None = None, *, dry_run: bool = False
    ) -> PurgeReport:
        """Purge (or count) by the periods saved now, wherever an admin changed them."""
        actor.require("retention")
        self.follow()
        if not dry_run:  # while their visits are still here to give it
            self.repos.visits.complete_earlier_ndas(actor.name)
        return self.repos.retention.purge(as_of, dry_run=dry_run, actor=actor.name)
