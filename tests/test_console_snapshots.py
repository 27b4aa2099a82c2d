"""Snapshots of the console screens at 120x40 (staff-facing, English), and of the log and
the pre-registration form at 80x24."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kiosk.app import make_console
from kiosk.i18n import set_language
from screens.console.table import VisitTable
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    OPERATOR,
    kiosk_settings,
    open_services,
    still,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host, check_in, check_out
from tests.helpers.waiting import wait_until

Step = Callable[[Pilot[None]], Awaitable[None]]


async def _loaded(pilot: Pilot[None], user: str = "rita") -> None:
    await wait_for_screen(pilot, "PinScreen")
    await type_into(pilot, "#user", user)
    await type_into(pilot, "#pin", "481592")
    await pilot.press("enter")
    await wait_for_screen(pilot, "ConsoleScreen")
    table = pilot.app.screen.query_one("#visits", VisitTable)
    await wait_until(lambda: len(table.rows), (4).__eq__)


async def _search(pilot: Pilot[None]) -> None:
    await _loaded(pilot)
    await type_into(pilot, "#search", "qwerty")
    await pilot.pause()


async def _detail(pilot: Pilot[None]) -> None:
    await _loaded(pilot)
    pilot.app.screen.query_one("#visits", VisitTable).focus()
    await pilot.press("down", "enter")
    await wait_for_screen(pilot, "VisitDetailScreen")
    await wait_until(lambda: pilot.app.screen.query_one("#fix-name", Input).value)


async def _prereg(pilot: Pilot[None]) -> None:
    await _loaded(pilot)
    await pilot.press("f3")


async def _prereg_errors(pilot: Pilot[None]) -> None:
    await _prereg(pilot)
    pilot.app.screen.query_one("#pre-email", Input).value = "not-an-address"
    await pilot.click("#pre-submit")
    await wait_until(lambda: str(pilot.app.screen.query_one("#pre-email-error").render()))


async def _hosts(pilot: Pilot[None]) -> None:
    await _loaded(pilot)
    await pilot.press("f4")
    await pilot.pause(0.3)


async def _onsite(pilot: Pilot[None]) -> None:
    await _loaded(pilot, "sam")
    await pilot.press("f5")
    await wait_until(lambda: str(pilot.app.screen.query_one("#onsite-list").render()))


async def _export(pilot: Pilot[None]) -> None:
    await _loaded(pilot, "sam")
    await pilot.press("f6")
    pilot.app.screen.query_one("#export-output", Input).value = "/srv/exports/access.csv"


async def _staff(pilot: Pilot[None]) -> None:
    await _loaded(pilot, "ada")
    await pilot.press("f8")
    for _ in range(200):
        if pilot.app.screen.query_one("#staff-table", DataTable).row_count == 3:
            break
        await pilot.pause(0.02)


async def _retention(pilot: Pilot[None]) -> None:
    await _loaded(pilot, "ada")
    await pilot.press("f9")
    await pilot.pause(0.3)  # the tab underline slides


async def _rights(pilot: Pilot[None]) -> None:
    await _loaded(pilot, "ada")
    await pilot.press("f10")
    await type_into(pilot, "#rights-who", visitor(1).phone or "")
    await pilot.press("enter")
    for _ in range(200):
        if pilot.app.screen.query_one("#rights-visits", DataTable).row_count == 1:
            break
        await pilot.pause(0.02)


async def _reports(pilot: Pilot[None]) -> None:
    await _export(pilot)
    pilot.app.screen.query_one("#export-reports").focus()  # (below an 80x24 window's fold)
    await pilot.press("enter")
    await wait_for_screen(pilot, "ReportsScreen")
    await wait_until(lambda: str(pilot.app.screen.query_one("#report-status").render()))


async def _login(pilot: Pilot[None]) -> None:
    await wait_for_screen(pilot, "PinScreen")


SCREENS: dict[str, Step] = {
    "login": _login,
    "log": _loaded,
    "log-search": _search,
    "detail": _detail,
    "prereg": _prereg,
    "hosts": _hosts,
    "onsite": _onsite,
    "export": _export,
    "staff": _staff,
    "retention": _retention,
    "rights": _rights,
    "reports": _reports,
}
# Every tab but Audit, whose rows show when each staff login of the test happened (the
# clock of the audit trail is the real one); that every tab's controls fit 80x24 is
# tests/console_app/test_layout.py's.
TABS = ("log", "prereg", "hosts", "onsite", "export", "staff", "retention", "rights")


@pytest.mark.parametrize("name", list(SCREENS))
def test_console_screen(name: str, snap_compare: Any, tmp_path: Path) -> None:
    assert _snapshot(SCREENS[name], (120, 40), snap_compare, tmp_path)


@pytest.mark.parametrize("name", [*TABS, "prereg-errors", "reports"])
def test_console_on_a_small_terminal(name: str, snap_compare: Any, tmp_path: Path) -> None:
    """80x24, every tab: nothing cut (every tab's title in the bar, the log's day field
    beside the search box and status filter); the pre-registration form's messages go
    under their fields."""
    step = SCREENS.get(name, _prereg_errors)
    assert _snapshot(step, (80, 24), snap_compare, tmp_path)


def _snapshot(step: Step, size: tuple[int, int], snap_compare: Any, tmp_path: Path) -> bool:
    set_language("en")
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("rita", "reception", "481592", OPERATOR)
    services.staff.add("sam", "security", "481592", OPERATOR)
    services.staff.add("ada", "admin", "481592", OPERATOR)
    add_host(services.repos, "Hostina Placeholder", "hostina@example.com", actor="admin")
    for i in range(3):
        check_in(services.repos, visitor(i), actor="test", now=FIXED_NOW - timedelta(hours=i))
    left = check_in(
        services.repos, visitor(7, company="Other Fake BV"), actor="test", now=FIXED_NOW
    )
    check_out(services.repos, left.badge_code, actor="test", now=FIXED_NOW + timedelta(minutes=30))
    app = make_console(services.settings, services=services, clock=lambda: FIXED_NOW)

    async def run_before(pilot: Pilot[None]) -> None:
        await step(pilot)
        await still(pilot)

    return bool(snap_compare(app, run_before=run_before, terminal_size=size))
