"""The composition root: `make_app` / `make_console` wire settings, the services and the
screens, for the CLI, the tests, the snapshot tests and the served tablet alike.

This module is the one place the kiosk layer imports screens (the import-linter layers
contract makes that exception); everything else keeps screens -> kiosk -> storage.
Nothing is opened here: the app opens the database in a worker after its first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.logs import to_file
from kiosk.runtime import Runtime
from screens.console_app import ConsoleApp
from screens.kiosk_app import KioskApp

if TYPE_CHECKING:  # SQLAlchemy and the services load in the worker that opens them
    from kiosk.services.bundle import Services


def _runtime(
    settings: Settings,
    services: Services | None,
    clock: Callable[[], datetime] | None,
    *,
    migrate: bool = True,
) -> Runtime:
    """With ``services`` given (tests), those; otherwise they are opened in a worker once
    the first frame is up. ``clock``: a test's fixed time for what the screens show and
    what the console reckons "today" by."""
    if services is not None:
        return Runtime(settings, services, clock=clock)

    def opener() -> Services:
        # Imported here, in the worker: the services bring SQLAlchemy, cryptography,
        # Argon2 and qrcode (about 300 ms of imports, measured with python -X importtime)
        # that the first frame would otherwise wait for.
        from kiosk.services.bundle import open_services

        return open_services(settings, migrate=migrate)

    return Runtime(settings, opener=opener, clock=clock)


def make_app(
    settings: Settings,
    *,
    services: Services | None = None,
    clock: Callable[[], datetime] | None = None,
) -> KioskApp:
    """The visitor kiosk."""
    return KioskApp(_runtime(settings, services, clock))


def run_kiosk(settings: Settings, *, migrate: bool = True) -> None:
    """``migrate``: False for a session of kiosk serve (which migrated the store)."""
    with to_file(settings.data_dir):  # not over the visitor's screen
        KioskApp(_runtime(settings, None, None, migrate=migrate)).run()


def make_console(
    settings: Settings,
    *,
    services: Services | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ConsoleApp:
    """The reception console on its own (`kiosk console`)."""
    return ConsoleApp(_runtime(settings, services, clock))


def run_console(settings: Settings) -> None:
    with to_file(settings.data_dir):
        make_console(settings).run()
