"""Check-in step 1: the visitor's age, asked before anything else. An under-16 checks in
only with a parent or guardian (who consents and signs for them; no health questions,
and reception confirms the visit); one on their own is sent to reception before typing
anything, and nothing is kept but an anonymous count."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from kiosk.domain.registration import Registration
from kiosk.i18n import _
from screens.visitor.base import Step, VisitorScreen
from screens.visitor.nav import nav

UNDER_16_ALONE = "under_16_alone"  # the reason counted (visit.turned_away)


class AgeScreen(VisitorScreen[Step]):
    """Next for a visitor of 16 or more, or an under-16 with a guardian (the
    registration says which); Reception for an under-16 on their own."""

    BINDINGS = [("escape", "back", "Back")]

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("How old are you?"), classes="title")
            yield Button(_("I am 16 or older"), id="adult", variant="primary")
            yield Button(_("I am under 16, with a parent or guardian"), id="minor")
            yield Button(_("I am under 16, on my own"), id="alone")
        yield from nav()

    @on(Button.Pressed, "#adult, #minor")
    def choose(self, event: Button.Pressed) -> None:
        self.registration.under_16 = event.button.id == "minor"
        if not self.registration.under_16:
            self.registration.guardian = ""
        self.leave(Step.NEXT)

    @on(Button.Pressed, "#alone")
    def alone(self) -> None:
        self.leave(Step.RECEPTION)


class MinorAloneScreen(VisitorScreen[Step]):
    """An under-16 on their own: to reception, who will help them. Nothing of them is
    asked or kept; the kiosk counts that it happened (anonymously)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("Please go to reception"), classes="title")
            yield Static(
                _(
                    "Visitors under 16 are registered together with a parent or guardian. "
                    "Reception will be glad to help you."
                )
            )
            yield Button(_("Done"), id="done", variant="primary")

    def on_mount(self) -> None:
        self.count()

    @work(thread=True, exit_on_error=False, group="count")
    def count(self) -> None:
        self.services.visits.turned_away(UNDER_16_ALONE)

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.leave(Step.DONE)
