"""The line a console view shows while its periodic re-read of the database fails."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Static

from kiosk.services.errors import user_message


class Freshness:
    """How current a view that re-reads the database every few seconds is: when it last
    read it, and since when reading fails (an outage is one standing line, not a message
    every few seconds)."""

    def __init__(self, what: str, every_s: float) -> None:
        self.what = what  # "the log", "this list": what the line says is old
        self.every_s = every_s
        self.read_at: datetime | None = None
        self.failing_since: datetime | None = None

    def read(self, at: datetime) -> bool:
        """A read worked at ``at``; True when it ends a run of failures."""
        self.read_at = at
        ended, self.failing_since = self.failing_since is not None, None
        return ended

    def failed(self, error: BaseException | None, at: datetime) -> str:
        """A read failed at ``at``: the line to show until one works again."""
        if self.failing_since is None:
            self.failing_since = at
        reason = user_message(error).rstrip(".")
        shown = f"as read at {self.read_at:%H:%M}" if self.read_at else "not read yet"
        return (
            f"{reason[:1].upper()}{reason[1:]}. Since {self.failing_since:%H:%M}, trying"
            f" again every {self.every_s:.0f} s; {self.what} is {shown}."
        )


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
