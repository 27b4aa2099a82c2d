"""Badges: the badge a check-in gets (shown, printed on a label, or e-mailed to the
visitor at their asking), and the outcome of printing it, recorded for staff."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from kiosk.domain.audit import AuditEntry
from kiosk.domain.badges import BadgeCard, PrintOutcome, PrintResult
from kiosk.domain.labels import Label, parse_label
from kiosk.domain.registration import Registration
from kiosk.domain.staff import KIOSK, Actor
from kiosk.domain.visits import CheckInResult
from kiosk.services.context import ServiceContext
from kiosk.services.errors import ServiceUnavailable
from kiosk.services.notify import NotifyService
from kiosk.services.printing import badge_path, clean_spool, print_file
from kiosk.services.qr import qr_matrix
from storage.errors import StorageError
from storage.repositories import Repositories

log = logging.getLogger(__name__)
PRINT_PROBLEM_SHOWN = timedelta(hours=24)  # a failed print, until a badge prints again


def spool_badge(
    card: BadgeCard, spool_dir: Path, label: Label, site: str, logo: Path | None = None
) -> Path:
    """Write the printable badge (a PDF of the label's size, mode 0600) to the spool."""
    # Imported here: fpdf2 (about 200 ms to import) is for printing, after the badge is on screen,
    # not for every start of the kiosk (bench: cold start).
    from kiosk.services.badge_pdf import badge_pdf

    spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = badge_path(spool_dir, card.code)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(badge_pdf(card, label, site, logo))
    return path


def last_print(repos: Repositories) -> AuditEntry | None:
    """The record of the last badge printed or tried (``badge.print``)."""
    last = repos.audit.events(action="badge.print", newest=1)
    return last[0] if last else None


def failed_lately(last: AuditEntry | None, now: datetime) -> bool:
    """Whether ``last`` is a print that failed less than a day before ``now``: a problem
    to show staff (status, console) until a badge prints again."""
    return (
        last is not None
        and last.details.get("outcome") != PrintOutcome.PRINTED.value
        and now - last.at <= PRINT_PROBLEM_SHOWN
    )


def print_line(result: PrintResult | None, path: Path, what: str) -> str:
    """What became of a card staff asked to print, as one line for them."""
    if result is None:
        return f"No printer is set up; {what} is in {path}"
    if result.printed:
        return "Printed."
    return f"Not printed: {result.reason}."


def first_name(full_name: str) -> str:
    return full_name.split()[0] if full_name.split() else full_name


def badge_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


class BadgeService:
    def __init__(self, ctx: ServiceContext, notify: NotifyService) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.settings = ctx.settings
        self.notify = notify

    @property
    def spool_dir(self) -> Path:
        return self.settings.resolved_spool_dir

    @property
    def label(self) -> Label:
        return parse_label(self.settings.printing.label)

    @property
    def prints(self) -> bool:
        """Whether badges go to a printer (a CUPS queue or a print command is set)."""
        p = self.settings.printing
        return bool(p.printer or p.command)

    def spool(self, card: BadgeCard) -> Path:
        p = self.settings.printing
        return spool_badge(card, self.spool_dir, self.label, self.settings.site_name, p.logo)

    @property
    def emails(self) -> bool:
        """Whether a visitor may have their badge e-mailed (an SMTP server is set)."""
        return bool(self.settings.notify.smtp_host)

    def card(
        self, code: str, name: str, host: str, arrived_at: datetime, visit_id: uuid.UUID | None
    ) -> BadgeCard:
        """The badge with ``code`` of a visitor who arrived at ``arrived_at``."""
        return BadgeCard(
            code=code,
            first_name=first_name(name),
            host=host,
            date=badge_date(arrived_at.astimezone(self.ctx.tz)),
            matrix=qr_matrix(code),
            visit_id=visit_id,
        )

    def issue(self, result: CheckInResult, registration: Registration) -> BadgeCard:
        """The badge of a check-in just stored (printed by :meth:`print` once the visitor
        sees it on screen: its PDF is made there, not on the way to the screen)."""
        card = self.card(
            result.badge_code,
            registration.name,
            registration.host_name,
            result.arrived_at,
            result.visit_id,
        )
        return replace(card, see_reception=True) if result.see_reception else card

    def print(self, card: BadgeCard, actor: Actor = KIOSK) -> PrintResult | None:
        """Print the badge (from a worker: a CUPS job is followed until it is done, up to
        half a minute; the visitor reads the badge on screen meanwhile). What came of
        it, also recorded for staff (``badge.print`` in the audit trail); None with no
        printer. The spool copy is gone afterwards."""
        if not self.prints:
            return None
        try:
            path = self.spool(card)
        except OSError as exc:
            log.warning("could not write the printable badge: %s", type(exc).__name__)
            result = PrintResult(PrintOutcome.REFUSED, "the badge could not be written")
        else:
            p = self.settings.printing
            result = print_file(p.printer, p.command, path, self.label)
        self._record(result, actor)
        return result

    def print_problem(self, now: datetime) -> str | None:
        """The last badge's print failure, as a line for staff (see failed_lately)."""
        if not self.prints:
            return None
        try:
            last = last_print(self.repos)
        except StorageError:
            return None
        if last is None or not failed_lately(last, now):
            return None
        at = last.at.astimezone(self.ctx.tz).strftime("%H:%M")
        outcome, reason = last.details.get("outcome"), last.details.get("reason", "")
        return f"Badge printer: the badge of {at} was not printed ({outcome}: {reason})."

    def _record(self, result: PrintResult, actor: Actor) -> None:
        details = {"outcome": result.outcome.value}
        if result.reason:
            details["reason"] = result.reason
        try:
            with self.repos.db.uow(actor.name) as tx:
                tx.audit("badge.print", None, details)
        except StorageError as exc:  # the badge matters more than its record
            log.warning("could not record the print outcome: %s", type(exc).__name__)

    def email(self, card: BadgeCard, language: str, actor: Actor = KIOSK) -> bool:
        """E-mail the badge to the address its visitor gave (as stored), in ``language``:
        queued in the outbox, then sent at once. True if it went out now; False if it
        waits for a retry. Raises ServiceUnavailable when the database cannot be used."""
        assert card.visit_id is not None
        repos = self.repos
        try:
            visit = repos.visits.get(card.visit_id)
            if not visit.email:
                raise ValueError("this visit has no e-mail address")
            with repos.db.uow(actor.name) as tx:
                message_id = repos.outbox.queue_badge(
                    tx,
                    card.visit_id,
                    to=visit.email,
                    visitor=card.first_name,
                    code=card.code,
                    day=card.date,
                    language=language,
                )
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        self.notify.deliver_quietly()  # never raises: a failure waits for the retry
        try:
            return repos.outbox.sent(message_id)
        except StorageError:
            return False

    def print_or_keep(self, card: BadgeCard, actor: Actor) -> tuple[PrintResult | None, Path]:
        """Print a card staff asked for; with no printer it stays in the spool (for a
        day) for staff to print by hand: the outcome (None: no printer) and the file."""
        if self.prints:
            return self.print(card, actor), badge_path(self.spool_dir, card.code)
        return None, self.spool(card)

    def print_test(self, actor: Actor) -> tuple[bool, str]:
        """A test label (a made-up visitor, today, this site): whether it printed, and a
        line for staff."""
        code = "TEST-TEST-TEST"
        today = badge_date(datetime.now(self.ctx.tz))
        card = BadgeCard(code, "Test", "Reception", today, qr_matrix(code))
        result, path = self.print_or_keep(card, actor)
        return (result is not None and result.printed), print_line(result, path, "the label")

    def print_invitation(
        self, code: str, name: str, day: str, actor: Actor
    ) -> tuple[PrintResult | None, Path]:
        """An invitation as a printable badge-style card (QR and code)."""
        card = BadgeCard(code, first_name(name), "", day, qr_matrix(code))
        return self.print_or_keep(card, actor)

    def clean_spool(self) -> int:
        return clean_spool(self.spool_dir)
