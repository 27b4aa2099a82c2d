"""A kiosk whose database cannot be opened says so, and opens when it answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button

from kiosk.app import make_app
from screens.kiosk_app import KioskApp
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    kiosk_settings,
    open_services,
    screen_text,
    wait_for_screen,
)
from tests.helpers.postgres import PgDatabases


async def _refused_at_start(pilot: Pilot[None], settle: float) -> str:
    """The kiosk's start-up error, once it has one and still has it ``settle`` seconds
    later, with the welcome screen saying it is not available and its ways in disabled."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    deadline = time.monotonic() + 30
    while not app.start_error:
        assert time.monotonic() < deadline, "the kiosk started"
        await pilot.pause(0.02)
    await pilot.pause(settle)
    assert "not available right now" in screen_text(pilot)
    for way in ("#check-in", "#check-out", "#invitation", "#delivery"):
        assert app.screen.query_one(way, Button).disabled
    return app.start_error or ""


async def test_kiosk_that_cannot_open_its_store_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong master key needs a person: the kiosk says it is not available and does
    not keep trying."""
    monkeypatch.setattr("screens.app_base.REOPEN_EVERY_S", 0.2)
    settings = kiosk_settings(tmp_path)
    open_services(settings)  # creates the database and key
    (tmp_path / "data" / "master.key").write_bytes(b"\x00" * 32)  # wrong key
    app = make_app(settings, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        error = await _refused_at_start(pilot, settle=1)  # five chances to try again
        assert not app.runtime.retrying and "master key" in error


@pytest.mark.postgres
async def test_a_kiosk_that_started_before_its_database_opens_when_it_answers(
    pg: PgDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a power cut the kiosk boots before the PostgreSQL server is up: it says it is
    not available, and when the database answers it is ready by itself (no restart),
    Check in focused for a keyboard kiosk."""
    monkeypatch.setattr("screens.app_base.REOPEN_EVERY_S", 0.2)
    records, keys = pg.create(), pg.create()
    settings = kiosk_settings(
        tmp_path, f'database_url = "{pg.url(records)}"\nkeystore_url = "{pg.url(keys)}"\n'
    )
    pg.allow_connections(records, False)
    app = make_app(settings, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        error = await _refused_at_start(pilot, settle=0.5)  # a few attempts, still refused
        assert app.runtime.retrying and "cannot reach the database" in error
        # Where the focus may go while the ways in are disabled (it did, on a busy machine).
        app.screen.set_focus(app.screen.query_one("#lang-en", Button))
        pg.allow_connections(records, True)
        await ready_again(pilot)
        assert "not available right now" not in screen_text(pilot)
        assert pilot.app.screen.focused is pilot.app.screen.query_one("#check-in", Button)
        await pilot.press("enter")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
    assert (
        app.runtime.services.repos.visits.on_day(
            app.runtime.services.repos.db.local_day(FIXED_NOW)
        ).visits
        == []
    )


async def ready_again(pilot: Pilot[None], wait: float = 30) -> None:
    """Until the kiosk's store is open and its welcome screen says nothing is wrong."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    deadline = time.monotonic() + wait
    while app.start_error or pilot.app.screen.query_one("#check-in", Button).disabled:
        assert time.monotonic() < deadline, app.start_error
        await pilot.pause(0.05)
