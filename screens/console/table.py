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

from kiosk.columns import fit
from kiosk.services.log import LogRow


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    attr: str  # of LogRow
    width: int  # at its widest
    least: int  # narrowest it gets before a column is hidden


COLUMNS: tuple[Column, ...] = (
    Column("in", "arrived", 5, 5),
    Column("out", "departed", 7, 7),  # "00:06+1": left the day after
    Column("name", "name", 24, 14),
    Column("company", "company", 18, 10),
    Column("host", "host", 16, 10),
    Column("type", "visitor_type", 10, 10),
    Column("NDA", "nda", 3, 3),
    Column("flag", "flag", 10, 10),
    Column("status", "status", 8, 8),
)
# Hidden in this order when even the narrowest columns do not fit: what reception needs
# least to tell visitors apart.
HIDE_FIRST = ("type", "NDA")


def _span(widths: list[int]) -> int:
    return sum(widths) + len(widths) - 1  # one space between columns


def fit_columns(width: int) -> tuple[Column, ...]:
    """The columns for a table ``width`` cells wide: all at their widest when they fit;
    else name, company and host narrower (the widest first, down to their least), then
    type and NDA hidden. On a very narrow screen the narrowest set overflows (and
    scrolls)."""
    columns = COLUMNS
    for hidden in range(len(HIDE_FIRST) + 1):
        columns = tuple(c for c in COLUMNS if c.title not in HIDE_FIRST[:hidden])
        if _span([c.least for c in columns]) <= width:
            break
    widths = [c.width for c in columns]
    over = _span(widths) - width
    while over > 0:
        i = max(range(len(columns)), key=lambda i: widths[i] - columns[i].least)
        if widths[i] == columns[i].least:
            break
        widths[i] -= 1
        over -= 1
    return tuple(Column(c.title, c.attr, w, c.least) for c, w in zip(columns, widths, strict=True))


def format_row(row: LogRow, columns: tuple[Column, ...] = COLUMNS) -> str:
    """A row's line, its columns padded and cut by terminal cells (see kiosk.columns)."""
    return " ".join(fit(str(getattr(row, c.attr)), c.width) for c in columns)


def header(columns: tuple[Column, ...] = COLUMNS) -> str:
    return " ".join(fit(c.title, c.width) for c in columns)


class VisitTable(ScrollView, can_focus=True):
    """Rows are plain text (never markup); up/down move, Enter opens the visit."""

    DEFAULT_CSS = """
    VisitTable { height: 1fr; border: round $primary; scrollbar-gutter: stable; }
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

    @dataclass
    class ColumnsChanged(Message):
        """The columns were fitted to a new width or scrolled sideways: ``header`` is
        their titles' line as it should show above the rows."""

        header: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[LogRow] = []
        self.columns = COLUMNS

    def on_resize(self, event: events.Resize) -> None:
        columns = fit_columns(self.scrollable_content_region.width)
        if columns != self.columns:
            self.columns = columns
            self._size_to_rows()
            self._header_changed()
            self.refresh()

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        if round(old_value) != round(new_value):
            self._header_changed()  # on a screen too narrow for every column

    def _size_to_rows(self) -> None:
        """What there is to scroll over: a line of the columns per row."""
        self.virtual_size = Size(_span([c.width for c in self.columns]), len(self.rows))

    def _header_changed(self) -> None:
        """The titles' line, scrolled sideways with the rows."""
        self.post_message(self.ColumnsChanged(header(self.columns)[round(self.scroll_x) :]))

    def set_rows(self, rows: list[LogRow]) -> None:
        selected = self.rows[self.cursor].id if self.rows and self.cursor < len(self.rows) else None
        self.rows = rows
        self._size_to_rows()
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
        line = Strip([Segment(format_row(self.rows[index], self.columns), style)])
        x = self.scroll_offset.x  # cut by cells: a wide character takes two
        return line.crop_extend(x, x + width, style)

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
