"""A visitor's badge: what it shows, and the QR code to check out with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class BadgeCard:
    code: str
    first_name: str
    host: str
    date: str
    matrix: list[list[bool]]
    visit_id: uuid.UUID | None = None  # of a check-in at the kiosk (to e-mail the badge)
    see_reception: bool = False  # headed "Please see reception before you go in."


class PrintOutcome(StrEnum):
    PRINTED = "printed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class PrintResult:
    outcome: PrintOutcome
    reason: str = ""
    """Why it did not print, for staff and logs (never anything of the visitor's)."""

    @property
    def printed(self) -> bool:
        return self.outcome is PrintOutcome.PRINTED
