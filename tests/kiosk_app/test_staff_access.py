"""Staff at the kiosk: the staff key and PIN are the only way to the console."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from storage.errors import DatabaseUnavailable
from tests.helpers.kiosk_ui import (
    OPERATOR,
    kiosk_settings,
    open_services,
    ready,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.visitor_ui import (
    kiosk_app,
)


async def open_pin_dialog(pilot: Pilot[None]) -> None:
    """The staff key pressed at the welcome screen: the PIN dialog."""
    await ready(pilot)
    await pilot.press("f12")
    await wait_for_screen(pilot, "PinScreen")


async def test_staff_key_and_pin_are_the_only_way_out(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await type_into(pilot, "#user", "ada")
        await type_into(pilot, "#pin", "999999")
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert "Wrong user name or PIN" in str(pilot.app.screen.query_one("#pin-error").render())
        await type_into(pilot, "#pin", "246810")
        await pilot.press("enter")
        await wait_for_screen(pilot, "StaffMenuScreen")
        await pilot.click("#quit")
        await pilot.pause()
        assert not pilot.app.is_running


async def test_a_pin_the_database_cannot_check_is_said_and_the_next_try_unlocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database does not answer when staff unlock: the dialog says so (no "wrong
    PIN", no traceback), stays, and the PIN typed again once it answers opens the menu."""
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    real, calls = services.staff.verify, []

    def flaky(user: str, pin: str, **kw: str) -> object:
        calls.append(user)
        if len(calls) == 1:
            raise DatabaseUnavailable("the database could not be used: database is locked")
        return real(user, pin, **kw)

    monkeypatch.setattr(services.staff, "verify", flaky)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await type_into(pilot, "#user", "ada")
        await type_into(pilot, "#pin", "246810")
        await pilot.press("enter")
        assert await status_of(pilot, "#pin-error", "Not") == "Not available right now."
        screen = pilot.app.screen
        assert type(screen).__name__ == "PinScreen"
        assert not screen.query_one("#unlock", Button).disabled
        assert screen.query_one("#user", Input).value == "ada"
        await type_into(pilot, "#pin", "246810")
        await pilot.press("enter")
        await wait_for_screen(pilot, "StaffMenuScreen")
    assert calls == ["ada", "ada"]


async def test_a_pin_typed_as_the_user_name_does_not_stay_on_the_lobby_screen(
    tmp_path: Path,
) -> None:
    """Someone who forgets the user name types their PIN into its field, in clear: once
    the unlock fails the field is emptied and the dialog says what goes where. A wrong
    PIN under a real user name keeps the name."""
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        screen = pilot.app.screen
        for user, kept in (("246810", ""), ("ada", "ada")):
            await type_into(pilot, "#user", user)
            await pilot.press("enter", "enter")
            error = await status_of(pilot, "#pin-error", "Wrong user name or PIN")
            assert screen.query_one("#user", Input).value == kept
            assert ("Type your user name first" in error) == (kept == ""), error
            assert screen.focused is screen.query_one("#user" if not kept else "#pin")
            screen.query_one("#user", Input).value = ""


async def test_a_fresh_kiosk_says_how_to_add_the_first_staff_account(tmp_path: Path) -> None:
    """Right after installing (`make run` on a new machine) nobody has a PIN, and the
    staff menu is the only way out: the PIN dialog says how to add an account instead of
    "Wrong user name or PIN". Once there is one, the usual answer comes back."""
    services = open_services(kiosk_settings(tmp_path))

    async def answer(pin: str) -> str:
        await type_into(pilot, "#pin", pin)
        await pilot.press("enter")
        error = pilot.app.screen.query_one("#pin-error")
        deadline = time.monotonic() + 10
        while "Checking" in str(error.render()) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        return str(error.render())

    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        said = await status_of(pilot, "#pin-error", "no staff accounts")  # before any try
        assert "kiosk staff add NAME --role admin" in said, said
        await type_into(pilot, "#user", "admin")
        shown = await answer("123456")
        assert "There are no staff accounts yet" in shown, shown
        assert "kiosk staff add NAME --role admin" in shown, shown
        services.staff.add("ada", "admin", "246810", OPERATOR)
        shown = await answer("123456")
        assert "Wrong user name or PIN" in shown and "staff add" not in shown, shown
