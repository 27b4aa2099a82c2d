"""Staff and who may do what: the roles, the accounts, and the actor every use case is
done by (as the audit trail names them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

ROLES = ("reception", "security", "admin")

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "reception": frozenset({"log", "checkout", "prereg", "hosts", "correct"}),
    "security": frozenset({"log", "checkout", "prereg", "hosts", "correct", "onsite", "export",
                           "audit"}),
    "admin": frozenset({"log", "checkout", "prereg", "hosts", "correct", "onsite", "export",
                        "audit", "staff", "retention", "rights", "watchlist", "webhooks"}),
}  # fmt: skip


class NotAllowed(Exception):
    """The staff member's role does not allow this action."""


@dataclass(frozen=True, slots=True)
class StaffUser:
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class StaffRow:
    """A staff account as stored, with its PIN's hash."""

    id: uuid.UUID
    username: str
    role: str
    pin_hash: str


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A staff account as an admin sees it."""

    username: str
    role: str
    failed_attempts: int
    """Wrong PINs in a row (the larger of the lobby's and the console's count)."""
    locked: bool
    locked_at: tuple[str, ...] = ()
    """Where it is locked: "lobby" (the kiosk and served tablets), "console"."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, by the name the audit trail records ("kiosk", "os:alice",
    "staff:rita", "notifier", "system"). A staff member's ``role`` limits what they may
    do; the machine's own operator (the kiosk process, a command run by whoever holds
    the key file, the scheduled jobs) has none and is not limited.

    ``seen``: what this login has already looked at, audited the first time only (the
    console re-reads the log every few seconds; an event per read would bury the rest)."""

    name: str
    role: str | None = None
    seen: set[str] = field(default_factory=set, compare=False, hash=False, repr=False)

    @classmethod
    def staff(cls, user: StaffUser) -> Actor:
        return cls(f"staff:{user.username}", user.role)

    def is_account(self, username: str) -> bool:
        """Whether this is the staff member logged in with the account ``username``."""
        return self.role is not None and self.name == f"staff:{username}"

    def can(self, action: str) -> bool:
        return self.role is None or action in ROLE_ACTIONS.get(self.role, frozenset())

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowed(f"the {self.role} role may not {action}")


KIOSK = Actor("kiosk")
SYSTEM = Actor("system")
NOTIFIER = Actor("notifier")
