"""Checking visitors in and out at the kiosk (or with `kiosk checkin` / `kiosk checkout`)."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from datetime import date, datetime

from kiosk import documents
from kiosk.domain.deliveries import Delivered, DeliveryForm, validate_delivery
from kiosk.domain.hosts import HostEntry
from kiosk.domain.registration import Registration, ValidationErrors, require_nda, validate
from kiosk.domain.requests import EXPORTS, NOTIFICATIONS
from kiosk.domain.staff import Actor
from kiosk.domain.text import find_by_name, search_key, several_fit
from kiosk.domain.visits import CheckInResult, CheckOutOutcome, NewVisit
from kiosk.domain.watchlist import WatchEntry
from kiosk.services.context import ServiceContext
from kiosk.services.errors import ServiceUnavailable
from storage.errors import AlreadyCheckedOut, DatabaseUnavailable, NotFound, StorageError
from storage.repositories.visits import SealedCheckIn
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

RETRY_FOR_S = 30.0  # how long a check-in keeps trying through a PostgreSQL failover
RETRY_PAUSES_S = (0.1, 0.25, 0.5, 1.0)
KEPT_ATTEMPTS = 16  # check-ins sealed but not stored yet, kept for Try again

# Not for visitors (the kiosk has its own list to pick from): English only.
MSG_SEVERAL_HOSTS = (
    "several hosts' names hold this part of a name: give more of it (kiosk hosts list)"
)


class CheckInService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.nda_types = frozenset(ctx.settings.kiosk.nda_types)
        # A failover takes seconds: PostgreSQL's check-ins wait that long; SQLite's
        # busy timeout already waited for the lock.
        postgres = ctx.repos.db.engine.dialect.name == "postgresql"
        self.retry_for_s = RETRY_FOR_S if postgres else 0.0
        self._attempts: dict[uuid.UUID, SealedCheckIn] = {}  # sealed, not stored yet

    def check_in(self, registration: Registration, actor: Actor) -> CheckInResult:
        """Validate (raises ValidationErrors), apply the NDA rule of the configured visitor
        types (raises NdaRequired) and store the visit in ONE transaction: with its NDA
        acceptance, screening, host notification and audit event, the documents shown,
        and an invited visitor's invitation marked used (see :meth:`store`)."""
        visit = validate(registration, phone_region=self.ctx.settings.phone_region)
        require_nda(visit, self.nda_types)
        seen = [documents.loaded("privacy", registration.privacy_language, visit.privacy_sha256)]
        if visit.nda is not None:
            seen.append(documents.loaded("nda", visit.nda.language, visit.nda.sha256))
        shown = tuple(d.as_shown() for d in seen if d is not None)
        return self.store(
            replace(visit, documents=shown),
            actor,
            registration.invitation_id,
            attempt=registration.attempt,
        )

    def store(
        self,
        visit: NewVisit,
        actor: Actor,
        invitation_id: uuid.UUID | None = None,
        *,
        now: datetime | None = None,
        attempt: uuid.UUID | None = None,
    ) -> CheckInResult:
        """Store a validated visit arriving ``now`` (default: now): sealed before its
        transaction (the day's keys looked up or made), then written in ONE, an invitation
        it came with marked used in it. Raises ServiceUnavailable when the database cannot
        be used (nothing is stored).

        On PostgreSQL a check-in whose connection drops (the primary failing over to its
        standby) is sent again, with the same sealed rows, for up to ``retry_for_s``
        seconds: the visit's id is its idempotency key, so a commit whose answer was
        lost is found, not stored twice. ``attempt``: the kiosk's key of one visitor's
        check-in, so that Try again after a failure sends that same check-in again."""
        deadline = time.monotonic() + self.retry_for_s
        pauses = iter(RETRY_PAUSES_S)
        given, attempt = attempt, attempt or uuid.uuid4()  # each retry sends the same rows
        while True:
            sealed, watched = None, []
            try:
                visit = self._as_objected(visit)
                again = attempt in self._attempts
                sealed = self._sealed(visit, now, attempt)
                watched = self.repos.watchlist.matching(
                    visit.email, visit.phone, visit.name, self.repos.db.local_day(sealed.now)
                )
                if again and self.repos.visits.exists(sealed.result.visit_id):
                    return self._done(self._found(sealed, watched), attempt)
                result = self._write(sealed, actor, invitation_id, watched)
            except DatabaseUnavailable as exc:
                if sealed is not None and self._stored(sealed.result.visit_id):
                    return self._done(self._found(sealed, watched), attempt)
                if time.monotonic() >= deadline:
                    if given is None:  # no Try again will send it: forgotten
                        self._attempts.pop(attempt, None)
                    raise ServiceUnavailable(str(exc)) from None
                time.sleep(next(pauses, RETRY_PAUSES_S[-1]))
            except StorageError as exc:
                self._attempts.pop(attempt, None)
                raise ServiceUnavailable(str(exc)) from None
            else:
                return self._done(result, attempt)

    def _sealed(self, visit: NewVisit, now: datetime | None, attempt: uuid.UUID) -> SealedCheckIn:
        """The check-in's sealed rows, made once per ``attempt`` and kept until it is
        stored, so that it is sent again as it was."""
        if attempt in self._attempts:
            return self._attempts[attempt]
        sealed = self.repos.visits.prepare(visit, now)
        while len(self._attempts) >= KEPT_ATTEMPTS:
            self._attempts.pop(next(iter(self._attempts)))
        self._attempts[attempt] = sealed
        return sealed

    def _write(
        self,
        sealed: SealedCheckIn,
        actor: Actor,
        invitation_id: uuid.UUID | None,
        watched: list[WatchEntry],
    ) -> CheckInResult:
        repos = self.repos
        with repos.db.uow(actor.name, now=sealed.now, fast=True) as tx:
            result = repos.visits.check_in(tx, sealed)
            if invitation_id is not None:
                repos.invitations.mark_used(tx, invitation_id, result.visit_id)
            if watched:
                result = self._watch_alert(tx, result, watched[0].id)
        return result

    def _found(self, sealed: SealedCheckIn, watched: list[WatchEntry]) -> CheckInResult:
        """The result of a check-in an earlier try stored though its answer was lost."""
        log.warning("a check-in's commit was answered late: found, not stored again")
        result = sealed.result
        if watched:  # its alert was in the same transaction
            on_match = self.ctx.settings.watchlist.on_match
            result = replace(result, see_reception=on_match == "see_reception")
        return result

    def _stored(self, visit_id: uuid.UUID) -> bool:
        """Whether the visit is in the database (False when it cannot be asked)."""
        try:
            return self.repos.visits.exists(visit_id)
        except StorageError:
            return False

    def _done(self, result: CheckInResult, attempt: uuid.UUID) -> CheckInResult:
        self._attempts.pop(attempt, None)
        return result

    def deliver(self, form: DeliveryForm, actor: Actor) -> Delivered:
        """A parcel delivered (kiosk.domain.deliveries): validated (ValidationErrors), its
        recipient looked up in the directory when it was typed rather than chosen, stored
        as a delivery that left at once, its notification queued for the recipient (or,
        when they are not a host of the directory, for reception). Raises
        ServiceUnavailable when the database cannot be used."""
        visit = validate_delivery(form)
        recipient = form.recipient.strip() if form.recipient_id else None
        if form.recipient_id is None:
            try:
                found = self.find_host(form.recipient)
            except StorageError as exc:
                raise ServiceUnavailable(str(exc)) from None
            if found is not None:
                visit = replace(visit, host_id=found.id, host_name=None)
                recipient = found.name
        result = self.store(visit, actor)
        return Delivered(result.visit_id, recipient)

    def _watch_alert(
        self, tx: UnitOfWork, result: CheckInResult, entry_id: uuid.UUID
    ) -> CheckInResult:
        """A check-in that matched the watchlist: one alert for reception (and one
        e-mail to watchlist.alert_email, holding no name: not linked to the visit, so
        it is no part of what the visitor is handed); the visitor sees nothing of it, or
        is asked to see reception as watchlist.on_match says."""
        settings = self.ctx.settings.watchlist
        self.repos.watchlist.alert(tx, result.visit_id, entry_id, settings.alert_email or None)
        return replace(result, see_reception=settings.on_match == "see_reception")

    def _as_objected(self, visit: NewVisit) -> NewVisit:
        """The visit as the visitor's upheld objections have it: no e-mail to their host,
        left out of exports (kiosk.domain.requests.OBJECTION_PURPOSES)."""
        objected = self.repos.requests.objections(visit.email, visit.phone)
        if not objected:
            return visit
        return replace(
            visit,
            notify_host=visit.notify_host and NOTIFICATIONS not in objected,
            restricted=visit.restricted or EXPORTS in objected,
        )

    def registration(
        self, *, name: str, email: str | None, phone: str | None, company: str, host: str,
        visitor_type: str,
    ) -> Registration:  # fmt: skip
        """A registration as typed on a command line, the host looked up in the directory
        (free text when no host matches; ValidationErrors when several could be meant)."""
        found = self.find_host(host)
        # Free text, or a part that several names hold (looked up again: rarely typed).
        if found is None and search_key(host) and several_fit(self.repos.hosts.all(), host, _key):
            raise ValidationErrors({"host": MSG_SEVERAL_HOSTS})
        return Registration(
            name=name,
            email=email or "",
            phone=phone or "",
            company=company,
            host_name="" if found else host,
            host_id=found.id if found else None,
            visitor_type=visitor_type,
        )

    def find_host(self, text: str) -> HostEntry | None:
        """The one active host whose name matches ``text`` exactly, or uniquely contains it."""
        if not search_key(text):
            return None
        return find_by_name(self.repos.hosts.all(), text, _key)

    def invitation_day(self, code: str) -> date | None:
        """The day an unused invitation with this code is for (another day than today,
        when find_invitation found none). Raises ServiceUnavailable."""
        try:
            return self.repos.invitations.expected_day(code)
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None

    def find_invitation(self, code: str, day: date | None = None) -> Registration | None:
        """A registration filled from the invitation with this code for ``day`` (default
        today), or None. Raises ServiceUnavailable when the database cannot be used."""
        try:
            inv = self.repos.invitations.find(code, day or self.ctx.today())
            if inv is None:
                return None
            host = inv.host_name
            if not host and inv.host_id is not None:
                host = next((h.name for h in self.repos.hosts.all() if h.id == inv.host_id), "")
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        return Registration(
            name=inv.name,
            email=inv.email or "",
            phone=inv.phone or "",
            company=inv.company or "",
            host_id=inv.host_id,
            host_name=host or "",
            visitor_type=inv.visitor_type.value,
            invitation_id=inv.id,
        )

    def check_out(self, code: str, actor: Actor) -> uuid.UUID:
        """Check out by the badge code; raises NotFound or AlreadyCheckedOut."""
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.visits.check_out(tx, code)

    def check_out_badge(self, code: str, actor: Actor) -> CheckOutOutcome:
        """:meth:`check_out` as the kiosk tells the visitor; ServiceUnavailable when the
        database cannot be used."""
        try:
            self.check_out(code, actor)
        except NotFound:
            return CheckOutOutcome.UNKNOWN
        except AlreadyCheckedOut:
            return CheckOutOutcome.ALREADY
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        return CheckOutOutcome.DONE


def _key(host: HostEntry) -> str:
    """A host's name as the lookups compare it."""
    return search_key(host.name)
