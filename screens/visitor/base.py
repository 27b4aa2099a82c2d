"""What every visitor screen shares: the app's runtime, and leaving (Cancel, Escape)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from textual import on
from textual.screen import Screen
from textual.widgets import Button

from kiosk.runtime import Runtime

if TYPE_CHECKING:
    from kiosk.services.bundle import Services

ResultType = TypeVar("ResultType")


class Step(enum.Enum):
    """How a visitor leaves a step."""

    NEXT = "next"
    BACK = "back"  # one step back
    CANCEL = "cancel"  # gives up: everything typed is forgotten
    DECLINE = "decline"  # does not accept the NDA
    SKIP = "skip"  # no health questions
    ANOTHER = "another"  # the next person of the same party checks in
    DONE = "done"
    RECEPTION = "reception"  # an under-16 on their own: sent to reception, nothing kept


class HasRuntime(Protocol):
    runtime: Runtime


class VisitorScreen(Screen[ResultType]):
    """A visitor screen. Escape cancels where a screen binds it (or goes back a step)."""

    # Focus the first field or button, not a scrolling container: a keyboard, a scanner
    # or a tablet's Enter key then acts on the screen at once.
    AUTO_FOCUS = "Input, Button, RadioSet"

    @property
    def runtime(self) -> Runtime:
        return cast(HasRuntime, self.app).runtime

    @property
    def services(self) -> Services:
        """The use cases; they wait for the database: ask for them in a worker only."""
        return self.runtime.services

    def leave(self, step: Step) -> None:
        self.dismiss(cast(ResultType, step))

    def action_cancel(self) -> None:
        """Escape, where a screen binds it to cancel: the visitor gives up."""
        self.leave(Step.CANCEL)

    def action_back(self) -> None:
        self.leave(Step.BACK)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        """Every Cancel button of a visitor screen: back to the welcome screen, and what
        was typed is forgotten with the screens that held it."""
        self.leave(Step.CANCEL)

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.leave(Step.BACK)
