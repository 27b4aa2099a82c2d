"""`kiosk status`: is this installation doing what it promises? For IT and monitoring.

Facts (visits held, visits never checked out, the last purge, the last backups, e-mails
waiting, staff accounts, disk space, the audit trail) and the things that need someone's
attention, each one line. Nothing personal: counts, times and kinds only. Monitoring runs
it and looks at the exit code.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from kiosk.domain.staff import ROLES
from kiosk.services.badge import failed_lately, last_print
from kiosk.services.context import ServiceContext
from kiosk.services.hosts import hosts_sharing_a_name
from storage.engine import sqlite_path

PURGE_DUE = timedelta(hours=25)  # the kiosk purges hourly; cron typically daily
SENDER_LATE = timedelta(minutes=15)  # a due e-mail nobody has tried for this long
DISK_LOW_BYTES = 500_000_000
DISK_LOW_SHARE = 0.05


@dataclass
class Status:
    facts: list[tuple[str, str]] = field(default_factory=list)
    """(label, value) for people."""
    data: dict[str, Any] = field(default_factory=dict)
    """The same facts for programs: numbers, ISO times (UTC), None for never."""
    attention: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.attention


def _ago(now: datetime, then: datetime) -> str:
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _when(now: datetime, then: datetime) -> str:
    return f"{then.strftime('%Y-%m-%d %H:%M')} UTC ({_ago(now, then)})"


class StatusService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self, now: datetime) -> Status:
        """The installation's state at ``now`` (UTC)."""
        ctx = self.ctx
        repos, db = ctx.repos, ctx.repos.db
        email = bool(ctx.settings.notify.smtp_host)
        status = Status()
        fact, attend, data = status.facts.append, status.attention.append, status.data

        count, oldest = repos.visits.held()
        data["visits_held"] = count
        data["oldest_visit_day"] = oldest.isoformat() if oldest else None
        today = db.local_day(now)
        limit = today - timedelta(days=db.retention.visit_days)
        held = f"{count} visit(s)" + (f", the oldest of {oldest.isoformat()}" if oldest else "")
        fact(("visits held", held))
        if oldest is not None and oldest < limit - timedelta(days=1):
            attend(
                f"visits of {oldest.isoformat()} are older than the {db.retention.visit_days} "
                "days promised: retention is not being applied (run kiosk purge; schedule it)"
            )

        open_days = repos.visits.open_before(today)
        still_open = sum(open_days.values())
        yesterdays = open_days.get(today - timedelta(days=1), 0)
        data["open_from_earlier_days"] = {
            "visits": still_open,
            "yesterday": yesterdays,
            "oldest_day": min(open_days).isoformat() if open_days else None,
        }
        if still_open:
            fact(
                (
                    "never checked out",
                    f"{still_open} visit(s) of earlier days, {yesterdays} of them yesterday's",
                )
            )
        else:
            fact(("never checked out", "none from earlier days"))
        if yesterdays:
            attend(
                f"{yesterdays} visit(s) of yesterday have no check-out, so they are on the "
                "evacuation list: check out whoever has left (console, Today's log of yesterday), "
                "or set kiosk.auto_checkout"
            )

        overdue = repos.requests.overdue(today)
        data["rights_requests_overdue"] = overdue
        fact(("rights requests overdue", str(overdue)))
        if overdue:
            attend(
                f"{overdue} rights request(s) are past their due date: answer or extend them "
                "(kiosk rights request list; the console's Rights tab)"
            )

        # Under-16s on their own sent to reception by the kiosk: an anonymous count.
        midnight = datetime.combine(today, time(0), ctx.tz)
        alone = sum(
            1
            for e in repos.audit.iter_events(action="visit.turned_away", start=midnight)
            if e.details.get("site") == db.site_id.hex
        )
        data["sent_to_reception_today"] = alone
        fact(("sent to reception today", f"{alone} under-16(s) on their own"))

        last_purge = repos.audit.events(action="retention.purge", newest=1)
        data["last_purge"] = last_purge[0].at.isoformat() if last_purge else None
        if last_purge:
            fact(("last purge", _when(now, last_purge[0].at)))
        else:
            fact(("last purge", "never"))
        if not last_purge or now - last_purge[0].at > PURGE_DUE:
            attend(
                "no purge in the last 25 hours: nothing forgets on schedule unless a kiosk runs "
                "or cron runs kiosk purge"
            )

        path = sqlite_path(str(db.engine.url))
        # kiosk backup copies SQLite files; a PostgreSQL database is copied with pg_dump,
        # which leaves no trace here.
        no_copy = "none made with kiosk backup" if path else "not tracked (PostgreSQL: use pg_dump)"
        for kind, label in (
            ("records", "last records backup"),
            ("keystore", "last key store backup"),
        ):
            copy = repos.audit.events(action=f"backup.{kind}", newest=1)
            data[f"last_{kind}_backup"] = copy[0].at.isoformat() if copy else None
            fact((label, _when(now, copy[0].at) if copy else no_copy))

        p = ctx.settings.printing
        printer = p.printer or ("print command" if p.command else "")
        last = last_print(repos) if printer else None
        outcome = str(last.details.get("outcome", "")) if last else None
        data["badge_printer"] = (
            {"printer": printer, "last": outcome, "at": last.at.isoformat() if last else None}
            if printer
            else None
        )
        if not printer:
            fact(("badge printer", "none (printing.printer)"))
        elif last is None:
            fact(("badge printer", f"{printer}: nothing printed yet"))
        else:
            fact(("badge printer", f"{printer}: last badge {outcome}, {_when(now, last.at)}"))
            if failed_lately(last, now):
                reason = last.details.get("reason", "")
                attend(f"the last badge was not printed ({outcome}: {reason}); see the printer")

        waiting = late = retrying = 0
        for _id, attempts, next_attempt, sent, _error in repos.outbox.pending():
            if sent is not None or next_attempt is None:
                continue  # sent, or given up
            waiting += 1
            retrying += attempts > 0
            late += now - next_attempt > SENDER_LATE
        # Host notices, invitations and badges share the outbox, and the sender.
        data["emails"] = {"waiting": waiting, "retrying": retrying, "late": late} if email else None
        if not email:
            fact(("e-mails", "not set up (notify.smtp_host)"))
        else:
            fact(
                (
                    "e-mails",
                    f"{waiting} waiting (host notices, invitations, badges), {retrying} of them "
                    "after a failed try",
                )
            )
        if email and late:
            attend(
                f"{late} e-mail(s) (host notices, invitations, badges) due for more than 15 "
                "minutes: no kiosk is sending them (run kiosk notify, or schedule it)"
            )

        hosts = repos.hosts.all()
        shared = hosts_sharing_a_name(hosts)
        data["hosts"] = {"active": len(hosts), "sharing_a_name": shared}
        fact(("hosts", f"{len(hosts)} active"))
        if shared:
            attend(
                f"{shared} active hosts share a name with another: a visitor typing it chooses "
                "neither and no host is told (rename them apart in the console's Hosts tab)"
            )

        accounts = repos.staff.all()
        roles = {role: sum(a.role == role for a in accounts) for role in ROLES}
        locks = repos.staff.locks(now)  # read once, not once per account
        locked = sum(repos.staff.name_hash(a.username) in locks for a in accounts)
        data["staff_accounts"] = {**roles, "locked": locked}
        if accounts:
            per_role = ", ".join(f"{n} {role}" for role, n in roles.items() if n)
            after = f", {locked} locked after wrong PINs" if locked else ""
            fact(("staff accounts", f"{len(accounts)} ({per_role}){after}"))
        else:  # the staff menu is the kiosk's only way out
            fact(("staff accounts", "none: add one with kiosk staff add NAME --role admin"))

        if path is not None:
            disk = shutil.disk_usage(path.parent)
            data["disk_free_bytes"], data["disk_total_bytes"] = disk.free, disk.total
            fact(("disk", f"{disk.free / 1e9:.1f} GB free of {disk.total / 1e9:.1f} GB"))
            if disk.free < DISK_LOW_BYTES or disk.free < DISK_LOW_SHARE * disk.total:
                attend("the disk holding the database is nearly full: check-ins will fail")

        result = repos.audit.verify()
        data["audit_trail"] = {"intact": result.ok, "checked": result.checked}
        if result.ok:
            fact(("audit trail", f"intact ({result.checked} event(s))"))
        else:
            fact(("audit trail", "NOT INTACT"))
            attend(f"the audit trail is not intact: {result.problem} (see kiosk audit verify)")
        return status
