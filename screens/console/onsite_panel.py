"""The On site tab, for security: everyone in the building now (the evacuation list),
refreshed live, and printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from kiosk.services.onsite import OnSite, on_site_count, on_site_lines
from screens.console.desk import Desk
from screens.console.rollcall_screen import RollCallScreen
from screens.console.stale import StaleNotice

REFRESH_S = 3.0


class OnSitePanel(VerticalScroll):
    """Everyone in the building now, refreshed live; printable (and still shown when the
    printer or the network is gone). A list longer than the window scrolls, with the
    mouse or (Shift+Tab from Print) the arrow and page keys."""

    @dataclass
    class Loaded(Message):
        people: list[OnSite]

    def __init__(self, desk: Desk, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.desk = desk
        self.people: list[OnSite] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Static("", id="onsite-count")
            yield Button("Print the list", id="onsite-print")
            yield Button("Roll call", id="onsite-rollcall", variant="error")
        yield StaleNotice("this list", REFRESH_S, id="onsite-stale")
        yield Static("", id="onsite-list", markup=False)
        yield Static("", id="onsite-status", markup=False)

    def on_mount(self) -> None:
        self.load()
        self.set_interval(REFRESH_S, self.load)

    @on(Button.Pressed, "#onsite-rollcall")
    def roll_call(self) -> None:
        """Start a roll call of everyone on the list (or open the one under way)."""
        self.app.push_screen(RollCallScreen(self.desk))

    @work(thread=True, exclusive=True, exit_on_error=False, group="onsite")
    def load(self) -> None:
        self.post_message(self.Loaded(self.desk.services.onsite.people(self.desk.actor)))

    def on_on_site_panel_loaded(self, message: Loaded) -> None:
        self.query_one("#onsite-stale", StaleNotice).read(self.desk.now())
        self.people = message.people
        self.query_one("#onsite-count", Static).update(on_site_count(message.people))
        self.show()

    def on_resize(self) -> None:
        self.show()

    def show(self) -> None:
        """The list fitted to the panel's width (refitted when it changes)."""
        listing = self.query_one("#onsite-list", Static)
        room = listing.content_region.width or self.app.size.width
        listing.update("\n".join(on_site_lines(self.people, room)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The list stays as last read when the database is out of reach (in an
        evacuation it is still the best there is), and says so."""
        if event.state is WorkerState.ERROR and event.worker.group == "onsite":
            stale = self.query_one("#onsite-stale", StaleNotice)
            stale.failed(event.worker.error, self.desk.now())

    @on(Button.Pressed, "#onsite-print")
    def print_list(self) -> None:
        read_at = self.query_one("#onsite-stale", StaleNotice).freshness.read_at
        self.send_to_printer(list(self.people), read_at)

    @work(thread=True, exclusive=True, exit_on_error=False, group="onsite-print")
    def send_to_printer(self, people: list[OnSite], read_at: datetime | None) -> None:
        message = self.desk.services.onsite.print(people, self.desk.actor, read_at)
        self.app.call_from_thread(self.query_one("#onsite-status", Static).update, message)
