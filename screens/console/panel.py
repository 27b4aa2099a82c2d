"""A console tab's body: the desk it works for, its own status line and its own failure
handling (every database call runs in a thread worker; a failure shows its reason in the
tab and keeps what was typed)."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from kiosk.services.errors import user_message
from screens.console.desk import Desk


class Panel(Vertical):
    STATUS_ID = ""

    def __init__(self, desk: Desk, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.desk = desk

    def say(self, text: str) -> None:
        self.query_one(f"#{self.STATUS_ID}", Static).update(text)

    def say_later(self, text: str) -> None:
        """From a worker thread."""
        self.app.call_from_thread(self.say, text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.node is self:
            self.say(user_message(event.worker.error))
            event.stop()
