"""The visitor kiosk application."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding

if TYPE_CHECKING:
    from kiosk.services.badge import BadgeCard
    from kiosk.services.staff import StaffUser

from kiosk.config import Settings
from kiosk.i18n import _, current_language, set_language
from kiosk.services.kiosk import REOPEN_EVERY_S, KioskServices
from screens.badge import BadgeScreen
from screens.focus import FOCUS_BINDINGS
from screens.reopen import keep_reopening
from screens.staff import PinScreen, StaffMenuScreen
from screens.terminal import exit_on_hangup
from screens.welcome import WelcomeScreen
from screens.widgets import WIDTH_BREAKPOINTS

PURGE_EVERY_S = 3600
NOTIFY_EVERY_S = 60
AUTO_CHECKOUT_EVERY_S = 300
SETTINGS_EVERY_S = 60  # retention an admin set on any machine reaches this kiosk
CONSOLE_IDLE_S = 300
IDLE_WARNING_S = 15  # before the idle wipe, a visitor is asked whether they are still there
# What shows someone is at the kiosk: a key, a click or tap, and scrolling a long text
# (with a wheel or, on a tablet, a finger).
ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class KioskApp(App[None]):
    """A full-screen kiosk: no quitting, suspending or command palette without a staff
    PIN; a half-filled form is wiped after the idle time."""

    CSS_PATH = Path(__file__).parent / "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "kiosk"
    HORIZONTAL_BREAKPOINTS = WIDTH_BREAKPOINTS
    BINDINGS = [
        Binding("ctrl+q", "blocked", show=False, priority=True),
        Binding("ctrl+c", "blocked", show=False, priority=True),
        Binding("ctrl+z", "blocked", show=False, priority=True),
        Binding("ctrl+backslash", "blocked", show=False, priority=True),
        Binding("ctrl+p", "blocked", show=False, priority=True),
        *FOCUS_BINDINGS,
    ]

    def __init__(
        self,
        settings: Settings,
        services: KioskServices,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._clock = clock
        self.services = services
        self.last_activity = time.monotonic()
        self._idle_warned = False

    # -- start-up ----------------------------------------------------------------------

    @property
    def site_name(self) -> str:
        return self.settings.site_name

    def now(self) -> datetime:
        if self._clock is not None:
            return self._clock()
        return self.services.now()

    def on_mount(self) -> None:
        self.set_class(self.is_web, "-web")  # kiosk.tcss: larger touch targets on a tablet
        set_language(self.settings.kiosk.default_language)
        self.push_screen(WelcomeScreen())
        self.set_interval(1, self.idle_tick)
        self.set_interval(PURGE_EVERY_S, self.purge)
        keep_reopening(self, self.services, REOPEN_EVERY_S, self._opened)
        self.set_interval(SETTINGS_EVERY_S, self.refresh_retention)
        if self.settings.notify.smtp_host:
            self.set_interval(NOTIFY_EVERY_S, self.notify_hosts)
        if self.settings.kiosk.auto_checkout:
            self.set_interval(AUTO_CHECKOUT_EVERY_S, self.auto_check_out)
        exit_on_hangup(self)
        self.start()

    @property
    def start_error(self) -> str | None:
        return self.services.open_error

    @work(thread=True, exclusive=True, exit_on_error=False, group="start")
    def start(self) -> None:
        """Open the store (imports, key checks, migrations) after the first frame, then
        run the start-up purge and send the host e-mails that waited while the kiosk was
        down. A failure is shown as a friendly message."""
        self.services.open()
        self._opened()

    def _opened(self) -> None:
        """In a worker, once the store is open (at start, or later: screens.reopen)."""
        self.services.load_documents()  # under the store's retention, once it is open
        self.call_from_thread(self._started)
        if self.services.ready:
            self.services.purge()
            self.services.auto_check_out()  # does nothing without kiosk.auto_checkout
            self.services.notify_hosts()  # does nothing without notify.smtp_host

    def _started(self) -> None:
        if isinstance(self.screen, WelcomeScreen):
            self.screen.refresh_ready()

    @work(thread=True, exclusive=True, exit_on_error=False, group="purge")
    def purge(self) -> None:
        if self.services.ready:
            self.services.purge()

    @work(thread=True, exclusive=True, exit_on_error=False, group="auto-checkout")
    def auto_check_out(self) -> None:
        self.services.auto_check_out()

    @work(thread=True, exclusive=True, exit_on_error=False, group="settings")
    def refresh_retention(self) -> None:
        self.services.refresh_retention()  # and the notice under the periods in force

    @work(thread=True, exit_on_error=False, group="notify")
    def notify_hosts(self) -> None:
        """E-mail hosts whose visitors arrived (after each check-in, and every minute for
        retries). Two of these at once are harmless: each message is claimed once."""
        self.services.notify_hosts()

    # -- navigation and the idle wipe ----------------------------------------------------

    def go_home(self) -> None:
        """Back to a fresh welcome screen in the kiosk's own language: every screen a
        visitor filled is discarded, and the next visitor starts where everyone does."""
        default = self.settings.kiosk.default_language
        in_another_language = current_language() != default
        set_language(default)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if in_another_language or not isinstance(self.screen, WelcomeScreen):
            self.switch_screen(WelcomeScreen())

    def show_badge(self, badge: BadgeScreen) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.push_screen(badge)
        self.print_badge(badge.card)

    @work(thread=True, exit_on_error=False, group="print")
    def print_badge(self, card: BadgeCard) -> None:
        """The printed badge, while the visitor already reads the one on screen; if none
        comes out, that screen says so."""
        if self.services.print_badge(card) is False:
            self.call_from_thread(self._badge_not_printed, card)

    def _badge_not_printed(self, card: BadgeCard) -> None:
        if isinstance(self.screen, BadgeScreen) and self.screen.card is card:
            self.screen.not_printed()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY) and not event.is_forwarded:
            self.last_activity = time.monotonic()
            if self._idle_warned:
                self._idle_warned = False
                self.clear_notifications()
            if isinstance(event, events.Key) and event.key == self.settings.kiosk.staff_key:
                event.stop()
                self.open_staff_prompt()
                return
        await super().on_event(event)

    def idle_tick(self) -> None:
        """The visitor idle time on visitor screens; 5 minutes once the console is open."""
        from screens.console.console import ConsoleScreen

        idle = time.monotonic() - self.last_activity
        in_console = any(isinstance(s, ConsoleScreen) for s in self.screen_stack)
        limit = CONSOLE_IDLE_S if in_console else self.settings.kiosk.idle_seconds
        if idle >= limit:
            self.wipe()
            return
        warning_s = min(IDLE_WARNING_S, limit / 3)
        if in_console or self._idle_warned or idle < limit - warning_s or self._at_home():
            return
        # Someone reading the NDA, or thinking, is not wiped without a word.
        self._idle_warned = True
        left = max(1, round(limit - idle))
        message = _(
            "Are you still there? Touch the screen or press a key, or this kiosk starts "
            "over in {seconds} seconds."
        ).format(seconds=left)
        self.notify(message, severity="warning", timeout=left)

    def open_console(self, user: StaffUser) -> None:
        from kiosk.services.console import ConsoleService
        from screens.console.console import ConsoleScreen

        service = ConsoleService(self.services.store, self.settings, user, clock=self._clock)
        self.push_screen(ConsoleScreen(service))

    def lock_console(self) -> None:
        """Locking the console returns to the visitor welcome screen."""
        self.wipe()

    def _at_home(self) -> bool:
        return isinstance(self.screen, WelcomeScreen) and len(self.screen_stack) == 2

    def wipe(self) -> None:
        """Forget the visitor: welcome screen, default language."""
        if self._at_home():
            return
        self._idle_warned = False
        self.clear_notifications()
        from screens.console.console import ConsoleScreen

        self.last_activity = time.monotonic()  # the idle clock starts again from home
        if any(isinstance(s, ConsoleScreen) for s in self.screen_stack):
            # Retention an admin may have changed there: the notice under it is read
            # now, in a worker, not on this thread when the next visitor opens it.
            self.refresh_retention()
        self.go_home()

    # -- kiosk safety ------------------------------------------------------------------

    def action_blocked(self) -> None:
        """Quit, suspend and the palette do nothing for visitors."""

    async def action_quit(self) -> None:
        self.open_staff_prompt()

    def action_command_palette(self) -> None:
        return None

    def action_help_quit(self) -> None:
        return None

    def open_staff_prompt(self) -> None:
        if isinstance(self.screen, PinScreen):
            return

        def unlocked(user: StaffUser | None) -> None:
            if user is not None:
                self.push_screen(StaffMenuScreen(user))

        self.push_screen(PinScreen(), unlocked)
