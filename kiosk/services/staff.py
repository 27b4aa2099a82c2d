"""Staff accounts and their PINs: logging in at the kiosk or the console, and an admin's
accounts (the console's Staff tab, `kiosk staff`). PINs are kept as Argon2id over an
HMAC-peppered PIN."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.domain.staff import KIOSK, ROLES, Actor, StaffAccount, StaffRow, StaffUser
from kiosk.services.context import ServiceContext
from kiosk.services.errors import PinPolicyError

MIN_PIN_DIGITS = 6
SLOW_AFTER = 3
LOCK_AFTER = 10
LOCK_MINUTES = 15


def check_pin_policy(pin: str) -> None:
    if not pin.isdigit() or not pin.isascii() or len(pin) < MIN_PIN_DIGITS:
        raise PinPolicyError(f"a PIN is at least {MIN_PIN_DIGITS} digits")


def delay_for(failures: int) -> float:
    """Seconds to wait before answering after ``failures`` wrong PINs in a row."""
    return 0.0 if failures < SLOW_AFTER else float(min(2 ** (failures - SLOW_AFTER), 30))


class StaffService:
    def __init__(
        self,
        ctx: ServiceContext,
        hasher: PasswordHasher | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repos = ctx.repos
        self.staff = ctx.repos.staff
        self.hasher = hasher or PasswordHasher()
        self._pepper = ctx.repos.db.pepper
        self._dummy_hash: str | None = None
        self._sleep = sleep
        self._unknown: dict[str, int] = {}

    def _peppered(self, pin: str) -> str:
        return hmac.new(self._pepper, pin.encode(), hashlib.sha256).hexdigest()

    @property
    def _dummy(self) -> str:
        """Hash of a PIN nobody has: unknown users cost the same time as known ones. Made
        at the first login (hashing takes tens of milliseconds)."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(self._peppered("000000-no-such-user"))
        return self._dummy_hash

    # -- logging in --------------------------------------------------------------------

    def verify(self, username: str, pin: str) -> StaffUser | None:
        """The user if the PIN is right and the account is not locked; else None.

        After 3 failures each answer comes later (1, 2, 4 ... 30 s); after 10 the account is
        locked for 15 minutes. Counters live in the database, so a restart keeps them; an
        unknown user name gets the same hashing work and the same delays. Each attempt is
        audited (a failed one by "kiosk": what was typed as a user name is not kept)."""
        row = self.staff.get(username)
        now = datetime.now(UTC)
        failures = row.failed_attempts if row else self._unknown.get(username, 0)
        self._sleep(delay_for(failures))
        if row is None:
            with contextlib.suppress(VerificationError):
                self.hasher.verify(self._dummy, self._peppered(pin))
            self._unknown[username] = failures + 1
            with self.repos.db.uow(KIOSK.name) as tx:
                tx.audit("staff.login_failed")
            return None
        try:
            self.hasher.verify(row.pin_hash, self._peppered(pin))
            ok = row.locked_until is None or row.locked_until <= now
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            lock = now + timedelta(minutes=LOCK_MINUTES) if failures + 1 >= LOCK_AFTER else None
            with self.repos.db.uow(KIOSK.name) as tx:
                self.staff.record_attempt(
                    tx, row.id, ok=False, locked_until=lock or row.locked_until
                )
                tx.audit("staff.login_failed", str(row.id))
            return None
        user = StaffUser(row.username, row.role)
        with self.repos.db.uow(Actor.staff(user).name) as tx:
            if self.hasher.check_needs_rehash(row.pin_hash):
                self.staff.set_hash(tx, row.id, self.hasher.hash(self._peppered(pin)))
            if row.failed_attempts or row.locked_until:
                self.staff.record_attempt(tx, row.id, ok=True)
            tx.audit("staff.login", str(row.id))
        return user

    def any_accounts(self) -> bool:
        """Whether anyone can log in at all (a fresh installation has no accounts)."""
        return bool(self.staff.all())

    def is_locked(self, username: str) -> bool:
        row = self.staff.get(username)
        return bool(row and row.locked_until and row.locked_until > datetime.now(UTC))

    # -- an admin's accounts -----------------------------------------------------------

    def accounts(self, actor: Actor) -> list[StaffAccount]:
        actor.require("staff")
        now = datetime.now(UTC)
        return [
            StaffAccount(
                r.username, r.role, r.failed_attempts, bool(r.locked_until and r.locked_until > now)
            )
            for r in self.staff.all()
        ]

    def rows(self, actor: Actor) -> list[StaffRow]:
        actor.require("staff")
        return self.staff.all()

    def add(
        self, username: str, role: str, pin: str, actor: Actor, *, again: str | None = None
    ) -> None:
        """A new account; ``again``: the PIN typed a second time, where a form asks."""
        actor.require("staff")
        _same(pin, again)
        if role not in ROLES:
            raise PinPolicyError(f"role must be one of {', '.join(ROLES)}")
        username = username.strip()
        if not username.isascii() or not username.replace("-", "").replace(".", "").isalnum():
            raise PinPolicyError("a username is letters, digits, dots and dashes")
        check_pin_policy(pin)
        pin_hash = self.hasher.hash(self._peppered(pin))
        with self.repos.db.uow(actor.name) as tx:
            self.staff.add(tx, username, role, pin_hash)

    def reset_pin(self, username: str, pin: str, actor: Actor, *, again: str | None = None) -> None:
        """A new PIN, which also unlocks the account."""
        actor.require("staff")
        _same(pin, again)
        check_pin_policy(pin)
        row = self.staff.get(username)
        if row is None:
            raise PinPolicyError(f"no staff account named {username!r}")
        pin_hash = self.hasher.hash(self._peppered(pin))
        with self.repos.db.uow(actor.name) as tx:
            self.staff.set_hash(tx, row.id, pin_hash)
            self.staff.record_attempt(tx, row.id, ok=True)
            tx.audit("staff.reset_pin", str(row.id))

    def remove(self, username: str, actor: Actor) -> None:
        """Remove an account; a staff member logged in cannot remove their own. Staff
        never remove the last admin account (nobody could manage accounts from the
        console then); the machine's operator can, as they can always add one (`kiosk
        staff add`)."""
        actor.require("staff")
        if actor.is_account(username):
            raise PinPolicyError("you cannot remove your own account while logged in")
        admins = [a for a in self.staff.all() if a.role == "admin"]
        last = len(admins) == 1 and admins[0].username == username
        if last and actor.role is not None:
            raise PinPolicyError("the last admin account cannot be removed")
        with self.repos.db.uow(actor.name) as tx:
            self.staff.remove(tx, username)


def _same(pin: str, again: str | None) -> None:
    if again is not None and pin != again:
        raise PinPolicyError("the two PINs differ")
