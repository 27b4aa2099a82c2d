"""The line a console view shows while its periodic re-read of the database fails."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Static

from kiosk.services.console import Freshness


class StaleNotice(Static):
    """Hidden while the view's reads work; during an outage one standing line (the
    reason, since when, as read when) instead of a new message at each failed read."""

    DEFAULT_CSS = """
    StaleNotice { height: auto; padding: 0 1; color: $error; text-style: bold; display: none; }
    """

    def __init__(self, what: str, every_s: float, *, id: str) -> None:
        super().__init__("", markup=False, id=id)
        self.freshness = Freshness(what, every_s)

    def read(self, at: datetime) -> bool:
        """A read worked: hide the line; True when this ends an outage."""
        ended = self.freshness.read(at)
        if ended:
            self.display = False
        return ended

    def failed(self, error: BaseException | None, at: datetime) -> None:
        self.update(self.freshness.failed(error, at))
        self.display = True
