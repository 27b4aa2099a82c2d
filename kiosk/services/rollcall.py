"""The evacuation roll call: a staff member starts it; everyone on site at that moment
(the evacuation list) becomes its list; marshals mark people safe, from the console or
from a phone (kiosk serve's roll-call page), several at once; the list shows who is
still missing first. Ending it keeps the report (who was marked, by whom, when) for
security to export. Each step is audited with ids and counts."""

from __future__ import annotations

import csv
import os
import uuid
from datetime import datetime
from pathlib import Path

from kiosk.domain.rollcall import RollCallEntry, RollCallSheet, in_list_order
from kiosk.domain.staff import Actor
from kiosk.services.context import ServiceContext
from kiosk.services.hosts import host_shown
from kiosk.services.onsite import OnSiteService
from storage.errors import KeyDestroyed, NotFound, RecordTampered


class RollCallError(ValueError):
    """No roll call to do this on (none under way, or that one has ended)."""


class RollCallService:
    def __init__(self, ctx: ServiceContext, onsite: OnSiteService) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.onsite = onsite

    def start(self, actor: Actor) -> RollCallSheet:
        """Start a roll call of everyone on site now, or return the one under way."""
        actor.require("onsite")
        held = self.repos.rollcalls.active()
        if held is None:
            people = self.onsite.people(actor)
            with self.repos.db.uow(actor.name) as tx:
                rollcall_id = self.repos.rollcalls.start(
                    tx, [(p.visit_id, p.record) for p in people]
                )
        else:
            rollcall_id = held[0]
        return self.sheet(actor, rollcall_id)

    def active(self, actor: Actor) -> uuid.UUID | None:
        actor.require("onsite")
        held = self.repos.rollcalls.active()
        return held[0] if held else None

    def sheet(self, actor: Actor, rollcall_id: uuid.UUID) -> RollCallSheet:
        """The roll call with its people's names (read from their visits once: the
        marks are read again with :meth:`marks`)."""
        actor.require("onsite")
        held = self.repos.rollcalls.get(rollcall_id)
        if held is None:
            raise NotFound(f"no roll call {rollcall_id}")
        tz = self.ctx.tz
        hosts = {h.id: h.name for h in self.repos.hosts.all(active_only=False)}
        entries = []
        for pid, visit_id, record, marked_at, marked_by in self.repos.rollcalls.people(rollcall_id):
            name, company, host, since = f"unreadable record {record}", "", "", ""
            if visit_id is not None:
                try:
                    v = self.repos.visits.get(visit_id)
                except (NotFound, KeyDestroyed, RecordTampered):
                    pass
                else:
                    name, company = v.name, v.company or ""
                    host = host_shown(v.host_name, v.host_id, hosts)
                    since = v.arrived_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            entries.append(
                RollCallEntry(pid, name, company, host, since, marked_at, marked_by or "")
            )
        started_at, started_by, ended_at = held[1], held[2], held[3]
        sheet = RollCallSheet(
            rollcall_id, started_at, started_by, ended_at, tuple(in_list_order(entries))
        )
        if "rollcall" not in actor.seen:  # a look at names: once per login
            actor.seen.add("rollcall")
            with self.repos.db.uow(actor.name) as tx:
                tx.audit("rollcall.view", str(rollcall_id), {"people": len(entries)})
        return sheet

    def marks(self, rollcall_id: uuid.UUID) -> dict[uuid.UUID, tuple[datetime, str]]:
        """Everyone marked so far (by any marshal): what a live list reads each second."""
        return self.repos.rollcalls.marks(rollcall_id)

    def mark(self, actor: Actor, rollcall_id: uuid.UUID, person_id: uuid.UUID) -> bool:
        """Mark someone safe; False when another marshal did already (the mark stays
        theirs) or the roll call has ended."""
        actor.require("onsite")
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.rollcalls.mark(tx, rollcall_id, person_id)

    def end(self, actor: Actor, rollcall_id: uuid.UUID) -> RollCallSheet:
        """End it; its report stays (:meth:`write_report`)."""
        actor.require("onsite")
        missing = sum(1 for _p, _v, _r, at, _b in self.repos.rollcalls.people(rollcall_id)
                      if at is None)  # fmt: skip
        with self.repos.db.uow(actor.name) as tx:
            if not self.repos.rollcalls.end(tx, rollcall_id, missing):
                raise RollCallError("that roll call has ended already")
        return self.sheet(actor, rollcall_id)

    def write_report(self, actor: Actor, rollcall_id: uuid.UUID, output: Path) -> Path:
        """The roll call as CSV: a row per person (name, company, host, arrived, safe,
        marked at, marked by), missing first; never overwrites; audited."""
        actor.require("export")
        sheet = self.sheet(actor, rollcall_id)
        tz = self.ctx.tz
        output.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["started", sheet.started_at.astimezone(tz).isoformat(),
                             "by", sheet.started_by, "ended",
                             sheet.ended_at.astimezone(tz).isoformat() if sheet.ended_at
                             else ""])  # fmt: skip
            writer.writerow(["name", "company", "host", "arrived", "safe", "marked_at",
                             "marked_by"])  # fmt: skip
            for e in sheet.entries:
                at = e.marked_at.astimezone(tz).isoformat() if e.marked_at else ""
                writer.writerow([e.name, e.company, e.host, e.since,
                                 "yes" if e.safe else "MISSING", at, e.marked_by])  # fmt: skip
        with self.repos.db.uow(actor.name) as tx:
            tx.audit("rollcall.report", str(rollcall_id), {"people": len(sheet.entries)})
        return output

    def recent(self, actor: Actor) -> list[tuple[uuid.UUID, datetime, str, datetime | None]]:
        """The latest roll calls (id, started, by whom, ended), newest first."""
        actor.require("onsite")
        return [(i, s, by, e) for i, s, by, e, _eb in self.repos.rollcalls.recent()]
