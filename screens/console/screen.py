"""The console's main screen: at a glance, and a tab per panel the staff member's role
allows (one file each in this folder)."""

from __future__ import annotations

from typing import Protocol, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Input, Sparkline, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from kiosk.domain.hosts import HostEntry
from kiosk.services.errors import user_message
from screens.console.audit_panel import AuditPanel
from screens.console.desk import Desk
from screens.console.export_panel import ExportPanel
from screens.console.hosts_panel import HostsPanel
from screens.console.log_panel import REFRESH_S, LogPanel
from screens.console.onsite_panel import OnSitePanel
from screens.console.prereg_panel import PreregPanel
from screens.console.retention_panel import RetentionPanel
from screens.console.rights_panel import RightsPanel
from screens.console.staff_panel import StaffPanel
from screens.console.stale import StaleNotice

TODAY_FIELDS = "#day, #pre-date, #export-from, #export-to"  # they offer today, and follow it
FOLLOW_S = 60.0  # retention saved by an admin elsewhere
# Narrower than this the search box, the filters and the day do not fit on one line.
TIGHT_WIDTH = 80
SHORT_TITLES_WIDTH = 100
TAB_TITLES = {  # tab: its title, and its title in a window narrower than 100 columns
    "tab-log": ("Today's log", "Log"),
    "tab-prereg": ("Pre-register", "Pre-reg"),
    "tab-onsite": ("On site", "On site"),
    "tab-export": ("Export", "Export"),
    "tab-hosts": ("Hosts", "Hosts"),
    "tab-audit": ("Audit", "Audit"),
    "tab-staff": ("Staff", "Staff"),
    "tab-retention": ("Retention", "Keep"),
    "tab-rights": ("Rights requests", "Rights"),
}


class Locks(Protocol):
    def lock_console(self) -> None: ...


class ConsoleScreen(Screen[None]):
    IS_CONSOLE = True  # what KioskAppBase.in_console looks for (it does not import this)
    CSS_PATH = "console.tcss"
    AUTO_FOCUS = "#search"
    BINDINGS = [
        ("ctrl+l", "lock", "Lock"),
        ("f2", "show_tab('#search')", "Log"),
        ("f3", "show_tab('#pre-name')", "Pre-register"),
        ("f4", "show_tab('#host-name')", "Hosts"),
        ("f5", "show_tab('#onsite-print')", "On site"),
        ("f6", "show_tab('#export-from')", "Export"),
        ("f7", "show_tab('#audit-from')", "Audit"),
        ("f8", "show_tab('#staff-user')", "Staff"),
        ("f9", "show_tab('#ret-visit_days')", "Retention"),
        ("f10", "show_tab('#rights-who')", "Rights"),
    ]

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self._today = desk.today()

    def compose(self) -> ComposeResult:
        desk = self.desk
        with Horizontal(id="console-header"):
            yield Static(f"Reception console · {desk.settings.site_name}", id="title",
                         markup=False)  # fmt: skip
            yield Static(f"{desk.user.username} ({desk.user.role})", id="who", markup=False)
            yield Button("Lock", id="lock", variant="warning")
        with Horizontal(id="glance"):
            yield Static("", id="counts")
            yield Static("Arrivals per hour:", id="arrivals-label")
            yield Sparkline([0] * 24, id="arrivals")
        with TabbedContent(id="tabs"):
            with TabPane(TAB_TITLES["tab-log"][0], id="tab-log"):
                yield LogPanel(desk)
            for action, tab_id, panel in (
                ("prereg", "tab-prereg", PreregPanel),
                ("onsite", "tab-onsite", OnSitePanel),
                ("export", "tab-export", ExportPanel),
                ("hosts", "tab-hosts", HostsPanel),
                ("audit", "tab-audit", AuditPanel),
                ("staff", "tab-staff", StaffPanel),
                ("retention", "tab-retention", RetentionPanel),
                ("rights", "tab-rights", RightsPanel),
            ):
                if desk.can(action):
                    with TabPane(TAB_TITLES[tab_id][0], id=tab_id):
                        yield panel(desk)

    def on_resize(self, event: events.Resize) -> None:
        """Class ``-tight`` below TIGHT_WIDTH columns, beside the apps' breakpoints; the
        tabs' short titles below SHORT_TITLES_WIDTH (an admin's nine tabs in 64)."""
        self.set_class(event.size.width < TIGHT_WIDTH, "-tight")
        short = event.size.width < SHORT_TITLES_WIDTH
        tabs = self.query_one("#tabs", TabbedContent)
        for tab_id, (long, brief) in TAB_TITLES.items():
            if self.query(f"#{tab_id}"):
                tabs.get_tab(tab_id).label = brief if short else long

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_log)
        self.follow_retention()
        self.set_interval(FOLLOW_S, self.follow_retention)
        if self.desk.can("hosts"):
            self.load_hosts()

    def refresh_log(self) -> None:
        """Reload the log. At midnight the dates the tabs offer as today move on to the
        new day (a day staff typed themselves stays), and so does a log showing today."""
        today = self.desk.today()
        log = self.query_one(LogPanel)
        if today != self._today:
            before, self._today = self._today.isoformat(), today
            for field in self.query(TODAY_FIELDS).results(Input):
                if field.value.strip() == before:
                    field.value = today.isoformat()
            log.new_day(today)
        log.load_day()

    def on_log_panel_glance(self, message: LogPanel.Glance) -> None:
        self.query_one("#counts", Static).update(message.counts)
        self.query_one("#arrivals", Sparkline).data = message.arrivals

    @on(TabbedContent.TabActivated, pane="#tab-audit")
    def audit_opened(self) -> None:
        """The audit tab shows the events as they are when it is opened, not as they were
        at login."""
        self.query_one(AuditPanel).show_events()

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-retention")
    def follow_retention(self) -> None:
        """Which days may be opened, and the Retention tab, follow retention an admin
        set elsewhere meanwhile."""
        self.desk.services.retention.follow()
        self.app.call_from_thread(self._show_retention)

    def _show_retention(self) -> None:
        for panel in self.query(RetentionPanel):
            panel.fill()

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts")
    def load_hosts(self) -> None:
        hosts = self.desk.services.hosts.all(self.desk.actor)
        self.app.call_from_thread(self._show_hosts, hosts)

    def _show_hosts(self, hosts: list[HostEntry]) -> None:
        for prereg in self.query(PreregPanel):
            prereg.set_hosts(hosts)
        self.query_one(HostsPanel).show(hosts)

    def on_hosts_panel_changed(self) -> None:
        self.load_hosts()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed background task is a message (never a traceback); the periodic
        re-read of retention one standing line, not a message each time."""
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "console-retention":
            self.query_one("#db-down", StaleNotice).failed(event.worker.error, self.desk.now())
            return
        self.notify(user_message(event.worker.error), severity="error")

    def action_show_tab(self, first_field: str) -> None:
        """Switch tabs by focusing the tab's first field: switching with the focus left
        in a hidden tab makes Textual hand it to a hidden sibling, which switches back."""
        if self.query(first_field):
            self.query_one(first_field).focus()

    @on(Button.Pressed, "#lock")
    def action_lock(self) -> None:
        cast(Locks, self.app).lock_console()
