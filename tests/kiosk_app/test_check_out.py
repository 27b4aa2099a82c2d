"""Checking out at the kiosk by scanning or typing the badge code."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input

from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    type_burst,
    type_into,
    wait_for_screen,
)
from tests.helpers.visitor_ui import (
    at_check_out,
    checked_in_code,
    fail_once,
    kiosk_app,
    visits_today,
)


async def test_check_out_by_scanned_code_then_unknown_and_used_codes(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        code = await at_check_out(pilot)
        assert not pilot.app.screen.query("#camera")  # a terminal has no camera to offer
        await pilot.press(*code, "enter")  # what a USB scanner types
        await wait_for_screen(pilot, "GoodbyeScreen")
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await pilot.click("#check-out")
        await wait_for_screen(pilot, "CheckoutScreen")
        await pilot.press(*code, "enter")
        await pilot.pause(0.3)
        assert "already been checked out" in str(pilot.app.screen.query_one("#code-error").render())
        await pilot.press(*"ZZZZ-ZZZZ-ZZZZ", "enter")
        await pilot.pause(0.3)
        assert "do not know this code" in str(pilot.app.screen.query_one("#code-error").render())
    [visit] = visits_today(services)
    assert visit.departed_at is not None


async def test_a_badge_scanned_at_the_welcome_screen_checks_out_at_once(tmp_path: Path) -> None:
    """A USB scanner at the kiosk: the visitor leaving scans their badge without
    pressing Check out first. Enter that ends no code still presses the focused button."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        code = await checked_in_code(pilot)
        await type_burst(pilot, *code.lower(), "enter")  # what a scanner types
        await wait_for_screen(pilot, "GoodbyeScreen")
        [visit] = visits_today(services)
        assert visit.departed_at is not None
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await type_burst(pilot, *code, "enter")  # the same badge again: says so
        await wait_for_screen(pilot, "CheckoutScreen")
        await pilot.pause(0.3)
        assert "already been checked out" in str(pilot.app.screen.query_one("#code-error").render())
        await pilot.press("escape")
        await wait_for_screen(pilot, "WelcomeScreen")
        await type_burst(pilot, *"hello", "enter")  # no code: Enter is the Check in button's
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")


async def test_check_out_pressed_before_the_scan_then_the_scan_checks_out(
    tmp_path: Path,
) -> None:
    """A visitor touches Check out before scanning: they are asked for the code, and the
    scanner's typing lands in the code field (not on the button, where it was lost)."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        code = await at_check_out(pilot)
        await pilot.click("#submit")
        await pilot.pause(0.2)
        error = pilot.app.screen.query_one("#code-error")
        assert str(error.render()) == "Please scan or type your code."
        await pilot.press(*code, "enter")  # a USB scanner types the code and Enter
        await wait_for_screen(pilot, "GoodbyeScreen")
    [visit] = visits_today(services)
    assert visit.departed_at is not None


async def test_a_database_failure_at_check_out_keeps_the_code_for_a_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_services(kiosk_settings(tmp_path))
    calls = fail_once(monkeypatch, services.checkin, "check_out_badge")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        code = await at_check_out(pilot)
        await type_into(pilot, "#code", code)
        await pilot.click("#submit")  # a touch on Check out (the focus leaves the field)
        error = pilot.app.screen.query_one("#code-error")
        for _ in range(100):
            if "could not check you out" in str(error.render()):
                break
            await pilot.pause(0.05)
        assert "could not check you out just now" in str(error.render())
        assert pilot.app.screen.query_one("#code", Input).value == code
        assert not pilot.app.screen.query_one("#submit", Button).disabled
        assert pilot.app.focused is pilot.app.screen.query_one("#code")  # not on Cancel
        await pilot.press("enter")  # the code is still there: Enter tries again
        await wait_for_screen(pilot, "GoodbyeScreen")
    [visit] = visits_today(services)
    assert visit.departed_at is not None and len(calls) == 2
