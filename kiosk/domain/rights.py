"""A visitor's rights: everything held about one person, and what an erasure removed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.domain.invitations import InvitationRecord
from kiosk.domain.notifications import SentAbout
from kiosk.domain.requests import RightsRequest
from kiosk.domain.visits import VisitRecord


def same_person(
    held_email: str | None, held_phone: str | None, email: str | None, phone: str | None
) -> bool:
    """Whether a record's decrypted contact (``held_*``) is the person asked for by
    ``email`` or ``phone``: what confirms a blind index's find (a truncated index also
    finds other people's). E-mail addresses compare without case."""
    if email and held_email and held_email.casefold() == email.casefold():
        return True
    return bool(phone) and held_phone == phone


@dataclass(frozen=True, slots=True)
class NdaRecord:
    id: uuid.UUID
    visit_id: uuid.UUID | None  # None once the visit itself was purged
    signed_at: datetime
    signed_name: str | None  # None when its key is gone or the record is damaged
    document_version: str
    document_language: str
    document_sha256: str
    document_text: str | None  # what was signed (None: accepted before texts were kept)
    problem: str | None = None  # why it cannot be read (names the record, not its content)


@dataclass(frozen=True, slots=True)
class PersonData:
    """Everything held about one person: what the blind index leads to, and their
    pre-registrations."""

    visits: list[VisitRecord]
    nda_acceptances: list[NdaRecord]
    invitations: list[InvitationRecord]
    host_names: dict[uuid.UUID, str] = field(default_factory=dict)
    """The directory's hosts by id: a host picked from the list is named by it."""
    privacy_shown: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    """Each visit's privacy notice as shown: its version and SHA-256."""
    requests: list[RightsRequest] = field(default_factory=list)
    """The rights requests they made (the register's entries)."""
    notifications: list[SentAbout] = field(default_factory=list)
    """The e-mails about their visits and invitations the outbox holds."""
    guardians: dict[uuid.UUID, str] = field(default_factory=dict)
    """The parent or guardian who came with them to a visit made under 16."""


@dataclass(frozen=True, slots=True)
class ErasureReport:
    visits: int
    nda_acceptances: int
    outbox: int
    invitations: int = 0
