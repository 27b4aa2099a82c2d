"""A table of visits that renders only the rows in view (a day may hold thousands)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kiosk.services.console import LogRow

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("in", "arrived", 5),
    ("out", "departed", 5),
    ("name", "name", 24),
    ("company", "company", 18),
    ("host", "host", 16),
    ("type", "visitor_type", 10),
    ("NDA", "nda", 3),
    ("flag", "flag", 10),
    ("status", "status", 8),
)


def _cell(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text[: width - 1] + "…" if len(text) > width else text.ljust(width)


def format_row(row: LogRow) -> str:
    return " ".join(_cell(str(getattr(row, attr)), width) for _t, attr, width in COLUMNS)


HEADER = " ".join(_cell(title, width) for title, _a, width in COLUMNS)


class VisitTable(ScrollView, can_focus=True):
    """Rows are plain text (never markup); up/down move, Enter opens the visit."""

    DEFAULT_CSS = """
    VisitTable { height: 1fr; border: round $primary; }
    VisitTable:focus { border: round $accent; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("enter", "open", "Open"),
    ]

    cursor: reactive[int] = reactive(0)

    @dataclass
    class Opened(Message):
        row_id: uuid.UUID
        expected: bool

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[LogRow] = []

    def set_rows(self, rows: list[LogRow]) -> None:
        selected = self.rows[self.cursor].id if self.rows and self.cursor < len(self.rows) else None
        self.rows = rows
        self.virtual_size = Size(len(HEADER), len(rows))
        ids = [r.id for r in rows]
        self.cursor = ids.index(selected) if selected in ids else 0
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        if index >= len(self.rows):
            return Strip.blank(width)
        style = self.rich_style
        if index == self.cursor:
            style = style + Style(reverse=True)
        text = format_row(self.rows[index])[self.scroll_offset.x :]
        return Strip([Segment(text.ljust(width)[:width], style)], width)

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_region_if_needed(new)
        self.refresh()

    def scroll_to_region_if_needed(self, index: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_open(self) -> None:
        if self.rows:
            row = self.rows[self.cursor]
            self.post_message(self.Opened(row.id, row.status == "expected"))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows)
