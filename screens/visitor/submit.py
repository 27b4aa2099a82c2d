"""Saving the check-in (in a worker): what went wrong is said, the form kept, and the
visitor may try again."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.badges import BadgeCard
from kiosk.domain.registration import MSG_NDA_REQUIRED, NdaRequired, Registration
from kiosk.domain.staff import KIOSK
from kiosk.i18n import _
from kiosk.services.errors import ServiceUnavailable
from screens.visitor.base import Step, VisitorScreen


class SubmitScreen(VisitorScreen[Step | BadgeCard]):
    """Stores the visit in a thread worker and dismisses with its badge; on failure keeps
    everything and offers to try again, go back or cancel."""

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
        services = self.services  # waits for the database
        result = services.checkin.check_in(self.registration, KIOSK)
        self.post_message(self.Saved(services.badges.issue(result, self.registration)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, ServiceUnavailable):
            text = _("We could not save your check-in just now. Please try again.")
        elif isinstance(error, NdaRequired):
            text = _(MSG_NDA_REQUIRED)
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

    def on_submit_screen_saved(self, message: Saved) -> None:
        self.dismiss(message.card)
