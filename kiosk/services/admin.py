"""What the admin role does in the console: staff accounts and retention periods.

Both are plain classes over the Store; ConsoleService hands them out only to a role
allowed to use them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kiosk.config import (
    ConfigError,
    Settings,
    check_retention,
    retention_env_name,
    retention_range,
)
from kiosk.services.staff import ROLES, PinPolicyError, StaffService

if TYPE_CHECKING:
    from storage.records import PurgeReport
    from storage.store import Store


@dataclass(frozen=True, slots=True)
class StaffAccountView:
    username: str
    role: str
    failed_attempts: int
    locked: bool


class StaffAdmin:
    """Add, list, remove staff and reset PINs (which also unlocks the account)."""

    def __init__(self, store: Store, *, actor: str, me: str) -> None:
        from storage.staff import StaffRepository

        self.store = store
        self.repo = StaffRepository(store)
        self.actor = actor
        self.me = me
        self._service: StaffService | None = None

    @property
    def service(self) -> StaffService:
        # Built on first use: it hashes a dummy PIN (tens of milliseconds).
        if self._service is None:
            self._service = StaffService(self.store)
        return self._service

    def accounts(self) -> list[StaffAccountView]:
        now = datetime.now(UTC)
        return [
            StaffAccountView(
                r.username,
                r.role,
                r.failed_attempts,
                bool(r.locked_until and r.locked_until > now),
            )
            for r in self.repo.all()
        ]

    @staticmethod
    def _same(pin: str, again: str) -> None:
        if pin != again:
            raise PinPolicyError("the two PINs differ")

    def add(self, username: str, role: str, pin: str, again: str) -> None:
        self._same(pin, again)
        if role not in ROLES:
            raise PinPolicyError(f"role must be one of {', '.join(ROLES)}")
        self.service.add(username.strip(), role, pin, actor=self.actor)

    def reset_pin(self, username: str, pin: str, again: str) -> None:
        self._same(pin, again)
        self.service.reset_pin(username, pin, actor=self.actor)

    def remove(self, username: str) -> None:
        if username == self.me:
            raise PinPolicyError("you cannot remove your own account while logged in")
        admins = [a for a in self.repo.all() if a.role == "admin"]
        if len(admins) == 1 and admins[0].username == username:
            raise PinPolicyError("the last admin account cannot be removed")
        self.repo.remove(username, actor=self.actor)


RETENTION_LABELS = {
    "visit_days": "Visit records",
    "health_answers_days": "Health answers (0: never stored)",
    "nda_days": "NDA acceptances",
    "outbox_days": "Host notifications",
    "audit_days": "Audit events",
}


@dataclass(frozen=True, slots=True)
class RetentionRow:
    key: str
    label: str
    days: int
    lowest: int
    highest: int
    fixed_by: str | None  # the environment variable that sets it, if any


class RetentionAdmin:
    """Shows and changes the retention periods; previews and runs the purge."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        actor: str,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.actor = actor
        self.environ = os.environ if environ is None else environ

    def follow(self) -> None:
        """Take the periods an admin set meanwhile on any machine on this database
        (reads the database: call from a worker)."""
        from kiosk.services.retention import follow_saved

        follow_saved(self.store, self.settings, self.environ)

    def rows(self) -> list[RetentionRow]:
        """The periods in force: what the store purges by."""
        current = self.store.retention
        rows = []
        for key, label in RETENTION_LABELS.items():
            lo, hi = retention_range(key)
            env = retention_env_name(key)
            rows.append(
                RetentionRow(
                    key, label, getattr(current, key), lo, hi, env if env in self.environ else None
                )
            )
        return rows

    def save(self, values: Mapping[str, str]) -> dict[str, int]:
        """Check and save, for every machine on this database, the periods the admin
        changed (only those: a period another admin set meanwhile is not put back);
        apply them here at once; the change is audited with the new periods. Raises
        ConfigError naming a wrong or pinned one. Returns what changed."""
        from storage.retention_periods import RetentionPeriods

        for key in values:
            if (env := retention_env_name(key)) in self.environ:
                raise ConfigError(f"retention.{key} is set by {env} on this machine")
        self.follow()
        current = self.store.retention
        checked = check_retention({k: v.strip() for k, v in values.items()})
        changes = {k: v for k, v in checked.items() if v != getattr(current, k)}
        if changes:
            RetentionPeriods(self.store).save(changes, actor=self.actor)
            self.follow()
        return changes

    def purge(self, *, dry_run: bool) -> PurgeReport:
        """Purge (or count) by the periods saved now, wherever an admin changed them."""
        self.follow()
        return self.store.purge(dry_run=dry_run, actor=self.actor)
