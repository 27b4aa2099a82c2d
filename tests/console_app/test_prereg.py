"""The Pre-register tab: an invitation for an expected visitor, used at the kiosk."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Static

from kiosk.app import make_app, make_console
from kiosk.services.bundle import Services
from kiosk.services.invitations import InvitationService
from storage.errors import DatabaseUnavailable
from tests.helpers.console_ui import rows_shown
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    ready,
    staff_login,
    status_of,
    type_burst,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host


async def at_prereg(pilot: Pilot[None]) -> None:
    """Rita logs in at the console and opens the Pre-register tab."""
    await staff_login(pilot, "rita")
    await wait_for_screen(pilot, "ConsoleScreen")
    await pilot.press("f3")
    await pilot.pause()


async def test_preregistration_lists_the_hosts_a_typed_part_fits(
    services: Services,
) -> None:
    """The host field lists the active hosts whose name contains what reception types
    (not a host who has left); Down and Enter pick one. A part that only one active host
    fits picks that host; a part that several fit asks for a choice and registers
    nothing; a name no host has is kept as typed. The confirmation says whom the
    invitation is for."""
    add_host(services.repos, "Hostina Placeholder", actor="admin")
    add_host(services.repos, "Pieter van den Host", actor="admin")
    gone = add_host(services.repos, "Hostina Gone", actor="admin")
    with services.repos.db.uow("admin") as tx:
        services.repos.hosts.update(tx, gone, active=False)
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        host = pilot.app.screen.query_one("#pre-host", Input)
        choices = pilot.app.screen.query_one("#pre-host-options", OptionList)

        async def listed(typed: str) -> list[str]:
            await type_into(pilot, "#pre-host", typed)
            await pilot.pause()
            shown = [
                str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)
            ]
            return shown if choices.display else []

        for _ in range(100):  # the directory loads in a worker
            if await listed("ho"):
                break
        assert await listed("ho") == ["Hostina Placeholder", "Pieter van den Host"]
        assert await listed("placeholder") == ["Hostina Placeholder"]  # within the name
        assert await listed("h") == []  # from two letters on

        async def register(typed: str, pick: bool = False, wait: float = 10) -> str:
            """The confirmation's last line ("" if none comes within ``wait`` s)."""
            pilot.app.screen.query_one("#pre-code", Static).update("")
            await type_into(pilot, "#pre-name", "Ingrid Invitee")
            await type_into(pilot, "#pre-email", "ingrid@example.com")
            await type_into(pilot, "#pre-host", typed)
            if pick:  # the second name in the list, by keyboard
                await pilot.press("down", "down", "enter")
                assert host.value == "Pieter van den Host" and not choices.display
                assert host.has_focus
            await pilot.click("#pre-submit")
            text = await status_of(pilot, "#pre-code", "Invitation code", wait=wait)
            return text.splitlines()[-1] if text else ""

        assert await register("ho", pick=True) == "Host: Pieter van den Host"
        assert await register("hostina") == "Host: Hostina Placeholder"  # one active host fits
        assert await register("Someone Else") == (
            "Host: Someone Else (not in the hosts directory: not e-mailed)"
        )
        # Several fit: nothing is registered, the field says so and lists them.
        assert await register("host", wait=1) == ""
        error = pilot.app.screen.query_one("#pre-host-error", Static)
        assert (
            str(error.render()) == "Several hosts fit: choose one in the list (Down, then Enter)."
        )
        assert host.has_focus and choices.display and choices.option_count == 2
        assert pilot.app.screen.query_one("#pre-name", Input).value == "Ingrid Invitee"
    invitations = services.repos.invitations.for_day(services.ctx.now().date())
    assert sorted((i.host_name or "", i.host_id is not None) for i in invitations) == [
        ("", True),
        ("", True),
        ("Someone Else", False),
    ]


async def test_preregistration_is_used_at_the_kiosk(services: Services) -> None:
    add_host(services.repos, "Hostina Placeholder", actor="admin")
    today = services.ctx.now().date().isoformat()
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await at_prereg(pilot)
        for field, value in (("name", "Ingrid Invitee"), ("email", "ingrid@example.com"),
                             ("host", "hostina"), ("date", today)):  # fmt: skip
            pilot.app.screen.query_one(f"#pre-{field}", Input).value = value
        await pilot.pause()  # the host field lists the host it fits: the button moves down
        await pilot.click("#pre-submit")
        for _ in range(100):
            text = str(pilot.app.screen.query_one("#pre-code").render())
            if text:
                break
            await pilot.pause(0.05)
        errors = {str(e.id): str(e.render()) for e in pilot.app.screen.query("FieldError")}
        assert text, errors
        code = text.split("Invitation code: ", 1)[1].split()[0]
        await pilot.click("#pre-print")
        await pilot.pause(0.5)
        spooled = services.settings.resolved_spool_dir / f"badge-{code}.pdf"
        assert spooled.read_bytes().startswith(b"%PDF-")  # no printer: kept for staff
        await pilot.press("f2")
        await pilot.click("#status-expected")
        assert await rows_shown(pilot, 1) == ["Ingrid Invitee"]
    kiosk = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with kiosk.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        await pilot.press(*code, "enter")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        assert pilot.app.screen.query_one("#name-input", Input).value == "Ingrid Invitee"
        assert pilot.app.screen.query_one("#host-input", Input).value == "Hostina Placeholder"


async def test_enter_registers_and_the_confirmation_names_who_and_when(
    services: Services,
) -> None:
    """Enter in a field registers (it did nothing); the confirmation says for whom and
    which day, not only the code (the form was already cleared when it was written)."""
    add_host(services.repos, "Hostina Placeholder", actor="admin")
    day = services.ctx.now().date().isoformat()
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await at_prereg(pilot)
        screen = pilot.app.screen
        for field, value in (("name", "Ingrid Invitee"), ("email", "ingrid@example.com"),
                             ("host", "Hostina Placeholder")):  # fmt: skip
            screen.query_one(f"#pre-{field}", Input).value = value
        screen.query_one("#pre-email", Input).focus()
        await pilot.press("enter")
        text = await status_of(pilot, "#pre-code", "Invitation code")
    assert f"For: Ingrid Invitee on {day}" in text and "Host: Hostina Placeholder" in text
    [invitation] = services.repos.invitations.for_day(services.ctx.now().date())
    assert invitation.name == "Ingrid Invitee"


async def test_a_preregistration_the_database_refuses_keeps_the_form_for_a_retry(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database does not answer when reception registers a guest: the reason is
    said (no visitor data in it), what was typed stays, and the same button saves it."""
    real, calls = InvitationService.preregister, []

    def flaky(self: InvitationService, *args: Any, **kwargs: Any) -> tuple[uuid.UUID, str]:
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseUnavailable("the database could not be used: database is locked")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(InvitationService, "preregister", flaky)
    today = services.ctx.now().date().isoformat()
    console = make_console(services.settings, services=services)
    async with console.run_test(size=(120, 40), notifications=True) as pilot:
        await at_prereg(pilot)
        screen = pilot.app.screen
        for field, value in (("name", "Ingrid Invitee"), ("email", "ingrid@example.com"),
                             ("date", today)):  # fmt: skip
            screen.query_one(f"#pre-{field}", Input).value = value
        submit = screen.query_one("#pre-submit", Button)
        submit.press()
        toasts: list[str] = []
        for _ in range(100):
            toasts = [str(t.render()) for t in screen.query("Toast")]
            if toasts:
                break
            await pilot.pause(0.05)
        assert toasts == ["the database could not be used: database is locked"], toasts
        assert screen.query_one("#pre-name", Input).value == "Ingrid Invitee"
        assert screen.query_one("#pre-email", Input).value == "ingrid@example.com"
        assert not submit.disabled and not str(screen.query_one("#pre-code").render())
        submit.press()
        assert "Invitation code: " in await status_of(pilot, "#pre-code", "Invitation code: ")
    [invited] = services.repos.invitations.for_day(services.ctx.now().date())
    assert invited.name == "Ingrid Invitee" and len(calls) == 2


async def test_a_wrong_preregistration_shows_where_and_keeps_what_was_typed(
    services: Services,
) -> None:
    """A mistake in the form: the message is under the field (80 columns), the field
    has the focus, what was typed stays, and nobody is registered."""
    async with make_console(services.settings, services=services).run_test(size=(80, 24)) as pilot:
        await at_prereg(pilot)
        screen = pilot.app.screen
        screen.query_one("#pre-name", Input).value = "Ingrid Invitee"
        screen.query_one("#pre-email", Input).value = "ingrid@"
        screen.query_one("#pre-submit", Button).press()  # below the fold at 80x24
        email = screen.query_one("#pre-email", Input)
        for _ in range(100):
            if email.has_focus:
                break
            await pilot.pause(0.05)
        assert email.has_focus and email.value == "ingrid@"
        assert "valid e-mail" in str(screen.query_one("#pre-email-error").render())
        assert screen.query_one("#pre-name", Input).value == "Ingrid Invitee"
        assert not str(screen.query_one("#pre-name-error").render())
        email.value = "ingrid@example.com"
        screen.query_one("#pre-date", Input).value = "next tuesday"
        screen.query_one("#pre-submit", Button).press()  # below the fold at 80x24
        await pilot.pause()
        assert screen.query_one("#pre-date", Input).has_focus
        assert "YYYY-MM-DD" in str(screen.query_one("#pre-date-error").render())
    assert services.repos.invitations.for_day(services.ctx.now().date()) == []


async def test_a_burst_of_keys_fills_the_preregistration_form_field_by_field(
    services: Services,
) -> None:
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        await pilot.click("#pre-name")
        await type_burst(pilot, *"Ingrid Invitee", "tab", *"ingrid@example.com", "tab", "1")
        values = [pilot.app.screen.query_one(f"#pre-{f}", Input).value
                  for f in ("name", "email", "phone")]  # fmt: skip
        assert values == ["Ingrid Invitee", "ingrid@example.com", "1"]
