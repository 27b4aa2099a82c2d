"""The Pre-register tab: an expected visitor's details, and the invitation code (shown
as a QR code, printed, or e-mailed) that fills in the kiosk for them on the day."""

from __future__ import annotations

import uuid
from datetime import date

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.hosts import HostEntry
from kiosk.domain.registration import Registration, ValidationErrors
from kiosk.domain.text import find_by_name, search_key, several_fit
from kiosk.domain.visits import VISITOR_TYPES
from kiosk.services.errors import user_message
from kiosk.services.qr import qr_matrix
from screens.console.desk import Desk
from screens.widgets import FieldError, HostChoices, QRCode, bring_into_view

PREREG_FIELDS = ("name", "email", "phone", "company", "host", "date")  # in the form's order
# Whether, and in which language, the invitation is e-mailed to the visitor.
SEND_CHOICES = [("No", ""), ("Yes, in English", "en"), ("Yes, in Dutch", "nl")]


class PreregPanel(Vertical):
    def __init__(self, desk: Desk) -> None:
        super().__init__(id="prereg")
        self.desk = desk
        self._hosts: list[HostEntry] = []
        self._picked_host: uuid.UUID | None = None  # chosen in the host field's list
        self._last_invitation = ("", "", "")

    def compose(self) -> ComposeResult:
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
                    self.desk.today().isoformat() if field == "date" else "",
                    id=f"pre-{field}",
                    max_length=254,
                )
                yield FieldError("", id=f"pre-{field}-error", markup=False)
            if field == "host":
                yield HostChoices(id="pre-host-options")
        register = Button("Register", id="pre-submit", variant="primary")
        # E-mail is set up here: offer to send the code.
        can_email = self.desk.services.invitations.can_email
        with Horizontal(classes="form-row"):
            yield Label("Type", classes="label")
            yield Select(
                [(t.capitalize(), t) for t in VISITOR_TYPES],
                value="guest",
                allow_blank=False,
                id="pre-type",
            )
            # The column of the fields' messages: the button, or nothing (the lists end
            # where the fields do).
            yield register if not can_email else Static("", classes="beside")
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

    def set_hosts(self, hosts: list[HostEntry]) -> None:
        """The directory as the console read it: the host field lists the active hosts
        whose name contains what is typed."""
        self._hosts = hosts
        choices = self.query_one("#pre-host-options", HostChoices)
        choices.hosts = [(str(h.id), h.name, search_key(h.name)) for h in hosts if h.active]

    @on(Button.Pressed, "#pre-submit")
    @on(Input.Submitted)
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
        whom = f"For: {registration.name.strip()} on {day.isoformat()}" + (
            f"\n{whom}" if whom else ""
        )
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
        """Down from the host field goes into the hosts it lists."""
        in_field = self.screen.focused is not None and self.screen.focused.id == "pre-host"
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
        invitations = self.desk.services.invitations
        try:
            invitation_id, code = invitations.preregister(
                registration, day, self.desk.actor, send_in=send_in
            )
        except ValidationErrors as exc:
            self.app.call_from_thread(self._prereg_errors, exc.fields)
            return
        self.app.call_from_thread(self._prereg_done, code, qr_matrix(code), whom)
        if send_in:  # after the code is on screen: the mail server may take its time
            sent = invitations.send(invitation_id)
            said = (
                "The invitation was e-mailed."
                if sent
                else "The e-mail could not be sent yet; it is retried over the next hour."
            )
            self.app.call_from_thread(self.notify, said)

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
        message = self.desk.services.invitations.print_card(code, name, day, self.desk.actor)
        self.app.call_from_thread(self.notify, message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed background task is a message (never a traceback); the form stays."""
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "console-prereg":
            self.query_one("#pre-submit", Button).disabled = False
        self.notify(user_message(event.worker.error), severity="error")
