"""Staff PINs: Argon2id over an HMAC-peppered PIN; the kiosk's staff prompt checks them."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from storage.store import Store

ROLES = ("reception", "security", "admin")
MIN_PIN_DIGITS = 6
SLOW_AFTER = 3
LOCK_AFTER = 10
LOCK_MINUTES = 15


class PinPolicyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class StaffUser:
    username: str
    role: str


def check_pin_policy(pin: str) -> None:
    if not pin.isdigit() or not pin.isascii() or len(pin) < MIN_PIN_DIGITS:
        raise PinPolicyError(f"a PIN is at least {MIN_PIN_DIGITS} digits")


class StaffService:
    def __init__(
        self,
        store: Store,
        hasher: PasswordHasher | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from storage.staff import StaffRepository

        self.repo = StaffRepository(store)
        self.hasher = hasher or PasswordHasher()
        self._pepper = store.pepper
        # Hash of a PIN nobody has: unknown users cost the same time as known ones.
        self._dummy = self.hasher.hash(self._peppered("000000-no-such-user"))
        self._sleep = sleep
        self._unknown: dict[str, int] = {}

    def _peppered(self, pin: str) -> str:
        return hmac.new(self._pepper, pin.encode(), hashlib.sha256).hexdigest()

    def add(self, username: str, role: str, pin: str, *, actor: str) -> None:
        if role not in ROLES:
            raise PinPolicyError(f"role must be one of {', '.join(ROLES)}")
        if not username.isascii() or not username.replace("-", "").replace(".", "").isalnum():
            raise PinPolicyError("a username is letters, digits, dots and dashes")
        check_pin_policy(pin)
        self.repo.add(username, role, self.hasher.hash(self._peppered(pin)), actor=actor)

    def delay_for(self, failures: int) -> float:
        """Seconds to wait before answering after ``failures`` wrong PINs in a row."""
        return 0.0 if failures < SLOW_AFTER else float(min(2 ** (failures - SLOW_AFTER), 30))

    def verify(self, username: str, pin: str) -> StaffUser | None:
        """The user if the PIN is right and the account is not locked; else None.

        After 3 failures each answer comes later (1, 2, 4 ... 30 s); after 10 the account is
        locked for 15 minutes. Counters live in the database, so a restart keeps them; an
        unknown user name gets the same hashing work and the same delays."""
        row = self.repo.get(username)
        now = datetime.now(UTC)
        failures = row.failed_attempts if row else self._unknown.get(username, 0)
        self._sleep(self.delay_for(failures))
        if row is None:
            with contextlib.suppress(VerificationError):
                self.hasher.verify(self._dummy, self._peppered(pin))
            self._unknown[username] = failures + 1
            # What was typed as a user name is not kept: it may be anything.
            self.repo.audit(None, "staff.login_failed", actor="kiosk")
            return None
        try:
            self.hasher.verify(row.pin_hash, self._peppered(pin))
            ok = row.locked_until is None or row.locked_until <= now
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            lock = now + timedelta(minutes=LOCK_MINUTES) if failures + 1 >= LOCK_AFTER else None
            self.repo.record_attempt(row.id, ok=False, locked_until=lock or row.locked_until)
            self.repo.audit(row.id, "staff.login_failed", actor="kiosk")
            return None
        if self.hasher.check_needs_rehash(row.pin_hash):
            self.repo.set_hash(row.id, self.hasher.hash(self._peppered(pin)))
        if row.failed_attempts or row.locked_until:
            self.repo.record_attempt(row.id, ok=True)
        self.repo.audit(row.id, "staff.login", actor=f"staff:{row.username}")
        return StaffUser(row.username, row.role)

    def any_accounts(self) -> bool:
        """Whether anyone can log in at all (a fresh installation has no accounts)."""
        return bool(self.repo.all())

    def reset_pin(self, username: str, pin: str, *, actor: str) -> None:
        check_pin_policy(pin)
        row = self.repo.get(username)
        if row is None:
            raise PinPolicyError(f"no staff account named {username!r}")
        self.repo.set_hash(row.id, self.hasher.hash(self._peppered(pin)))
        self.repo.record_attempt(row.id, ok=True)
        self.repo.audit(row.id, "staff.reset_pin", actor=actor)

    def is_locked(self, username: str) -> bool:
        row = self.repo.get(username)
        return bool(row and row.locked_until and row.locked_until > datetime.now(UTC))
