"""A visitor's badge: what it shows, and the QR code to check out with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BadgeCard:
    code: str
    first_name: str
    host: str
    date: str
    matrix: list[list[bool]]
    visit_id: uuid.UUID | None = None  # of a check-in at the kiosk (to e-mail the badge)
