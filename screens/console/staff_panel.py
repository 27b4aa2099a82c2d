"""The Staff tab, for admins: add an account, reset a PIN (which also unlocks it),
unlock one (wrong PINs in the lobby lock a name there only), remove one."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Select, Static

from kiosk.domain.staff import ROLES
from screens.console.panel import Panel
from screens.console.watchlist_screen import WatchlistScreen
from screens.widgets import ConfirmButton


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
            yield Button("Unlock", id="staff-unlock")
            yield ConfirmButton("Remove account", id="staff-remove", variant="error")
        if self.desk.can("watchlist"):
            with Horizontal(classes="form-row"):
                yield Button("Watchlist", id="staff-watchlist")
                yield Static("People not to let in unannounced, matched at check-in.",
                             classes="hint")  # fmt: skip
        yield Static("", id="staff-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#staff-table", DataTable).add_columns(
            "Username", "Role", "Failed PINs", "Locked"
        )
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-load")
    def load(self) -> None:
        accounts = self.desk.services.staff.accounts(self.desk.actor)
        rows = [
            (
                Text(a.username),
                a.role,
                str(a.failed_attempts),
                "locked: " + ", ".join(a.locked_at) if a.locked else "",
            )
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

    @on(Button.Pressed, "#staff-watchlist")
    def open_watchlist(self) -> None:
        self.app.push_screen(WatchlistScreen(self.desk))

    @on(Button.Pressed, "#staff-add")
    def add(self) -> None:
        user, role, pin, again = self._form()
        self.change("add", user, role, pin, again)

    @on(Button.Pressed, "#staff-reset")
    def reset(self) -> None:
        user, _, pin, again = self._form()
        self.change("reset", user, "", pin, again)

    @on(Button.Pressed, "#staff-unlock")
    def unlock(self) -> None:
        user, *_ = self._form()
        self.change("unlock", user, "", "", "")

    @on(ConfirmButton.Confirmed, "#staff-remove")
    def remove_account(self) -> None:
        user, *_ = self._form()
        self.change("remove", user, "", "", "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-change")
    def change(self, what: str, user: str, role: str, pin: str, again: str) -> None:
        staff, actor = self.desk.services.staff, self.desk.actor
        if what == "add":
            staff.add(user, role, pin, actor, again=again)
            done = f"Account {user} added ({role})."
        elif what == "reset":
            staff.reset_pin(user, pin, actor, again=again)
            done = f"New PIN set for {user}; the account is unlocked."
        elif what == "unlock":
            staff.unlock(user, actor)
            done = f"{user} is unlocked, in the lobby and at the console."
        else:
            staff.remove(user, actor)
            done = f"Account {user} removed."
        self.app.call_from_thread(self._changed, done)

    def _changed(self, text: str) -> None:
        for field in ("#staff-pin", "#staff-pin2"):
            self.query_one(field, Input).value = ""
        self.say(text)
        self.load()
