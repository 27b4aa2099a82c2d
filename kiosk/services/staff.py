"""Staff accounts and their PINs: logging in at the kiosk or the console, and an admin's
accounts (the console's Staff tab, `kiosk staff`). PINs are kept as Argon2id over an
HMAC-peppered PIN."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.domain.staff import KIOSK, ROLES, Actor, StaffAccount, StaffUser
from kiosk.services.context import ServiceContext
from kiosk.services.errors import PinPolicyError

MIN_PIN_DIGITS = 6
SLOW_AFTER = 3
LOCK_AFTER = 10
LOCK_MINUTES = 15
LOCK_STRIPES = 64
LOBBY, CONSOLE = "lobby", "console"
CONSOLE_TERMINAL = Actor("console")  # a failed login at the reception console
"""Kinds of terminal PIN failures are counted for apart: wrong PINs typed in the lobby
(the kiosk, a served tablet) never lock a name at the reception console."""

# Six-digit PINs people choose most, beyond repeats and runs (from published analyses
# of leaked PIN sets): dates, keyboard patterns, mirrored halves.
COMMON_PINS = frozenset(
    {
        "112233", "121212", "123123", "123321", "131313", "147258", "159753", "159357",
        "102030", "101010", "100200", "111222", "123654", "147852", "147369", "159951",
        "200000", "212121", "232323", "252525", "321321", "456456", "456789", "520520",
        "654123", "666999", "696969", "741852", "753951", "789456", "789789", "852456",
        "963852", "987654", "999000", "000123", "112358", "121314", "131415", "142536",
    }
)  # fmt: skip


def check_pin_policy(pin: str) -> None:
    """Refuse PINs too short, or easy to guess: one digit repeated (111111), a short
    pattern repeated (121212, 123123), a run up or down (123456, 987654) or one of the
    most common PINs."""
    if not pin.isdigit() or not pin.isascii() or len(pin) < MIN_PIN_DIGITS:
        raise PinPolicyError(f"a PIN is at least {MIN_PIN_DIGITS} digits")
    if _guessable(pin):
        raise PinPolicyError(
            "this PIN is too easy to guess (repeated digits, a run such as 123456, or one "
            "of the most common PINs); choose another"
        )


def _guessable(pin: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    repeated = any(pin == (pin[:n] * len(pin))[: len(pin)] for n in (1, 2, 3))
    return repeated or steps in ({1}, {9}) or pin in COMMON_PINS


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
        # One check at a time per name: a lock per stripe of name hashes, a fixed set
        # (names typed in the lobby are any number; a lock each would pile up).
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def _peppered(self, pin: str) -> str:
        return hmac.new(self._pepper, pin.encode(), hashlib.sha256).hexdigest()

    @property
    def _dummy(self) -> str:
        """Hash of a PIN nobody has: unknown users cost the same time as known ones. Made
        at the first login (hashing takes tens of milliseconds)."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(self._peppered("000000-no-such-user"))
        return self._dummy_hash

    def _one_at_a_time(self, name_hash: bytes) -> threading.Lock:
        return self._locks[name_hash[0] % LOCK_STRIPES]

    # -- logging in --------------------------------------------------------------------

    def verify(self, username: str, pin: str, *, scope: str = LOBBY) -> StaffUser | None:
        """The user if the PIN is right and the name is not locked at this kind of
        terminal (``scope``: LOBBY or CONSOLE); else None.

        Each try first counts a failure, in one atomic statement committed before the
        PIN is checked (a right PIN then clears it): guesses sent in parallel, from
        threads or processes, each see the count the others raised, and the lock
        engages after LOCK_AFTER of them whatever the order. One check runs at a time
        per name in a process. After 3 failures each answer comes later (1, 2, 4 ... 30
        s); after 10 the name is locked for 15 minutes at that kind of terminal only, so
        a lobby visitor cannot lock staff out of the reception console. Names that are no
        account are counted, delayed and hashed the same way, so they answer alike. Each
        try is audited (a failed one by "kiosk": what was typed as a user name is not
        kept)."""
        name_hash = self.staff.name_hash(username)
        with self._one_at_a_time(name_hash):
            now = datetime.now(UTC)
            failures, locked_until = self.staff.count_failure(
                name_hash,
                scope,
                now=now,
                lock_after=LOCK_AFTER,
                lock_until=now + timedelta(minutes=LOCK_MINUTES),
            )
            self._sleep(delay_for(failures - 1))
            row = self.staff.get(username)
            try:
                self.hasher.verify(row.pin_hash if row else self._dummy, self._peppered(pin))
                right = row is not None
            except (VerificationError, InvalidHashError):
                right = False
            locked = locked_until is not None and locked_until > now
            if row is None or not right or locked:
                # Nobody is logged in yet: the terminal typed at is the actor.
                terminal = CONSOLE_TERMINAL if scope == CONSOLE else KIOSK
                with self.repos.db.uow(terminal.name) as tx:
                    tx.audit(
                        "staff.login_failed",
                        str(row.id) if row else None,
                        {"at": scope, "locked": True} if locked else {"at": scope},
                    )
                return None
            user = StaffUser(row.username, row.role)
            with self.repos.db.uow(Actor.staff(user).name) as tx:
                if self.hasher.check_needs_rehash(row.pin_hash):
                    self.staff.set_hash(tx, row.id, self.hasher.hash(self._peppered(pin)))
                self.staff.clear_failures(tx, name_hash, scope)
                tx.audit("staff.login", str(row.id), {"at": scope})
            return user

    def any_accounts(self) -> bool:
        """Whether anyone can log in at all (a fresh installation has no accounts)."""
        return bool(self.staff.all())

    def is_locked(self, username: str, scope: str | None = None) -> bool:
        """Whether the name is locked at this kind of terminal (default: at any)."""
        where = self.staff.locked(username, datetime.now(UTC))
        return bool(where) if scope is None else scope in where

    def unlock(self, username: str, actor: Actor) -> None:
        """Clear the account's failures and locks at every kind of terminal."""
        actor.require("staff")
        row = self.staff.get(username)
        if row is None:
            raise PinPolicyError(f"no staff account named {username!r}")
        with self.repos.db.uow(actor.name) as tx:
            self.staff.clear_failures(tx, self.staff.name_hash(username))
            tx.audit("staff.unlock", str(row.id))

    # -- an admin's accounts -----------------------------------------------------------

    def accounts(self, actor: Actor) -> list[StaffAccount]:
        actor.require("staff")
        now = datetime.now(UTC)
        failures = self.staff.failures()
        locks = self.staff.locks(now, failures)
        accounts = []
        for r in self.staff.all():
            name = self.staff.name_hash(r.username)
            count = max((n for _, n, _ in failures.get(name, [])), default=0)
            where = locks.get(name, ())
            accounts.append(StaffAccount(r.username, r.role, count, bool(where), where))
        return accounts

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
            self.staff.clear_failures(tx, self.staff.name_hash(username))
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
