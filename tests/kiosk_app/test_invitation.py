"""Invited visitors at the kiosk: the invitation code, typed or scanned, fills the form."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from kiosk.domain.visits import VisitorType
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    type_burst,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host
from tests.helpers.visitor_ui import (
    EMAIL,
    NAME,
    fail_once,
    invited_today,
    kiosk_app,
    visits_today,
)


async def test_an_invitation_qr_scanned_at_the_welcome_screen_opens_the_check_in(
    tmp_path: Path,
) -> None:
    services = open_services(kiosk_settings(tmp_path))
    code = invited_today(services)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await type_burst(pilot, *code, "enter")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
    assert visits_today(services) == []  # nothing stored until the visitor goes through


async def test_invitation_code_fills_the_form(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    host = add_host(services.repos, "Hostina Placeholder", actor="admin")
    code = invited_today(
        services,
        company="Fictitious Widgets Ltd",
        visitor_type=VisitorType.DELIVERY,
        host_id=host,
    )
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        await pilot.press(*code.lower(), "enter")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        screen = pilot.app.screen
        assert screen.query_one("#name-input", Input).value == NAME
        assert screen.query_one("#email-input", Input).value == EMAIL
        assert screen.query_one("#host-input", Input).value == "Hostina Placeholder"
        await pilot.pause(0.3)
        await pilot.click("#next")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "BadgeScreen")
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await pilot.click("#invitation")  # the same code again: already used
        await wait_for_screen(pilot, "InvitationScreen")
        await type_into(pilot, "#invitation-code", code)
        await pilot.click("#submit")
        await pilot.pause(0.5)
        assert "do not know this invitation code" in str(
            pilot.app.screen.query_one("#invitation-error").render()
        )
        assert pilot.app.focused is pilot.app.screen.query_one("#invitation-code")
    [visit] = visits_today(services)
    assert (visit.name, visit.host_id, visit.visitor_type) == (NAME, host, VisitorType.DELIVERY)


async def test_an_invitation_code_left_empty_or_not_looked_up_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Next with nothing typed asks for the code (it did nothing); a database that does
    not answer is said, the code stays, and Enter tries again."""
    services = open_services(kiosk_settings(tmp_path))
    code = invited_today(services)
    fail_once(monkeypatch, services.checkin, "find_invitation")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        error = pilot.app.screen.query_one("#invitation-error")
        await pilot.click("#submit")
        await pilot.pause(0.2)
        assert str(error.render()) == "Please scan or type your invitation code."
        await pilot.press(*code)
        await pilot.click("#submit")
        for _ in range(100):
            if "could not look up" in str(error.render()):
                break
            await pilot.pause(0.05)
        assert "We could not look up your invitation just now" in str(error.render())
        assert pilot.app.screen.query_one("#invitation-code", Input).value == code
        assert pilot.app.focused is pilot.app.screen.query_one("#invitation-code")
        await pilot.press("enter")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME


@pytest.mark.parametrize(
    ("days", "told"),
    [
        (1, "This invitation is for {day}. Please come back then, or choose Check in."),
        (-1, "This invitation was for {day}. Please choose Check in instead."),
        (None, "We do not know this invitation code. Please choose Check in instead."),
    ],
)
async def test_an_invitation_for_another_day_says_which_day(
    tmp_path: Path, days: int | None, told: str
) -> None:
    """A visitor a day early (or late) is told the day of their invitation, not that the
    code is unknown; a code nobody was given is unknown."""
    services = open_services(kiosk_settings(tmp_path))
    day = services.ctx.today() + timedelta(days=days or 0)
    code = invited_today(services, expected_day=day) if days else "AAAA-BBBB-CCCC"
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        await type_into(pilot, "#invitation-code", code)
        await pilot.click("#submit")
        error = pilot.app.screen.query_one("#invitation-error")
        for _ in range(100):
            if str(error.render()):
                break
            await pilot.pause(0.05)
        assert str(error.render()) == told.format(day=day.isoformat())
        assert type(pilot.app.screen).__name__ == "InvitationScreen"
    assert visits_today(services) == []
