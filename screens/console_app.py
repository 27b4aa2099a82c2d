"""`kiosk console`: the reception console on its own, at the reception desk."""

from __future__ import annotations

from screens.app_base import CONSOLE_IDLE_S, KioskAppBase
from screens.console.login import LoginScreen


class ConsoleApp(KioskAppBase):
    TITLE = "kiosk console"
    PIN_SCOPE = "console"

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.set_interval(5, self.idle_tick)
        super().on_mount()

    def opened(self) -> None:
        """At start: a database that cannot be opened is said (the login would only say
        it is not available)."""
        if self.runtime.open_error:
            problem = (
                "The database does not answer; the console keeps trying."
                if self.runtime.retrying
                else "The console cannot open its store."
            )
            self.call_from_thread(self.notify, problem, severity="error", timeout=30)

    def reopened(self) -> None:
        self.call_from_thread(self.notify, "The database answers; the console is ready.")

    def lock_console(self) -> None:
        """Back to the locked login screen; nothing of the session stays on screen."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, LoginScreen):
            self.screen.ask()

    def idle_tick(self) -> None:
        if self.idle_for() >= CONSOLE_IDLE_S and len(self.screen_stack) > 2:
            self.lock_console()
