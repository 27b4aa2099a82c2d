"""Small reusable widgets of the visitor kiosk."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.domain.text import search_key, suggest

DARK = Style(color="#000000", bgcolor="#ffffff")

# Both apps' screens get the class -narrow below 100 columns (an 80x24 terminal), where
# kiosk.tcss puts field messages under their fields.
WIDTH_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
# And -tall from 36 rows (a tablet in portrait, a terminal of 120x40): room to stack
# what stands side by side on a screen of 24 rows.
HEIGHT_BREAKPOINTS = [(0, "-short"), (36, "-tall")]


class QRCode(Widget):
    """A QR code drawn with half blocks: two modules per cell, always dark on light
    (whatever the theme), with the quiet zone included in the matrix."""

    DEFAULT_CSS = """
    QRCode { width: auto; height: auto; }
    """

    def __init__(self, matrix: list[list[bool]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.matrix = matrix

    def get_content_width(self, container: object, viewport: object) -> int:
        return len(self.matrix[0]) if self.matrix else 0

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return (len(self.matrix) + 1) // 2

    def render_line(self, y: int) -> Strip:
        top_row = 2 * y
        if top_row >= len(self.matrix):
            return Strip.blank(self.size.width)
        top = self.matrix[top_row]
        bottom = self.matrix[top_row + 1] if top_row + 1 < len(self.matrix) else [False] * len(top)
        black, white = "#000000", "#ffffff"
        segments = [
            Segment(
                "▀",
                Style(color=black if t else white, bgcolor=black if b else white),
            )
            for t, b in zip(top, bottom, strict=True)
        ]
        return Strip(segments, len(segments))


class FieldError(Static):
    """The message beside a field: empty until validation says something. Empty, it
    carries the class ``-empty`` (on a narrow screen it then takes no room)."""

    DEFAULT_CSS = """
    FieldError { color: $error; height: auto; padding: 0 1; }
    """

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.set_class(not message, "-empty")

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        self.set_class(not content, "-empty")


class Clock(Static):
    """Date and time at the site, updated every second."""

    def __init__(self, now: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._now = now

    def on_mount(self) -> None:
        self.update_time()
        self.set_interval(1, self.update_time)

    def update_time(self) -> None:
        self.update(self._now().strftime("%Y-%m-%d  %H:%M"))


class ConfirmButton(Button):
    """A button for something that cannot be undone: the first press asks, a second press
    within a few seconds confirms (posting Confirmed); otherwise it quietly re-arms."""

    CONFIRM_S = 5.0

    class Confirmed(Message):
        def __init__(self, button: ConfirmButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> ConfirmButton:
            return self.button

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self._label = label
        self._timer: Timer | None = None

    def press(self) -> Self:
        if self.disabled:
            return self
        if self._timer is None:
            self.label = "Press again to confirm"
            self._timer = self.set_timer(self.CONFIRM_S, self._rearm)
        else:
            self._rearm()
            self.post_message(self.Confirmed(self))
        return self

    def _rearm(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = None
        self.label = self._label


class HostChoices(OptionList):
    """The hosts of the directory whose name contains what was typed into a host field,
    listed below it from two letters on (case and accents ignored; names that start
    with it first, see :func:`suggest`). Its screen passes the field's changes to
    :meth:`offer`, Down in the field to :meth:`enter`, and a choice to :meth:`pick`."""

    def __init__(self, *, line_above: bool = False, limit: int = 5, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hosts: list[tuple[str, str, str]] = []  # (id, name, search key)
        self._above = "\n" if line_above else ""  # a tablet's finger needs a taller line
        self._limit = limit
        self.display = False

    def offer(self, typed: str) -> None:
        needle = search_key(typed)
        matches = suggest(self.hosts, needle, lambda h: h[2], limit=self._limit)
        self.clear_options()
        self.add_options([Option(Text(self._above + name), id=h_id) for h_id, name, _k in matches])
        shown = bool(matches) and len(needle) >= 2
        if shown and not self.display:
            # On a short window the list opens below the fold (behind the buttons at
            # 80x24): the form scrolls to show it, the field above it staying in view.
            self.call_after_refresh(self.scroll_visible, animate=False)
        self.display = shown

    def enter(self) -> bool:
        """Take the focus, on the first name (for a keyboard with no mouse or touch screen
        beside it); False when no names are shown."""
        if not self.display:
            return False
        self.focus()
        self.highlighted = 0
        return True

    def pick(self, option: Option, field: Input) -> uuid.UUID:
        """Put the chosen name into ``field`` (no Changed message: that would offer it
        again), close the list and give the field the focus back; the host's id."""
        assert option.id is not None
        with field.prevent(Input.Changed):
            field.value = str(option.prompt).lstrip("\n")
        self.display = False
        field.focus()  # Enter now goes on, as from any field
        return uuid.UUID(option.id)


def bring_into_view(widget: Widget) -> None:
    """Scroll ``widget`` into view once the layout has its latest changes (a message just
    shown), first stopping any scroll still running in its containers: Textual's own
    animated scroll to a button just clicked would otherwise end after this one, where
    the button is."""

    def scroll() -> None:
        for container in widget.ancestors:
            widget.app.animator.force_stop_animation(container, "scroll_y")
        widget.scroll_visible(animate=False)

    widget.call_after_refresh(scroll)
