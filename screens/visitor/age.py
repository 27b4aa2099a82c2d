"""Check-in step 2: the visitor's age (under 16s answer no consent-based questions and
need their host to confirm them)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from kiosk.domain.registration import Registration
from kiosk.i18n import _
from screens.visitor.base import Step, VisitorScreen
from screens.visitor.nav import nav


class AgeScreen(VisitorScreen[Step]):
    BINDINGS = [("escape", "back", "Back")]

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("How old are you?"), classes="title")
            yield Button(_("I am 16 or older"), id="adult", variant="primary")
            yield Button(_("I am under 16 and accompanied"), id="minor")
        yield from nav()

    @on(Button.Pressed, "#adult, #minor")
    def choose(self, event: Button.Pressed) -> None:
        self.registration.under_16 = event.button.id == "minor"
        self.leave(Step.NEXT)
