"""Check-out by scanning the badge (a USB scanner types the code and Enter, a tablet's
camera reads it), and the goodbye."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.registration import Registration
from kiosk.domain.staff import KIOSK
from kiosk.domain.visits import CheckOutOutcome
from kiosk.i18n import _
from screens.visitor.base import Step, VisitorScreen
from screens.visitor.code_entry import CodeEntryScreen, ask_for_camera
from screens.widgets import FieldError


class CheckoutScreen(CodeEntryScreen[Step | Registration]):
    """Check-out by badge code: Done once checked out. ``scanned``: a code scanned at the
    welcome screen, checked out at once. A code that is no badge but today's invitation
    is that invitation's registration (a visitor scanning the invitation QR they were
    given): the check-in goes on with it."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    FIELD, ERROR = "code", "code-error"

    @dataclass
    class Done(Message):
        outcome: CheckOutOutcome
        invitation: Registration | None = None

    def __init__(self, scanned: str | None = None) -> None:
        super().__init__()
        self._scanned = scanned

    def compose(self) -> ComposeResult:
        with Vertical(classes="step"):
            yield Static(_("Check out"), classes="title")
            yield Static(_("Scan the code on your badge, or type the code below it."))
            yield Input(id="code", max_length=64, placeholder="XXXX-XXXX-XXXX")
            if self.app.is_web:  # a lobby tablet: its camera instead of a USB scanner
                yield Button(_("Scan with the camera"), id="camera")
            yield FieldError("", id="code-error", markup=False)
        with Horizontal(classes="nav"):
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield Button(_("Check out"), id="submit", variant="primary")

    def on_mount(self) -> None:
        code = self.query_one("#code", Input)
        code.focus()
        if self._scanned:
            code.value = self._scanned
            self.submit()

    @on(Button.Pressed, "#camera")
    def scan_with_camera(self) -> None:
        self.query_one("#code-error", FieldError).update("")
        ask_for_camera(
            self,
            self.query_one("#code", Input),
            hint=_("Hold the QR code on your badge up to the camera."),
            unavailable=_("The camera is not available. Please type the code below your badge."),
        )

    @on(Input.Submitted, "#code")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        code = self.query_one("#code", Input).value
        if not code.strip():
            self.refuse(_("Please scan or type your code."))
            return
        self.query_one("#submit", Button).disabled = True
        self.check_out(code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="check-out")
    def check_out(self, code: str) -> None:
        checkin = self.services.checkin  # waits for the database
        outcome = checkin.check_out_badge(code, KIOSK)
        invitation = None
        if outcome is CheckOutOutcome.UNKNOWN:
            invitation = checkin.find_invitation(code)
        self.post_message(self.Done(outcome, invitation))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#submit", Button).disabled = False
            self.refuse(_("We could not check you out just now. Please try again."))

    def on_checkout_screen_done(self, message: Done) -> None:
        self.query_one("#submit", Button).disabled = False
        if message.outcome is CheckOutOutcome.DONE:
            self.leave(Step.DONE)
            return
        if message.invitation is not None:
            self.dismiss(message.invitation)
            return
        if message.outcome is CheckOutOutcome.ALREADY:
            self.refuse(_("This badge has already been checked out."), clear=True)
        else:
            self.refuse(
                _("We do not know this code. Please try again or ask reception."), clear=True
            )


class GoodbyeScreen(VisitorScreen[Step]):
    def compose(self) -> ComposeResult:
        with Vertical(classes="step"):
            yield Static(_("Goodbye!"), classes="title")
            yield Static(_("You are checked out. Thank you for your visit."))
            yield Button(_("Done"), id="done", variant="primary")

    def on_mount(self) -> None:
        self.set_timer(10, self.done)

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        if self.is_current:  # the timer of a goodbye already left does nothing
            self.leave(Step.DONE)
