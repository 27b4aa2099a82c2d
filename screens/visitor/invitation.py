"""An invitation code (from pre-registration) fills the check-in form; the visitor checks
what is there and goes on as with any check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.registration import Registration
from kiosk.i18n import _
from screens.visitor.base import Step
from screens.visitor.code_entry import CodeEntryScreen, ask_for_camera
from screens.widgets import FieldError


class InvitationScreen(CodeEntryScreen[Step | Registration]):
    """The invitation's registration, once its code is found."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    FIELD, ERROR = "invitation-code", "invitation-error"

    @dataclass
    class Found(Message):
        registration: Registration | None
        other_day: date | None = None  # the day an invitation not for today is for

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
        checkin = self.services.checkin
        found = checkin.find_invitation(code)
        other_day = checkin.invitation_day(code) if found is None else None
        self.post_message(self.Found(found, other_day))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#submit", Button).disabled = False
            self.refuse(_("We could not look up your invitation just now. Please try again."))

    def on_invitation_screen_found(self, message: Found) -> None:
        self.query_one("#submit", Button).disabled = False
        if message.registration is not None:
            self.dismiss(message.registration)
            return
        day = message.other_day
        if day is not None and day > self.services.ctx.today():
            text = _("This invitation is for {day}. Please come back then, or choose Check in.")
            self.refuse(text.format(day=day.isoformat()))
        elif day is not None:
            text = _("This invitation was for {day}. Please choose Check in instead.")
            self.refuse(text.format(day=day.isoformat()))
        else:
            self.refuse(_("We do not know this invitation code. Please choose Check in instead."))
