"""What the visitor kiosk needs, behind one facade the screens talk to."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import ConfigError, Settings
from kiosk.documents import Document, Terms
from kiosk.documents import load as load_document
from kiosk.domain.registration import Registration, validate
from kiosk.i18n import LANGUAGES
from kiosk.services.checkin import CheckInService
from storage.errors import AlreadyCheckedOut, DatabaseUnavailable, NotFound, StorageError
from storage.records import VisitorType

# SQLAlchemy, Argon2 and qrcode load in the worker that opens the store, not before
# the kiosk's first frame: only type names are imported here.
if TYPE_CHECKING:
    from kiosk.services.badge import BadgeCard
    from kiosk.services.staff import StaffService, StaffUser
    from storage.store import Store

log = logging.getLogger(__name__)

# How many days back the kiosk's periodic automatic check-out looks for open visits.
AUTO_CHECKOUT_DAYS = 7
# How often a kiosk whose database did not answer at start-up tries again.
REOPEN_EVERY_S = 5.0


class ServiceUnavailable(Exception):
    """The database could not be used; the visitor may retry. Carries no personal data."""


class CheckOutOutcome(enum.Enum):
    DONE = "done"
    UNKNOWN = "unknown"
    ALREADY = "already"


class KioskServices:
    """Settings-based answers are immediate; anything that needs the store waits (in a
    worker thread) until :meth:`open` has opened it, so the kiosk's first frame does not
    wait for SQLAlchemy, the key checks and migrations."""

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        opener: Callable[[], Store] | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._opener = opener
        self._opened = threading.Event()
        if store is not None:
            self._opened.set()
        self.open_error: str | None = None
        # The open failed because the database did not answer (its server not up yet: a
        # kiosk that booted first); reopen() tries again. Key and settings errors need a
        # person, and are not retried.
        self.retrying = False
        self._attempt = threading.Lock()
        self._staff: StaffService | None = None

    def open(self) -> None:
        """Open the store (call from a worker thread). A failure is kept as a message
        that names no personal data (key and database errors name paths and ids)."""
        if self._opened.is_set() or self._opener is None:
            return
        try:
            with self._attempt:
                self._try_open()
        finally:
            self._opened.set()

    def reopen(self) -> bool:
        """After an open that failed because the database did not answer, try once more
        (call from a worker thread, every few seconds). True when this opened the store."""
        if not self.retrying or not self._attempt.acquire(blocking=False):
            return False  # nothing to retry, or an attempt is already under way
        try:
            return self.retrying and self._try_open()
        finally:
            self._attempt.release()

    def _try_open(self) -> bool:
        assert self._opener is not None
        try:
            self._store = self._opener()
        except DatabaseUnavailable as exc:
            if not self.retrying:  # once, not at each attempt
                log.error("the kiosk could not open its store (trying again): %s", exc)
            self.open_error, self.retrying = str(exc), True
            return False
        except (StorageError, ConfigError) as exc:
            error = str(exc)
        except Exception as exc:
            error = type(exc).__name__
        else:
            if self.retrying:
                log.warning("the kiosk opened its store: the database answers again")
            self.open_error, self.retrying = None, False
            return True
        log.error("the kiosk could not open its store: %s", error)
        self.open_error, self.retrying = error, False
        return False

    @property
    def ready(self) -> bool:
        return self._opened.is_set() and self._store is not None

    @property
    def store(self) -> Store:
        """The open store; waits for :meth:`open` (never call this on the UI thread)."""
        if not self._opened.wait(timeout=120) or self._store is None:
            raise ServiceUnavailable(self.open_error or "the store is not open")
        return self._store

    # -- reference data --------------------------------------------------------------

    @property
    def site_name(self) -> str:
        return self.settings.site_name

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.settings.timezone))

    def terms(self) -> Terms:
        """What visitors are told about keeping their data: the retention the store
        applies (an admin may change it while the kiosk runs), or the configured one
        until the store is open."""
        retention = self._store.retention if self.ready and self._store else None
        screening = self.settings.screening.enabled
        return Terms.of(retention or self.settings.retention, screening=screening)

    def document(self, kind: str, language: str, terms: Terms | None = None) -> Document:
        """A document as shown under ``terms`` (default: those in force). Cached: after
        :meth:`load_documents` the screens that ask for it read no file."""
        return load_document(kind, language, terms or self.terms(), self.settings.documents_dir)

    def load_documents(self) -> None:
        """Read every document under the terms in force (call from a worker: at start
        and each minute, so that a change of retention is read here, not on the UI
        thread)."""
        terms = self.terms()
        for kind in ("privacy", "nda"):
            for language in LANGUAGES:
                load_document(kind, language, terms, self.settings.documents_dir)

    def nda_required(self, visitor_type: str) -> bool:
        return visitor_type in self.settings.kiosk.nda_types

    def screening_questions(self, language: str) -> tuple[str, ...]:
        s = self.settings.screening
        return s.questions_nl if language == "nl" else s.questions_en

    def host_directory(self) -> list[tuple[str, str, str]]:
        """(id, name, name as search_key folds it) of every active host: the only names
        the kiosk ever suggests. Folded here, in the worker, not at each key press."""
        from kiosk.domain.text import search_key

        try:
            return [(str(h.id), h.name, search_key(h.name)) for h in self.store.hosts()]
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None

    def refresh_retention(self) -> bool:
        """Apply retention periods an admin set meanwhile, in a console here or on any
        machine on this database, and read the documents under them. Call from a
        worker; True when they changed."""
        from kiosk.services.retention import follow_saved

        if not self.ready:
            return False
        changed = follow_saved(self.store, self.settings)
        self.load_documents()  # cached: reads files only for periods not read before
        return changed

    def purge(self) -> None:
        """Retention at start and every hour (by the periods saved now, wherever an
        admin changed them), and old printable badges."""
        from kiosk.services.badge import clean_spool

        self.refresh_retention()
        self.store.purge()
        clean_spool(self.spool_dir)

    def auto_check_out(self) -> int:
        """Check out the visitors still checked in at the kiosk.auto_checkout time (a
        worker: at start and every few minutes), of the last AUTO_CHECKOUT_DAYS days (older
        ones were handled by earlier runs, or `kiosk checkout --overdue`). Never raises:
        what is left waits for the next run. Returns how many were checked out."""
        at = self.settings.kiosk.auto_checkout_at()
        if at is None or not self.ready:
            return 0
        since = self.now().date() - timedelta(days=AUTO_CHECKOUT_DAYS)
        try:
            done = self.store.auto_check_out(at, actor="kiosk", since=since)
        except StorageError as exc:
            log.warning("automatic check-out not done now: %s", type(exc).__name__)
            return 0
        if done:
            log.info("%d visit(s) checked out automatically", done)
        return done

    def notify_hosts(self) -> None:
        """Send the host e-mails that are due (a worker: after each check-in and every
        minute). Never raises: a notification waits for the next try instead."""
        if not self.settings.notify.smtp_host or not self.ready:
            return
        from kiosk.services.notify import Notifier

        try:
            Notifier(self.store, self.settings.notify, self.settings.site_name).deliver_due()
        except Exception as exc:  # the database may be away; the messages wait
            log.warning("e-mails not sent now: %s", type(exc).__name__)

    # -- the visit ---------------------------------------------------------------------

    def validate(self, registration: Registration) -> None:
        """Raise ValidationErrors for the details step, before the visitor goes on."""
        validate(registration, phone_region=self.settings.phone_region)

    def check_in(self, registration: Registration) -> BadgeCard:
        """Store the visit (one transaction), then write the printable badge (printed by
        :meth:`print_badge`, once the visitor sees the badge on screen)."""
        from kiosk.services.badge import BadgeCard, badge_date, first_name, qr_matrix, spool_badge

        service = CheckInService(
            self.store,
            phone_region=self.settings.phone_region,
            nda_types=self.settings.kiosk.nda_types,
        )
        try:
            result = service.check_in(registration)
            if registration.invitation_id is not None:
                from storage.invitations import InvitationRepository

                InvitationRepository(self.store).mark_used(
                    registration.invitation_id, result.visit_id
                )
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        host = registration.host_name
        card = BadgeCard(
            code=result.badge_code,
            first_name=first_name(registration.name),
            host=host,
            date=badge_date(result.arrived_at.astimezone(ZoneInfo(self.settings.timezone))),
            matrix=qr_matrix(result.badge_code),
            visit_id=result.visit_id,
        )
        try:
            spool_badge(card, self.spool_dir)
        except OSError as exc:
            log.warning("could not write the printable badge: %s", type(exc).__name__)
        return card

    @property
    def emails_badges(self) -> bool:
        """Whether a visitor may have their badge e-mailed (an SMTP server is set)."""
        return bool(self.settings.notify.smtp_host)

    def email_badge(self, card: BadgeCard, language: str) -> bool:
        """E-mail the badge to the address its visitor gave (as stored), in ``language``:
        queued in the outbox, then sent at once. True if it went out now; False if it
        waits for a retry. Raises ServiceUnavailable when the database cannot be used."""
        from storage.outbox import OutboxRepository

        assert card.visit_id is not None
        try:
            visit = self.store.get_visit(card.visit_id)
            if not visit.email:
                raise ValueError("this visit has no e-mail address")
            outbox = OutboxRepository(self.store)
            message_id = outbox.queue_badge(
                card.visit_id,
                to=visit.email,
                visitor=card.first_name,
                code=card.code,
                day=card.date,
                language=language,
            )
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        self.notify_hosts()  # never raises: a failure waits for the retry
        try:
            return outbox.sent(message_id)
        except StorageError:
            return False

    @property
    def prints_badges(self) -> bool:
        return bool(self.settings.printing.command)

    def print_badge(self, card: BadgeCard) -> bool | None:
        """Hand the badge written at check-in to the print command (a worker: a slow
        printer never holds the visitor on "Saving"). Whether a badge came out (False:
        the printer did not take it, its kind of failure logged); None with no printer."""
        from kiosk.services.badge import badge_path, print_spooled

        if not self.prints_badges:
            return None
        path = badge_path(self.spool_dir, card.code)
        return path.exists() and print_spooled(self.settings.printing.command, path)

    @property
    def spool_dir(self) -> Path:
        return self.settings.resolved_spool_dir

    def find_invitation(self, code: str) -> Registration | None:
        """A registration filled from today's invitation with this code, or None."""
        from storage.invitations import InvitationRepository

        try:
            inv = InvitationRepository(self.store).find(code, self.now().date())
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        if inv is None:
            return None
        return Registration(
            name=inv.name,
            email=inv.email or "",
            phone=inv.phone or "",
            company=inv.company or "",
            host_id=inv.host_id,
            host_name=inv.host_name or self._host_name(inv.host_id),
            visitor_type=inv.visitor_type.value,
            invitation_id=inv.id,
        )

    def _host_name(self, host_id: object) -> str:
        for h_id, name, _key in self.host_directory():
            if h_id == str(host_id):
                return name
        return ""

    def check_out(self, code: str) -> CheckOutOutcome:
        try:
            self.store.check_out(code, actor="kiosk")
        except NotFound:
            return CheckOutOutcome.UNKNOWN
        except AlreadyCheckedOut:
            return CheckOutOutcome.ALREADY
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        return CheckOutOutcome.DONE

    # -- staff -------------------------------------------------------------------------

    def verify_staff(self, username: str, pin: str) -> StaffUser | None:
        try:
            return self._staff_service().verify(username, pin)
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None

    def staff_accounts_exist(self) -> bool:
        """False on a fresh installation: nobody can log in until `kiosk staff add`."""
        try:
            return self._staff_service().any_accounts()
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None

    def _staff_service(self) -> StaffService:
        if self._staff is None:
            from kiosk.services.staff import StaffService

            self._staff = StaffService(self.store)
        return self._staff


VISITOR_TYPES = tuple(t.value for t in VisitorType)
