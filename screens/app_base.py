"""The skeleton the kiosk app and the console app share: their runtime (the database
opened in a worker after the first frame, and again while its server does not answer),
leaving with the terminal, the idle clock, and opening the console for a staff member."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding

from kiosk.domain.staff import Actor, StaffUser
from kiosk.runtime import REOPEN_EVERY_S, Runtime
from screens.focus import FOCUS_BINDINGS
from screens.terminal import exit_on_hangup
from screens.theme import use_office_theme
from screens.widgets import HEIGHT_BREAKPOINTS, WIDTH_BREAKPOINTS

CONSOLE_IDLE_S = 300  # an open console locks itself after this long without a touch


class KioskAppBase(App[None]):
    CSS_PATH = Path(__file__).parent / "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    PIN_SCOPE = "lobby"
    """Where staff type their PIN here, as wrong PINs are counted (kiosk.services.staff):
    the lobby (a kiosk, a served tablet, and the console opened from one), or the
    reception console."""
    HORIZONTAL_BREAKPOINTS = WIDTH_BREAKPOINTS
    VERTICAL_BREAKPOINTS = HEIGHT_BREAKPOINTS
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [*FOCUS_BINDINGS]
    # What shows someone is at the machine, resetting the idle clock.
    ACTIVITY: tuple[type[events.Event], ...] = (events.Key, events.MouseDown)

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.last_activity = time.monotonic()
        use_office_theme(self, runtime.settings.branding)

    def on_mount(self) -> None:
        exit_on_hangup(self)
        self.set_interval(REOPEN_EVERY_S, self._reopen_tick)
        self.start()

    # -- the database --------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="start")
    def start(self) -> None:
        """Open the database (imports, key checks, migrations) after the first frame; a
        failure is a message, never a traceback."""
        self.runtime.open()
        self.opened()

    def opened(self) -> None:
        """In a worker, once an attempt to open the database has ended (at start) or the
        database answers again (screens.app_base's reopening)."""

    def _reopen_tick(self) -> None:
        """While the database could not be opened because it did not answer, try again
        every few seconds in a worker (a thread only while there is something to retry)."""
        if self.runtime.retrying:
            self.run_worker(
                self._reopen, thread=True, exclusive=True, exit_on_error=False, group="reopen"
            )

    def _reopen(self) -> None:
        if self.runtime.reopen():
            self.reopened()

    def reopened(self) -> None:
        """In a worker, once the database answers after it did not at start."""
        self.opened()

    # -- who is at the machine -----------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, self.ACTIVITY) and not event.is_forwarded:
            self.last_activity = time.monotonic()
            if self.active(event):
                return
        await super().on_event(event)

    def active(self, event: events.Event) -> bool:
        """Someone did something (``event``); True when that took it (it goes no further)."""
        return False

    def idle_for(self) -> float:
        return time.monotonic() - self.last_activity

    @property
    def in_console(self) -> bool:
        return any(getattr(s, "IS_CONSOLE", False) for s in self.screen_stack)

    # -- the console -----------------------------------------------------------------------

    def open_console(self, user: StaffUser) -> None:
        """The console for ``user``, over whatever was shown (a new login: what they look
        at is audited afresh). Its "today" is the app's clock's."""
        # Imported when staff first log in: the console's panels bring the export, rights
        # and audit use cases (pyrage, csv, the QR renderer), which would add about 120 ms
        # to the kiosk's first frame (bench: cold start; python -X importtime).
        from screens.console.desk import Desk
        from screens.console.screen import ConsoleScreen

        services = self.runtime.services.with_clock(self.runtime.clock)
        self.push_screen(ConsoleScreen(Desk(services, Actor.staff(user), user)))

    def lock_console(self) -> None:
        """Close the console and whatever was opened from it."""
        raise NotImplementedError
