"""A day's log for reception (the console's Today's log, `kiosk log`): the day's visits
decrypted in memory and searched there (no index needed), and who is expected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from kiosk.domain.staff import Actor
from kiosk.domain.text import search_key
from kiosk.domain.visits import DamagedRecord, VisitRecord
from kiosk.services.context import ServiceContext
from kiosk.services.hosts import host_shown
from kiosk.services.onsite import ON_SITE_DAYS

STATUSES = ("all", "on site", "left", "expected")


@dataclass(frozen=True, slots=True)
class LogRow:
    """One line of the log as staff see it (visitor text stays plain text)."""

    id: uuid.UUID
    arrived: str
    departed: str
    name: str
    company: str
    host: str
    visitor_type: str
    nda: str
    flag: str
    status: str  # "on site", "left" or "expected"
    hour: int
    haystack: str  # folded name, company and host, for search as you type


@dataclass(frozen=True, slots=True)
class DayLog:
    rows: list[LogRow]  # the visits in arrival order, then the expected visitors
    damaged: list[DamagedRecord]  # visits that could not be read
    why: list[str] = field(default_factory=list)  # for each, why: staff's words


@dataclass(frozen=True, slots=True)
class OpenVisits:
    """Counts of visits with no check-out (see LogService.open_visits)."""

    on_site_now: int
    earlier: dict[date, int]


def haystack(*fields: str | None) -> str:
    """What search as you type looks in: each field by search_key, one per line (so a
    search never matches across two fields)."""
    return "\n".join(search_key(f) for f in fields)


def filter_rows(rows: list[LogRow], text: str, status: str = "all") -> list[LogRow]:
    """Search as you type over name, company and host, and the status filter."""
    needle = search_key(text)
    return [
        r
        for r in rows
        if (status == "all" or r.status == status) and (not needle or needle in r.haystack)
    ]


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


def arrivals_per_hour(rows: list[LogRow]) -> list[int]:
    counts = [0] * 24
    for r in rows:
        if r.status != "expected":
            counts[r.hour] += 1
    return counts


def open_earlier_text(days: dict[date, int]) -> str:
    """The console's reminder of visits left open on earlier days ("" when none)."""
    if not days:
        return ""
    listed = ", ".join(f"{d.isoformat()} ({n})" for d, n in list(days.items())[:3])
    more = f" and {len(days) - 3} more day(s)" if len(days) > 3 else ""
    total = sum(days.values())
    return (
        f"Never checked out: {total} visit(s) of earlier days: {listed}{more}."
        " Open the day, then each visit, to check them out."
    )


class LogService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos

    def read_only(self) -> bool:
        """Whether the last read came from a standby: no server accepts writes (the
        primary is away, the standby not promoted yet), so nothing can be changed."""
        return self.repos.db.reading_standby

    def oldest_day(self) -> date:
        """The oldest day the log may open: the visits' retention period ago."""
        return self.ctx.today() - timedelta(days=self.repos.db.retention.visit_days)

    def day(
        self, day: date, actor: Actor, *, search: str | None = None, expected: bool = True
    ) -> DayLog:
        """The day's visits, then (``expected``) its expected (invited, not yet arrived)
        visitors. The reading is audited before anything is shown, once per day and
        login (the console re-reads every few seconds); with ``search`` only the rows it
        finds are returned, and the event says how many."""
        actor.require("log")
        tz, repos = self.ctx.tz, self.repos
        hosts = {h.id: h.name for h in repos.hosts.all(active_only=False)}
        read = repos.visits.on_day(day)
        rows = [_row(v, hosts, tz) for v in read.visits]
        shown = rows if search is None else filter_rows(rows, search)
        looked = f"log:{day}"
        if search is not None or looked not in actor.seen:
            details: dict[str, object] = {"day": day.isoformat(), "visits": len(rows)}
            if search is not None:
                details["shown"] = len(shown)
            with repos.db.uow(actor.name) as tx:
                tx.audit("log.view", details=details)
            actor.seen.add(looked)
        if expected:
            for inv in repos.invitations.for_day(day):
                if inv.used:
                    continue
                host = host_shown(inv.host_name, inv.host_id, hosts)
                shown.append(
                    LogRow(
                        id=inv.id,
                        arrived="",
                        departed="",
                        name=inv.name,
                        company=inv.company or "",
                        host=host,
                        visitor_type=inv.visitor_type.value,
                        nda="",
                        flag="",
                        status="expected",
                        hour=0,
                        haystack=haystack(inv.name, inv.company, host),
                    )
                )
        keep = repos.db.retention.visit_days
        why = [d.why(self.ctx.today(), keep) for d in read.damaged]
        return DayLog(shown, read.damaged, why)

    def open_visits(self, actor: Actor) -> OpenVisits:
        """Visits nobody checked out: how many count as in the building now (as the
        evacuation list reckons), and those of earlier days (within retention) per day,
        newest first: each is "on site" in its day's log. Counts only (nothing
        decrypted, nothing to audit)."""
        actor.require("log")
        today, oldest = self.ctx.today(), self.oldest_day()
        found = self.repos.visits.open_before(today + timedelta(days=1))
        recent = today - timedelta(days=ON_SITE_DAYS - 1)
        return OpenVisits(
            on_site_now=sum(n for d, n in found.items() if d >= recent),
            earlier={d: found[d] for d in sorted(found, reverse=True) if oldest <= d < today},
        )


def _row(v: VisitRecord, hosts: dict[uuid.UUID, str], tz: tzinfo) -> LogRow:
    arrived = v.arrived_at.astimezone(tz)
    host = host_shown(v.host_name, v.host_id, hosts)
    return LogRow(
        id=v.id,
        arrived=arrived.strftime("%H:%M"),
        departed=departure_clock(v, tz),
        name=v.name,
        company=v.company or "",
        host=host,
        visitor_type=v.visitor_type.value,
        nda="yes" if v.nda_accepted else "no",
        flag=", ".join(visit_flags(v)),
        status="on site" if v.on_site else "left",
        hour=arrived.hour,
        haystack=haystack(v.name, v.company, host),
    )
