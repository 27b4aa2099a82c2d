"""Pre-registering an expected visitor, from the console or the command line: the
invitation and its code, on request an e-mail carrying the code to the visitor, and a
printed card."""

from __future__ import annotations

import uuid
from datetime import date

from kiosk.domain.invitations import NewInvitation
from kiosk.domain.registration import Registration, ValidationErrors, validate
from kiosk.domain.staff import Actor
from kiosk.services.badge import BadgeService, print_line
from kiosk.services.context import ServiceContext
from kiosk.services.notify import NotifyService

MSG_PAST = "The date is in the past."
MSG_NO_ADDRESS = "An e-mail address is needed to e-mail the invitation."
MSG_NO_EMAIL = "E-mail is not set up here (notify.smtp_host): give the visitor the code."


class InvitationService:
    def __init__(self, ctx: ServiceContext, notify: NotifyService, badges: BadgeService) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.notify = notify
        self.badges = badges

    @property
    def can_email(self) -> bool:
        """Whether this machine can send e-mail (notify.smtp_host is set)."""
        return self.notify.enabled

    def preregister(
        self, registration: Registration, day: date, actor: Actor, *, send_in: str = ""
    ) -> tuple[uuid.UUID, str]:
        """Validate and store an invitation for ``day``; returns its id and the code for
        the visitor. With ``send_in`` (a language), its e-mail is queued in the same
        transaction: the caller sends it then with :meth:`send` (off the UI thread), and a
        failure is retried like a host notification's, by a running kiosk or ``kiosk
        notify``. Raises ValidationErrors."""
        actor.require("prereg")
        if day < self.ctx.today():
            raise ValidationErrors({"date": MSG_PAST})
        visit = validate(registration, phone_region=self.ctx.settings.phone_region)
        if send_in and not visit.email:
            raise ValidationErrors({"email": MSG_NO_ADDRESS})
        if send_in and not self.can_email:
            raise ValidationErrors({"send": MSG_NO_EMAIL})
        invitation = NewInvitation(
            name=visit.name,
            email=visit.email,
            phone=visit.phone,
            company=visit.company,
            expected_day=day,
            visitor_type=visit.visitor_type,
            host_id=visit.host_id,
            host_name=visit.host_name,
        )
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.invitations.create(tx, invitation, email_in=send_in or None)

    def send(self, invitation_id: uuid.UUID) -> bool:
        """Send the e-mails that are due now, a just queued invitation's among them;
        whether that one went out (if not, it is retried)."""
        self.notify.deliver_due()
        return self.repos.outbox.invitation_sent(invitation_id)

    def print_card(self, code: str, name: str, day: date, actor: Actor) -> str:
        """The invitation as a printable badge-style card (QR and code): what became of
        it, as a line for staff."""
        actor.require("prereg")
        result, path = self.badges.print_invitation(code, name, day.isoformat(), actor)
        return print_line(result, path, "the invitation")
