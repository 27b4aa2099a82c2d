"""`kiosk console`: the reception console on its own, at the reception desk."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import events, work
from textual.app import App

from kiosk.config import Settings
from kiosk.services.console import ConsoleService
from kiosk.services.kiosk import REOPEN_EVERY_S, KioskServices
from kiosk.services.staff import StaffUser
from screens.console.console import ConsoleScreen
from screens.console.login import LoginScreen
from screens.focus import FOCUS_BINDINGS
from screens.reopen import keep_reopening
from screens.terminal import exit_on_hangup
from screens.widgets import WIDTH_BREAKPOINTS

CONSOLE_IDLE_S = 300


class ConsoleApp(App[None]):
    CSS_PATH = Path(__file__).parent / "kiosk.tcss"
    TITLE = "kiosk console"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = WIDTH_BREAKPOINTS
    BINDINGS = [*FOCUS_BINDINGS]

    def __init__(
        self,
        settings: Settings,
        services: KioskServices,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.settings = settings
        self.services = services
        self.last_activity = time.monotonic()

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.set_interval(5, self.idle_tick)
        exit_on_hangup(self)
        self.open_store()
        keep_reopening(self, self.services, REOPEN_EVERY_S, self._reopened)

    @work(thread=True, exclusive=True, exit_on_error=False, group="start")
    def open_store(self) -> None:
        self.services.open()
        if self.services.open_error:
            problem = (
                "The database does not answer; the console keeps trying."
                if self.services.retrying
                else "The console cannot open its store."
            )
            self.call_from_thread(self.notify, problem, severity="error", timeout=30)

    def _reopened(self) -> None:
        self.call_from_thread(self.notify, "The database answers; the console is ready.")

    def open_console(self, user: StaffUser) -> None:
        service = ConsoleService(self.services.store, self.settings, user, clock=self.clock)
        self.push_screen(ConsoleScreen(service))

    def lock_console(self) -> None:
        """Back to the locked login screen; nothing of the session stays on screen."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, LoginScreen):
            self.screen.ask()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def idle_tick(self) -> None:
        if time.monotonic() - self.last_activity >= CONSOLE_IDLE_S and len(self.screen_stack) > 2:
            self.lock_console()
