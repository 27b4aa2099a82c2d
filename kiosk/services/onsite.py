"""The evacuation list: everyone checked in and not out, today and any earlier day still
open (someone who stayed overnight is still in the building)."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from kiosk.columns import table
from kiosk.domain.staff import Actor
from kiosk.domain.text import search_key
from kiosk.domain.visits import VisitRecord
from kiosk.services.context import ServiceContext
from kiosk.services.hosts import host_shown
from kiosk.services.printing import send_to_printer
from storage.errors import StorageError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OnSite:
    name: str
    company: str
    host: str
    since: str
    unreadable: str = ""
    """Why the record could not be read (then ``name`` says so, with its visit id): it
    is listed and counted all the same, as it may be someone in the building."""
    visit_id: uuid.UUID | None = None  # a readable record's
    record: str = ""  # the visit's id, readable or not (a roll call keeps it)


def unreadable_count(people: list[OnSite]) -> int:
    return sum(bool(p.unreadable) for p in people)


def on_site_count(people: list[OnSite]) -> str:
    """ "On site now: 3", and the unreadable records among them when there are any."""
    bad = unreadable_count(people)
    if not bad:
        return f"On site now: {len(people)}"
    return (
        f"On site now: {len(people)}, of which {bad} unreadable record(s): check them "
        "(kiosk log says why)"
    )


ON_SITE_TITLES = ("Name", "Company", "Host", "Since")
PRINT_WIDTH = 80  # a line of a text page on the printer


def on_site_lines(people: list[OnSite], room: int = PRINT_WIDTH) -> list[str]:
    """The list under its column titles, fitted into ``room`` cells: each column as wide
    as its longest entry; when they do not fit, companies and hosts are cut before names
    (nothing when nobody is on site)."""
    if not people:
        return []
    rows = ((p.name, p.company, p.host, p.since) for p in people)
    return table(ON_SITE_TITLES, rows, room, keep=(0, 3))


PAGE_LINES = 60  # a printed page of text: A4 or Letter at six lines an inch, less margins


def on_site_printout(people: list[OnSite], heading: str, page_lines: int = PAGE_LINES) -> str:
    """The list as printed: pages of at most ``page_lines`` lines, split by form feeds,
    each under ``heading`` (when the list was read) and the column titles and ending
    with "Page n of m", so that a marshal handed any one page knows what it is, how old,
    and that there are more."""
    lines = on_site_lines(people)
    if not lines:
        return f"{heading}\n\nNobody on site.\n"
    titles, rows = lines[0], lines[1:]
    per_page = page_lines - 5  # heading, a blank line, titles; a blank line, the page line
    chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)]
    return "\f".join(
        "\n".join([heading, "", titles, *chunk, "", f"Page {n} of {len(chunks)}"]) + "\n"
        for n, chunk in enumerate(chunks, 1)
    )


ON_SITE_DAYS = 2  # today and yesterday: someone who stayed the night is still here


def on_site_heading(now: datetime, read_at: datetime | None = None) -> str:
    """The printed list's first line: when it was read, and when printed if that was a
    minute or more later."""
    read = read_at or now
    late = now - read >= timedelta(minutes=1)
    printed = f" (as last read; printed {now:%Y-%m-%d %H:%M})" if late else ""
    return f"On site at {read:%Y-%m-%d %H:%M}{printed}"


class OnSiteService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos

    def people(self, actor: Actor, *, days: int = ON_SITE_DAYS) -> list[OnSite]:
        """Visitors with no check-out among the last ``days`` days, sorted by name the way
        a marshal reads a list: Åse with the A's, Ørsted with the O's. A record of those
        days that cannot be read (edited in the database, or its key missing) is never
        left out silently: it comes first, as "unreadable record <visit id>" with its
        arrival as stored, whatever departure it records (that cannot be trusted
        either). Looking is audited, once per login, but never stands in the way: in an
        emergency the list is shown even when the event cannot be written."""
        actor.require("onsite")
        tz, today = self.ctx.tz, self.ctx.today()
        hosts = {h.id: h.name for h in self.repos.hosts.all(active_only=False)}
        keep = self.repos.db.retention.visit_days
        people, unreadable = [], []
        seen: set[str] = set()
        for v in self.repos.visits.stream_range(today - timedelta(days=days - 1), today):
            seen.add(str(v.id if isinstance(v, VisitRecord) else v.row_id))
            if not isinstance(v, VisitRecord):
                when = v.arrived_at  # as stored: unchecked, but all there is
                arrived = when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "?"
                unreadable.append(
                    OnSite(
                        f"unreadable record {v.row_id}",
                        "",
                        "",
                        arrived,
                        v.why(today, keep),
                        record=str(v.row_id),
                    )
                )
                continue
            if v.departed_at is not None:
                continue
            people.append(
                OnSite(
                    name=v.name,
                    company=v.company or "",
                    host=host_shown(v.host_name, v.host_id, hosts),
                    since=v.arrived_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    visit_id=v.id,
                    record=str(v.id),
                )
            )
        people.sort(key=lambda p: (search_key(p.name), p.name))
        unreadable += self._missing(today - timedelta(days=days - 1), seen)
        if unreadable:
            log.warning("%d unreadable visit record(s) on the on-site list", len(unreadable))
        people = unreadable + people
        if "onsite" not in actor.seen:
            actor.seen.add("onsite")
            details = {"people": len(people)}
            if unreadable:
                details["unreadable"] = len(unreadable)
            self._audit(actor, "onsite.view", details)
        return people

    def _missing(self, first_day: date, seen: set[str]) -> list[OnSite]:
        """Visits the audit trail says checked in over these days and never left, that
        the records do not hold where they were written: moved to another day or site,
        or deleted, in the database. The trail's events cannot be edited unseen (kiosk
        audit verify), so such a visit is listed too, by its id and arrival."""
        since = datetime.combine(first_day, time(), self.ctx.tz)
        arrived, left = self.repos.audit.check_ins_out(since)
        tz = self.ctx.tz
        return [
            OnSite(
                f"unreadable record {visit_id}",
                "",
                "",
                at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                f"visits record {visit_id}: not where the kiosk wrote it (moved or deleted "
                "in the database); the audit trail holds its check-in and no check-out",
                record=visit_id,
            )
            for visit_id, at in arrived.items()
            if visit_id not in seen and visit_id not in left
        ]

    def print(self, people: list[OnSite], actor: Actor, read_at: datetime | None = None) -> str:
        """Write the list for the printer; a missing printer is a message, not an error.
        ``read_at``: when the list was read, if not just now (the database may be out of
        reach in an evacuation: the sheet then says how old it is)."""
        actor.require("onsite")
        settings = self.ctx.settings
        spool = settings.resolved_spool_dir
        spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = spool / f"onsite-{datetime.now(self.ctx.tz):%Y%m%d-%H%M%S}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(on_site_printout(people, on_site_heading(self.ctx.now(), read_at)))
        self._audit(actor, "onsite.print", {"people": len(people)})
        command = settings.printing.command
        if not command:
            return f"No printer is set up; the list is in {path}"
        if send_to_printer(command, path):
            return f"The printer did not answer; the list is in {path}"
        return "Sent to the printer."

    def _audit(self, actor: Actor, action: str, details: dict[str, Any]) -> None:
        """Audit a look at the evacuation list without ever standing in its way."""
        try:
            with self.repos.db.uow(actor.name) as tx:
                tx.audit(action, details=details)
        except (StorageError, OSError) as exc:  # the database, or the checkpoint file
            log.warning("%s not audited (%s); the list is shown anyway", action, type(exc).__name__)
