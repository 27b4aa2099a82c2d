"""The composition root: `make_app` wires settings, the store and the screens.

This module is the one place the kiosk layer imports screens (the import-linter layers
contract makes that exception); everything else keeps screens -> kiosk -> storage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.services.kiosk import KioskServices

if TYPE_CHECKING:
    from screens.kiosk_app import KioskApp


def make_app(
    settings: Settings,
    *,
    services: KioskServices | None = None,
    clock: Callable[[], datetime] | None = None,
) -> KioskApp:
    """The visitor kiosk. With ``services`` given (tests), the store is not opened again;
    otherwise it is opened in a worker once the first frame is up."""
    from screens.kiosk_app import KioskApp

    def open_services() -> KioskServices:
        if services is not None:
            return services
        from kiosk.runtime import open_from_settings

        return KioskServices(open_from_settings(settings), settings)

    return KioskApp(settings, open_services, clock=clock)


def run_kiosk(settings: Settings) -> None:
    make_app(settings).run()
