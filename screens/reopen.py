"""A kiosk or console that started before its database server did opens its store when
the server answers, without anyone restarting it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from kiosk.services.kiosk import KioskServices


def keep_reopening(
    app: App[Any], services: KioskServices, every_s: float, reopened: Callable[[], None]
) -> None:
    """From ``app``'s on_mount: while the store could not be opened because the database
    did not answer, try again every ``every_s`` seconds in a worker; ``reopened()`` runs
    in that worker once the store is open."""

    def attempt() -> None:
        if services.reopen():
            reopened()

    def tick() -> None:
        if services.retrying:  # a thread only while there is something to retry
            app.run_worker(
                attempt, thread=True, exclusive=True, exit_on_error=False, group="reopen"
            )

    app.set_interval(every_s, tick)
