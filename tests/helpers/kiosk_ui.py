"""Helpers for driving the kiosk with Pilot."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from kiosk.config import Settings, load_settings
from kiosk.domain.staff import Actor
from kiosk.i18n import set_language
from kiosk.services.bundle import Services, open_services
from screens.kiosk_app import KioskApp
from tests.helpers.waiting import wait_until

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


__all__ = ["open_services"]  # the services over the settings' store, as the apps open it

# Who the tests act as when they call a service directly: the machine's operator.
OPERATOR = Actor("test")


async def ready(pilot: Pilot[None]) -> None:
    """Wait until the store is open and the welcome screen enables its buttons."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    # A fresh database is migrated first; CI can be busy.
    opened = await wait_until(lambda: app.runtime.ready or app.start_error, timeout=30)
    if not opened:
        raise AssertionError("the kiosk's store did not open")
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
    on = await wait_until(lambda: type(pilot.app.screen).__name__, name.__eq__, timeout=timeout)
    if on != name:
        raise AssertionError(f"expected {name}, on {on}")
    await pilot.pause()


async def still(pilot: Pilot[None]) -> None:
    """Hold the screen still for a snapshot: no blinking cursor, and no button caught in
    its press effect (a fifth of a second after a click; a slow run pictured the button
    still pressed)."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    buttons = pilot.app.screen.query(Button)
    await wait_until(lambda: not any(b.has_class("-active") for b in buttons), timeout=5)
    await pilot.pause()


def screen_text(pilot: Pilot[None]) -> str:
    """Every Static's text on the current screen, as a visitor reads it."""
    parts = []
    for widget in pilot.app.screen.query(Static):
        content = widget.render()
        parts.append(str(content))
    return "\n".join(parts)


STAFF_PINS = {
    "rita": ("reception", "481592"),
    "sam": ("security", "730164"),
    "ada": ("admin", "592837"),
}


def services_with_staff(tmp_path: Path, toml: str = "") -> Services:
    """An open store with one account per role (STAFF_PINS), English texts."""
    set_language("en")
    services = open_services(kiosk_settings(tmp_path, toml))
    for user, (role, pin) in STAFF_PINS.items():
        services.staff.add(user, role, pin, OPERATOR)
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
    return await wait_until(
        lambda: str(widget.render()), lambda text: bool(text) and contains in text, timeout=wait
    )


async def settled(pilot: Pilot[None]) -> None:
    """Wait for the app's background work (printing, e-mail, purge...) to finish: every
    worker but the visitor's way through their steps, which waits on the visitor."""
    busy = [w for w in pilot.app.workers if w.group != "visitor"]
    if busy:
        await pilot.app.workers.wait_for_complete(busy)
