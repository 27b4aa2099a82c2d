"""Pre-registering an expected visitor, from the console or the command line: the
invitation and its code, and on request an e-mail carrying the code to the visitor."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from kiosk.domain.registration import Registration, ValidationErrors, validate

if TYPE_CHECKING:
    from kiosk.config import Settings
    from storage.store import Store

MSG_PAST = "The date is in the past."
MSG_NO_ADDRESS = "An e-mail address is needed to e-mail the invitation."
MSG_NO_EMAIL = "E-mail is not set up here (notify.smtp_host): give the visitor the code."


def email_set_up(settings: Settings) -> bool:
    """Whether this machine can send e-mail (notify.smtp_host is set)."""
    return bool(settings.notify.smtp_host)


def invite(
    store: Store,
    settings: Settings,
    registration: Registration,
    day: date,
    *,
    today: date,
    actor: str,
    send: bool = False,
    language: str | None = None,
) -> tuple[uuid.UUID, str]:
    """Validate and store an invitation for ``day``; returns its id and the code for the
    visitor. With ``send``, its e-mail (in ``language``, else notify.language) is queued
    in the same transaction: the caller sends it then with :func:`send_invitation` (off
    the UI thread), and a failure is retried like a host notification's, by a running
    kiosk or ``kiosk notify``. Raises ValidationErrors."""
    from storage.invitations import InvitationRepository, NewInvitation

    if day < today:
        raise ValidationErrors({"date": MSG_PAST})
    visit = validate(registration, phone_region=settings.phone_region)
    if send and not visit.email:
        raise ValidationErrors({"email": MSG_NO_ADDRESS})
    if send and not email_set_up(settings):
        raise ValidationErrors({"send": MSG_NO_EMAIL})
    return InvitationRepository(store).create(
        NewInvitation(
            name=visit.name,
            email=visit.email,
            phone=visit.phone,
            company=visit.company,
            expected_day=day,
            visitor_type=visit.visitor_type,
            host_id=visit.host_id,
            host_name=visit.host_name,
        ),
        actor=actor,
        email_in=(language or settings.notify.language) if send else None,
    )


def send_invitation(store: Store, settings: Settings, invitation_id: uuid.UUID) -> bool:
    """Send the e-mails that are due now, a just queued invitation's among them; whether
    that one went out (if not, it is retried)."""
    from kiosk.services.notify import Notifier
    from storage.outbox import OutboxRepository

    Notifier(store, settings.notify, settings.site_name).deliver_due()
    return OutboxRepository(store).invitation_sent(invitation_id)
