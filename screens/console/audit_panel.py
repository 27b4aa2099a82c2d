"""The Audit tab, for security: verify the chain; the newest events, filtered."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from screens.console.panel import Panel


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
        found = self.desk.services.audit.newest(self.desk.actor, start, end, actor, action)
        tz = self.desk.tz
        rows = [
            (
                e.ref,
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
        result = self.desk.services.audit.verify(self.desk.actor)
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
