"""Check-out by scanning the badge (a USB scanner types the code and Enter), and the
invitation code entry."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.registration import Registration
from kiosk.i18n import _
from kiosk.services.kiosk import CheckOutOutcome
from screens.base import KioskScreen
from screens.widgets import FieldError


def ask_for_camera(screen: KioskScreen, field: Input, *, hint: str, unavailable: str) -> None:
    """On a lobby tablet (the kiosk in a browser): ask the page (kiosk/web/static/camera.js)
    to read a QR code with the tablet's camera. It types the code into ``field``, then
    Enter, as a USB scanner would; the texts it shows come from here, in the visitor's
    language."""
    field.value = ""
    field.focus()
    texts = {
        "hint": hint,
        "cancel": _("Cancel"),
        "unavailable": unavailable,
        "seconds": str(screen.kiosk.settings.kiosk.idle_seconds),  # the kiosk goes home then
    }
    screen.app.open_url(f"kiosk-camera:scan?{urlencode(texts)}", new_tab=False)


class CodeEntryScreen(KioskScreen):
    """A screen where the visitor scans or types a code. What went wrong is said under
    the field, and the focus goes back into it: where a USB scanner types, and never
    left on a button (a touched one, or Cancel, which Textual moves it to when the
    button that was pressed is disabled while the code is looked up)."""

    FIELD = ""  # the code field's id
    ERROR = ""  # the id of the FieldError under it

    def refuse(self, text: str, *, clear: bool = False) -> None:
        self.query_one(f"#{self.ERROR}", FieldError).update(text)
        field = self.query_one(f"#{self.FIELD}", Input)
        if clear:
            field.value = ""
        field.focus()


class CheckoutScreen(CodeEntryScreen):
    """Check-out by badge code. ``scanned``: a code scanned at the welcome screen, checked
    out at once. A code that is no badge but today's invitation opens the check-in with
    it (a visitor scanning the invitation QR they were given)."""

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
        outcome = self.services.check_out(code)
        invitation = None
        if outcome is CheckOutOutcome.UNKNOWN:
            invitation = self.services.find_invitation(code)
        self.post_message(self.Done(outcome, invitation))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#submit", Button).disabled = False
            self.refuse(_("We could not check you out just now. Please try again."))

    def on_checkout_screen_done(self, message: Done) -> None:
        self.query_one("#submit", Button).disabled = False
        if message.outcome is CheckOutOutcome.DONE:
            self.app.switch_screen(GoodbyeScreen())
            return
        if message.invitation is not None:
            from screens.details import DetailsScreen

            self.app.switch_screen(DetailsScreen(message.invitation))
            return
        if message.outcome is CheckOutOutcome.ALREADY:
            self.refuse(_("This badge has already been checked out."), clear=True)
        else:
            self.refuse(
                _("We do not know this code. Please try again or ask reception."), clear=True
            )


class GoodbyeScreen(KioskScreen):
    def compose(self) -> ComposeResult:
        with Vertical(classes="step"):
            yield Static(_("Goodbye!"), classes="title")
            yield Static(_("You are checked out. Thank you for your visit."))
            yield Button(_("Done"), id="done", variant="primary")

    def on_mount(self) -> None:
        self.set_timer(10, self.go_home)

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.go_home()


class InvitationScreen(CodeEntryScreen):
    """An invitation code (from pre-registration) fills the form; the visitor checks
    what is there and goes on as with any check-in."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    FIELD, ERROR = "invitation-code", "invitation-error"

    @dataclass
    class Found(Message):
        registration: Registration | None

    def compose(self) -> ComposeResult:
        with Vertical(classes="step"):
            yield Static(_("I have an invitation code"), classes="title")
            yield Input(id="invitation-code", max_length=64)
            if self.app.is_web:
                yield Button(_("Scan with the camera"), id="camera")
            yield FieldError("", id="invitation-error", markup=False)
        with Horizontal(classes="nav"):
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield Button(_("Next"), id="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#invitation-code", Input).focus()

    @on(Button.Pressed, "#camera")
    def scan_with_camera(self) -> None:
        self.query_one("#invitation-error", FieldError).update("")
        ask_for_camera(
            self,
            self.query_one("#invitation-code", Input),
            hint=_("Hold the QR code of your invitation up to the camera."),
            unavailable=_("The camera is not available. Please type your invitation code."),
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        code = self.query_one("#invitation-code", Input).value
        if not code.strip():
            self.refuse(_("Please scan or type your invitation code."))
            return
        self.query_one("#submit", Button).disabled = True
        self.look_up(code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="invitation")
    def look_up(self, code: str) -> None:
        self.post_message(self.Found(self.services.find_invitation(code)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#submit", Button).disabled = False
            self.refuse(_("We could not look up your invitation just now. Please try again."))

    def on_invitation_screen_found(self, message: Found) -> None:
        self.query_one("#submit", Button).disabled = False
        if message.registration is None:
            self.refuse(_("We do not know this invitation code. Please choose Check in instead."))
            return
        from screens.details import DetailsScreen

        self.app.switch_screen(DetailsScreen(message.registration))
