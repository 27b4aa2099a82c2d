"""The visitor kiosk application."""

from __future__ import annotations

import time

from textual import events, work
from textual.binding import Binding

from kiosk.domain.badges import BadgeCard, PrintOutcome
from kiosk.domain.registration import Registration
from kiosk.domain.staff import KIOSK, SYSTEM, StaffUser
from kiosk.i18n import _, current_language, set_language
from kiosk.runtime import Runtime
from screens.app_base import CONSOLE_IDLE_S, KioskAppBase
from screens.staff import PinScreen, StaffMenuScreen
from screens.visitor.badge import BadgeScreen
from screens.visitor.delivery import ParcelThanksScreen
from screens.visitor.welcome import WelcomeScreen

PURGE_EVERY_S = 3600
NOTIFY_EVERY_S = 60
AUTO_CHECKOUT_EVERY_S = 300
# How many days back the kiosk's periodic automatic check-out looks for open visits.
AUTO_CHECKOUT_DAYS = 7
SETTINGS_EVERY_S = 60  # retention an admin set on any machine reaches this kiosk
IDLE_WARNING_S = 15  # before the idle wipe, a visitor is asked whether they are still there


class KioskApp(KioskAppBase):
    """A full-screen kiosk: no quitting, suspending or command palette without a staff
    PIN; a half-filled form is wiped after the idle time."""

    TITLE = "kiosk"
    BINDINGS = [
        Binding("ctrl+q", "blocked", show=False, priority=True),
        Binding("ctrl+c", "blocked", show=False, priority=True),
        Binding("ctrl+z", "blocked", show=False, priority=True),
        Binding("ctrl+backslash", "blocked", show=False, priority=True),
        Binding("ctrl+p", "blocked", show=False, priority=True),
        *KioskAppBase.BINDINGS,
    ]
    # A key, a click or tap, and scrolling a long text (with a wheel or, on a tablet, a
    # finger) show someone is at the kiosk.
    ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._idle_warned = False

    def on_mount(self) -> None:
        self.set_class(self.is_web, "-web")  # kiosk.tcss: larger touch targets on a tablet
        set_language(self.runtime.settings.kiosk.default_language)
        self.push_screen(WelcomeScreen())
        self.set_interval(1, self.idle_tick)
        self.set_interval(PURGE_EVERY_S, self.purge)
        self.set_interval(SETTINGS_EVERY_S, self.refresh_retention)
        settings = self.runtime.settings
        # Always: a site may notify by webhooks only, even hosts' own (notify.on() says).
        self.set_interval(NOTIFY_EVERY_S, self.notify_hosts)
        if settings.kiosk.auto_checkout:
            self.set_interval(AUTO_CHECKOUT_EVERY_S, self.auto_check_out)
        if settings.directory.scheduled:
            self.set_interval(settings.directory.sync_minutes * 60, self.sync_hosts)
        super().on_mount()

    @property
    def start_error(self) -> str | None:
        return self.runtime.open_error

    # -- the database, and what runs beside the visitors -----------------------------------

    def opened(self) -> None:
        """In a worker, once the database is open (at start, or later): the documents under
        the retention in force, the start-up purge, the check-outs due, and the host
        e-mails that waited while the kiosk was down."""
        self.runtime.load_documents()
        import screens.flow  # noqa: F401  (here, off the UI thread: see visitor)

        self.call_from_thread(self._started)
        if self.runtime.ready:
            self._purge()
            self._auto_check_out()
            self.runtime.services.notify.deliver_quietly()
            if self.runtime.settings.directory.scheduled:
                self.runtime.services.directory.sync_quietly(SYSTEM)

    def _started(self) -> None:
        if isinstance(self.screen, WelcomeScreen):
            self.screen.refresh_ready()

    @work(thread=True, exclusive=True, exit_on_error=False, group="purge")
    def purge(self) -> None:
        if self.runtime.ready:
            self._purge()

    def _purge(self) -> None:
        """Retention every hour, by the periods saved now (wherever an admin changed
        them), and old printable badges."""
        services = self.runtime.services
        self._follow_retention()
        services.retention.purge(SYSTEM)
        services.badges.clean_spool()

    @work(thread=True, exclusive=True, exit_on_error=False, group="auto-checkout")
    def auto_check_out(self) -> None:
        if self.runtime.ready:
            self._auto_check_out()

    def _auto_check_out(self) -> None:
        self.runtime.services.visits.auto_check_out_recent(KIOSK, AUTO_CHECKOUT_DAYS)

    @work(thread=True, exclusive=True, exit_on_error=False, group="settings")
    def refresh_retention(self) -> None:
        if self.runtime.ready:
            self._follow_retention()

    def _follow_retention(self) -> None:
        """Retention an admin set meanwhile, on any machine on this database, and the
        documents under it (read here, in a worker: not on the UI thread when the next
        visitor opens them)."""
        self.runtime.services.retention.follow()
        self.runtime.load_documents()  # cached: reads files only for periods not read before

    @work(thread=True, exclusive=True, exit_on_error=False, group="directory")
    def sync_hosts(self) -> None:
        """The hosts from the company directory, every directory.sync_minutes."""
        if self.runtime.ready:
            self.runtime.services.directory.sync_quietly(SYSTEM)

    @work(thread=True, exit_on_error=False, group="notify")
    def notify_hosts(self) -> None:
        """Tell hosts whose visitors arrived, on each channel (after each check-in, and
        every minute for retries). Two of these at once are harmless: each message is
        claimed once."""
        if self.runtime.ready:
            self.runtime.services.notify.deliver_quietly()

    def on_badge_screen_shown(self, message: BadgeScreen.Shown) -> None:
        """A visit was stored and its badge is on screen: print it meanwhile, and tell
        the host."""
        self.print_badge(message.card)
        self.notify_hosts()

    def on_parcel_thanks_screen_shown(self, _message: ParcelThanksScreen.Shown) -> None:
        """A parcel was recorded: tell its recipient (or reception) now."""
        self.notify_hosts()

    @work(thread=True, exit_on_error=False, group="print")
    def print_badge(self, card: BadgeCard) -> None:
        """The printed badge, while the visitor already reads the one on screen; if none
        comes out, that screen says so."""
        result = self.runtime.services.badges.print(card)
        if result is not None and not result.printed:
            self.call_from_thread(self._badge_not_printed, card, result.outcome)

    def _badge_not_printed(self, card: BadgeCard, outcome: PrintOutcome) -> None:
        if isinstance(self.screen, BadgeScreen) and self.screen.card is card:
            self.screen.not_printed(outcome)

    # -- the visitors ----------------------------------------------------------------------

    def on_welcome_screen_chosen(self, message: WelcomeScreen.Chosen) -> None:
        self.visitor(message.way, message.scanned)

    @work(exclusive=True, exit_on_error=False, group="visitor")
    async def visitor(self, way: str, scanned: str | None = None) -> None:
        """A visitor's way in (chosen at the welcome screen) through their steps
        (screens.flow), then a fresh welcome."""
        # Imported after the first frame (and already, in the start worker, by the time
        # a visitor taps): the steps bring Textual's Markdown (markdown-it, pygments),
        # about 45 ms that the welcome screen would otherwise wait for (python -X
        # importtime; bench: cold start).
        from screens import flow

        if way == "check-in":
            await flow.check_in(self, Registration())
        elif way == "check-out":
            await flow.check_out(self, scanned)
        elif way == "delivery":
            await flow.delivery(self)
        else:
            await flow.invitation(self)
        self._welcome()

    def go_home(self) -> None:
        """Back to a fresh welcome screen in the kiosk's own language: every screen a
        visitor filled is discarded, and the next visitor starts where everyone does."""
        self.workers.cancel_group(self, "visitor")
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self._welcome()

    def _welcome(self) -> None:
        default = self.runtime.settings.kiosk.default_language
        in_another_language = current_language() != default
        set_language(default)
        if in_another_language or not isinstance(self.screen, WelcomeScreen):
            self.switch_screen(WelcomeScreen())

    # -- the idle wipe ---------------------------------------------------------------------

    def active(self, event: events.Event) -> bool:
        if self._idle_warned:
            self._idle_warned = False
            self.clear_notifications()
        if isinstance(event, events.Key) and event.key == self.runtime.settings.kiosk.staff_key:
            event.stop()
            self.open_staff_prompt()
            return True
        return False

    def idle_tick(self) -> None:
        """The visitor idle time on visitor screens; 5 minutes once the console is open."""
        idle = self.idle_for()
        in_console = self.in_console
        limit = CONSOLE_IDLE_S if in_console else self.runtime.settings.kiosk.idle_seconds
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

    def _at_home(self) -> bool:
        return isinstance(self.screen, WelcomeScreen) and len(self.screen_stack) == 2

    def wipe(self) -> None:
        """Forget the visitor: welcome screen, default language."""
        if self._at_home():
            return
        self._idle_warned = False
        self.clear_notifications()
        self.last_activity = time.monotonic()  # the idle clock starts again from home
        if self.in_console:
            # Retention an admin may have changed there: the notice under it is read
            # now, in a worker, not on this thread when the next visitor opens it.
            self.refresh_retention()
        self.go_home()

    def lock_console(self) -> None:
        """Locking the console returns to the visitor welcome screen."""
        self.wipe()

    # -- kiosk safety ----------------------------------------------------------------------

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
        self.push_screen(PinScreen(), self._unlocked)

    def _unlocked(self, user: StaffUser | None) -> None:
        if user is not None:
            menu = StaffMenuScreen(user, console=self.console_allowed)
            self.push_screen(menu, lambda choice: self._staff_chose(user, choice))

    @property
    def console_allowed(self) -> bool:
        """The console opens from a kiosk on this machine; from a served tablet only when
        `kiosk serve --allow-console` (or [serve] allow_console) says so."""
        return not self.is_web or self.runtime.settings.serve.allow_console

    def _staff_chose(self, user: StaffUser, choice: str | None) -> None:
        """The staff menu: the console, back to the visitors, or closing the kiosk."""
        if choice == "console" and self.console_allowed:
            self.open_console(user)
        elif choice == "quit":
            self.exit()
        else:
            self.go_home()
