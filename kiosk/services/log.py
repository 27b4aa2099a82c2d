"""Today's log: a day's visits, decrypted in memory and filtered (no index needed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from kiosk.domain.text import search_key
from storage.records import DayVisits, VisitRecord

if TYPE_CHECKING:  # the console imports visit_flags before SQLAlchemy is needed
    from storage.store import Store


def matches(visit: VisitRecord, needle: str, host_names: dict[str, str]) -> bool:
    """True if the folded needle occurs in the visitor's name, company or host."""
    if not needle:
        return True
    host = visit.host_name or host_names.get(str(visit.host_id), "")
    return any(needle in search_key(v) for v in (visit.name, visit.company, host))


def departure_clock(visit: VisitRecord, tz: tzinfo) -> str:
    """When the visitor left, as the log shows it: "17:05" on the day of the visit,
    "00:06+1" a day after it (a time alone would read as the same day), "" while on site."""
    if visit.departed_at is None:
        return ""
    left = visit.departed_at.astimezone(tz)
    later = (left.date() - visit.local_day).days
    return f"{left:%H:%M}+{later}" if later > 0 else f"{left:%H:%M}"


def visit_flags(visit: VisitRecord) -> list[str]:
    """What reception should notice about a visit, as the log shows it."""
    flags = []
    if visit.flagged:
        flags.append("screening")
    if visit.needs_confirmation:
        flags.append("under 16")
    if visit.auto_checkout:  # the departure shown is the automatic check-out time
        flags.append("auto out")
    return flags


class LogService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def today(self) -> date:
        return self.store.local_day(datetime.now(self.store.timezone))

    def host_names(self) -> dict[str, str]:
        return {str(h.id): h.name for h in self.store.hosts(active_only=False)}

    def day(self, day: date | None = None) -> DayVisits:
        return self.store.visits_on(day or self.today())

    def search(self, visits: Iterable[VisitRecord], text: str) -> list[VisitRecord]:
        needle = search_key(text)
        hosts = self.host_names() if needle else {}
        return [v for v in visits if matches(v, needle, hosts)]
