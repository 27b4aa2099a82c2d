"""What every use case works with: the repositories of the open database, the settings,
and the site's clock (a test's fixed one, or the wall clock in the site's time zone)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import Settings

if TYPE_CHECKING:  # the services' modules load no database library: the screens import them
    from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class ServiceContext:
    repos: Repositories
    settings: Settings
    clock: Callable[[], datetime] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.repos.db.timezone

    def now(self) -> datetime:
        """The site's local time."""
        return (self.clock() if self.clock else datetime.now(self.tz)).astimezone(self.tz)

    def today(self) -> date:
        return self.now().date()
