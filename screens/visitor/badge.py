"""The visitor's badge on screen: the QR code to check out with, how to take it along,
and (when e-mail is set up) sending it to the visitor's own address."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.domain.badges import BadgeCard, PrintOutcome
from kiosk.domain.registration import Registration
from kiosk.domain.visits import ScreeningOutcome
from kiosk.i18n import _, current_language
from screens.visitor.base import Step, VisitorScreen
from screens.widgets import QRCode

HIDE_CODE_BEFORE_S = 5  # the code goes this long before the badge screen does


class BadgeScreen(VisitorScreen[Step]):
    """Done, or Another: the next person of the same group checks in. Once shown, it
    tells the app (:class:`Shown`): the badge is printed while the visitor reads it."""

    @dataclass
    class Shown(Message):
        card: BadgeCard

    def __init__(self, card: BadgeCard, registration: Registration) -> None:
        super().__init__()
        self.card = card
        # After a failed health screening, or as watchlist.on_match asks (never why).
        self.flagged = registration.screening is ScreeningOutcome.FAILED or card.see_reception
        self.under_16 = registration.under_16
        self.has_email = bool(registration.email.strip())

    def compose(self) -> ComposeResult:
        card = self.card
        with Horizontal(id="badge"):
            with Center(id="qr-box"):
                yield QRCode(card.matrix, id="qr")
            with Vertical(id="badge-text"):
                if self.flagged:  # not "Welcome" to someone who must first see reception
                    yield Static(
                        _("Please see reception before you go in."), classes="title warning"
                    )
                else:
                    yield Static(_("Welcome"), classes="title")
                yield Static(card.first_name, id="badge-name", markup=False)
                if card.host:
                    yield Static(_("Visiting: ") + card.host, id="badge-host", markup=False)
                yield Static(card.date, id="badge-date")
                yield Static(card.code, id="badge-code")
                if self.under_16:
                    yield Static(
                        _("Your host will confirm your visit at reception."), classes="warning"
                    )
                settings = self.runtime.settings
                yield Static(self._departure(printed=self.services.badges.prints),
                             id="departure")  # fmt: skip
                if self.has_email and settings.notify.smtp_host and card.visit_id:
                    with Horizontal(id="badge-email"):
                        yield Button(_("E-mail me this code"), id="email-badge")
                        yield Static("", id="email-status")
                with Horizontal(id="badge-nav"):
                    yield Button(_("Done"), id="done", variant="primary")
                    yield Button(_("Check in someone with me"), id="another")

    def on_mount(self) -> None:
        self.post_message(self.Shown(self.card))
        # Nobody's name, host and check-out code stay up for the next person in the
        # lobby to read or photograph: the code goes first, then the whole badge.
        shown = self.runtime.settings.kiosk.badge_seconds
        self.set_timer(shown - HIDE_CODE_BEFORE_S, self.hide_code)
        self.set_timer(shown, self.time_up)

    def hide_code(self) -> None:
        qr = self.query_one("#qr", QRCode)
        qr.display = False
        self.query_one("#badge-code", Static).update(_("The code is hidden now."))

    def time_up(self) -> None:
        if self.is_current:
            self.leave(Step.DONE)

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

    def not_printed(self, outcome: PrintOutcome) -> None:
        """No badge came out: the visitor is told why, and the code on screen is theirs
        to take (a photo, or the e-mail where it is offered)."""
        departure = self.query_one("#departure", Static)
        if outcome is PrintOutcome.UNREACHABLE:
            why = _("The badge printer cannot be reached.")
        else:
            why = _("The badge printer could not print your badge.")
        departure.update(why + " " + self._departure(printed=False))
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
            sent: bool | None = self.services.badges.email(self.card, language)
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
        self.leave(Step.DONE)

    @on(Button.Pressed, "#another")
    def another(self) -> None:
        """The next person of a group: their company, host and kind of visit filled in."""
        self.leave(Step.ANOTHER)
