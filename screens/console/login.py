"""The console's login screen (for `kiosk console`): user name and PIN."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from kiosk.domain.staff import StaffUser
from screens.staff import PinScreen


class LoginScreen(Screen[None]):
    """A calm backdrop; the PIN dialog sits on top and comes back after every lock."""

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    #login-banner { width: auto; height: auto; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="login-banner"):
            yield Static("Reception console — locked", classes="title")
            yield Static("Press Enter to log in.")

    def on_mount(self) -> None:
        self.call_after_refresh(self.ask)

    def key_enter(self) -> None:
        self.ask()

    def ask(self) -> None:
        """The PIN dialog, asked for from this screen's own turn: Textual hands a
        dialog's answer to whoever was handling a message when it opened, and a lock by
        the console's Lock button is handled by the console screen the lock removes, so
        the login would be answered to nobody (a blank screen)."""
        self.call_next(self._ask)

    def _ask(self) -> None:
        if isinstance(self.app.screen, PinScreen):
            return

        def unlocked(user: StaffUser | None) -> None:
            if user is not None:
                self.app.open_console(user)  # type: ignore[attr-defined]

        self.app.push_screen(PinScreen(), unlocked)
