"""Small reusable widgets of the visitor kiosk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Button, Static

DARK = Style(color="#000000", bgcolor="#ffffff")

# Both apps' screens get the class -narrow below 100 columns (an 80x24 terminal), where
# kiosk.tcss puts field messages under their fields.
WIDTH_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]


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
