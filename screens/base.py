"""What every visitor screen shares: access to the app, its services and the flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.screen import Screen
from textual.widgets import Button

from kiosk.services.kiosk import KioskServices

if TYPE_CHECKING:
    from screens.kiosk_app import KioskApp


class KioskScreen(Screen[None]):
    """A visitor screen. Escape goes back one step where a screen allows it."""

    # Focus the first field or button, not a scrolling container: a keyboard, a
    # scanner or a tablet's Enter key then acts on the screen at once.
    AUTO_FOCUS = "Input, Button, RadioSet"

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    @property
    def services(self) -> KioskServices:
        return self.kiosk.services

    def go_home(self) -> None:
        self.kiosk.go_home()

    def action_cancel(self) -> None:
        """Escape, where a screen binds it to cancel: the visitor gives up."""
        self.go_home()

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        """Every Cancel button of a visitor screen: back to the welcome screen, and what
        was typed is forgotten with the screens that held it."""
        self.go_home()
