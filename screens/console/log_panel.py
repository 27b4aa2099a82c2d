"""The Today's log tab: a day's visits and expected visitors, searched as you type and
filtered by status, re-read every few seconds; a visit opens its details."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.widgets import Button, Input, RadioButton, RadioSet, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.notifications import HostNotReached
from kiosk.domain.watchlist import WatchAlert
from kiosk.services.log import (
    STATUSES,
    LogRow,
    OpenVisits,
    arrivals_per_hour,
    filter_rows,
    open_earlier_text,
)
from screens.console.desk import Desk
from screens.console.stale import StaleNotice
from screens.console.table import VisitTable, header
from screens.console.visit_detail import VisitDetailScreen

REFRESH_S = 3.0
READ_ONLY = (
    "Read-only: the database's primary is not answering; this is its standby's copy."
    " Check-outs and changes wait until a primary is back."
)


def status_id(status: str) -> str:
    return "status-" + status.replace(" ", "-")


class LogPanel(Container):
    @dataclass
    class Loaded(Message):
        day: date
        rows: list[LogRow]
        open_visits: OpenVisits  # no check-out: in the building now; earlier days' per day
        printer: str | None = None  # the last badge's print failure, if it was not printed
        alerts: list[WatchAlert] = field(default_factory=list)  # watchlist matches not seen
        # host notifications that reached nobody: given up, or late
        not_reached: list[HostNotReached] = field(default_factory=list)
        read_only: bool = False  # read from a standby: no server accepts writes

    @dataclass
    class Glance(Message):
        """The day's figures, for the console's line above the tabs."""

        counts: str
        arrivals: list[int]

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.day = desk.today()
        self.all_rows: list[LogRow] = []
        self.alerts: list[WatchAlert] = []
        self.not_reached: list[HostNotReached] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-tools"):
            yield Input(placeholder="Search name, company or host", id="search")
            with RadioSet(id="status"):
                for s in STATUSES:
                    yield RadioButton(s.capitalize(), value=s == "all", id=status_id(s))
            yield Input(self.day.isoformat(), id="day", max_length=10)
        yield StaleNotice("the log", REFRESH_S, id="db-down")
        yield Static(READ_ONLY, id="read-only", markup=False)
        yield Static("", id="open-earlier", markup=False)
        yield Static("", id="print-problem", markup=False)
        # A check-in that matched the watchlist: who, when and why, until staff saw it.
        with Horizontal(id="watch-alert"):
            yield Static("", id="watch-alert-text", markup=False)
            yield Button("Seen", id="watch-seen", variant="warning")
        # A host not told their visitor is here (given up, or late): reception phones.
        with Horizontal(id="notify-alert"):
            yield Static("", id="notify-alert-text", markup=False)
            yield Button("Phoned", id="notify-phoned", variant="warning")
        yield Static(header(), id="table-header", markup=False)
        yield VisitTable(id="visits")
        yield Static("", id="log-status")

    def on_mount(self) -> None:
        self.load_day()

    def new_day(self, today: date) -> None:
        """Midnight (the console moved the day field on when it showed the day that
        ended): a log showing that day moves on to the new one (a desk staffed through
        the night would otherwise keep "today" on yesterday, and the morning's arrivals
        out of sight); a day staff picked or typed stays."""
        if self.query_one("#day", Input).value == today.isoformat():
            self.day = today
            self.all_rows = []
            self.apply_filter()

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-log")
    def load_day(self) -> None:
        day, log = self.day, self.desk.services.log
        rows = log.day(day, self.desk.actor).rows
        read_only = log.read_only()
        printer = self.desk.services.badges.print_problem(self.desk.now())
        alerts = self.desk.services.watchlist.alerts(self.desk.actor)
        not_reached = self.desk.services.notify.undelivered(self.desk.actor)
        open_visits = log.open_visits(self.desk.actor)
        self.post_message(
            self.Loaded(day, rows, open_visits, printer, alerts, not_reached, read_only)
        )

    def on_log_panel_loaded(self, message: Loaded) -> None:
        if message.day != self.day:
            return
        if self.query_one("#db-down", StaleNotice).read(self.desk.now()):
            self.notify("The database answers again; the log is up to date.")
        self.all_rows = message.rows
        self.query_one("#read-only").display = message.read_only
        self.apply_filter()
        visits = [r for r in message.rows if r.status != "expected"]
        on_site = message.open_visits.on_site_now  # as the evacuation list counts, any day
        expected = len(message.rows) - len(visits)
        self.post_message(
            self.Glance(
                f"Visitors {self.day.isoformat()}: {len(visits)}   On site now: {on_site}   "
                f"Expected: {expected}",
                arrivals_per_hour(message.rows),
            )
        )
        reminder = open_earlier_text(message.open_visits.earlier)
        shown = self.query_one("#open-earlier", Static)
        shown.update(reminder)
        shown.display = bool(reminder)
        printer = self.query_one("#print-problem", Static)
        printer.update(message.printer or "")
        printer.display = bool(message.printer)
        self.show_alerts(message.alerts)
        self.show_not_reached(message.not_reached)

    def show_alerts(self, alerts: list[WatchAlert]) -> None:
        """The oldest watchlist match not seen yet (and how many more)."""
        self.alerts = alerts
        row = self.query_one("#watch-alert")
        row.display = bool(alerts)
        if not alerts:
            return
        first = alerts[0]
        at = first.at.astimezone(self.desk.tz).strftime("%H:%M")
        who = first.visitor or "a visitor (record unreadable)"
        why = first.reason or "(the entry has expired)"
        more = f"  (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
        self.query_one("#watch-alert-text", Static).update(
            f"Watchlist: {who} checked in at {at}. Reason: {why}{more}"
        )

    @on(Button.Pressed, "#watch-seen")
    def seen(self) -> None:
        if self.alerts:
            self.acknowledge(self.alerts[0].id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="watch-alert")
    def acknowledge(self, alert_id: uuid.UUID) -> None:
        self.desk.services.watchlist.acknowledge(alert_id, self.desk.actor)
        alerts = self.desk.services.watchlist.alerts(self.desk.actor)
        self.app.call_from_thread(self.show_alerts, alerts)

    def show_not_reached(self, not_reached: list[HostNotReached]) -> None:
        """The oldest host notification that reached nobody (and how many more)."""
        self.not_reached = not_reached
        row = self.query_one("#notify-alert")
        row.display = bool(not_reached)
        if not not_reached:
            return
        first = not_reached[0]
        at = first.arrived_at.astimezone(self.desk.tz).strftime("%H:%M")
        host = first.host or "their host"
        if first.parcel:
            what = f"a parcel from {first.visitor or 'a carrier'} arrived at {at}"
        else:
            what = f"{first.visitor or 'a visitor (record unreadable)'} checked in at {at}"
        state = "not delivered" if first.given_up else "not delivered yet"
        why = f" ({'; '.join(first.reasons)})" if first.reasons else ""
        more = f"  (+{len(not_reached) - 1} more)" if len(not_reached) > 1 else ""
        self.query_one("#notify-alert-text", Static).update(
            f"Please phone {host}: {what}; the notification was {state}{why}.{more}"
        )

    @on(Button.Pressed, "#notify-phoned")
    def phoned(self) -> None:
        if self.not_reached:
            self.take_over(self.not_reached[0].visit_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="notify-alert")
    def take_over(self, visit_id: uuid.UUID) -> None:
        notify = self.desk.services.notify
        notify.handled(visit_id, self.desk.actor)
        self.app.call_from_thread(self.show_not_reached, notify.undelivered(self.desk.actor))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed re-read is one standing line, not a message each time."""
        if event.state is WorkerState.ERROR and event.worker.group == "console-log":
            self.query_one("#db-down", StaleNotice).failed(event.worker.error, self.desk.now())

    def apply_filter(self) -> None:
        text = self.query_one("#search", Input).value
        shown = filter_rows(self.all_rows, text, self.status)
        self.query_one("#visits", VisitTable).set_rows(shown)
        self.query_one("#log-status", Static).update(f"{len(shown)} of {len(self.all_rows)}")

    @property
    def status(self) -> str:
        pressed = self.query_one("#status", RadioSet).pressed_button
        return (
            pressed.id.removeprefix("status-").replace("-", " ")
            if pressed and pressed.id
            else "all"
        )

    @on(Input.Changed, "#search")
    @on(RadioSet.Changed, "#status")
    def search(self) -> None:
        self.apply_filter()

    @on(Input.Submitted, "#day")
    def pick_day(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", typed):  # the format is right, the day not
                self.notify(f"{typed} is not a day of the calendar.", severity="error")
            else:
                self.notify("Type a date as YYYY-MM-DD.", severity="error")
            return
        if day < self.desk.services.log.oldest_day():
            self.notify("That day is outside the retention period.", severity="error")
            return
        # A day ahead shows who is expected then (pre-registered); it has no visits yet.
        self.day = day
        self.all_rows = []
        self.apply_filter()
        self.load_day()

    def on_visit_table_columns_changed(self, message: VisitTable.ColumnsChanged) -> None:
        self.query_one("#table-header", Static).update(message.header)

    def on_visit_table_opened(self, message: VisitTable.Opened) -> None:
        if message.expected:
            self.notify("This visitor is expected; they check in at the kiosk with their code.")
            return
        self.app.push_screen(VisitDetailScreen(self.desk, message.row_id), self._after_detail)

    def _after_detail(self, changed: bool | None) -> None:
        if changed:
            self.load_day()
