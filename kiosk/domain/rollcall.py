"""An evacuation roll call: everyone on site when it started, each marked safe by a
marshal (when, by whom); the list shows who is still missing first, with counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from kiosk.domain.text import search_key


@dataclass(frozen=True, slots=True)
class RollCallEntry:
    id: uuid.UUID
    name: str
    company: str
    host: str
    since: str  # when they arrived, site-local, as the on-site list shows it
    marked_at: datetime | None = None
    marked_by: str = ""

    @property
    def safe(self) -> bool:
        return self.marked_at is not None


@dataclass(frozen=True, slots=True)
class RollCallSheet:
    id: uuid.UUID
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    entries: tuple[RollCallEntry, ...]

    @property
    def missing(self) -> int:
        return sum(not e.safe for e in self.entries)

    @property
    def counts(self) -> str:
        safe = len(self.entries) - self.missing
        return f"{self.missing} missing, {safe} safe, of {len(self.entries)}"

    def with_marks(self, marks: dict[uuid.UUID, tuple[datetime, str]]) -> RollCallSheet:
        """The sheet with these marks (read again: other marshals' too), in list order."""
        entries = []
        for e in self.entries:
            mark = marks.get(e.id)
            entries.append(replace(e, marked_at=mark[0], marked_by=mark[1]) if mark else e)
        return replace(self, entries=tuple(in_list_order(entries)))


def in_list_order(entries: list[RollCallEntry]) -> list[RollCallEntry]:
    """Missing first, then safe; each by name as a marshal reads a list."""
    return sorted(entries, key=lambda e: (e.safe, search_key(e.name), e.name))
