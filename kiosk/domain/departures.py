"""Automatic check-out: visitors who forgot to check out, checked out at a time of day.

A visit left open stays "on site" on the log and on the next day's evacuation list.
With an automatic check-out time (site-local, e.g. 23:00), a visit still open at that
time is given that time as its departure and marked ``auto_checkout``: the log, the
exports and the visit's details say that nobody recorded it. A badge scanned later still
records the real departure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def latest_cut(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The last moment at or before ``now`` at which the local clock read ``at`` (UTC)."""
    local_now = now.astimezone(tz)
    cut = datetime.combine(local_now.date(), at, tzinfo=tz)
    if cut > local_now:
        cut = datetime.combine(local_now.date() - timedelta(days=1), at, tzinfo=tz)
    return cut.astimezone(UTC)


def departure_for(arrived: datetime, at: time, tz: ZoneInfo) -> datetime:
    """When a visit that arrived at ``arrived`` and never checked out is checked out: the
    first time the local clock reads ``at`` after the arrival (UTC)."""
    local = arrived.astimezone(tz)
    day: date = local.date()
    cut = datetime.combine(day, at, tzinfo=tz)
    if cut <= local:  # arrived after that day's check-out time: the next day's
        cut = datetime.combine(day + timedelta(days=1), at, tzinfo=tz)
    return cut.astimezone(UTC)
