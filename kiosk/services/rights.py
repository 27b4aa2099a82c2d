"""Visitors' rights requests: find a person by e-mail or phone, hand them everything held
(JSON), restrict its use, withdraw consent to health screening, or erase it. Corrections
go through the console's visit detail. Each action is audited with counts only."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kiosk.domain.cells import safe_cell
from kiosk.domain.registration import normalise_email, normalise_phone
from kiosk.domain.requests import (
    CHANNELS,
    EXPORTS,
    NOTIFICATIONS,
    OBJECT_TO,
    OBJECTION_PURPOSES,
    RequestError,
    RequestKind,
    RequestStatus,
    RightsRequest,
    by_urgency,
    checked_text,
)
from kiosk.domain.rights import ErasureReport, PersonData, same_person
from kiosk.domain.staff import Actor
from kiosk.domain.text import TextError
from kiosk.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class Person:
    """How a request names the visitor: an e-mail address or a phone number."""

    email: str | None = None
    phone: str | None = None

    def as_kwargs(self) -> dict[str, str | None]:
        return {"email": self.email, "phone": self.phone}


def identify(text: str, phone_region: str) -> Person:
    """An e-mail address (it has an @) or a phone number; raises TextError."""
    text = text.strip()
    if not text:
        raise TextError("Type the visitor's e-mail address or phone number.")
    if "@" in text:
        return Person(email=normalise_email(text))
    return Person(phone=normalise_phone(text, phone_region))


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_json(data: PersonData) -> dict[str, Any]:
    """Everything held, in the shape handed to the visitor (docs/security.md)."""

    def host(host_id: uuid.UUID | None, typed: str | None) -> str | None:
        return typed or (data.host_names.get(host_id) if host_id else None)

    def notice(visit_id: uuid.UUID) -> dict[str, str] | None:
        shown = data.privacy_shown.get(visit_id)
        return {"version": shown[0], "sha256": shown[1]} if shown else None

    return {
        "visits": [
            {
                "id": str(v.id),
                "arrived_at": _moment(v.arrived_at),
                "departed_at": _moment(v.departed_at),
                "departure_automatic": v.auto_checkout,  # nobody recorded departed_at
                "name": v.name,
                "email": v.email,
                "phone": v.phone,
                "company": v.company,
                "host": host(v.host_id, v.host_name),
                "visitor_type": v.visitor_type.value,
                "guardian": data.guardians.get(v.id),  # who came with an under-16
                "privacy_notice": notice(v.id),
                "nda_accepted": v.nda_accepted,
                "screening": v.screening.value,
                "restricted": v.restricted,
            }
            for v in data.visits
        ],
        "nda_acceptances": [
            {
                "visit_id": str(n.visit_id) if n.visit_id else None,
                "signed_at": _moment(n.signed_at),
                "signed_name": n.signed_name,
                "document_version": n.document_version,
                "document_language": n.document_language,
                "document_sha256": n.document_sha256,
                "document_text": n.document_text,
                **({"unreadable": n.problem} if n.problem else {}),
            }
            for n in data.nda_acceptances
        ],
        "invitations": [
            {
                "expected_day": i.expected_day.isoformat(),
                "name": i.name,
                "email": i.email,
                "phone": i.phone,
                "company": i.company,
                "host": host(i.host_id, i.host_name),
                "visitor_type": i.visitor_type.value,
                "used": i.used,
            }
            for i in data.invitations
        ],
        "notifications": [
            {
                "kind": m.kind,
                "visit_id": str(m.visit_id) if m.visit_id else None,
                "about_invitation": m.invitation_id is not None,
                "queued_at": _moment(m.created_at),
                "sent_at": _moment(m.sent_at),
                "given_up": m.given_up,
            }
            for m in data.notifications
        ],
        "requests": [
            {
                "kind": r.kind.value,
                "received_on": r.received_on.isoformat(),
                "received_via": r.channel,
                "due_on": r.due_on.isoformat(),
                "extended_months": r.extended_months,
                "extension_reason": r.extension_reason or None,
                "status": r.status.value,
                "closed_at": _moment(r.closed_at),
                "answer": r.note or None,
                "actions": [{"at": _moment(a.at), "action": a.action} for a in r.actions],
            }
            for r in data.requests
        ],
    }


CSV_COLUMNS = ("section", "item", "field", "value")


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    """(dotted field name, text) for every leaf of a JSON value: nested objects as
    ``a.b``, list members as ``a.0``; true/false, null as an empty cell."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flat(f"{prefix}.{key}" if prefix else key, inner)
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _flat(f"{prefix}.{n}", inner)
    elif value is None:
        yield prefix, ""
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    else:
        yield prefix, str(value)


def person_rows(body: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """The access export as rows of one CSV, for a visitor to take elsewhere
    (portability): (section, item, field, value); ``item`` numbers the records of a
    section from 1, so every field of one visit shares a section and item. The same
    content as the JSON (docs/security.md); a cell a spreadsheet would run as a formula
    starts with a quote."""
    yield "export", "1", "exported_at", str(body["exported_at"])
    for section in ("visits", "nda_acceptances", "invitations", "notifications", "requests"):
        for n, record in enumerate(body[section], 1):
            for name, text in _flat("", record):
                yield section, str(n), name, safe_cell(text)


@dataclass(frozen=True, slots=True)
class ObjectionReport:
    purposes: tuple[str, ...]
    visits: int  # the person's visits held
    emails_dropped: int  # host e-mails not yet sent, dropped
    restricted: int  # visits left out of exports from now on


@dataclass(frozen=True, slots=True)
class AccessExport:
    path: Path
    visits: int
    sha256: str
    data: PersonData  # what was written, so the caller need not look it up again


class RightsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.phone_region = ctx.settings.phone_region

    # -- the register of requests ---------------------------------------------------------

    def open_request(
        self,
        kind: str,
        person: Person,
        channel: str,
        actor: Actor,
        received_on: date | None = None,
    ) -> RightsRequest:
        """Register a request (received today unless said); due a month later."""
        actor.require("rights")
        try:
            request_kind = RequestKind(kind)
        except ValueError:
            raise RequestError(
                f"unknown kind {kind!r}; one of {', '.join(k.value for k in RequestKind)}"
            ) from None
        if channel not in CHANNELS:
            raise RequestError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
        today = self.ctx.today()
        received = received_on or today
        if received > today:
            raise RequestError("a request cannot be received in the future")
        repos = self.repos
        with repos.db.uow(actor.name) as tx:
            request_id = repos.requests.open(
                tx, request_kind, channel, received, person.email, person.phone
            )
        return repos.requests.find(str(request_id))

    def requests(self, actor: Actor) -> list[RightsRequest]:
        """The register: overdue first, then due within a week, the other open ones by
        due date, then the closed ones (audited as a look at personal data, with counts)."""
        actor.require("rights")
        found = by_urgency(self.repos.requests.all(), self.ctx.today())
        with self.repos.db.uow(actor.name) as tx:
            tx.audit("rights.request.list", details={"requests": len(found)})
        return found

    def request(self, ref: str, actor: Actor) -> RightsRequest:
        actor.require("rights")
        found = self.repos.requests.find(ref)
        with self.repos.db.uow(actor.name) as tx:
            tx.audit("rights.request.view", str(found.id))
        return found

    def extend(self, ref: str, months: int, reason: str, actor: Actor) -> RightsRequest:
        """Extend a request once, by one or two months, with the reason recorded."""
        actor.require("rights")
        found = self.repos.requests.find(ref)
        months, due, reason = found.extended(months, reason)
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.requests.change(
                tx,
                found.id,
                "rights.request.extend",
                columns={"extended_months": months, "due_on": due},
                personal={"extension_reason": reason},
                details={"months": months, "due_on": due.isoformat()},
            )

    def close(self, ref: str, status: str, note: str, actor: Actor) -> RightsRequest:
        """Answer a request, or refuse it (the reason is required)."""
        actor.require("rights")
        ending = RequestStatus(status)
        if ending is RequestStatus.OPEN:
            raise RequestError("a request is closed as answered or refused")
        found = self.repos.requests.find(ref)
        if found.status is not RequestStatus.OPEN:
            raise RequestError(f"request {found.id} is {found.status.value} already")
        what = "the reason for refusing" if ending is RequestStatus.REFUSED else "the note"
        note = checked_text(note, what, required=ending is RequestStatus.REFUSED)
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.requests.change(
                tx,
                found.id,
                f"rights.request.{'answer' if ending is RequestStatus.ANSWERED else 'refuse'}",
                columns={"status": ending.value, "closed_at": tx.now},
                personal={"note": note},
                details={"late": self.ctx.today() > found.due_on},
            )

    def overdue(self) -> int:
        """Open requests past their due date (for kiosk status)."""
        return self.repos.requests.overdue(self.ctx.today())

    def _for_request(self, ref: str | None, person: Person) -> RightsRequest | None:
        """The open request ``ref`` names, checked to be this person's (None: none named)."""
        if ref is None:
            return None
        found = self.repos.requests.find(ref)
        if found.status is not RequestStatus.OPEN:
            raise RequestError(f"request {found.id} is {found.status.value}, not open")
        if not same_person(found.email, found.phone, person.email, person.phone):
            raise RequestError(f"request {found.id} is about someone else")
        return found

    def _done_for(self, request: RightsRequest | None, action: str, actor: Actor) -> None:
        """Record on the request that ``action`` was taken to answer it."""
        if request is None:
            return
        with self.repos.db.uow(actor.name) as tx:
            self.repos.requests.change(
                tx, request.id, "rights.request.action", action=action, details={"action": action}
            )

    def person(self, text: str) -> Person:
        return identify(text, self.phone_region)

    def lookup(self, person: Person, actor: Actor) -> PersonData:
        """The person's visits and NDA acceptances, decrypted, and their invitations;
        audited as a lookup (with counts)."""
        actor.require("rights")
        repos = self.repos
        visits = repos.visits.find_person(**person.as_kwargs())
        ndas = repos.rights.nda_acceptances([v.id for v in visits], **person.as_kwargs())
        invitations = repos.invitations.of_person(**person.as_kwargs())
        with repos.db.uow(actor.name) as tx:
            tx.audit(
                "person.lookup",
                details={
                    "visits": len(visits),
                    "nda_acceptances": len(ndas),
                    "invitations": len(invitations),
                },
            )
        picked = [v.host_id for v in visits] + [i.host_id for i in invitations]
        hosts = repos.hosts.names(h for h in picked if h is not None)
        privacy = repos.rights.privacy_shown([v.id for v in visits])
        requests = repos.requests.of_person(**person.as_kwargs())
        guardians = repos.visits.guardians([v.id for v in visits])
        sent = repos.outbox.about([v.id for v in visits], [i.id for i in invitations])
        return PersonData(visits, ndas, invitations, hosts, privacy, requests, sent, guardians)

    def export(
        self,
        person: Person,
        output: Path,
        actor: Actor,
        request: str | None = None,
        *,
        form: str = "json",
    ) -> AccessExport:
        """Write everything held about the person as JSON, or (``form`` "csv", for
        portability) the same as CSV rows (:func:`person_rows`); mode 0600, never
        overwrites; for the open ``request`` (id), recorded on it."""
        actor.require("rights")
        if form not in ("json", "csv"):
            raise ValueError(f"no export form {form!r}")
        answering = self._for_request(request, person)
        data = self.lookup(person, actor)
        content = {"exported_at": datetime.now().astimezone().isoformat(), **person_json(data)}
        if form == "csv":
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(CSV_COLUMNS)
            writer.writerows(person_rows(content))
            body = text.getvalue().encode()
        else:
            body = json.dumps(content, ensure_ascii=False, indent=2).encode()
        output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        digest = hashlib.sha256(body).hexdigest()
        with self.repos.db.uow(actor.name) as tx:
            tx.audit(
                "person.export",
                details={"visits": len(data.visits), "sha256": digest, "form": form},
            )
        self._done_for(answering, "export", actor)
        return AccessExport(output, len(data.visits), digest, data)

    def restrict(
        self, person: Person, actor: Actor, restricted: bool = True, request: str | None = None
    ) -> int:
        actor.require("rights")
        answering = self._for_request(request, person)
        ids = [v.id for v in self.repos.visits.find_person(**person.as_kwargs())]
        with self.repos.db.uow(actor.name) as tx:
            n = self.repos.rights.set_restricted(tx, ids, restricted)
        self._done_for(answering, "restrict" if restricted else "lift restriction", actor)
        return n

    def object(
        self, person: Person, purposes: Sequence[str], actor: Actor, request: str
    ) -> ObjectionReport:
        """Uphold the person's objection (their open objection ``request``) to these
        purposes (kiosk.domain.requests.OBJECTION_PURPOSES): from now on, and for what
        is held. "notifications": their hosts' e-mails not yet sent are dropped and no
        check-in of theirs e-mails the host; "exports": their visits, and those to come,
        are left out of exports (restricted). Their visits stay on the on-site and
        evacuation lists and their NDAs stay. Recorded on the request (which keeps the
        objection in force while it is held) and audited with counts."""
        actor.require("rights")
        wanted = sorted(set(purposes))
        unknown = [p for p in wanted if p not in OBJECTION_PURPOSES]
        if not wanted or unknown:
            raise RequestError("object to one or more of: " + ", ".join(OBJECTION_PURPOSES))
        answering = self._for_request(request, person)
        assert answering is not None
        if answering.kind is not RequestKind.OBJECTION:
            raise RequestError(
                f"request {answering.id} is a {answering.kind.value} request, not an objection"
            )
        ids = [v.id for v in self.repos.visits.find_person(**person.as_kwargs())]
        dropped = restricted = 0
        with self.repos.db.uow(actor.name) as tx:
            if NOTIFICATIONS in wanted:
                dropped = self.repos.rights.drop_host_notifications(tx, ids)
            if EXPORTS in wanted:
                restricted = self.repos.rights.set_restricted(tx, ids, True)
            tx.audit(
                "person.object",
                details={"purposes": wanted, "visits": len(ids), "emails_dropped": dropped},
            )
        for purpose in wanted:
            self._done_for(answering, OBJECT_TO + purpose, actor)
        return ObjectionReport(tuple(wanted), len(ids), dropped, restricted)

    def withdraw_consent(self, person: Person, actor: Actor, request: str | None = None) -> int:
        actor.require("rights")
        answering = self._for_request(request, person)
        ids = [v.id for v in self.repos.visits.find_person(**person.as_kwargs())]
        with self.repos.db.uow(actor.name) as tx:
            n = self.repos.rights.withdraw_consent(tx, ids)
        self._done_for(answering, "withdraw consent", actor)
        return n

    def erase(self, person: Person, actor: Actor, request: str | None = None) -> ErasureReport:
        """Visits, NDA acceptances, notifications and invitations, in one transaction.
        The request register keeps the request itself (a record that it was answered)."""
        actor.require("rights")
        answering = self._for_request(request, person)
        repos = self.repos
        visit_ids = [v.id for v in repos.visits.find_person(**person.as_kwargs())]
        nda_ids = [n.id for n in repos.rights.nda_acceptances(visit_ids, **person.as_kwargs())]
        invitation_ids = [i.id for i in repos.invitations.of_person(**person.as_kwargs())]
        with repos.db.uow(actor.name) as tx:
            report = repos.rights.erase(tx, visit_ids, invitation_ids, nda_ids)
        self._done_for(answering, "erase", actor)
        return report
