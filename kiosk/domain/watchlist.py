"""The watchlist: people the office must not let in unannounced, matched at check-in.

An entry names its person by e-mail, phone and/or name, with the reason, who added it and
the day it expires (required, at most ``max_days`` ahead). The store keeps no readable
list: each entry is sealed, and found at check-in through blind indexes, then confirmed
by decrypting it (:func:`matches`), so someone who only shares a truncated index never
raises an alert. A match never shows on the visitor's screen; reception is alerted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kiosk.domain.text import search_key

MAX_REASON = 300
DEFAULT_MAX_DAYS = 365
ON_MATCH = ("complete", "see_reception")
"""What the visitor sees when they match: a check-in like any other, or the badge headed
"Please see reception before you go in." (as after a failed health screening)."""


class WatchlistError(ValueError):
    """An entry the rules do not allow; the message says why (never its data)."""


@dataclass(frozen=True, slots=True)
class NewWatchEntry:
    email: str | None
    phone: str | None
    name: str | None
    reason: str
    expires_on: date


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """An entry as read back, decrypted."""

    id: uuid.UUID
    created_at: datetime
    expires_on: date
    email: str | None
    phone: str | None
    name: str | None
    reason: str
    added_by: str


@dataclass(frozen=True, slots=True)
class WatchAlert:
    """A check-in that matched an entry, for reception."""

    id: uuid.UUID
    at: datetime
    visit_id: uuid.UUID
    visitor: str  # the visitor's name as they checked in ("" if the visit is unreadable)
    reason: str  # the entry's ("" once the entry has expired)


def checked(entry: NewWatchEntry, today: date, max_days: int) -> NewWatchEntry:
    """The entry with its reason trimmed; WatchlistError when it names nobody, gives no
    reason, or expires in the past or further ahead than ``max_days``."""
    reason = " ".join(entry.reason.split())
    if not (entry.email or entry.phone or search_key(entry.name)):
        raise WatchlistError("an entry needs an e-mail address, a phone number or a name")
    if not reason:
        raise WatchlistError("an entry needs a reason")
    if len(reason) > MAX_REASON:
        raise WatchlistError(f"the reason is longer than {MAX_REASON} characters")
    if entry.expires_on < today:
        raise WatchlistError("an entry cannot expire in the past")
    if entry.expires_on > today + timedelta(days=max_days):
        raise WatchlistError(f"an entry expires at most {max_days} days ahead (watchlist.max_days)")
    name = " ".join((entry.name or "").split()) or None
    return NewWatchEntry(entry.email, entry.phone, name, reason, entry.expires_on)


def matches(entry: WatchEntry, email: str | None, phone: str | None, name: str | None) -> bool:
    """Whether a visitor with this e-mail, phone and name is the entry's person: any one
    of the entry's details equal (e-mail case-insensitively; the name as search compares
    names: case, accents, hyphens and spacing ignored)."""
    if entry.email and email and entry.email.casefold() == email.casefold():
        return True
    if entry.phone and phone and entry.phone == phone:
        return True
    wanted = search_key(entry.name)
    return bool(wanted) and wanted == search_key(name)
