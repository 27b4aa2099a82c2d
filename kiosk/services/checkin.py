"""Checking visitors in and out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from kiosk import documents
from kiosk.domain.registration import Registration, ValidationErrors, validate
from kiosk.domain.text import N_, find_by_name, search_key, several_fit
from storage.records import CheckInResult

if TYPE_CHECKING:
    from storage.records import HostEntry
    from storage.store import Store

MSG_NDA_REQUIRED = N_("This visit requires accepting the non-disclosure agreement.")
# Not for visitors (the kiosk has its own list to pick from): English only.
MSG_SEVERAL_HOSTS = (
    "several hosts' names hold this part of a name: give more of it (kiosk hosts list)"
)


class NdaRequired(Exception):
    """The visitor type needs an accepted NDA and none was given."""


class CheckInService:
    def __init__(
        self,
        store: Store,
        *,
        phone_region: str,
        nda_types: Iterable[str],
        actor: str = "kiosk",
    ) -> None:
        self.store = store
        self.phone_region = phone_region
        self.nda_types = frozenset(nda_types)
        self.actor = actor

    def check_in(self, registration: Registration) -> CheckInResult:
        """Validate (raises ValidationErrors), apply the NDA rule of the configured visitor
        types (raises NdaRequired) and store the visit in one transaction."""
        visit = validate(registration, phone_region=self.phone_region)
        if visit.visitor_type.value in self.nda_types and visit.nda is None:
            raise NdaRequired(MSG_NDA_REQUIRED)
        seen = [documents.loaded("privacy", registration.privacy_language, visit.privacy_sha256)]
        if visit.nda is not None:
            seen.append(documents.loaded("nda", visit.nda.language, visit.nda.sha256))
        shown = tuple(d.as_shown() for d in seen if d is not None)
        return self.store.check_in(replace(visit, documents=shown), actor=self.actor)

    def registration(
        self, *, name: str, email: str | None, phone: str | None, company: str, host: str,
        visitor_type: str,
    ) -> Registration:  # fmt: skip
        """A registration as typed on a command line, the host looked up in the directory
        (free text when no host matches; ValidationErrors when several could be meant)."""
        found = self.find_host(host)
        # Free text, or a part that several names hold (looked up again: rarely typed).
        if found is None and search_key(host) and several_fit(self.store.hosts(), host, _key):
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

    def check_out(self, code: str) -> uuid.UUID:
        """Check out by the badge code; raises NotFound or AlreadyCheckedOut."""
        return self.store.check_out(code, actor=self.actor)

    def find_host(self, text: str) -> HostEntry | None:
        """The one active host whose name matches ``text`` exactly, or uniquely contains it."""
        if not search_key(text):
            return None
        return find_by_name(self.store.hosts(), text, _key)


def _key(host: HostEntry) -> str:
    """A host's name as the lookups compare it."""
    return search_key(host.name)
