"""The Export tab: access records to a file of their own, with progress."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyrage
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import Input, Static

from kiosk.app import make_console
from kiosk.services.bundle import Services
from storage.models import Visit
from tests.helpers.console_ui import audit_actions
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    services_with_staff,
    staff_login,
    wait_for_screen,
)
from tests.helpers.store import check_in, check_out


async def test_security_sees_on_site_and_exports_with_progress(
    services: Services, tmp_path: Path
) -> None:
    for i in range(3):
        check_in(services.repos, visitor(i), actor="test")
    check_out(
        services.repos, check_in(services.repos, visitor(8), actor="test").badge_code, actor="test"
    )
    out = tmp_path / "from-console.csv"
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        tabs = {p.id for p in pilot.app.screen.query("TabPane")}
        assert {"tab-onsite", "tab-export"} <= tabs
        await pilot.press("f5")
        listing = pilot.app.screen.query_one("#onsite-list")
        for _ in range(100):
            if str(listing.render()):
                break
            await pilot.pause(0.05)
        shown = str(listing.render())
        assert [line.split("  ")[0] for line in shown.splitlines()[1:]] == sorted(
            visitor(i).name for i in range(3)
        )
        await pilot.click("#onsite-print")
        await pilot.pause(0.5)
        assert "No printer is set up" in str(pilot.app.screen.query_one("#onsite-status").render())
        await pilot.press("f6")
        assert not pilot.app.screen.query("#export-restricted")  # an admin's choice only
        assert "Exported 4 row(s)" in await _export_from_console(pilot, out)
    assert len(out.read_text().splitlines()) == 5
    sams = [action for actor, action in audit_actions(services) if actor == "staff:sam"]
    assert "export.access_records" in sams
    # Who looked at what: the day's log once (not each refresh), the list, the printout
    # (the log and the list load side by side: in either order).
    assert sorted(a for a in sams if a.startswith(("log.", "onsite."))) == [
        "log.view",
        "onsite.print",
        "onsite.view",
    ]


async def _export_from_console(pilot: Pilot[None], out: Path) -> str:
    """Fill in the output path on the Export tab, run it, return the status shown."""
    pilot.app.screen.query_one("#export-output", Input).value = str(out)
    status = pilot.app.screen.query_one("#export-status", Static)
    status.update("")  # not the previous export's result
    while pilot.app.screen.query_one("#export-run").has_class("-active"):
        await pilot.pause(0.05)  # a button ignores clicks for a moment after one
    await pilot.click("#export-run")
    for _ in range(200):
        if str(status.render()).startswith(("Exported", "Not exported")):
            break
        await pilot.pause(0.05)
    return str(status.render())


async def test_each_console_export_gets_a_file_of_its_own(services: Services) -> None:
    """The name offered follows the format and is new for every export; a path that
    already holds an export is refused with a message, the file left as it was."""
    check_in(services.repos, visitor(1), actor="test", now=FIXED_NOW)
    console = make_console(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with console.run_test(size=(120, 40)) as pilot:  # the clock stands still
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f6")
        output = pilot.app.screen.query_one("#export-output", Input)
        exports = services.settings.data_dir / "exports"
        assert output.value.startswith(str(exports / "access-")) and output.value.endswith(".csv")
        await pilot.click("#export-json")
        assert output.value.endswith(".json")
        first = Path(output.value)
        assert "Exported 1 row(s)" in await _export_from_console(pilot, first)
        second = Path(output.value)
        assert second.name == first.stem + "-2.json"  # made within the same second
        assert "Exported 1 row(s)" in await _export_from_console(pilot, second)
        before = first.read_bytes()
        status = await _export_from_console(pilot, first)  # typed over: an earlier file
    assert status.startswith("Not exported") and "exists; choose a new file" in status
    assert first.read_bytes() == before and json.loads(before)[0]["name"] == visitor(1).name
    assert sorted(exports.iterdir()) == sorted([first, second])


async def test_an_export_path_naming_no_home_folder_is_refused_in_words(
    services: Services, tmp_path: Path
) -> None:
    """ "~someone/file" where someone has no account here: before, expanding it raised on
    the screen's own thread and ended the console. Now the field says so, nothing is
    written, and the export runs once the path is fixed."""
    check_in(services.repos, visitor(1), actor="test", now=FIXED_NOW)
    console = make_console(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with console.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f6")
        pilot.app.screen.query_one("#export-output", Input).value = "~nosuchuser/out.csv"
        await pilot.click("#export-run")
        await pilot.pause(0.3)
        error = str(pilot.app.screen.query_one("#export-output-error", Static).render())
        assert error == "~nosuchuser is not a home folder on this machine."
        assert pilot.app.is_running and not pilot.app.screen.query_one("#export-run").disabled
        status = await _export_from_console(pilot, tmp_path / "fixed.csv")
    assert status.startswith("Exported 1 row(s)")
    assert (tmp_path / "fixed.csv").exists()


async def test_only_an_admin_may_export_restricted_records(
    services: Services, tmp_path: Path
) -> None:
    check_in(services.repos, visitor(1), actor="test")
    objected = check_in(services.repos, visitor(2), actor="test")
    with services.repos.db.uow("test") as tx:  # the visitor objected
        services.repos.rights.set_restricted(tx, [objected.visit_id], True)
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "ada")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f6")
        assert "Exported 1 row(s)" in await _export_from_console(pilot, tmp_path / "a.csv")
        await pilot.click("#export-restricted")
        assert "Exported 2 row(s)" in await _export_from_console(pilot, tmp_path / "b.csv")
    assert visitor(2).name not in (tmp_path / "a.csv").read_text()
    assert visitor(2).name in (tmp_path / "b.csv").read_text()
    assert visitor(1).name in (tmp_path / "a.csv").read_text()


async def test_an_export_is_encrypted_to_the_configured_age_key(tmp_path: Path) -> None:
    """With [export] recipients set, the Export tab encrypts to them by default: the file
    (named .age) opens with the matching identity only; the exports folder is 0700."""
    identity = pyrage.x25519.Identity.generate()
    services = services_with_staff(tmp_path, f'[export]\nrecipients = ["{identity.to_public()}"]\n')
    check_in(services.repos, visitor(1), actor="test")
    default = services.export.default_path()
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f6")
        said = await _export_from_console(pilot, default)
        assert "Exported 1 row(s)" in said and ".csv.age" in said
    written = default.with_name(default.name + ".age")
    assert not default.exists()
    assert visitor(1).name not in written.read_bytes().decode("latin-1")
    plain = pyrage.decrypt(written.read_bytes(), [identity]).decode()
    assert visitor(1).name in plain
    assert stat.S_IMODE(default.parent.stat().st_mode) == 0o700


async def test_a_passphrase_export_asks_twice(services: Services, tmp_path: Path) -> None:
    check_in(services.repos, visitor(1), actor="test")
    out = tmp_path / "protected.csv"
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f6")
        await pilot.click("#protect-passphrase")
        screen = pilot.app.screen
        screen.query_one("#export-passphrase", Input).value = "correct horse battery"
        screen.query_one("#export-passphrase2", Input).value = "correct horse staple"
        screen.query_one("#export-output", Input).value = str(out)
        await pilot.click("#export-run")
        await pilot.pause(0.3)
        error = str(screen.query_one("#export-passphrase-error").render())
        assert error == "The two passphrases differ."
        assert screen.query_one("#export-passphrase", Input).value  # kept
        screen.query_one("#export-passphrase2", Input).value = "correct horse battery"
        assert "Exported 1 row(s)" in await _export_from_console(pilot, out)
    written = out.with_name("protected.csv.age")
    assert written.read_bytes().startswith(b"age-encryption.org/v1")
    assert (
        visitor(1).name
        in pyrage.passphrase.decrypt(written.read_bytes(), "correct horse battery").decode()
    )


async def test_the_on_site_tab_lists_a_record_it_cannot_read(services: Services) -> None:
    """A visit marked as gone behind the kiosk's back stays on the list, counted, as an
    unreadable record: what a marshal must check."""
    inside = [check_in(services.repos, visitor(i), actor="test") for i in range(2)]
    with services.repos.db.engine.begin() as conn:
        conn.execute(
            update(Visit).where(Visit.id == inside[0].visit_id).values(departed_at=FIXED_NOW)
        )
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f5")
        count = pilot.app.screen.query_one("#onsite-count", Static)
        for _ in range(100):
            if "unreadable" in str(count.render()):
                break
            await pilot.pause(0.05)
        assert str(count.render()).startswith("On site now: 2, of which 1 unreadable record(s)")
        listing = str(pilot.app.screen.query_one("#onsite-list", Static).render())
        assert f"unreadable record {inside[0].visit_id}" in listing
        assert visitor(1).name in listing
