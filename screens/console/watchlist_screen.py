"""The watchlist, for admins (opened from the Staff tab): the entries in force, add one
(e-mail, phone and/or name, the reason, the day it expires), remove the one picked.
Looking at the list, and every change, is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.codes import short_ref
from kiosk.domain.watchlist import WatchEntry, WatchlistError
from kiosk.services.errors import user_message
from screens.console.desk import Desk
from screens.console.request_dialogs import parse_day
from screens.widgets import ConfirmButton


class WatchlistScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    WatchlistScreen { align: center middle; }
    #watch { width: 110; max-width: 100%; height: auto; max-height: 100%;
             border: thick $primary; background: $surface; padding: 1 2; }
    #watch-table { height: auto; max-height: 12; }
    #watch .row { height: auto; }
    #watch .row Input { width: 1fr; }
    #watch-expires { max-width: 16; }
    #watch .row Button { margin: 0 1 0 0; }
    #watch-status { height: auto; }
    """
    BINDINGS = [("escape", "close", "Close")]

    @dataclass
    class Loaded(Message):
        entries: list[WatchEntry]
        text: str

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.entries: dict[str, WatchEntry] = {}
        self.picked: WatchEntry | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="watch"):
            yield Static("Watchlist", classes="title")
            yield Static(
                "Matched at check-in by e-mail, phone or name; the visitor is never shown"
                " it, reception is alerted. Entries are encrypted and expire by themselves.",
                classes="hint",
            )
            yield DataTable(id="watch-table", cursor_type="row")
            with Horizontal(classes="row"):
                yield Input(placeholder="E-mail", id="watch-email")
                yield Input(placeholder="Phone", id="watch-phone")
                yield Input(placeholder="Name", id="watch-name")
            with Horizontal(classes="row"):
                yield Input(placeholder="Reason (shown to reception)", id="watch-reason",
                            max_length=300)  # fmt: skip
                yield Input(placeholder="Expires YYYY-MM-DD", id="watch-expires", max_length=10)
            with Horizontal(classes="row"):
                yield Button("Add", id="watch-add", variant="primary")
                yield ConfirmButton("Remove", id="watch-remove", variant="error", disabled=True)
                yield Button("Close", id="watch-close")
            yield Static("", id="watch-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#watch-table", DataTable).add_columns(
            "Entry", "Expires", "E-mail", "Phone", "Name", "Reason", "Added by"
        )
        self.act(lambda: "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="watchlist")
    def act(self, action: Callable[[], str]) -> None:
        """A change (or nothing), then the list again; a refusal is said below it."""
        try:
            text = action()
        except WatchlistError as exc:
            self.app.call_from_thread(self.say, str(exc))
            return
        entries = self.desk.services.watchlist.entries(self.desk.actor)
        self.post_message(self.Loaded(entries, text))

    def say(self, text: str) -> None:
        self.query_one("#watch-status", Static).update(text)

    def on_watchlist_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one("#watch-table", DataTable)
        table.clear()
        self.entries = {str(e.id): e for e in message.entries}
        for e in message.entries:
            table.add_row(
                short_ref(e.id), str(e.expires_on), Text(e.email or ""), Text(e.phone or ""),
                Text(e.name or ""), Text(e.reason), Text(e.added_by), key=str(e.id),
            )  # fmt: skip
        self.picked = None
        self.query_one("#watch-remove", ConfirmButton).disabled = True
        self.say(message.text or f"{len(message.entries)} entr"
                 f"{'y' if len(message.entries) == 1 else 'ies'} in force.")  # fmt: skip

    @on(DataTable.RowSelected, "#watch-table")
    def pick(self, event: DataTable.RowSelected) -> None:
        self.picked = self.entries.get(event.row_key.value or "")
        self.query_one("#watch-remove", ConfirmButton).disabled = self.picked is None

    @on(Button.Pressed, "#watch-add")
    def add_entry(self) -> None:
        def value(name: str) -> str:
            return self.query_one(f"#watch-{name}", Input).value

        expires = parse_day(value("expires"))
        if expires is None:
            self.say("Expires: the last day it holds, as YYYY-MM-DD.")
            return
        email, phone, name, reason = value("email"), value("phone"), value("name"), value("reason")

        def do() -> str:
            entry_id = self.desk.services.watchlist.add(
                self.desk.actor, email=email, phone=phone, name=name, reason=reason,
                expires_on=expires,
            )  # fmt: skip
            self.app.call_from_thread(self._clear_form)
            return f"Entry {short_ref(entry_id)} added, expires {expires}."

        self.act(do)

    def _clear_form(self) -> None:
        for name in ("email", "phone", "name", "reason", "expires"):
            self.query_one(f"#watch-{name}", Input).value = ""

    @on(ConfirmButton.Confirmed, "#watch-remove")
    def remove_entry(self) -> None:
        picked = self.picked
        if picked is None:
            return

        def do() -> str:
            gone: uuid.UUID = self.desk.services.watchlist.remove(str(picked.id), self.desk.actor)
            return f"Entry {short_ref(gone)} removed."

        self.act(do)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.say(user_message(event.worker.error))

    @on(Button.Pressed, "#watch-close")
    def action_close(self) -> None:
        self.dismiss(None)
