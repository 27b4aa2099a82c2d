"""Visits: what a check-in stores, and a visit as read back.

Plain records: no SQLAlchemy, no Textual. Storage builds its rows from these and returns
these; the services and screens work with them.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kiosk.domain.documents import DocumentText


class VisitorType(enum.StrEnum):
    GUEST = "guest"
    CONTRACTOR = "contractor"
    INTERVIEW = "interview"
    DELIVERY = "delivery"


VISITOR_TYPES = tuple(t.value for t in VisitorType)


class ScreeningOutcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_ASKED = "not_asked"


class CheckOutOutcome(enum.Enum):
    """What scanning a badge at the kiosk did."""

    DONE = "done"
    UNKNOWN = "unknown"
    ALREADY = "already"


@dataclass(frozen=True, slots=True)
class NdaSignature:
    """What the visitor accepted: the document and the name they typed."""

    version: str
    language: str
    sha256: str
    signed_name: str


@dataclass(frozen=True, slots=True)
class NewVisit:
    """A validated check-in, ready to be stored."""

    name: str
    email: str | None
    phone: str | None
    company: str | None
    visitor_type: VisitorType
    host_id: uuid.UUID | None = None
    host_name: str | None = None
    privacy_version: str = ""
    privacy_sha256: str = ""
    under_16: bool = False
    # An under-16's parent or guardian, who consented for them and signed the NDA.
    guardian: str | None = None
    nda: NdaSignature | None = None
    screening: ScreeningOutcome = ScreeningOutcome.NOT_ASKED
    health_answers: dict[str, str] | None = None
    notify_host: bool = True
    restricted: bool = False  # left out of exports (the visitor objected to them)
    # A parcel left at the kiosk (kiosk.domain.deliveries): checked out as it is stored
    # (no one on site), and its recipient told a parcel is waiting.
    parcel: bool = False
    # The texts whose hashes privacy_sha256 and nda.sha256 are, kept in the documents
    # table the first time a visit refers to them.
    documents: tuple[DocumentText, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckInResult:
    visit_id: uuid.UUID
    badge_code: str
    arrived_at: datetime
    see_reception: bool = False  # the visitor is to see reception first (a watchlist match)


@dataclass(slots=True)
class VisitRecord:
    """A visit as read back: personal fields decrypted. (Not frozen: a frozen dataclass
    costs a microsecond per field to build, and days hold thousands of these.)"""

    id: uuid.UUID
    arrived_at: datetime
    departed_at: datetime | None
    local_day: date
    visitor_type: VisitorType
    name: str
    email: str | None
    phone: str | None
    company: str | None
    host_id: uuid.UUID | None
    host_name: str | None
    nda_accepted: bool
    screening: ScreeningOutcome
    needs_confirmation: bool
    flagged: bool
    restricted: bool
    auto_checkout: bool
    """departed_at is the kiosk.auto_checkout time: nobody recorded the departure."""

    @property
    def on_site(self) -> bool:
        return self.departed_at is None


# A visit for bulk export (VisitRepository.stream_fields): (arrived_at, departed_at,
# visitor_type, name, email, phone, company, host_id, host_name, flags, screening), text
# fields "" when empty, flags the FLAG_* bits. A plain tuple: a million of them are built
# per export.
VisitFields = tuple[
    datetime,
    datetime | None,
    VisitorType,
    str,
    str,
    str,
    str,
    uuid.UUID | None,
    str,
    int,
    ScreeningOutcome,
]
FLAG_NDA, FLAG_NEEDS_CONFIRMATION, FLAG_FLAGGED, FLAG_RESTRICTED = 1, 2, 4, 8
FLAG_AUTO_CHECKOUT = 16


@dataclass(frozen=True, slots=True)
class DamagedRecord:
    """A record that could not be read: it failed its integrity check (``cause``
    "tampered") or its data key is gone ("no_key"). It names the row, never its content;
    the day and arrival are as stored (unchecked), for lists that must still count it."""

    table: str
    row_id: uuid.UUID
    reason: str
    cause: str = "tampered"
    local_day: date | None = None
    arrived_at: datetime | None = None
    departed_at: datetime | None = None

    def why(self, today: date, keep_days: int) -> str:
        """Why it cannot be read, for staff: edited, expired, or a key store that lacks
        its key (restored from a backup older than the records)."""
        if self.cause != "no_key":
            return self.reason
        expired = self.local_day is not None and self.local_day < today - timedelta(days=keep_days)
        if expired:
            return f"{self.table} record {self.row_id}: its data key was destroyed by retention"
        return (
            f"{self.table} record {self.row_id}: its data key is missing from this key store "
            "(a key store restored from a backup older than the records?)"
        )


@dataclass(slots=True)
class DayVisits:
    visits: list[VisitRecord] = field(default_factory=list)
    damaged: list[DamagedRecord] = field(default_factory=list)


# What staff may correct in a stored visit.
CORRECTABLE = ("name", "email", "phone", "company", "host_name")
