"""The Rights requests tab, for admins: the register of requests (overdue and due within
a week first), then find a visitor by e-mail or phone and hand over everything held
(JSON), restrict, withdraw health consent, or erase. Open a visit to correct it. A
request is registered here (New request); one picked from the register is the one those
actions answer (recorded on it), and is answered, extended, refused, or (an objection)
upheld from here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from kiosk.domain.codes import short_ref
from kiosk.domain.requests import RequestError, RequestKind, RightsRequest
from kiosk.domain.text import TextError, typed_path
from screens.console.desk import Desk
from screens.console.panel import Panel
from screens.console.request_dialogs import (
    NewRequest,
    NewRequestScreen,
    ObjectionScreen,
    Reason,
    ReasonScreen,
)
from screens.console.visit_detail import VisitDetailScreen
from screens.widgets import ConfirmButton


class RightsPanel(Panel):
    """Visitors' rights requests for admins: find by e-mail or phone, then hand over
    everything held (JSON), restrict, withdraw health consent, or erase. Open a visit to
    correct it."""

    STATUS_ID = "rights-status"

    def __init__(self, desk: Desk, **kwargs: Any) -> None:
        super().__init__(desk, **kwargs)
        self.found: list[uuid.UUID] = []
        self.answering: RightsRequest | None = None  # the request picked from the register
        self.requests: dict[str, RightsRequest] = {}

    def compose(self) -> ComposeResult:
        yield DataTable(id="rights-requests", cursor_type="row")
        with Horizontal(classes="form-row", id="rights-request-row"):
            yield Button("New request", id="rights-new")
            # For the request picked from the register:
            yield Button("Answered", id="rights-answered", disabled=True)
            yield Button("Extend", id="rights-extend", disabled=True)
            yield Button("Refuse", id="rights-refuse", disabled=True)
            yield Button("Uphold objection", id="rights-object", disabled=True)
        with Horizontal(classes="form-row"):
            yield Input(placeholder="The visitor's e-mail address or phone number",
                        id="rights-who")  # fmt: skip
            yield Button("Find", id="rights-find", variant="primary")
        yield DataTable(id="rights-visits", cursor_type="row")
        with Horizontal(classes="form-row"):
            yield Input(id="rights-output", placeholder="Write the data to")
            yield Button("Export their data", id="rights-export")
        with Horizontal(classes="form-row", id="rights-actions"):
            yield Button("Restrict", id="rights-restrict")
            yield Button("Lift restriction", id="rights-unrestrict")
            yield Button("Withdraw health consent", id="rights-consent")
            yield ConfirmButton("Erase everything", id="rights-erase", variant="error")
        yield Static("", id="rights-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#rights-visits", DataTable).add_columns(
            "Arrived", "Name", "E-mail", "Phone", "Company", "Restricted"
        )
        self.query_one("#rights-requests", DataTable).add_columns(
            "Request", "Kind", "Received", "Due", "State", "Who"
        )
        self.load_requests()

    @work(thread=True, exclusive=True, exit_on_error=False, group="rights-requests")
    def load_requests(self) -> None:
        """The register, most urgent first (opening it is audited, as a look at it)."""
        found = self.desk.services.rights.requests(self.desk.actor)
        self.app.call_from_thread(self._show_requests, found)

    def _show_requests(self, found: list[RightsRequest]) -> None:
        today = self.desk.services.ctx.today()
        table = self.query_one("#rights-requests", DataTable)
        table.clear()
        self.requests = {str(r.id): r for r in found}
        for r in found:
            if r.overdue(today):
                state = Text(f"OVERDUE {(today - r.due_on).days} d", style="bold red")
            elif r.status.value == "open":
                soon = r.due_soon(today)
                state = Text(f"{(r.due_on - today).days} d left", style="bold" if soon else "")
            else:
                state = Text(r.status.value)
            table.add_row(
                short_ref(r.id), r.kind.value, str(r.received_on), str(r.due_on), state,
                Text(r.email or r.phone or ""), key=str(r.id),
            )  # fmt: skip

    @on(DataTable.RowSelected, "#rights-requests")
    def pick_request(self, event: DataTable.RowSelected) -> None:
        """The actions below now answer this request; its person is looked up."""
        picked = self.requests.get(event.row_key.value or "")
        if picked is None or picked.status.value != "open":
            self.answering = None
            self._picked_buttons()
            return
        self.answering = picked
        self._picked_buttons()
        self.query_one("#rights-who", Input).value = picked.email or picked.phone or ""
        self.run("find")

    def _picked_buttons(self) -> None:
        """The register's buttons for the picked (open) request: enabled while there is
        one; Uphold objection only for an objection."""
        picked = self.answering
        for name in ("answered", "extend", "refuse"):
            self.query_one(f"#rights-{name}", Button).disabled = picked is None
        objection = picked is not None and picked.kind is RequestKind.OBJECTION
        self.query_one("#rights-object", Button).disabled = not objection

    @on(Button.Pressed, "#rights-new")
    def new_request(self) -> None:
        who = self.query_one("#rights-who", Input).value
        today = self.desk.services.ctx.today()
        self.app.push_screen(NewRequestScreen(who, today), self._register_asked)

    def _register_asked(self, asked: NewRequest | None) -> None:
        if asked is not None:
            self.request_action(lambda: self._request_registered(asked))

    def _request_registered(self, asked: NewRequest) -> str:
        rights = self.desk.services.rights
        person = rights.person(asked.who)
        done = rights.open_request(
            asked.kind, person, asked.channel, self.desk.actor, asked.received_on
        )
        return f"Request {short_ref(done.id)} registered: {done.kind.value}, due {done.due_on}."

    @on(Button.Pressed, "#rights-answered")
    def answered(self) -> None:
        if (picked := self.answering) is not None:
            self.request_action(lambda: self._request_closed(picked, "answered", ""))

    @on(Button.Pressed, "#rights-extend, #rights-refuse")
    def ask_reason(self, event: Button.Pressed) -> None:
        picked = self.answering
        if picked is None:
            return
        extend = event.button.id == "rights-extend"

        def then(reason: Reason | None) -> None:
            if reason is None:
                return
            if extend:
                self.request_action(lambda: self._request_extended(picked, reason))
            else:
                self.request_action(lambda: self._request_closed(picked, "refused", reason.text))

        self.app.push_screen(ReasonScreen(short_ref(picked.id), extend=extend), then)

    @on(Button.Pressed, "#rights-object")
    def ask_objection(self) -> None:
        picked = self.answering
        if picked is None:
            return

        def then(purposes: list[str] | None) -> None:
            if purposes:
                self.request_action(lambda: self._objection_upheld(picked, purposes))

        self.app.push_screen(ObjectionScreen(short_ref(picked.id)), then)

    def _request_closed(self, request: RightsRequest, status: str, note: str) -> str:
        done = self.desk.services.rights.close(str(request.id), status, note, self.desk.actor)
        return f"Request {short_ref(done.id)} closed as {done.status.value}."

    def _request_extended(self, request: RightsRequest, reason: Reason) -> str:
        rights = self.desk.services.rights
        done = rights.extend(str(request.id), reason.months, reason.text, self.desk.actor)
        return f"Request {short_ref(done.id)} now due {done.due_on}."

    def _objection_upheld(self, request: RightsRequest, purposes: list[str]) -> str:
        rights = self.desk.services.rights
        person = rights.person(request.email or request.phone or "")
        done = rights.object(person, purposes, self.desk.actor, str(request.id))
        return (
            f"Objection to {' and '.join(done.purposes)} upheld: {done.emails_dropped} host"
            f" e-mail(s) not sent, {done.restricted} visit(s) left out of exports."
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="rights")
    def request_action(self, action: Callable[[], str]) -> None:
        """A change to the register, in a worker; then the register again. A refusal
        (a rule of the register, a wrong contact) is said in the status line."""
        try:
            text = action()
        except (RequestError, TextError) as exc:
            self.app.call_from_thread(self.say, str(getattr(exc, "message", exc)))
            return
        self.app.call_from_thread(self._after_request, text)

    def _after_request(self, text: str) -> None:
        self.answering = None
        self._picked_buttons()
        self.say(text)
        self.load_requests()

    def _default_output(self) -> Path:
        stamp = datetime.now(self.desk.tz).strftime("%Y%m%d-%H%M%S")
        return self.desk.settings.data_dir / "rights" / f"visitor-data-{stamp}.json"

    @on(Button.Pressed, "#rights-find")
    @on(Input.Submitted, "#rights-who")
    def find(self) -> None:
        self.run("find")

    @on(Button.Pressed, "#rights-export")
    def export(self) -> None:
        self.run("export")

    @on(Button.Pressed, "#rights-restrict")
    def restrict(self) -> None:
        self.run("restrict")

    @on(Button.Pressed, "#rights-unrestrict")
    def unrestrict(self) -> None:
        self.run("unrestrict")

    @on(Button.Pressed, "#rights-consent")
    def withdraw_consent(self) -> None:
        self.run("consent")

    @on(ConfirmButton.Confirmed, "#rights-erase")
    def erase(self) -> None:
        self.run("erase")

    def run(self, what: str) -> None:
        who = self.query_one("#rights-who", Input).value
        output = self.query_one("#rights-output", Input)
        if what == "export" and not output.value.strip():
            output.value = str(self._default_output())
        try:
            path = typed_path(output.value) if what == "export" else None
        except TextError as exc:
            self.say(exc.message)
            return
        self.act(what, who, path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rights")
    def act(self, what: str, who: str, output: Path | None) -> None:
        """Answer the request ``what`` for ``who``; ``output`` is where an export goes."""
        rights, actor = self.desk.services.rights, self.desk.actor
        actor.require("rights")
        person = rights.person(who)
        data = None
        # The picked request, while it is this person's that is being answered.
        answering = self.answering
        request = str(answering.id) if answering and what != "find" else None
        if what == "export":
            assert output is not None
            done = rights.export(person, output, actor, request)
            data = done.data
            text = f"Wrote {done.visits} visit(s) to {done.path}\nSHA-256 {done.sha256}"
        elif what in ("restrict", "unrestrict"):
            n = rights.restrict(person, actor, what == "restrict", request)
            text = f"{n} visit(s) {'restricted' if what == 'restrict' else 'no longer restricted'}."
        elif what == "consent":
            n = rights.withdraw_consent(person, actor, request)
            text = f"Health screening data removed from {n} visit(s)."
        elif what == "erase":
            report = rights.erase(person, actor, request)
            text = (
                f"Erased {report.visits} visit(s), {report.nda_acceptances} NDA "
                f"acceptance(s), {report.outbox} notification(s), {report.invitations} "
                "invitation(s)."
            )
        else:
            text = ""
        if answering is not None and request is not None:
            text += f" Recorded on request {short_ref(answering.id)}."
        data = data or rights.lookup(person, actor)
        tz = self.desk.tz
        rows = [
            (
                v.arrived_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                Text(v.name),
                Text(v.email or ""),
                Text(v.phone or ""),
                Text(v.company or ""),
                "yes" if v.restricted else "",
            )
            for v in data.visits
        ]
        ids = [v.id for v in data.visits]
        text = text or (
            f"{len(rows)} visit(s) and {len(data.invitations)} invitation(s) found. "
            "Open a visit to correct it."
        )
        self.app.call_from_thread(self._show, ids, rows, text)

    def _show(self, ids: list[uuid.UUID], rows: list[tuple[Any, ...]], text: str) -> None:
        self.found = ids
        table = self.query_one("#rights-visits", DataTable)
        table.clear()
        for visit_id, row in zip(ids, rows, strict=True):
            table.add_row(*row, key=str(visit_id))
        self.say(text)

    @on(DataTable.RowSelected, "#rights-visits")
    def open_visit(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            visit_id = uuid.UUID(event.row_key.value)
            self.app.push_screen(VisitDetailScreen(self.desk, visit_id), self._after_detail)

    def _after_detail(self, changed: bool | None) -> None:
        if changed:
            self.run("find")
