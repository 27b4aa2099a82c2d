"""The roll call at the assembly point (opened from the On site tab): everyone on site
when it started, missing first, with counts; Enter (or Mark safe) marks the picked
person. The marks are read again every second, so several marshals (other desks, phones)
see each other's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.rollcall import RollCallSheet
from kiosk.services.errors import user_message
from screens.console.desk import Desk
from screens.widgets import ConfirmButton

LIVE_S = 1.0  # how often the marks are read again


class RollCallScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RollCallScreen { align: center middle; }
    #rollcall { width: 100%; height: 100%; border: thick $error; background: $surface;
                padding: 0 1; }
    #rollcall-counts { text-style: bold; padding: 0 0 1 0; height: auto; }
    #rollcall-table { height: 1fr; }
    #rollcall .row { height: auto; }
    #rollcall .row Button { margin: 0 1 0 0; }
    #rollcall-status { height: auto; }
    """
    BINDINGS = [("escape", "close", "Close")]

    @dataclass
    class Loaded(Message):
        sheet: RollCallSheet

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.sheet: RollCallSheet | None = None
        self.shown: list[tuple[uuid.UUID, bool, str]] = []  # what the table shows

    def compose(self) -> ComposeResult:
        with Vertical(id="rollcall"):
            yield Static("Roll call", classes="title")
            yield Static("", id="rollcall-counts", markup=False)
            yield DataTable(id="rollcall-table", cursor_type="row")
            with Horizontal(classes="row"):
                yield Button("Mark safe", id="rollcall-mark", variant="success")
                yield ConfirmButton("End roll call", id="rollcall-end", variant="error")
                if self.desk.can("export"):
                    yield Button("Write report", id="rollcall-report")
                yield Button("Close", id="rollcall-close")
            yield Static("", id="rollcall-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#rollcall-table", DataTable).add_columns(
            "", "Name", "Company", "Host", "Arrived", "Marked"
        )
        self.act(lambda: self.desk.services.rollcall.start(self.desk.actor))
        self.set_interval(LIVE_S, self.live)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rollcall")
    def act(self, action: Callable[[], RollCallSheet | None], text: str = "") -> None:
        sheet = action()
        if sheet is not None:
            self.post_message(self.Loaded(sheet))
        if text:
            self.app.call_from_thread(self.say, text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rollcall-live")
    def live(self) -> None:
        """Everyone's marks, read again (other marshals')."""
        sheet = self.sheet
        if sheet is None or sheet.ended_at is not None:
            return
        marks = self.desk.services.rollcall.marks(sheet.id)
        self.post_message(self.Loaded(sheet.with_marks(marks)))

    def say(self, text: str) -> None:
        self.query_one("#rollcall-status", Static).update(text)

    def on_roll_call_screen_loaded(self, message: Loaded) -> None:
        sheet = self.sheet = message.sheet
        tz = self.desk.tz
        state = f"ended {sheet.ended_at.astimezone(tz):%H:%M}" if sheet.ended_at else "under way"
        self.query_one("#rollcall-counts", Static).update(
            f"{sheet.counts}   (started {sheet.started_at.astimezone(tz):%H:%M} by"
            f" {sheet.started_by}, {state})"
        )
        shown = [(e.id, e.safe, e.marked_by) for e in sheet.entries]
        if shown == self.shown:
            return  # nothing changed: the cursor stays where the marshal has it
        table = self.query_one("#rollcall-table", DataTable)
        keep = table.cursor_row
        picked = self._picked()
        table.clear()
        for e in sheet.entries:
            mark = Text("safe", style="bold green") if e.safe else Text("MISSING", "bold red")
            when = f"{e.marked_at.astimezone(tz):%H:%M} {e.marked_by}" if e.marked_at else ""
            table.add_row(mark, Text(e.name), Text(e.company), Text(e.host), e.since,
                          Text(when), key=str(e.id))  # fmt: skip
        self.shown = shown
        if picked is not None and str(picked) in {str(e.id) for e in sheet.entries}:
            table.move_cursor(row=table.get_row_index(str(picked)))
        elif sheet.entries:
            table.move_cursor(row=min(keep, len(sheet.entries) - 1))

    def _picked(self) -> uuid.UUID | None:
        table = self.query_one("#rollcall-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return uuid.UUID(key) if key else None

    @on(DataTable.RowSelected, "#rollcall-table")
    @on(Button.Pressed, "#rollcall-mark")
    def mark(self) -> None:
        sheet, person = self.sheet, self._picked()
        if sheet is None or person is None:
            return
        name = next((e.name for e in sheet.entries if e.id == person), "")
        service, actor = self.desk.services.rollcall, self.desk.actor

        def do() -> RollCallSheet:
            marked = service.mark(actor, sheet.id, person)
            self.app.call_from_thread(
                self.say, f"{name}: safe." if marked else f"{name}: marked already."
            )
            return sheet.with_marks(service.marks(sheet.id))

        self.act(do)

    @on(ConfirmButton.Confirmed, "#rollcall-end")
    def end(self) -> None:
        sheet = self.sheet
        if sheet is not None:
            service, actor = self.desk.services.rollcall, self.desk.actor
            self.act(lambda: service.end(actor, sheet.id), "Roll call ended; its report stays.")

    @on(Button.Pressed, "#rollcall-report")
    def report(self) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        stamp = datetime.now(self.desk.tz).strftime("%Y%m%d-%H%M%S")
        path = self.desk.settings.data_dir / "exports" / f"rollcall-{stamp}.csv"
        self.write_report(sheet.id, path)

    @work(thread=True, exit_on_error=False, group="rollcall-report")
    def write_report(self, rollcall_id: uuid.UUID, path: Path) -> None:
        done = self.desk.services.rollcall.write_report(self.desk.actor, rollcall_id, path)
        self.app.call_from_thread(self.say, f"Wrote {done}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.say(user_message(event.worker.error))

    @on(Button.Pressed, "#rollcall-close")
    def action_close(self) -> None:
        self.dismiss(None)
