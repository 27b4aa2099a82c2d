"""Helpers for driving the kiosk with Pilot."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from kiosk.config import Settings, load_settings
from kiosk.runtime import open_from_settings
from kiosk.services.kiosk import KioskServices
from screens.kiosk_app import KioskApp

FIXED_NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def kiosk_settings(tmp_path: Path, toml: str = "") -> Settings:
    config = tmp_path / "kiosk.toml"
    config.write_text(toml)
    return load_settings(
        {
            "KIOSK_CONFIG": str(config),
            "KIOSK_DATA_DIR": str(tmp_path / "data"),
            "KIOSK_SITE_NAME": "Fictional HQ",
            "KIOSK_TIMEZONE": "Europe/Amsterdam",
        }
    )


def open_services(settings: Settings) -> KioskServices:
    return KioskServices(settings, open_from_settings(settings))


async def ready(pilot: Pilot[None]) -> None:
    """Wait until the store is open and the welcome screen enables its buttons."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    deadline = time.monotonic() + 30  # a fresh database is migrated first; CI can be busy
    while not (app.services.ready or app.start_error):
        if time.monotonic() > deadline:
            raise AssertionError("the kiosk's store did not open")
        await asyncio.sleep(0.02)
    await pilot.pause()


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Click a field and type into it key by key, as a visitor would."""
    await pilot.click(selector)
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    keys = ["space" if ch == " " else ch for ch in text]
    await pilot.press(*keys)


async def type_burst(pilot: Pilot[None], *keys: str) -> None:
    """Send keys the way a terminal delivers a burst (autofill, a fast typist): all
    queued before the app handles the first. Single characters type themselves."""
    for key in keys:
        name = "space" if key == " " else key
        pilot.app.post_message(events.Key(name, key if len(key) == 1 else None))
    await pilot.pause(0.5)


async def wait_for_screen(pilot: Pilot[None], name: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if type(pilot.app.screen).__name__ == name:
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {name}, on {type(pilot.app.screen).__name__}")


async def still(pilot: Pilot[None]) -> None:
    """Hold the screen still for a snapshot: no blinking cursor, and no button caught in
    its press effect (a fifth of a second after a click; a slow run pictured the button
    still pressed)."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for _ in range(100):
        if not any(b.has_class("-active") for b in pilot.app.screen.query(Button)):
            break
        await pilot.pause(0.05)
    await pilot.pause()


def screen_text(pilot: Pilot[None]) -> str:
    """Every Static's text on the current screen, as a visitor reads it."""
    parts = []
    for widget in pilot.app.screen.query(Static):
        content = widget.render()
        parts.append(str(content))
    return "\n".join(parts)


STAFF_PINS = {
    "rita": ("reception", "111111"),
    "sam": ("security", "222222"),
    "ada": ("admin", "333333"),
}


def services_with_staff(tmp_path: Path, toml: str = "") -> KioskServices:
    """An open store with one account per role (STAFF_PINS), English texts."""
    from kiosk.i18n import set_language
    from kiosk.services.staff import StaffService

    set_language("en")
    services = open_services(kiosk_settings(tmp_path, toml))
    staff = StaffService(services.store)
    for user, (role, pin) in STAFF_PINS.items():
        staff.add(user, role, pin, actor="test")
    return services


async def staff_login(pilot: Pilot[None], user: str, pin: str | None = None) -> None:
    """Type a user name and PIN at the staff prompt (STAFF_PINS' PIN by default)."""
    await wait_for_screen(pilot, "PinScreen")
    await type_into(pilot, "#user", user)
    await type_into(pilot, "#pin", pin or STAFF_PINS[user][1])
    await pilot.press("enter")


async def status_of(
    pilot: Pilot[None], selector: str, contains: str = "", wait: float = 10.0
) -> str:
    """The status line's text once it holds ``contains`` (or anything, if empty)."""
    widget = pilot.app.screen.query_one(selector, Static)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        text = str(widget.render())
        if text and contains in text:
            return text
        await asyncio.sleep(0.05)
    return str(widget.render())
