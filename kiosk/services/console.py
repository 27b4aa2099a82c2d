"""What the reception console does, per role. Plain class over the Store; every read of a
visitor's details and every change is audited by id, never by name."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.domain.registration import (
    COMPANY_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PHONE_MAX,
    Registration,
    ValidationErrors,
)
from kiosk.domain.text import TextError, clean_text, search_key
from kiosk.services.hosts import directory_names, host_shown
from kiosk.services.log import departure_clock, visit_flags
from kiosk.services.staff import StaffUser
from storage.records import VisitRecord

if TYPE_CHECKING:
    from kiosk.services.admin import RetentionAdmin, StaffAdmin
    from kiosk.services.badge import BadgeCard
    from kiosk.services.export import ExportResult
    from kiosk.services.onsite import OnSite
    from kiosk.services.rights import RightsService
    from storage.audit import VerifyResult
    from storage.audit_trail import AuditEntry
    from storage.records import HostEntry
    from storage.store import Store

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "reception": frozenset({"log", "checkout", "prereg", "hosts", "correct"}),
    "security": frozenset({"log", "checkout", "prereg", "hosts", "correct", "onsite", "export",
                           "audit"}),
    "admin": frozenset({"log", "checkout", "prereg", "hosts", "correct", "onsite", "export",
                        "audit", "staff", "retention", "rights"}),
}  # fmt: skip


class NotAllowed(Exception):
    """The staff member's role does not allow this action."""


def user_message(error: BaseException | None) -> str:
    """What staff see when an action fails: the reason when it is one of ours (they name
    settings, accounts and record ids, never a visitor's data), else only its kind."""
    from kiosk.config import ConfigError
    from kiosk.services.staff import PinPolicyError
    from storage.errors import StorageError

    if isinstance(error, ValidationErrors):
        return "; ".join(error.fields.values())
    if isinstance(error, TextError):
        return error.message
    if isinstance(error, (NotAllowed, PinPolicyError, ConfigError, StorageError)):
        return str(error)
    return f"That did not work ({type(error).__name__})."


class Freshness:
    """How current a view that re-reads the database every few seconds is: when it last
    read it, and since when reading fails (an outage is one standing line, not a message
    every few seconds)."""

    def __init__(self, what: str, every_s: float) -> None:
        self.what = what  # "the log", "this list": what the line says is old
        self.every_s = every_s
        self.read_at: datetime | None = None
        self.failing_since: datetime | None = None

    def read(self, at: datetime) -> bool:
        """A read worked at ``at``; True when it ends a run of failures."""
        self.read_at = at
        ended, self.failing_since = self.failing_since is not None, None
        return ended

    def failed(self, error: BaseException | None, at: datetime) -> str:
        """A read failed at ``at``: the line to show until one works again."""
        if self.failing_since is None:
            self.failing_since = at
        reason = user_message(error).rstrip(".")
        shown = f"as read at {self.read_at:%H:%M}" if self.read_at else "not read yet"
        return (
            f"{reason[:1].upper()}{reason[1:]}. Since {self.failing_since:%H:%M}, trying"
            f" again every {self.every_s:.0f} s; {self.what} is {shown}."
        )


@dataclass(frozen=True, slots=True)
class OpenVisits:
    """Counts of visits with no check-out (see ConsoleService.open_visits)."""

    on_site_now: int
    earlier: dict[date, int]


@dataclass(frozen=True, slots=True)
class LogRow:
    """One line of the log as the console shows it (visitor text stays plain text)."""

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


STATUSES = ("all", "on site", "left", "expected")
# What a correction may hold: the kiosk's caps, so a correction keeps what check-in may.
FIELD_MAX = {"name": NAME_MAX, "email": EMAIL_MAX, "phone": PHONE_MAX, "company": COMPANY_MAX}


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


_DEPARTURE = re.compile(r"(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2})[:.](\d{2})", re.ASCII)


def parse_departure(
    text: str, day: date, tz: ZoneInfo, arrived: datetime | None = None
) -> datetime:
    """When a visitor left, as staff type it for a visit of ``day`` left open or checked
    out automatically: "17:30" or "17.30" on that day, or "2026-11-30 08:15" for a
    visitor who stayed overnight. A moment before ``arrived`` is refused in words that
    say how to type a departure after midnight (the Store checks the bounds again).
    Raises TextError."""
    found = _DEPARTURE.fullmatch(text.strip())
    if found is None:
        raise TextError(
            f"Type when the visitor left as HH:MM (on {day.isoformat()}),"
            " or YYYY-MM-DD HH:MM for another day."
        )
    on, hour, minute = found.groups()
    try:
        when = datetime.combine(
            date.fromisoformat(on) if on else day, time(int(hour), int(minute)), tzinfo=tz
        )
        left = when.astimezone(UTC)
    except (ValueError, OverflowError):  # 24:00, 2026-02-30, or past year 9999 in UTC
        raise TextError("There is no such date or time.") from None
    if arrived is not None and left < arrived:
        came = arrived.astimezone(tz)
        before = f"That is before the arrival ({came:%H:%M} on {came.date().isoformat()})."
        if on or day == date.max:
            raise TextError(before)
        next_day = (day + timedelta(days=1)).isoformat()
        raise TextError(
            f"{before} If the visitor left after midnight, type the date too:"
            f" {next_day} {int(hour):02d}:{minute}."
        )
    return left


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


def on_site_heading(now: datetime, read_at: datetime | None = None) -> str:
    """The printed list's first line: when it was read, and when printed if that was a
    minute or more later."""
    read = read_at or now
    late = now - read >= timedelta(minutes=1)
    printed = f" (as last read; printed {now:%Y-%m-%d %H:%M})" if late else ""
    return f"On site at {read:%Y-%m-%d %H:%M}{printed}"


def arrivals_per_hour(rows: list[LogRow]) -> list[int]:
    counts = [0] * 24
    for r in rows:
        if r.status != "expected":
            counts[r.hour] += 1
    return counts


class ConsoleService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        user: StaffUser,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self._clock = clock
        self.settings = settings
        self.user = user
        self.tz = ZoneInfo(settings.timezone)
        self.actor = f"staff:{user.username}"
        self._retention: RetentionAdmin | None = None
        # What this login has looked at, audited the first time only: the log refreshes
        # every few seconds, and one event per refresh would bury everything else.
        self._viewed: set[str] = set()

    # -- roles -------------------------------------------------------------------------

    def can(self, action: str) -> bool:
        return action in ROLE_ACTIONS.get(self.user.role, frozenset())

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowed(f"the {self.user.role} role may not {action}")

    # -- the log -----------------------------------------------------------------------

    def now(self) -> datetime:
        """The site's local time (the app's clock in tests)."""
        return (self._clock() if self._clock else datetime.now(self.tz)).astimezone(self.tz)

    def today(self) -> date:
        return self.now().date()

    def oldest_day(self) -> date:
        return self.today() - timedelta(days=self.store.retention.visit_days)

    def open_visits(self) -> OpenVisits:
        """Visits nobody checked out: how many count as in the building now (as the
        evacuation list reckons), and those of earlier days (within retention) per day,
        newest first: each is "on site" in its day's log. Counts only (nothing
        decrypted, nothing to audit)."""
        from kiosk.services.onsite import ON_SITE_DAYS

        self.require("log")
        today, oldest = self.today(), self.oldest_day()
        found = self.store.open_visits_before(today + timedelta(days=1))
        recent = today - timedelta(days=ON_SITE_DAYS - 1)
        return OpenVisits(
            on_site_now=sum(n for d, n in found.items() if d >= recent),
            earlier={d: found[d] for d in sorted(found, reverse=True) if oldest <= d < today},
        )

    def day_rows(self, day: date) -> list[LogRow]:
        """The day's visits, then its expected (invited, not yet arrived) visitors."""
        from storage.invitations import InvitationRepository

        self.require("log")
        hosts = directory_names(self.store)
        rows = [self._row(v, hosts) for v in self.store.visits_on(day).visits]
        if f"log:{day}" not in self._viewed:  # audited before it is shown
            self.store.record_event(
                self.actor, "log.view", details={"day": day.isoformat(), "visits": len(rows)}
            )
            self._viewed.add(f"log:{day}")
        for inv in InvitationRepository(self.store).for_day(day):
            if inv.used:
                continue
            host = host_shown(inv.host_name, inv.host_id, hosts)
            rows.append(
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
        return rows

    def _row(self, v: VisitRecord, hosts: dict[uuid.UUID, str]) -> LogRow:
        arrived = v.arrived_at.astimezone(self.tz)
        host = host_shown(v.host_name, v.host_id, hosts)
        return LogRow(
            id=v.id,
            arrived=arrived.strftime("%H:%M"),
            departed=departure_clock(v, self.tz),
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

    # -- one visit ---------------------------------------------------------------------

    def open_visit(self, visit_id: uuid.UUID) -> VisitRecord:
        """A visit's details; the opening itself is audited."""
        self.require("log")
        visit = self.store.get_visit(visit_id)
        self.store.record_event(self.actor, "visit.view", str(visit_id))
        return visit

    def host_of(self, visit: VisitRecord) -> str:
        """Whom the visitor came to see: the name typed at the kiosk, else the
        directory's name of the host chosen ("" for none)."""
        if visit.host_name or visit.host_id is None:  # no need to read the directory
            return visit.host_name or ""
        return host_shown(None, visit.host_id, directory_names(self.store))

    def host_notification(self, visit_id: uuid.UUID) -> str:
        """Whether the visit's host has been told, for the visit's details ("" if the
        visit has no notification, or this site sends no e-mail)."""
        from storage.outbox import OutboxRepository

        self.require("log")
        status = OutboxRepository(self.store).status_of_visit(visit_id)
        if status is None:
            return ""
        sent_at, next_attempt, error = status
        if sent_at is not None:
            return f"host e-mailed {sent_at.astimezone(self.tz):%H:%M}"
        if not self.settings.notify.smtp_host:
            return ""  # this site sends no e-mail: nothing waits, nothing failed
        if next_attempt is None:
            return f"host not e-mailed: {error or 'given up'}"
        return "host e-mail waiting" + (f" (last try: {error})" if error else "")

    def departure_needed(self, visit: VisitRecord) -> bool:
        """Whether checking ``visit`` out needs staff to say when the visitor left: it is
        still open from an earlier day ("now" would put them on site overnight), or it
        was checked out automatically and staff can say when they really left."""
        return visit.auto_checkout or (visit.on_site and visit.local_day < self.today())

    def check_out(self, visit_id: uuid.UUID, left: datetime | None = None) -> bool:
        """Check the visit out now, or as having left at ``left`` (see
        :func:`parse_departure`); False when it was checked out meanwhile (the visitor
        scanned their badge, or another desk was quicker): nothing is changed then."""
        from storage.errors import AlreadyCheckedOut

        self.require("checkout")
        try:
            self.store.check_out_visit(visit_id, actor=self.actor, departed_at=left)
        except AlreadyCheckedOut:
            return False
        return True

    def correct(self, visit_id: uuid.UUID, changes: dict[str, str]) -> list[str]:
        """Validate like the kiosk does, then re-seal; raises ValidationErrors."""
        from kiosk.domain.registration import normalise_email, normalise_phone
        from storage.visit_changes import VisitChanges

        self.require("correct")
        errors: dict[str, str] = {}
        clean: dict[str, str | None] = {}
        for field, value in changes.items():
            try:
                text = clean_text(value, max_len=FIELD_MAX[field], required=field == "name")
                if text and field == "email":
                    text = normalise_email(text)
                if text and field == "phone":
                    text = normalise_phone(text, self.settings.phone_region)
                clean[field] = text
            except TextError as exc:
                errors[field] = exc.message
        if errors:
            raise ValidationErrors(errors)
        return VisitChanges(self.store).correct(visit_id, clean, actor=self.actor)

    def reprint(self, visit_id: uuid.UUID) -> BadgeCard:
        """A new badge (new code, so a lost badge stops working), spooled for printing."""
        from kiosk.services.badge import (
            BadgeCard,
            first_name,
            print_spooled,
            qr_matrix,
            spool_badge,
        )
        from storage.visit_changes import VisitChanges

        self.require("checkout")
        visit = self.store.get_visit(visit_id)
        code = VisitChanges(self.store).reissue_badge(visit_id, actor=self.actor)
        card = BadgeCard(
            code=code,
            first_name=first_name(visit.name),
            host=self.host_of(visit),
            date=visit.arrived_at.astimezone(self.tz).strftime("%Y-%m-%d"),
            matrix=qr_matrix(code),
        )
        path = spool_badge(card, self.settings.resolved_spool_dir)
        if self.settings.printing.command:
            print_spooled(self.settings.printing.command, path)
        return card

    # -- security: the evacuation list and exports ---------------------------------------

    def on_site(self) -> list[OnSite]:
        from kiosk.services.onsite import audit_best_effort, on_site_now

        self.require("onsite")
        people = on_site_now(self.store, today=self.today())
        if "onsite" not in self._viewed:
            self._viewed.add("onsite")
            audit_best_effort(self.store, self.actor, "onsite.view", {"people": len(people)})
        return people

    def print_on_site(self, people: list[OnSite], read_at: datetime | None = None) -> str:
        """Write the list for the printer; a missing printer is a message, not an error.
        ``read_at``: when the list was read, if not just now (the database may be out of
        reach in an evacuation: the sheet then says how old it is)."""
        import os

        from kiosk.services.badge import send_to_printer
        from kiosk.services.onsite import audit_best_effort, on_site_printout

        self.require("onsite")
        spool = self.settings.resolved_spool_dir
        spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = spool / f"onsite-{datetime.now(self.tz):%Y%m%d-%H%M%S}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(on_site_printout(people, on_site_heading(self.now(), read_at)))
        audit_best_effort(self.store, self.actor, "onsite.print", {"people": len(people)})
        command = self.settings.printing.command
        if not command:
            return f"No printer is set up; the list is in {path}"
        if send_to_printer(command, path):
            return f"The printer did not answer; the list is in {path}"
        return "Sent to the printer."

    def default_export_path(self, fmt: str = "csv") -> Path:
        """A new name for each export (to the second, in the site's time), with the
        format's extension: an earlier export is never overwritten."""
        stamp = self.now().strftime("%Y-%m-%d-%H%M%S")
        return self.settings.data_dir / "exports" / f"access-{stamp}.{fmt}"

    def may_include_restricted(self) -> bool:
        return self.user.role == "admin"

    def export(
        self,
        start: date,
        end: date,
        fmt: str,
        fields: tuple[str, ...],
        output: Path,
        include_health: bool,
        progress: Callable[[int], None],
        *,
        include_restricted: bool = False,
    ) -> ExportResult:
        """Restricted records (a visitor's objection) are left out unless an admin asks."""
        from kiosk.services.export import FIELDS, ExportRequest, ExportService

        self.require("export")
        if include_restricted and not self.may_include_restricted():
            raise PermissionError("only an admin may export restricted records")
        request = ExportRequest(
            start=start,
            end=end,
            output=output,
            fmt=fmt,
            fields=fields or FIELDS,
            include_health=include_health,
            include_restricted=include_restricted,
        )
        return ExportService(self.store, actor=self.actor).export(request, progress)

    # -- pre-registration and hosts ------------------------------------------------------

    def preregister(
        self, registration: Registration, day: date, *, send_in: str = ""
    ) -> tuple[uuid.UUID, str]:
        """Validate and store an invitation; returns its id and the code for the visitor.
        With ``send_in`` (a language), an e-mail carrying it is queued in that language
        (see :meth:`send_invitation`)."""
        from kiosk.services.invite import invite

        self.require("prereg")
        return invite(
            self.store,
            self.settings,
            registration,
            day,
            today=self.today(),
            actor=self.actor,
            send=bool(send_in),
            language=send_in or None,
        )

    def can_email(self) -> bool:
        """Whether e-mail is set up here (the pre-registration form offers to send)."""
        from kiosk.services.invite import email_set_up

        return email_set_up(self.settings)

    def send_invitation(self, invitation_id: uuid.UUID) -> str:
        """Send an invitation's queued e-mail; what happened, as a line for the form."""
        from kiosk.services.invite import send_invitation

        if send_invitation(self.store, self.settings, invitation_id):
            return "The invitation was e-mailed."
        return "The e-mail could not be sent yet; it is retried over the next hour."

    def hosts(self) -> list[HostEntry]:
        self.require("hosts")
        return self.store.hosts(active_only=False)

    def add_host(self, name: str, email: str, language: str = "") -> None:
        """A new host; ``language`` that of their e-mails ("" for the site's)."""
        from kiosk.services.hosts import duplicate_host_message
        from storage.errors import DuplicateName

        self.require("hosts")
        clean, mail, code = _host_fields(name, email, language)
        try:
            self.store.add_host(
                clean, mail or None, code or None, actor=self.actor, name_key=search_key
            )
        except DuplicateName as exc:
            raise ValidationErrors({"host": duplicate_host_message(exc)}) from None

    def edit_host(self, host_id: uuid.UUID, name: str, email: str, language: str = "") -> None:
        """Change a host; an empty e-mail removes it, an empty language means the site's."""
        from kiosk.services.hosts import duplicate_host_message
        from storage.errors import DuplicateName
        from storage.hosts import HostDirectory

        self.require("hosts")
        clean, mail, code = _host_fields(name, email, language)
        try:
            HostDirectory(self.store, search_key).update(
                host_id, actor=self.actor, name=clean, email=mail, language=code
            )
        except DuplicateName as exc:
            raise ValidationErrors({"host": duplicate_host_message(exc)}) from None

    def print_invitation(self, code: str, name: str, day: date) -> str:
        """The invitation as a printable badge-style card (QR and code)."""
        from kiosk.services.badge import (
            BadgeCard,
            first_name,
            print_spooled,
            qr_matrix,
            spool_badge,
        )

        self.require("prereg")
        card = BadgeCard(code, first_name(name), "", day.isoformat(), qr_matrix(code))
        path = spool_badge(card, self.settings.resolved_spool_dir)
        command = self.settings.printing.command
        if not command:
            return f"No printer is set up; the invitation is in {path}"
        if not print_spooled(command, path):
            return f"The printer did not answer; the invitation is in {path}"
        return f"Sent to the printer ({path.name})."

    def set_host_active(self, host_id: uuid.UUID, active: bool) -> None:
        from storage.hosts import HostDirectory

        self.require("hosts")
        HostDirectory(self.store, search_key).update(host_id, actor=self.actor, active=active)

    # -- security: the audit trail ---------------------------------------------------------

    def verify_audit(self) -> VerifyResult:
        from storage.audit_trail import verify

        self.require("audit")
        return verify(self.store)

    def audit_events(
        self,
        start: date | None = None,
        end: date | None = None,
        actor: str = "",
        action: str = "",
        limit: int = 500,
    ) -> list[AuditEntry]:
        """The newest ``limit`` events matching, newest first; days are site-local."""
        from storage.audit_trail import events

        self.require("audit")

        def moment(day: date | None) -> datetime | None:
            return datetime.combine(day, time(), self.tz) if day else None

        return events(
            self.store,
            start=moment(start),
            end=moment(end + timedelta(days=1) if end else None),
            actor=actor.strip() or None,
            action=action.strip() or None,
            newest=limit,
        )

    # -- admin: staff, retention, rights requests ---------------------------------------

    def staff_admin(self) -> StaffAdmin:
        from kiosk.services.admin import StaffAdmin

        self.require("staff")
        return StaffAdmin(self.store, actor=self.actor, me=self.user.username)

    def retention_admin(self) -> RetentionAdmin:
        from kiosk.services.admin import RetentionAdmin

        self.require("retention")
        if self._retention is None:
            self._retention = RetentionAdmin(self.store, self.settings, actor=self.actor)
        return self._retention

    def save_retention(self, values: dict[str, str]) -> dict[str, int]:
        """Save changed retention periods (returns those that changed); the console's
        own view of retention (which days may be opened) follows at once."""
        return self.retention_admin().save(values)

    def follow_retention(self) -> None:
        """Take retention periods an admin set elsewhere meanwhile (another console, a
        kiosk's staff menu, another machine): the days this console may open follow
        them. Reads the database: call from a worker."""
        from kiosk.services.retention import follow_saved

        follow_saved(self.store, self.settings)

    def rights(self) -> RightsService:
        from kiosk.services.rights import RightsService

        self.require("rights")
        return RightsService(self.store, actor=self.actor, phone_region=self.settings.phone_region)


def _host_fields(name: str, email: str, language: str) -> tuple[str, str, str]:
    """A host's name, e-mail and e-mail language checked as staff typed them ("" for an
    empty e-mail or the site's language); raises ValidationErrors under "host"."""
    from kiosk.domain.registration import normalise_email
    from kiosk.i18n import host_language

    try:
        clean = clean_text(name, max_len=120, required=True)
        mail = normalise_email(email) if email.strip() else ""
        code = host_language(language)
    except TextError as exc:
        raise ValidationErrors({"host": exc.message}) from None
    assert clean is not None
    return clean, mail, code
