"""Console tabs for security and admin: the audit trail, staff accounts, retention and
visitors' rights requests. Every database call runs in a thread worker; a failure shows
its reason in the tab and keeps what was typed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.text import TextError, typed_path
from kiosk.services.console import ConsoleService, user_message
from kiosk.services.staff import ROLES
from screens.widgets import ConfirmButton


class Panel(Vertical):
    """A console tab's body: its own status line and its own failure handling."""

    STATUS_ID = ""

    def __init__(self, service: ConsoleService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service

    def say(self, text: str) -> None:
        self.query_one(f"#{self.STATUS_ID}", Static).update(text)

    def say_later(self, text: str) -> None:
        """From a worker thread."""
        self.app.call_from_thread(self.say, text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.node is self:
            self.say(user_message(event.worker.error))
            event.stop()


def _date(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text) if text else None


class AuditPanel(Panel):
    """The audit trail for security: verify the chain; the newest events, filtered."""

    STATUS_ID = "audit-status"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row", id="audit-filters"):
            yield Input(placeholder="From YYYY-MM-DD", id="audit-from", classes="narrow")
            yield Input(placeholder="To YYYY-MM-DD", id="audit-to", classes="narrow")
            yield Input(placeholder="Actor", id="audit-actor", classes="narrow")
            yield Input(placeholder="Action", id="audit-action", classes="narrow")
            yield Button("Show", id="audit-show")
            yield Button("Verify the chain", id="audit-verify", variant="primary")
        yield Static("", id="audit-status", markup=False)
        yield DataTable(id="audit-events", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#audit-events", DataTable)
        table.add_columns("#", "When", "Actor", "Action", "Object", "Details")
        self.show_events()

    @on(Button.Pressed, "#audit-show")
    @on(Input.Submitted, ".narrow")
    def show_events(self) -> None:
        values = [self.query_one(f"#audit-{f}", Input).value for f in ("from", "to")]
        try:
            start, end = (_date(v) for v in values)
        except ValueError:
            self.say("Dates as YYYY-MM-DD.")
            return
        actor = self.query_one("#audit-actor", Input).value
        action = self.query_one("#audit-action", Input).value
        self.load(start, end, actor, action)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-load")
    def load(self, start: date | None, end: date | None, actor: str, action: str) -> None:
        found = self.service.audit_events(start, end, actor, action)
        tz = self.service.tz
        rows = [
            (
                str(e.seq),
                e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                Text(e.actor),
                Text(e.action),
                Text((e.object_id or "")[:36]),
                Text(", ".join(f"{k}={v}" for k, v in e.details.items())[:60]),
            )
            for e in found
        ]
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[tuple[Any, ...]]) -> None:
        table = self.query_one("#audit-events", DataTable)
        table.clear()
        table.add_rows(rows)
        self.say(f"{len(rows)} event(s), newest first (at most 500).")

    @on(Button.Pressed, "#audit-verify")
    def verify(self) -> None:
        self.say("Checking the chain…")
        self.run_verify()

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-verify")
    def run_verify(self) -> None:
        result = self.service.verify_audit()
        if result.ok:
            self.say_later(f"The audit trail is intact: {result.checked} event(s) checked.")
        else:
            hint = (
                " If the database was restored from a backup, an admin records that with"
                " `kiosk audit accept-restore` on this machine."
                if result.behind_checkpoint
                else ""
            )
            self.say_later(f"THE AUDIT TRAIL IS NOT INTACT: {result.problem}.{hint}")


class StaffPanel(Panel):
    """Staff accounts for admins: add, reset a PIN (also unlocks), remove."""

    STATUS_ID = "staff-status"

    def compose(self) -> ComposeResult:
        yield DataTable(id="staff-table", cursor_type="row")
        with Horizontal(classes="form-row"):
            yield Input(placeholder="Username", id="staff-user", classes="narrow")
            yield Select([(r, r) for r in ROLES], value="reception", allow_blank=False,
                         id="staff-role")  # fmt: skip
            yield Input(placeholder="PIN", password=True, id="staff-pin", classes="narrow")
            yield Input(placeholder="PIN again", password=True, id="staff-pin2",
                        classes="narrow")  # fmt: skip
        with Horizontal(classes="form-row"):
            yield Button("Add account", id="staff-add", variant="primary")
            yield Button("Set new PIN", id="staff-reset")
            yield ConfirmButton("Remove account", id="staff-remove", variant="error")
        yield Static("", id="staff-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#staff-table", DataTable).add_columns(
            "Username", "Role", "Failed PINs", "Locked"
        )
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-load")
    def load(self) -> None:
        accounts = self.service.staff_admin().accounts()
        rows = [
            (Text(a.username), a.role, str(a.failed_attempts), "locked" if a.locked else "")
            for a in accounts
        ]
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[tuple[Any, ...]]) -> None:
        table = self.query_one("#staff-table", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*row, key=str(row[0]))

    @on(DataTable.RowHighlighted, "#staff-table")
    def picked(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.query_one("#staff-user", Input).value = event.row_key.value

    def _form(self) -> tuple[str, str, str, str]:
        user = self.query_one("#staff-user", Input).value.strip()
        role = str(self.query_one("#staff-role", Select).value)
        pins = (self.query_one("#staff-pin", Input).value,
                self.query_one("#staff-pin2", Input).value)  # fmt: skip
        return user, role, *pins

    @on(Button.Pressed, "#staff-add")
    def add(self) -> None:
        user, role, pin, again = self._form()
        self.change("add", user, role, pin, again)

    @on(Button.Pressed, "#staff-reset")
    def reset(self) -> None:
        user, _, pin, again = self._form()
        self.change("reset", user, "", pin, again)

    @on(ConfirmButton.Confirmed, "#staff-remove")
    def remove_account(self) -> None:
        user, *_ = self._form()
        self.change("remove", user, "", "", "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-change")
    def change(self, what: str, user: str, role: str, pin: str, again: str) -> None:
        admin = self.service.staff_admin()
        if what == "add":
            admin.add(user, role, pin, again)
            done = f"Account {user} added ({role})."
        elif what == "reset":
            admin.reset_pin(user, pin, again)
            done = f"New PIN set for {user}; the account is unlocked."
        else:
            admin.remove(user)
            done = f"Account {user} removed."
        self.app.call_from_thread(self._changed, done)

    def _changed(self, text: str) -> None:
        for field in ("#staff-pin", "#staff-pin2"):
            self.query_one(field, Input).value = ""
        self.say(text)
        self.load()


class RetentionPanel(Panel):
    """Retention periods for admins (set in the database for every machine on it, applied
    here at once) and the purge: a preview of what it would remove, and running it.
    Periods another admin sets meanwhile (another console or machine, a kiosk's staff
    menu, `kiosk retention set`) show up within a minute, except in a field being
    edited; saving sends only the fields edited here."""

    STATUS_ID = "retention-status"

    def __init__(self, service: ConsoleService, **kwargs: Any) -> None:
        super().__init__(service, **kwargs)
        self.shown: dict[str, str] = {}  # the value each field was last filled with

    def compose(self) -> ComposeResult:
        for row in self.service.retention_admin().rows():
            self.shown[row.key] = str(row.days)
            with Horizontal(classes="form-row"):
                yield Label(row.label, classes="wide-label")
                yield Input(str(row.days), id=f"ret-{row.key}", classes="days",
                            disabled=row.fixed_by is not None)  # fmt: skip
                note = f"days ({row.lowest} to {row.highest})"
                if row.fixed_by:
                    note += f"; set by {row.fixed_by}"
                yield Static(note, classes="hint", markup=False)
        with Horizontal(classes="form-row"):
            yield Button("Save periods", id="ret-save", variant="primary")
            yield Button("What would a purge remove?", id="ret-preview")
            yield ConfirmButton("Purge now", id="ret-purge", variant="error")
        yield Static("", id="retention-status", markup=False)

    def fill(self, saved: Iterable[str] = ()) -> None:
        """Show the periods in force: in the fields just saved, and in any field not
        being edited (one being edited keeps what the admin typed). The console screen
        calls it each time it has read them."""
        saved = set(saved)
        for row in self.service.retention_admin().rows():
            field = self.query_one(f"#ret-{row.key}", Input)
            if row.key in saved or field.value == self.shown[row.key]:
                field.value = self.shown[row.key] = str(row.days)

    @on(Button.Pressed, "#ret-save")
    def save(self) -> None:
        values = {
            row.key: value
            for row in self.service.retention_admin().rows()
            if row.fixed_by is None
            and (value := self.query_one(f"#ret-{row.key}", Input).value) != self.shown[row.key]
        }
        if values:
            self.run_save(values)
        else:
            self.say("No period was changed.")

    @work(thread=True, exclusive=True, exit_on_error=False, group="retention-save")
    def run_save(self, values: dict[str, str]) -> None:
        changed = self.service.save_retention(values)
        self.app.call_from_thread(self.fill, values)
        self.say_later(
            "Saved for every kiosk and console on this database: they purge by these"
            " periods, and kiosks state them in their privacy notice, within a minute."
            if changed
            else "No period was changed."
        )

    @on(Button.Pressed, "#ret-preview")
    def preview(self) -> None:
        self.say("Counting…")
        self.run_purge(dry_run=True)

    @on(ConfirmButton.Confirmed, "#ret-purge")
    def purge(self) -> None:
        self.say("Purging…")
        self.run_purge(dry_run=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="retention-purge")
    def run_purge(self, *, dry_run: bool) -> None:
        report = self.service.retention_admin().purge(dry_run=dry_run)
        rows = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in report.rows.items())
        keys = sum(report.keys_destroyed.values())
        head = "A purge now would remove" if dry_run else "Purged"
        self.say_later(f"{head}: {rows}; data keys {keys}.")


class RightsPanel(Panel):
    """Visitors' rights requests for admins: find by e-mail or phone, then hand over
    everything held (JSON), restrict, withdraw health consent, or erase. Open a visit to
    correct it."""

    STATUS_ID = "rights-status"

    def __init__(self, service: ConsoleService, **kwargs: Any) -> None:
        super().__init__(service, **kwargs)
        self.found: list[uuid.UUID] = []

    def compose(self) -> ComposeResult:
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

    def _default_output(self) -> Path:
        stamp = datetime.now(self.service.tz).strftime("%Y%m%d-%H%M%S")
        return self.service.settings.data_dir / "rights" / f"visitor-data-{stamp}.json"

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
        rights = self.service.rights()
        person = rights.person(who)
        data = None
        if what == "export":
            assert output is not None
            done = rights.export(person, output)
            data = done.data
            text = f"Wrote {done.visits} visit(s) to {done.path}\nSHA-256 {done.sha256}"
        elif what in ("restrict", "unrestrict"):
            n = rights.restrict(person, what == "restrict")
            text = f"{n} visit(s) {'restricted' if what == 'restrict' else 'no longer restricted'}."
        elif what == "consent":
            n = rights.withdraw_consent(person)
            text = f"Health screening data removed from {n} visit(s)."
        elif what == "erase":
            report = rights.erase(person)
            text = (
                f"Erased {report.visits} visit(s), {report.nda_acceptances} NDA "
                f"acceptance(s), {report.outbox} notification(s), {report.invitations} "
                "invitation(s)."
            )
        else:
            text = ""
        data = data or rights.lookup(person)
        tz = self.service.tz
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
        from screens.console.visit_detail import VisitDetailScreen

        if event.row_key.value:
            visit_id = uuid.UUID(event.row_key.value)
            self.app.push_screen(VisitDetailScreen(self.service, visit_id), self._after_detail)

    def _after_detail(self, changed: bool | None) -> None:
        if changed:
            self.run("find")
