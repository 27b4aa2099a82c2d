"""Pre-registrations: an invitation code fills the kiosk form for an expected visitor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from kiosk.domain.visits import VisitorType


@dataclass(frozen=True, slots=True)
class NewInvitation:
    name: str
    email: str | None
    phone: str | None
    company: str | None
    expected_day: date
    visitor_type: VisitorType = VisitorType.GUEST
    host_id: uuid.UUID | None = None
    host_name: str | None = None


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    id: uuid.UUID
    expected_day: date
    visitor_type: VisitorType
    host_id: uuid.UUID | None
    name: str
    email: str | None
    phone: str | None
    company: str | None
    host_name: str | None
    used: bool
