"""Saving the check-in (in a worker) and showing the badge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from kiosk.services.badge import BadgeCard

from kiosk.domain.registration import Registration
from kiosk.i18n import _, current_language
from kiosk.services.checkin import NdaRequired
from kiosk.services.kiosk import ServiceUnavailable
from screens.base import KioskScreen
from screens.widgets import QRCode


class SubmitScreen(KioskScreen):
    """Stores the visit in a thread worker; on failure keeps everything and offers retry."""

    @dataclass
    class Saved(Message):
        card: BadgeCard

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        with Vertical(classes="step"):
            yield Static(_("Saving your check-in…"), id="saving", classes="title")
            yield LoadingIndicator(id="spinner")
            yield Static("", id="failure")
        with Horizontal(classes="nav", id="retry-bar"):
            yield Button(_("Back"), id="back")
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield Button(_("Try again"), id="retry", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#retry-bar").display = False
        self.save()

    @work(thread=True, exclusive=True, exit_on_error=False, group="check-in")
    def save(self) -> None:
        card = self.services.check_in(self.registration)
        self.post_message(self.Saved(card))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, ServiceUnavailable):
            text = _("We could not save your check-in just now. Please try again.")
        elif isinstance(error, NdaRequired):
            text = _("This visit requires accepting the non-disclosure agreement.")
        else:
            text = _("Something went wrong. Please try again or ask reception.")
        self.query_one("#spinner").display = False
        self.query_one("#saving", Static).update(_("Not saved yet"))
        self.query_one("#failure", Static).update(text)
        self.query_one("#retry-bar").display = True
        self.query_one("#retry", Button).focus()  # Enter tries again (it went Back)

    @on(Button.Pressed, "#retry")
    def retry(self) -> None:
        self.query_one("#retry-bar").display = False
        self.query_one("#spinner").display = True
        self.query_one("#failure", Static).update("")
        self.query_one("#saving", Static).update(_("Saving your check-in…"))
        self.save()

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.app.pop_screen()

    def on_submit_screen_saved(self, message: Saved) -> None:
        self.kiosk.show_badge(BadgeScreen(message.card, self.registration))
        self.kiosk.notify_hosts()


class BadgeScreen(KioskScreen):
    def __init__(self, card: BadgeCard, registration: Registration) -> None:
        super().__init__()
        self.card = card
        self.flagged = registration.screening.value == "failed"
        self.under_16 = registration.under_16
        self.has_email = bool(registration.email.strip())
        # What the next person of the same party shares: nothing personal, only where
        # they come from and whom they visit. Each types their own details and signs.
        self.party = Registration(
            company=registration.company,
            host_name=registration.host_name,
            host_id=registration.host_id,
            visitor_type=registration.visitor_type,
        )

    def compose(self) -> ComposeResult:
        card = self.card
        with Horizontal(id="badge"):
            with Center(id="qr-box"):
                yield QRCode(card.matrix, id="qr")
            with Vertical(id="badge-text"):
                yield Static(_("Welcome"), classes="title")
                yield Static(card.first_name, id="badge-name", markup=False)
                if card.host:
                    yield Static(_("Visiting: ") + card.host, id="badge-host", markup=False)
                yield Static(card.date, id="badge-date")
                yield Static(card.code, id="badge-code")
                if self.flagged:
                    yield Static(_("Please see reception before you go in."), classes="warning")
                if self.under_16:
                    yield Static(
                        _("Your host will confirm your visit at reception."), classes="warning"
                    )
                yield Static(self._departure(printed=self.kiosk.services.prints_badges),
                             id="departure")  # fmt: skip
                if self.has_email and self.kiosk.services.emails_badges and card.visit_id:
                    with Horizontal(id="badge-email"):
                        yield Button(_("E-mail me this code"), id="email-badge")
                        yield Static("", id="email-status")
                with Horizontal(id="badge-nav"):
                    yield Button(_("Done"), id="done", variant="primary")
                    yield Button(_("Check in someone with me"), id="another")

    @staticmethod
    def _departure(*, printed: bool) -> str:
        """How the visitor takes the code with them, to check out with when they leave."""
        if printed:
            return _(
                "Take your badge from the printer. When you leave, choose Check out and scan it."
            )
        return _(
            "Take a photo of this code with your phone. When you leave, choose Check out "
            "and scan it from your phone."
        )

    def not_printed(self) -> None:
        """The printer did not take the badge: the code on screen is the visitor's only."""
        departure = self.query_one("#departure", Static)
        departure.update(
            _("The badge printer did not answer.") + " " + self._departure(printed=False)
        )
        departure.add_class("warning")

    @dataclass
    class Emailed(Message):
        sent: bool | None  # True: sent; False: queued for a retry; None: not stored

    @on(Button.Pressed, "#email-badge")
    def email_badge(self) -> None:
        self.query_one("#email-badge", Button).disabled = True  # one e-mail per visitor
        self.query_one("#email-status", Static).update(_("Sending…"))
        self.send_badge(current_language())

    @work(thread=True, exclusive=True, exit_on_error=False, group="email-badge")
    def send_badge(self, language: str) -> None:
        try:
            sent: bool | None = self.kiosk.services.email_badge(self.card, language)
        except Exception:  # the database away, or worse: the visitor is told, not stuck
            sent = None
        self.post_message(self.Emailed(sent))

    def on_badge_screen_emailed(self, message: Emailed) -> None:
        status = self.query_one("#email-status", Static)
        if message.sent is None:
            self.query_one("#email-badge", Button).disabled = False
            status.update(_("It could not be sent now. Please take a photo of the code."))
        elif message.sent:
            status.update(_("Sent to the e-mail address you gave."))
        else:
            status.update(_("It will be sent to you shortly."))

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.go_home()

    @on(Button.Pressed, "#another")
    def another(self) -> None:
        """The next person of a group: their company, host and kind of visit filled in."""
        from screens.details import DetailsScreen

        self.app.switch_screen(DetailsScreen(self.party))
