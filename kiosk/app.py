"""The composition root: `make_app` wires settings, the store and the screens.

This module is the one place the kiosk layer imports screens (the import-linter layers
contract makes that exception); everything else keeps screens -> kiosk -> storage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.logs import to_file

if TYPE_CHECKING:
    from kiosk.services.kiosk import KioskServices
    from screens.console_app import ConsoleApp
    from screens.kiosk_app import KioskApp
    from storage.store import Store


def make_app(
    settings: Settings,
    *,
    services: KioskServices | None = None,
    clock: Callable[[], datetime] | None = None,
) -> KioskApp:
    """The visitor kiosk. With ``services`` given (tests), that store is used; otherwise
    the store is opened in a worker once the first frame is up."""
    from kiosk.services.kiosk import KioskServices
    from screens.kiosk_app import KioskApp

    if services is None:
        services = KioskServices(settings, opener=_opener(settings))
    return KioskApp(settings, services, clock=clock)


def _opener(settings: Settings) -> Callable[[], Store]:
    def opener() -> Store:
        from kiosk.runtime import open_from_settings

        return open_from_settings(settings)

    return opener


def run_kiosk(settings: Settings) -> None:
    with to_file(settings.data_dir):  # not over the visitor's screen
        make_app(settings).run()


def make_console(
    settings: Settings,
    *,
    services: KioskServices | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ConsoleApp:
    """The reception console on its own (`kiosk console`)."""
    from kiosk.services.kiosk import KioskServices
    from screens.console_app import ConsoleApp

    services = services or KioskServices(settings, opener=_opener(settings))
    return ConsoleApp(settings, services, clock=clock)


def run_console(settings: Settings) -> None:
    with to_file(settings.data_dir):
        make_console(settings).run()
