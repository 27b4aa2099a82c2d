"""The console's main screen: at a glance, today's log, pre-registration, hosts, and the
security and admin tabs the role allows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from kiosk.domain import HostEntry
from kiosk.domain.registration import Registration, ValidationErrors
from kiosk.domain.text import find_by_name, search_key, several_fit
from kiosk.i18n import LANGUAGES
from kiosk.services.console import (
    STATUSES,
    ConsoleService,
    LogRow,
    OpenVisits,
    arrivals_per_hour,
    filter_rows,
    open_earlier_text,
    user_message,
)
from kiosk.services.kiosk import VISITOR_TYPES
from screens.console.admin import AuditPanel, RetentionPanel, RightsPanel, StaffPanel
from screens.console.security import ExportPanel, OnSitePanel
from screens.console.stale import StaleNotice
from screens.console.table import VisitTable, header
from screens.widgets import FieldError, HostChoices, QRCode, bring_into_view

REFRESH_S = 3.0
TODAY_FIELDS = "#day, #pre-date, #export-from, #export-to"  # they offer today, and follow it
FOLLOW_S = 60.0  # retention saved by an admin elsewhere
REFRESHES = ("console-log", "console-retention")  # the workers the timers above start
PREREG_FIELDS = ("name", "email", "phone", "company", "host", "date")  # in the form's order
# Whether, and in which language, the invitation is e-mailed to the visitor.
SEND_CHOICES = [("No", ""), ("Yes, in English", "en"), ("Yes, in Dutch", "nl")]


def _status_id(status: str) -> str:
    return "status-" + status.replace(" ", "-")


def _host_label(h: HostEntry) -> str:
    email = f" <{h.email}>" if h.email else ""
    language = f"  [{h.language}]" if h.language else ""
    return h.name + email + language + ("" if h.active else "  (inactive)")


def _host_languages(site: str) -> list[tuple[str, str]]:
    """The choices for a host's e-mail language: the site's first (stored as none)."""
    return [(f"E-mails: site's ({LANGUAGES[site]})", "")] + [
        (f"E-mails: {name}", code) for code, name in LANGUAGES.items()
    ]


# Narrower than this the search box, the filters and the day do not fit on one line.
TIGHT_WIDTH = 80


class ConsoleScreen(Screen[None]):
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

    @dataclass
    class Loaded(Message):
        day: date
        rows: list[LogRow]
        open_visits: OpenVisits  # no check-out: in the building now; earlier days' per day

    def __init__(self, service: ConsoleService) -> None:
        super().__init__()
        self.service = service
        self.day = self._today = service.today()
        self.all_rows: list[LogRow] = []
        self._hosts: list[HostEntry] = []
        self._picked_host: uuid.UUID | None = None  # chosen in the pre-registration's list
        self._last_invitation = ("", "", "")

    def compose(self) -> ComposeResult:
        user = self.service.user
        with Horizontal(id="console-header"):
            yield Static(f"Reception console · {self.service.settings.site_name}", id="title",
                         markup=False)  # fmt: skip
            yield Static(f"{user.username} ({user.role})", id="who", markup=False)
            yield Button("Lock", id="lock", variant="warning")
        with Horizontal(id="glance"):
            yield Static("", id="counts")
            yield Static("Arrivals per hour:", id="arrivals-label")
            yield Sparkline([0] * 24, id="arrivals")
        with TabbedContent(id="tabs"):
            with TabPane("Today's log", id="tab-log"):
                with Horizontal(id="log-tools"):
                    yield Input(placeholder="Search name, company or host", id="search")
                    with RadioSet(id="status"):
                        for s in STATUSES:
                            yield RadioButton(s.capitalize(), value=s == "all", id=_status_id(s))
                    yield Input(self.day.isoformat(), id="day", max_length=10)
                yield StaleNotice("the log", REFRESH_S, id="db-down")
                yield Static("", id="open-earlier", markup=False)
                yield Static(header(), id="table-header", markup=False)
                yield VisitTable(id="visits")
                yield Static("", id="log-status")
            if self.service.can("prereg"):
                with TabPane("Pre-register", id="tab-prereg"):
                    yield from self._prereg_form()
            if self.service.can("onsite"):
                with TabPane("On site", id="tab-onsite"):
                    yield OnSitePanel(self.service)
            if self.service.can("export"):
                with TabPane("Export", id="tab-export"):
                    yield ExportPanel(self.service)
            if self.service.can("hosts"):
                with TabPane("Hosts", id="tab-hosts"):
                    yield OptionList(id="host-list")
                    with Horizontal(classes="form-row"):
                        yield Input(placeholder="Name", id="host-name")
                        yield Input(placeholder="E-mail (optional)", id="host-email")
                        yield Select(
                            _host_languages(self.service.settings.notify.language),
                            value="",
                            allow_blank=False,
                            id="host-language",
                        )
                    with Horizontal(classes="form-row"):
                        yield Button("Add host", id="host-add")
                        yield Button("Save changes", id="host-save")
                        yield Button("Activate / deactivate", id="host-toggle")
                    yield FieldError("", id="host-error", markup=False)
            for action, title, panel in (
                ("audit", "Audit", AuditPanel),
                ("staff", "Staff", StaffPanel),
                ("retention", "Retention", RetentionPanel),
                ("rights", "Rights requests", RightsPanel),
            ):
                if self.service.can(action):
                    with TabPane(title, id=f"tab-{action}"):
                        yield panel(self.service)

    def _prereg_form(self) -> ComposeResult:
        with Vertical(id="prereg"):
            for field, label in (  # PREREG_FIELDS
                ("name", "Full name"),
                ("email", "E-mail"),
                ("phone", "Phone"),
                ("company", "Company"),
                ("host", "Host"),
                ("date", "Date (YYYY-MM-DD)"),
            ):
                with Horizontal(classes="form-row entry"):
                    yield Label(label, classes="label")
                    yield Input(
                        self.day.isoformat() if field == "date" else "",
                        id=f"pre-{field}",
                        max_length=254,
                    )
                    yield FieldError("", id=f"pre-{field}-error", markup=False)
                if field == "host":
                    yield HostChoices(id="pre-host-options")
            register = Button("Register", id="pre-submit", variant="primary")
            can_email = self.service.can_email()  # e-mail is set up here: offer to send the code
            with Horizontal(classes="form-row"):
                yield Label("Type", classes="label")
                yield Select(
                    [(t, t) for t in VISITOR_TYPES], value="guest", allow_blank=False, id="pre-type"
                )
                if not can_email:
                    yield register
            if can_email:
                with Horizontal(classes="form-row"):
                    yield Label("E-mail the code", classes="label")
                    yield Select(SEND_CHOICES, value="", allow_blank=False, id="pre-send")
                    yield register
            with Horizontal(id="prereg-result"):
                yield Vertical(id="pre-qr-box")
                with Vertical(id="pre-code-box"):
                    yield Static("", id="pre-code", markup=False)
                    yield Button("Print the invitation", id="pre-print", disabled=True)

    def on_resize(self, event: events.Resize) -> None:
        """Class ``-tight`` below TIGHT_WIDTH columns, beside the apps' breakpoints."""
        self.set_class(event.size.width < TIGHT_WIDTH, "-tight")

    def on_mount(self) -> None:
        self.load_day()
        self.set_interval(REFRESH_S, self.refresh_log)
        self.follow_retention()
        self.set_interval(FOLLOW_S, self.follow_retention)
        if self.service.can("hosts"):
            self.load_hosts()

    @on(TabbedContent.TabActivated, pane="#tab-audit")
    def audit_opened(self) -> None:
        """The audit tab shows the events as they are when it is opened, not as they were
        at login."""
        self.query_one(AuditPanel).show_events()

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-retention")
    def follow_retention(self) -> None:
        """Which days may be opened, and the Retention tab, follow retention an admin
        set elsewhere meanwhile."""
        self.service.follow_retention()
        self.app.call_from_thread(self._show_retention)

    def _show_retention(self) -> None:
        for panel in self.query(RetentionPanel):
            panel.fill()

    # -- the log ---------------------------------------------------------------------

    def refresh_log(self) -> None:
        """Reload the log. At midnight a log showing today moves on to the new day (a
        desk staffed through the night would otherwise keep "today" on yesterday, and
        the morning's arrivals out of sight), and so do the dates the other tabs offer;
        a day staff picked or typed stays."""
        today = self.service.today()
        if today != self._today:
            before, self._today = self._today.isoformat(), today
            for field in self.query(TODAY_FIELDS).results(Input):
                if field.value.strip() == before:
                    field.value = today.isoformat()
            if self.query_one("#day", Input).value == today.isoformat():
                self.day = today
                self.all_rows = []
                self.apply_filter()
        self.load_day()

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-log")
    def load_day(self) -> None:
        day = self.day
        rows = self.service.day_rows(day)
        self.post_message(self.Loaded(day, rows, self.service.open_visits()))

    def on_console_screen_loaded(self, message: Loaded) -> None:
        if message.day != self.day:
            return
        if self.query_one("#db-down", StaleNotice).read(self.service.now()):
            self.notify("The database answers again; the log is up to date.")
        self.all_rows = message.rows
        self.apply_filter()
        visits = [r for r in message.rows if r.status != "expected"]
        on_site = message.open_visits.on_site_now  # as the evacuation list counts, any day
        expected = len(message.rows) - len(visits)
        self.query_one("#counts", Static).update(
            f"Visitors {self.day.isoformat()}: {len(visits)}   On site now: {on_site}   "
            f"Expected: {expected}"
        )
        self.query_one("#arrivals", Sparkline).data = arrivals_per_hour(message.rows)
        reminder = open_earlier_text(message.open_visits.earlier)
        shown = self.query_one("#open-earlier", Static)
        shown.update(reminder)
        shown.display = bool(reminder)

    def apply_filter(self) -> None:
        text = self.query_one("#search", Input).value
        status = self.status
        shown = filter_rows(self.all_rows, text, status)
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
        try:
            day = date.fromisoformat(event.value.strip())
        except ValueError:
            self.notify("Type a date as YYYY-MM-DD.", severity="error")
            return
        if day < self.service.oldest_day():
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
        from screens.console.visit_detail import VisitDetailScreen

        self.app.push_screen(VisitDetailScreen(self.service, message.row_id), self._after_detail)

    def _after_detail(self, changed: bool | None) -> None:
        if changed:
            self.load_day()

    # -- pre-registration -------------------------------------------------------------

    @on(Button.Pressed, "#pre-submit")
    def preregister(self) -> None:
        values = {f: self.query_one(f"#pre-{f}", Input).value for f in PREREG_FIELDS}
        for f in values:
            self.query_one(f"#pre-{f}-error", FieldError).update("")
        try:
            day = date.fromisoformat(values["date"].strip())
        except ValueError:
            self.query_one("#pre-date-error", FieldError).update("Type a date as YYYY-MM-DD.")
            self.query_one("#pre-date", Input).focus()
            return
        active = [h for h in self._hosts if h.active]
        host = self._prereg_host(active, values["host"])
        if host is None and several_fit(active, values["host"], lambda h: search_key(h.name)):
            self.query_one("#pre-host-error", FieldError).update(
                "Several hosts fit: choose one in the list (Down, then Enter)."
            )
            self.query_one("#pre-host-options", HostChoices).offer(values["host"])
            self.query_one("#pre-host", Input).focus()
            return
        registration = Registration(
            name=values["name"],
            email=values["email"],
            phone=values["phone"],
            company=values["company"],
            host_name="" if host else values["host"],
            host_id=host.id if host else None,
            visitor_type=str(self.query_one("#pre-type", Select).value),
        )
        if host:
            whom = f"Host: {host.name}"
        elif values["host"].strip():
            whom = f"Host: {values['host'].strip()} (not in the hosts directory: not e-mailed)"
        else:
            whom = ""
        # The focus goes back to the form's first field (the next guest's name) before
        # the button is disabled: else Textual hands it to the field beside the button,
        # scrolling a short window down to it as the answer comes back.
        self.query_one("#pre-name", Input).focus(scroll_visible=False)
        self.query_one("#pre-submit", Button).disabled = True
        choice = [str(s.value) for s in self.query("#pre-send").results(Select)]
        self.save_invitation(registration, day, choice[0] if choice else "", whom)

    def _prereg_host(self, active: list[HostEntry], text: str) -> HostEntry | None:
        """The active host chosen in the list, else the one the typed name picks out (the
        whole name, or a part that only one active host's name contains), as the kiosk's
        host field does."""
        picked = next((h for h in active if h.id == self._picked_host), None)
        return picked or find_by_name(active, text, lambda h: search_key(h.name))

    @on(Input.Changed, "#pre-host")
    def offer_hosts(self, event: Input.Changed) -> None:
        self._picked_host = None
        self.query_one("#pre-host-options", HostChoices).offer(event.value)

    def on_key(self, event: events.Key) -> None:
        """Down from the pre-registration's host field goes into the hosts it lists."""
        in_field = self.focused is not None and self.focused.id == "pre-host"
        if (
            event.key == "down"
            and in_field
            and self.query_one("#pre-host-options", HostChoices).enter()
        ):
            event.stop()

    @on(OptionList.OptionSelected, "#pre-host-options")
    def pick_prereg_host(self, event: OptionList.OptionSelected) -> None:
        choices = self.query_one("#pre-host-options", HostChoices)
        self._picked_host = choices.pick(event.option, self.query_one("#pre-host", Input))
        self.query_one("#pre-host-error", FieldError).update("")

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-prereg")
    def save_invitation(
        self, registration: Registration, day: date, send_in: str, whom: str
    ) -> None:
        """``send_in``: the language to e-mail the invitation in ("" for no e-mail);
        ``whom``: the host as the confirmation names them."""
        try:
            invitation_id, code = self.service.preregister(registration, day, send_in=send_in)
        except ValidationErrors as exc:
            self.app.call_from_thread(self._prereg_errors, exc.fields)
            return
        from kiosk.services.badge import qr_matrix

        self.app.call_from_thread(self._prereg_done, code, qr_matrix(code), whom)
        if send_in:  # after the code is on screen: the mail server may take its time
            self.app.call_from_thread(self.notify, self.service.send_invitation(invitation_id))

    def _prereg_errors(self, fields: dict[str, str]) -> None:
        self.query_one("#pre-submit", Button).disabled = False
        targets: set[str] = set()
        for field, message in fields.items():
            target = {"visitor_type": "name", "send": "email"}.get(field, field)
            widget_id = f"#pre-{target}-error"
            if self.query(widget_id):
                self.query_one(widget_id, FieldError).update(message)
                targets.add(target)
        # The first field in error takes the focus and scrolls into view (with its
        # message): also when it already had the focus, and the form was scrolled down
        # to the button on a short window.
        for field in PREREG_FIELDS:
            if field in targets:
                first = self.query_one(f"#pre-{field}", Input)
                first.focus()
                bring_into_view(first)
                break

    def _prereg_done(self, code: str, matrix: list[list[bool]], whom: str) -> None:
        self._last_invitation = (code, self.query_one("#pre-name", Input).value,
                                 self.query_one("#pre-date", Input).value)  # fmt: skip
        self.query_one("#pre-print", Button).disabled = False
        self.query_one("#pre-submit", Button).disabled = False
        box = self.query_one("#pre-qr-box", Vertical)
        box.remove_children()
        box.mount(QRCode(matrix))
        self.query_one("#pre-code", Static).update(
            f"Invitation code: {code}\nGive it to the visitor (or print this screen); it works "
            "once, on its day." + (f"\n{whom}" if whom else "")
        )
        for f in ("name", "email", "phone", "company", "host"):
            self.query_one(f"#pre-{f}", Input).value = ""
        # On a short window the code is below the form: brought into view.
        bring_into_view(self.query_one("#pre-code-box", Vertical))

    @on(Button.Pressed, "#pre-print")
    def print_invitation(self) -> None:
        code, name, day = self._last_invitation
        self.send_invitation(code, name, date.fromisoformat(day))

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-prereg-print")
    def send_invitation(self, code: str, name: str, day: date) -> None:
        message = self.service.print_invitation(code, name, day)
        self.app.call_from_thread(self.notify, message)

    # -- hosts -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts")
    def load_hosts(self) -> None:
        hosts = self.service.hosts()
        self.app.call_from_thread(self._show_hosts, hosts)

    def _show_hosts(self, hosts: list[HostEntry]) -> None:
        self._hosts = hosts
        # The pre-registration's host field lists the active hosts whose name contains
        # what is typed.
        for choices in self.query("#pre-host-options").results(HostChoices):
            choices.hosts = [(str(h.id), h.name, search_key(h.name)) for h in hosts if h.active]
        options = self.query_one("#host-list", OptionList)
        options.clear_options()
        options.add_options([Option(Text(_host_label(h)), id=str(h.id)) for h in hosts])

    @on(Button.Pressed, "#host-add")
    def add_host(self) -> None:
        name, email, language = self._host_form()
        self.save_host(name, email, language)

    def _host_form(self) -> tuple[str, str, str]:
        language = self.query_one("#host-language", Select).value
        return (
            self.query_one("#host-name", Input).value,
            self.query_one("#host-email", Input).value,
            language if isinstance(language, str) else "",
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts-save")
    def save_host(self, name: str, email: str, language: str) -> None:
        try:
            self.service.add_host(name, email, language)
        except ValidationErrors as exc:
            message = next(iter(exc.fields.values()))
            self.app.call_from_thread(self.query_one("#host-error", FieldError).update, message)
            return
        self.app.call_from_thread(self._host_saved)

    def _host_saved(self) -> None:
        self.query_one("#host-error", FieldError).update("")
        self.query_one("#host-name", Input).value = ""
        self.query_one("#host-email", Input).value = ""
        self.query_one("#host-language", Select).value = ""
        self.load_hosts()

    def _selected_host(self) -> HostEntry | None:
        options = self.query_one("#host-list", OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return next((h for h in self._hosts if str(h.id) == option_id), None)

    @on(OptionList.OptionHighlighted, "#host-list")
    def host_highlighted(self) -> None:
        host = self._selected_host()
        if host is not None:
            self.query_one("#host-name", Input).value = host.name
            self.query_one("#host-email", Input).value = host.email or ""
            self.query_one("#host-language", Select).value = host.language or ""

    @on(Button.Pressed, "#host-save")
    def save_host_changes(self) -> None:
        host = self._selected_host()
        if host is None:
            self.query_one("#host-error", FieldError).update("Choose a host in the list first.")
            return
        name, email, language = self._host_form()
        self.edit_host(host.id, name, email, language)

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts-save")
    def edit_host(self, host_id: uuid.UUID, name: str, email: str, language: str) -> None:
        try:
            self.service.edit_host(host_id, name, email, language)
        except ValidationErrors as exc:
            message = next(iter(exc.fields.values()))
            self.app.call_from_thread(self.query_one("#host-error", FieldError).update, message)
            return
        self.app.call_from_thread(self._host_saved)

    @on(Button.Pressed, "#host-toggle")
    def toggle_host(self) -> None:
        host = self._selected_host()
        if host is None:
            self.query_one("#host-error", FieldError).update("Choose a host in the list first.")
            return
        self.set_active(host.id, not host.active)

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts-save")
    def set_active(self, host_id: uuid.UUID, active: bool) -> None:
        self.service.set_host_active(host_id, active)
        self.app.call_from_thread(self.load_hosts)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place turns a failed background task into a message (never a traceback)."""
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group in REFRESHES:  # one standing line, not a message each time
            self.query_one("#db-down", StaleNotice).failed(event.worker.error, self.service.now())
            return
        if event.worker.group == "console-prereg":
            self.query_one("#pre-submit", Button).disabled = False
        self.notify(user_message(event.worker.error), severity="error")

    # -- locking -----------------------------------------------------------------------

    def action_show_tab(self, first_field: str) -> None:
        """Switch tabs by focusing the tab's first field: switching with the focus left
        in a hidden tab makes Textual hand it to a hidden sibling, which switches back."""
        if self.query(first_field):
            self.query_one(first_field).focus()

    @on(Button.Pressed, "#lock")
    def action_lock(self) -> None:
        self.app.lock_console()  # type: ignore[attr-defined]
