"""The console while its database is away: one standing line, the lists stay."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk.app import make_console
from screens.console.log_panel import REFRESH_S
from screens.console.table import VisitTable
from tests.helpers.console_ui import rows_shown
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    services_with_staff,
    staff_login,
    status_of,
    wait_for_screen,
)
from tests.helpers.postgres import PgDatabases
from tests.helpers.store import check_in


def _error_toasts(pilot: Pilot[None]) -> int:
    return sum(1 for n in pilot.app._notifications if n.severity == "error")


@pytest.mark.postgres
async def test_a_database_outage_is_one_standing_line_and_the_lists_stay(
    pg: PgDatabases, tmp_path: Path
) -> None:
    """The records database on the PostgreSQL server goes out of reach while security
    watches the log and the On site tab: each says so in one line (since when, as read
    when) instead of a new error message every 3 seconds, keeps showing what it last
    read, and a list printed meanwhile says how old it is. When the database is back
    the lines go and the log is read again."""
    records, keys = pg.create(), pg.create()
    services = services_with_staff(
        tmp_path, f'database_url = "{pg.url(records)}"\nkeystore_url = "{pg.url(keys)}"\n'
    )
    check_in(services.repos, visitor(1), actor="test")
    now = [datetime.now(UTC)]
    console = make_console(services.settings, services=services, clock=lambda: now[0])
    async with console.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        await pilot.press("f5")
        assert await status_of(pilot, "#onsite-count", "1") == "On site now: 1"
        read_at = now[0]
        pg.allow_connections(records, False)
        try:
            stale = await status_of(pilot, "#onsite-stale", "this list is as read at")
            assert f"as read at {read_at.astimezone(services.repos.db.timezone):%H:%M}" in stale
            assert "could not be used" in stale and "trying again every 3 s" in stale
            assert visitor(1).name in str(pilot.app.screen.query_one("#onsite-list").render())
            line = await status_of(pilot, "#db-down", "the log is as read at")
            await pilot.pause(2 * REFRESH_S + 0.5)  # two more failed refreshes
            assert _error_toasts(pilot) == 0
            assert str(pilot.app.screen.query_one("#db-down", Static).render()) == line
            assert [r.name for r in pilot.app.screen.query_one("#visits", VisitTable).rows] == [
                visitor(1).name
            ]
            now[0] = read_at + timedelta(minutes=2)
            await pilot.click("#onsite-print")
            await status_of(pilot, "#onsite-status", "the list is in")
        finally:
            pg.allow_connections(records, True)
        lines = list(pilot.app.screen.query("#db-down, #onsite-stale").results(Static))
        deadline = time.monotonic() + 30  # the next refreshes reconnect (slow when busy)
        while any(line.display for line in lines) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert not pilot.app.screen.query_one("#db-down", Static).display
        assert not pilot.app.screen.query_one("#onsite-stale", Static).display
        assert _error_toasts(pilot) == 0
    (printed,) = services.settings.resolved_spool_dir.glob("onsite-*.txt")
    heading = printed.read_text().splitlines()[0]
    local = services.repos.db.timezone
    assert heading == (
        f"On site at {read_at.astimezone(local):%Y-%m-%d %H:%M}"
        f" (as last read; printed {now[0].astimezone(local):%Y-%m-%d %H:%M})"
    )
    assert visitor(1).name in printed.read_text()


@pytest.mark.postgres
async def test_a_console_that_started_before_its_database_lets_staff_in_when_it_answers(
    pg: PgDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened while the database server is down, the console says it keeps trying, and
    staff can log in once the database answers, without restarting it."""
    monkeypatch.setattr("screens.app_base.REOPEN_EVERY_S", 0.2)
    records, keys = pg.create(), pg.create()
    toml = f'database_url = "{pg.url(records)}"\nkeystore_url = "{pg.url(keys)}"\n'
    services_with_staff(tmp_path, toml).close()  # the accounts, then down
    pg.allow_connections(records, False)
    settings = kiosk_settings(tmp_path, toml)
    async with make_console(settings).run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 30
        while not pilot.app.runtime.retrying:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        said = [n.message for n in pilot.app._notifications]
        assert said == ["The database does not answer; the console keeps trying."]
        pg.allow_connections(records, True)
        while pilot.app.runtime.retrying:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        said = [n.message for n in pilot.app._notifications]
        assert "The database answers; the console is ready." in said
