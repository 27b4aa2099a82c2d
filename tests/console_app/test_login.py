"""Logging in to the reception console, what each role is offered, and the lock."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Static

from kiosk.app import make_app, make_console
from kiosk.domain.staff import Actor, NotAllowed, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.staff import StaffService
from tests.helpers.console_ui import audit_actions
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    STAFF_PINS,
    ready,
    staff_login,
    type_burst,
    wait_for_screen,
)

SECURITY_TABS = {"tab-log", "tab-prereg", "tab-hosts", "tab-onsite", "tab-export", "tab-audit"}


ADMIN_TABS = SECURITY_TABS | {"tab-staff", "tab-retention", "tab-rights"}


async def test_a_login_typed_in_one_burst_lands_in_the_right_fields(
    services: Services,
) -> None:
    """A user name, Enter and the PIN, then Enter, all arriving at once (a fast typist, a
    password manager): the PIN goes into the PIN field, not after the user name."""
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "PinScreen")
        await type_burst(pilot, *"rita", "enter", *STAFF_PINS["rita"][1], "enter")
        await wait_for_screen(pilot, "ConsoleScreen")
    assert ("staff:rita", "staff.login") in audit_actions(services)


async def test_wrong_pin_and_lockout_survive_a_restart(services: Services) -> None:
    slept: list[float] = []
    staff = StaffService(services.ctx, sleep=slept.append)
    for _ in range(10):
        assert staff.verify("rita", "000000") is None
    assert slept[:4] == [0.0, 0.0, 0.0, 1.0] and max(slept) == 30.0
    assert staff.is_locked("rita")
    restarted = StaffService(services.ctx, sleep=slept.append)  # a new process
    assert restarted.verify("rita", STAFF_PINS["rita"][1]) is None  # right PIN, still locked
    for _ in range(4):  # an unknown name is slowed down just the same
        assert staff.verify("nobody", "000000") is None
    assert slept[-1] == 1.0


@pytest.mark.parametrize(
    ("user", "tabs"),
    [
        ("rita", {"tab-log", "tab-prereg", "tab-hosts"}),
        ("sam", SECURITY_TABS),
        ("ada", ADMIN_TABS),
    ],
)
async def test_roles_decide_what_is_offered(services: Services, user: str, tabs: set[str]) -> None:
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, user)
        await wait_for_screen(pilot, "ConsoleScreen")
        shown = {p.id for p in pilot.app.screen.query("TabPane")}
        assert shown == tabs
    reception = Actor.staff(StaffUser("rita", "reception"))
    assert not reception.can("export") and not reception.can("staff")
    with pytest.raises(NotAllowed):
        reception.require("audit")
    admin = Actor.staff(StaffUser("ada", "admin"))
    assert admin.can("staff") and admin.can("export") and admin.can("rights")


async def test_console_locks_itself_after_five_idle_minutes(services: Services) -> None:
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        app.last_activity = time.monotonic() - 301
        app.idle_tick()
        await wait_for_screen(pilot, "PinScreen")
        assert not any(type(s).__name__ == "ConsoleScreen" for s in app.screen_stack)


async def test_after_the_lock_button_the_next_login_opens_the_console(
    services: Services,
) -> None:
    """Locked with the Lock button (or Ctrl+L, or idle), the console asks for a login
    and the next person's login opens it (the button's lock once left a blank screen)."""
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        for lock in ("button", "ctrl+l", "idle", "button"):
            if lock == "button":
                await pilot.click("#lock")
            elif lock == "idle":
                app.last_activity = time.monotonic() - 301
                app.idle_tick()
            else:
                await pilot.press(lock)
            await wait_for_screen(pilot, "PinScreen")
            assert not any(type(s).__name__ == "ConsoleScreen" for s in app.screen_stack)
            await staff_login(pilot, "sam")
            await wait_for_screen(pilot, "ConsoleScreen")
            assert "sam (security)" in str(app.screen.query_one("#who", Static).render())


async def test_from_the_kiosk_staff_key_opens_the_console_and_lock_returns_home(
    services: Services,
) -> None:
    kiosk = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with kiosk.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f12")
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "StaffMenuScreen")
        await pilot.click("#console")
        await wait_for_screen(pilot, "ConsoleScreen")
        kiosk.last_activity = time.monotonic() - 120  # past the visitor idle time
        kiosk.idle_tick()
        await pilot.pause()
        assert type(kiosk.screen).__name__ == "ConsoleScreen"  # staff get 5 minutes
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, "WelcomeScreen")


async def test_reception_is_not_offered_security_tabs(services: Services) -> None:
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        tabs = {p.id for p in pilot.app.screen.query("TabPane")}
        assert "tab-onsite" not in tabs and "tab-export" not in tabs
