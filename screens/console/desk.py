"""What every console panel works with: the use cases, the staff member logged in (whom
each use case is done by, and whose role decides what it may do), and "today" as the
console reckons it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.domain.staff import Actor, StaffUser

if TYPE_CHECKING:
    from kiosk.services.bundle import Services


@dataclass(frozen=True, slots=True)
class Desk:
    services: Services
    actor: Actor
    user: StaffUser

    def can(self, action: str) -> bool:
        return self.actor.can(action)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def tz(self) -> ZoneInfo:
        return self.services.ctx.tz

    def now(self) -> datetime:
        """The site's local time (the app's clock in tests)."""
        return self.services.ctx.now()

    def today(self) -> date:
        return self.services.ctx.today()
