"""The Hosts tab: the directory visitors pick their host from."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static

from kiosk.app import make_console
from kiosk.services.bundle import Services
from tests.helpers.console_ui import audit_actions
from tests.helpers.kiosk_ui import (
    staff_login,
    status_of,
    wait_for_screen,
)
from tests.helpers.store import add_host


async def _hosts_listed(pilot: Pilot[None]) -> OptionList:
    """The Hosts tab's list, once it shows a host."""
    hosts = pilot.app.screen.query_one("#host-list", OptionList)
    for _ in range(100):
        if hosts.option_count:
            break
        await pilot.pause(0.05)
    return hosts


async def _hosts_tab(pilot: Pilot[None]) -> None:
    await staff_login(pilot, "rita")
    await wait_for_screen(pilot, "ConsoleScreen")
    await pilot.click("#--content-tab-tab-hosts")
    await pilot.pause()


async def test_hosts_directory_add_and_deactivate(services: Services) -> None:
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await _hosts_tab(pilot)
        pilot.app.screen.query_one("#host-name", Input).value = "Hubert Host"
        pilot.app.screen.query_one("#host-email", Input).value = "hubert@example.com"
        await pilot.click("#host-add")
        hosts = await _hosts_listed(pilot)
        hosts.highlighted = 0
        await pilot.click("#host-toggle")
        await pilot.pause(0.5)
        hosts.highlighted = 0
        await pilot.pause()
        assert pilot.app.screen.query_one("#host-name", Input).value == "Hubert Host"
        pilot.app.screen.query_one("#host-name", Input).value = "Hubert Hostman"
        await pilot.click("#host-save")
        await pilot.pause(0.5)
    [host] = services.repos.hosts.all(active_only=False)
    assert (host.name, host.email, host.active) == ("Hubert Hostman", "hubert@example.com", False)
    assert services.repos.hosts.all() == []  # the kiosk no longer offers an inactive host


async def test_the_hosts_tab_refuses_a_second_host_visitors_could_not_tell_apart(
    services: Services,
) -> None:
    """The message says what to do, and what reception typed stays to be changed."""
    add_host(services.repos, "Hubert Host", "hubert@example.com", actor="admin")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await _hosts_tab(pilot)
        await _hosts_listed(pilot)
        name = pilot.app.screen.query_one("#host-name", Input)
        name.value = "hubert host"
        pilot.app.screen.query_one("#host-email", Input).value = "hubert.h@example.com"
        await pilot.click("#host-add")
        error = pilot.app.screen.query_one("#host-error", Static)
        for _ in range(100):
            if str(error.render()):
                break
            await pilot.pause(0.05)
        assert str(error.render()) == (
            "A host with this name is already in the directory (active): edit that host, "
            "or add what tells them apart, such as a department."
        )
        assert name.value == "hubert host"
        name.value = "Hubert Host (Sales)"
        await pilot.pause(0.3)  # the button takes no second press while it shows the first
        await pilot.click("#host-add")
        for _ in range(100):
            if len(services.repos.hosts.all()) == 2:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        assert str(error.render()) == "" and name.value == ""
    assert [(h.name, h.email) for h in services.repos.hosts.all()] == [
        ("Hubert Host", "hubert@example.com"),
        ("Hubert Host (Sales)", "hubert.h@example.com"),
    ]
    assert audit_actions(services)[-1] == ("staff:rita", "host.add")


async def test_the_hosts_tab_says_what_is_wrong_with_a_change(services: Services) -> None:
    """Save or (de)activate with no host chosen, a new name another host has, a bad
    e-mail address: each is said under the form, what was typed stays, nothing changes."""
    add_host(services.repos, "Hubert Host", "hubert@example.com", actor="admin")
    add_host(services.repos, "Hostina Placeholder", actor="admin")
    before = services.repos.hosts.all(active_only=False)
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await _hosts_tab(pilot)
        hosts = await _hosts_listed(pilot)
        error = pilot.app.screen.query_one("#host-error", Static)
        for button in ("#host-toggle", "#host-save"):
            error.update("")
            await pilot.click(button)
            assert await status_of(pilot, "#host-error") == "Choose a host in the list first."
        hosts.highlighted = 0  # Hostina Placeholder
        await pilot.pause()
        name = pilot.app.screen.query_one("#host-name", Input)
        email = pilot.app.screen.query_one("#host-email", Input)
        for typed_name, typed_email, said in (
            ("HUBERT host", "", "A host with this name is already in the directory (active)"),
            ("Hostina Placeholder", "not-an-address", "Please enter a valid e-mail address."),
        ):
            error.update("")
            name.value, email.value = typed_name, typed_email
            await pilot.pause(0.3)  # the button takes no second press while it shows the first
            await pilot.click("#host-save")
            assert said in await status_of(pilot, "#host-error"), said
            assert (name.value, email.value) == (typed_name, typed_email)
    assert services.repos.hosts.all(active_only=False) == before


async def test_the_hosts_tab_sets_the_language_of_a_hosts_emails(
    services: Services,
) -> None:
    """Reception sees each host's e-mail language and changes it with the list under the
    e-mail field, as for a new host."""
    add_host(services.repos, "Hostina Placeholder", "hostina@example.com", "nl", actor="admin")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await _hosts_tab(pilot)
        hosts = await _hosts_listed(pilot)
        assert str(hosts.get_option_at_index(0).prompt).endswith("[nl]")
        hosts.highlighted = 0
        await pilot.pause()
        language = pilot.app.screen.query_one("#host-language", Select)
        assert language.value == "nl"
        await pilot.click("#host-language")  # the list opens on Nederlands
        await pilot.press("up", "up", "enter")  # the site's (English)
        assert language.value == ""
        await pilot.click("#host-save")
        await pilot.pause(0.5)
        pilot.app.screen.query_one("#host-name", Input).value = "Hubert Host"
        await pilot.click("#host-language")
        await pilot.press("down", "down", "enter")
        assert language.value == "nl"
        await pilot.click("#host-add")
        await pilot.pause(0.5)
    assert [(h.name, h.language) for h in services.repos.hosts.all()] == [
        ("Hostina Placeholder", None),
        ("Hubert Host", "nl"),
    ]
