"""An invited visitor's check-in is one transaction on SQLite and PostgreSQL: the visit,
its audit event and the invitation marked used are stored together or not at all."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kiosk.documents import Terms
from kiosk.documents import load as load_document
from kiosk.domain.invitations import NewInvitation
from kiosk.domain.registration import Registration
from kiosk.domain.visits import NdaSignature
from kiosk.services.errors import ServiceUnavailable
from storage.database import utcnow
from storage.models import AuditEvent, Invitation, Visit
from storage.repositories import Repositories
from storage.repositories.invitations import InvitationRepository
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import invite, services_over

NAME = "Invitee Fakename"


def _invited_registration(store: Repositories) -> tuple[Registration, str]:
    """The form an invitation code fills at the kiosk, with the notice read and the NDA
    signed as the visitor does; and the code."""
    day = store.db.local_day(utcnow())
    _, code = invite(
        store, NewInvitation(NAME, "invitee@example.com", None, "Fakeco Fictional", day)
    )
    found = services_over(store).checkin.find_invitation(code, day)
    assert found is not None and found.invitation_id is not None
    terms = Terms.of(store.db.retention, screening=False)
    privacy, nda = load_document("privacy", "en", terms), load_document("nda", "en", terms)
    signed = replace(
        found,
        privacy_version=privacy.version,
        privacy_sha256=privacy.sha256,
        privacy_language=privacy.language,
        nda=NdaSignature(nda.version, nda.language, nda.sha256, NAME),
    )
    return signed, code


def _counts(store: Repositories) -> tuple[int, int, int]:
    """Visits, invitations used, and check-in events."""
    with store.db.read_session() as s:
        visits = s.scalar(select(func.count()).select_from(Visit)) or 0
        used = s.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.used_visit_id.is_not(None))
        )
        events = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "visit.check_in")
        )
    return visits, used or 0, events or 0


def test_a_failed_invitation_update_stores_no_visit_and_the_retry_stores_one(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    registration, code = _invited_registration(store)
    real = InvitationRepository.mark_used
    calls: list[int] = []

    def failing_once(self: InvitationRepository, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 1:  # the visit row is already written in this transaction
            raise OperationalError("UPDATE invitations", {}, Exception("disk I/O error"))
        real(self, *args)

    monkeypatch.setattr(InvitationRepository, "mark_used", failing_once)
    checkin = services_over(store).checkin
    checkin.retry_for_s = 0  # PostgreSQL's would try again by itself (test_checkin_retry)

    with pytest.raises(ServiceUnavailable, match="disk I/O error") as failed:
        checkin.check_in(registration, OPERATOR)
    assert NAME not in str(failed.value)
    assert _counts(store) == (0, 0, 0)  # no visit, the invitation unused, no event
    assert checkin.find_invitation(code, store.db.local_day(utcnow())) is not None

    result = checkin.check_in(registration, OPERATOR)  # the visitor presses Check in again
    assert len(calls) == 2
    assert _counts(store) == (1, 1, 1)
    assert store.visits.get(result.visit_id).name == NAME
    assert checkin.find_invitation(code, store.db.local_day(utcnow())) is None  # used now
    assert store.audit.verify().ok


def test_an_invitation_used_meanwhile_stays_the_first_visits(store: Repositories) -> None:
    """Two kiosks taking the same code at once: both visitors are in (neither is turned
    away at the door), and the invitation names the first visit only."""
    registration, _code = _invited_registration(store)
    checkin = services_over(store).checkin
    first = checkin.check_in(registration, OPERATOR)
    checkin.check_in(registration, OPERATOR)
    with store.db.read_session() as s:
        used_by = s.scalar(select(Invitation.used_visit_id))
    assert _counts(store) == (2, 1, 2)
    assert used_by == first.visit_id
