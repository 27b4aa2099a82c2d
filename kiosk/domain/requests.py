"""The register of visitors' rights requests: what was asked, when it came in, when the
answer is due (a month, once extendable by up to two more with a reason), and how it
ended. A request names its person by e-mail or phone, so it is personal data itself."""

from __future__ import annotations

import calendar
import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime


class RequestKind(enum.StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    WITHDRAWAL = "withdrawal"  # of consent (to health screening)


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    REFUSED = "refused"


CHANNELS = ("e-mail", "letter", "in-person", "phone", "other")
"""How a request was received."""
MAX_EXTENSION_MONTHS = 2
DUE_SOON_DAYS = 7
MAX_TEXT = 500


NOTIFICATIONS, EXPORTS = "notifications", "exports"
OBJECTION_PURPOSES = (NOTIFICATIONS, EXPORTS)
"""What a visitor can object to (their data used for): their host being e-mailed when
they arrive; being in security's access exports. Their visits stay on the on-site and
evacuation lists (their safety) and their NDAs stay (a legal record)."""
OBJECT_TO = "object to "  # an objection upheld, as recorded on its request: + purpose


class RequestError(ValueError):
    """A request or a change to it that the rules do not allow; the message says why."""


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months, on the month's last day when it is shorter
    (31 January plus one month: 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(received_on: date, extended_months: int = 0) -> date:
    """When the answer is due: a month after the request came in, plus any extension."""
    return add_months(received_on, 1 + extended_months)


def checked_text(text: str, what: str, *, required: bool) -> str:
    """A reason or note: trimmed, at most MAX_TEXT characters; RequestError otherwise."""
    text = " ".join(text.split())
    if required and not text:
        raise RequestError(f"{what} is required")
    if len(text) > MAX_TEXT:
        raise RequestError(f"{what} is longer than {MAX_TEXT} characters")
    return text


@dataclass(frozen=True, slots=True)
class RequestAction:
    """Something done to answer a request (an export, an erasure, ...), as recorded."""

    at: datetime
    action: str
    actor: str


def objected_purposes(actions: tuple[RequestAction, ...]) -> frozenset[str]:
    """The purposes an objection request's recorded actions uphold."""
    return frozenset(
        a.action.removeprefix(OBJECT_TO)
        for a in actions
        if a.action.startswith(OBJECT_TO) and a.action.removeprefix(OBJECT_TO) in OBJECTION_PURPOSES
    )


@dataclass(frozen=True, slots=True)
class RightsRequest:
    """A request as read back, its personal fields decrypted."""

    id: uuid.UUID
    kind: RequestKind
    channel: str
    received_on: date
    due_on: date
    extended_months: int
    status: RequestStatus
    closed_at: datetime | None
    email: str | None
    phone: str | None
    extension_reason: str = ""
    note: str = ""  # the answer given, or why it was refused
    actions: tuple[RequestAction, ...] = field(default=())

    def overdue(self, today: date) -> bool:
        return self.status is RequestStatus.OPEN and today > self.due_on

    def due_soon(self, today: date) -> bool:
        """Open and due within DUE_SOON_DAYS (or overdue)."""
        return self.status is RequestStatus.OPEN and (self.due_on - today).days <= DUE_SOON_DAYS

    def extended(self, months: int, reason: str) -> tuple[int, date, str]:
        """The extension asked for, checked: (months, new due date, reason)."""
        if self.status is not RequestStatus.OPEN:
            raise RequestError(f"request {self.id} is {self.status.value}, not open")
        if self.extended_months:
            raise RequestError(f"request {self.id} was extended already (once is the limit)")
        if not 1 <= months <= MAX_EXTENSION_MONTHS:
            raise RequestError(f"an extension is 1 to {MAX_EXTENSION_MONTHS} months")
        reason = checked_text(reason, "the reason for the extension", required=True)
        return months, due_on(self.received_on, months), reason


def by_urgency(requests: list[RightsRequest], today: date) -> list[RightsRequest]:
    """Overdue first, then due within a week, then the other open ones by due date, then
    the closed ones, newest first."""

    def rank(r: RightsRequest) -> tuple[int, int]:
        if r.status is not RequestStatus.OPEN:
            closed = r.closed_at.toordinal() if r.closed_at else 0
            return 3, -closed
        group = 0 if r.overdue(today) else 1 if r.due_soon(today) else 2
        return group, r.due_on.toordinal()

    return sorted(requests, key=rank)
