"""The Textual application factory (the visitor kiosk arrives with issue 3)."""

from __future__ import annotations

from kiosk.config import Settings


def run_kiosk(settings: Settings) -> None:
    from kiosk.runtime import open_from_settings

    open_from_settings(settings)
    raise SystemExit("kiosk: the visitor screens are not built yet; use `kiosk --help`")
