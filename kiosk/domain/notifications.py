"""E-mails waiting in the outbox: to a host when their visitor arrives, an invitation to
an expected visitor, and a visitor's own badge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

HOST_ARRIVAL = "host_arrival"  # the kinds of e-mail
INVITATION = "invitation"
BADGE = "badge"  # a visitor's badge code, e-mailed to them at their asking
TO_VISITOR = (INVITATION, BADGE)  # the kinds that go to the visitor's own address
WATCH_ALERT = "watch_alert"  # to watchlist.alert_email: a visitor matched (no name in it)


@dataclass(frozen=True, slots=True)
class Notification:
    """A claimed e-mail, decrypted. A host notification (kind "host_arrival") goes to the
    host: ``host_email`` is None when the host has no address (or the visitor typed a host
    the directory does not hold). An invitation ("invitation") goes to the visitor's
    address in ``to``, in ``language``, with the ``code`` for ``day``; so does a badge
    ("badge"), with the visit's badge code."""

    id: uuid.UUID
    kind: str
    attempts: int
    host_name: str | None
    host_email: str | None
    host_language: str | None  # None: the site's
    visitor: str
    company: str | None
    arrived_at: datetime | None  # a host notification's
    to: str | None = None  # an invitation's
    day: str | None = None
    code: str | None = None
    language: str | None = None
    minor: bool = False  # a host notification's: the visitor is under 16, with a guardian

    @property
    def recipient(self) -> str | None:
        return self.to if self.kind in (*TO_VISITOR, WATCH_ALERT) else self.host_email


class OutboxEntry(NamedTuple):
    """A message's state, for checking the outbox (no personal data)."""

    id: uuid.UUID
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class SentAbout(NamedTuple):
    """An e-mail about a person's visit or invitation, as their export lists it (what it
    said is what the visit or invitation holds)."""

    kind: str
    visit_id: uuid.UUID | None
    invitation_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    given_up: bool


class NotificationState(NamedTuple):
    """Whether a visit's host notification went out (or when it is tried next, and why
    the last try failed)."""

    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
