"""The Retention tab, for admins: the periods (set in the database for every machine on
it, applied here at once) and the purge: a preview of what it would remove, and running
it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Static

from screens.console.desk import Desk
from screens.console.panel import Panel
from screens.widgets import ConfirmButton


class RetentionPanel(Panel):
    """Retention periods for admins (set in the database for every machine on it, applied
    here at once) and the purge: a preview of what it would remove, and running it.
    Periods another admin sets meanwhile (another console or machine, a kiosk's staff
    menu, `kiosk retention set`) show up within a minute, except in a field being
    edited; saving sends only the fields edited here."""

    STATUS_ID = "retention-status"

    def __init__(self, desk: Desk, **kwargs: Any) -> None:
        super().__init__(desk, **kwargs)
        self.shown: dict[str, str] = {}  # the value each field was last filled with

    def compose(self) -> ComposeResult:
        for row in self.desk.services.retention.rows(self.desk.actor):
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
        for row in self.desk.services.retention.rows(self.desk.actor):
            field = self.query_one(f"#ret-{row.key}", Input)
            if row.key in saved or field.value == self.shown[row.key]:
                field.value = self.shown[row.key] = str(row.days)

    @on(Button.Pressed, "#ret-save")
    def save(self) -> None:
        values = {
            row.key: value
            for row in self.desk.services.retention.rows(self.desk.actor)
            if row.fixed_by is None
            and (value := self.query_one(f"#ret-{row.key}", Input).value) != self.shown[row.key]
        }
        if values:
            self.run_save(values)
        else:
            self.say("No period was changed.")

    @work(thread=True, exclusive=True, exit_on_error=False, group="retention-save")
    def run_save(self, values: dict[str, str]) -> None:
        changed = self.desk.services.retention.save(values, self.desk.actor)
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
        report = self.desk.services.retention.purge(self.desk.actor, dry_run=dry_run)
        rows = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in report.rows.items())
        keys = sum(report.keys_destroyed.values())
        head = "A purge now would remove" if dry_run else "Purged"
        self.say_later(f"{head}: {rows}; data keys {keys}.")
