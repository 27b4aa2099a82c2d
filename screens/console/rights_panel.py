"""The Rights requests tab, for admins: the register of requests (overdue and due within
a week first), then find a visitor by e-mail or phone and hand over everything held
(JSON), restrict, withdraw health consent, or erase. Open a visit to correct it. A
request picked from the register is the one those actions answer (recorded on it), and
Answered closes it; requests are registered, extended and refused with `kiosk rights
request`."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from kiosk.domain.requests import RightsRequest, short_ref
from kiosk.domain.text import TextError, typed_path
from screens.console.desk import Desk
from screens.console.panel import Panel
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
        with Horizontal(classes="form-row"):
            yield Input(placeholder="The visitor's e-mail address or phone number",
                        id="rights-who")  # fmt: skip
            yield Button("Find", id="rights-find", variant="primary")
            yield Button("Answered", id="rights-answered", disabled=True)
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
            self.query_one("#rights-answered", Button).disabled = True
            return
        self.answering = picked
        self.query_one("#rights-answered", Button).disabled = False
        self.query_one("#rights-who", Input).value = picked.email or picked.phone or ""
        self.run("find")

    @on(Button.Pressed, "#rights-answered")
    def answered(self) -> None:
        if self.answering is not None:
            self.close_request(self.answering)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rights")
    def close_request(self, request: RightsRequest) -> None:
        done = self.desk.services.rights.close(str(request.id), "answered", "", self.desk.actor)
        self.answering = None
        self.app.call_from_thread(self._after_close, done)

    def _after_close(self, done: RightsRequest) -> None:
        self.query_one("#rights-answered", Button).disabled = True
        self.say(f"Request {short_ref(done.id)} closed as answered.")
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
        if request is not None:
            text += f" Recorded on request {request[:8]}."
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
