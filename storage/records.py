"""Plain records passed in and out of the Store.

This module imports nothing from SQLAlchemy so that the domain layer can share these types.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime


class Category(enum.StrEnum):
    """A retention category: each has its own data keys and its own retention period."""

    VISIT = "visit"
    HEALTH = "health"
    NDA = "nda"
    OUTBOX = "outbox"


class VisitorType(enum.StrEnum):
    GUEST = "guest"
    CONTRACTOR = "contractor"
    INTERVIEW = "interview"
    DELIVERY = "delivery"


class ScreeningOutcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_ASKED = "not_asked"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many days each category is kept (already checked against the caps)."""

    visit_days: int = 30
    health_answers_days: int = 0
    nda_days: int = 730
    outbox_days: int = 7
    audit_days: int = 365


@dataclass(frozen=True, slots=True)
class HostEntry:
    """A host in the directory (staff data, stored in plain text)."""

    id: uuid.UUID
    name: str
    email: str | None
    active: bool
    language: str | None = None  # of the host's e-mails; None: the site's


@dataclass(frozen=True, slots=True)
class NdaSignature:
    """What the visitor accepted: the document and the name they typed."""

    version: str
    language: str
    sha256: str
    signed_name: str


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A privacy notice or NDA as shown: ``text`` is exactly what ``sha256`` is of."""

    kind: str
    language: str
    version: str
    sha256: str
    text: str

    @property
    def key(self) -> tuple[str, str, str]:
        """Its row's key in the documents table."""
        return (self.sha256, self.kind, self.language)


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
    nda: NdaSignature | None = None
    screening: ScreeningOutcome = ScreeningOutcome.NOT_ASKED
    health_answers: dict[str, str] | None = None
    notify_host: bool = True
    # The texts whose hashes privacy_sha256 and nda.sha256 are, kept in the documents
    # table the first time a visit refers to them.
    documents: tuple[DocumentText, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckInResult:
    visit_id: uuid.UUID
    badge_code: str
    arrived_at: datetime


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


# A visit for bulk export (Store.stream_fields): (arrived_at, departed_at, visitor_type,
# name, email, phone, company, host_id, host_name, flags, screening), text fields "" when
# empty, flags the FLAG_* bits. A plain tuple: a million of them are built per export.
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
    """A record that failed authentication; it names the row, never its content."""

    table: str
    row_id: uuid.UUID
    reason: str


@dataclass(slots=True)
class DayVisits:
    visits: list[VisitRecord] = field(default_factory=list)
    damaged: list[DamagedRecord] = field(default_factory=list)


@dataclass(slots=True)
class PurgeReport:
    """Counts of what a purge removed (or would remove, in a dry run)."""

    as_of: datetime
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    keys_destroyed: dict[str, int] = field(default_factory=dict)
    # How long each of the purge's write transactions on the records database held its
    # lock (what a check-in arriving meanwhile waits), in the order they ran.
    locks_ms: list[float] = field(default_factory=list)

    @property
    def longest_lock_ms(self) -> float:
        return max(self.locks_ms, default=0.0)


@dataclass(frozen=True, slots=True)
class ErasureReport:
    visits: int
    nda_acceptances: int
    outbox: int
    invitations: int = 0
