"""The On site tab: who is in the building now (the evacuation list), and its printout."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Static

from kiosk.app import make_console
from kiosk.domain.staff import Actor, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.onsite import OnSite, on_site_lines, on_site_printout
from storage.errors import DatabaseUnavailable
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    staff_login,
    status_of,
    wait_for_screen,
)
from tests.helpers.store import check_in


def test_the_on_site_list_lines_up_names_in_wide_characters() -> None:
    """The evacuation list as printed (80 cells): under its titles, "Since" stands in one
    column whatever the names; what does not fit is cut with an ellipsis, companies and
    hosts before names."""
    people = [
        OnSite(
            "山田太郎", "株式会社テストサンプル商事株式会社テスト", "Hostina", "2026-12-01 09:16"
        ),
        OnSite("Johnathan Alexander Worthington-Smythe", "Acme", "Hostina", "2026-12-01 09:12"),
    ]
    lines = on_site_lines(people)
    assert lines[0].split() == ["Name", "Company", "Host", "Since"]
    since = cell_len(lines[0][: lines[0].index("Since")])
    assert [cell_len(line[: line.index("2026")]) for line in lines[1:]] == [since] * 2, lines
    assert all(cell_len(line) <= 80 for line in lines), lines
    assert "Johnathan Alexander Worthington-Smythe" in lines[2]  # the name kept whole
    assert "株式会社テス…" in lines[1]  # the long company cut
    # With room for everything (a wide console), nothing is cut.
    wide = on_site_lines(people, 120)
    assert "株式会社テストサンプル商事株式会社テスト" in wide[1]
    assert not any("…" in line for line in wide)


def test_a_long_evacuation_list_prints_on_pages_that_each_say_what_they_are() -> None:
    """130 people on site: three pages split by form feeds, each with the time the list
    was read, the column titles and "Page n of 3"; everyone once, in order."""
    people = [OnSite(f"Person {i:03d}", "Acme", "Hostina", "2026-12-01 09:12") for i in range(130)]
    heading = "On site at 2026-12-01 10:02"
    pages = on_site_printout(people, heading, page_lines=60).split("\f")
    assert len(pages) == 3
    listed = []
    for n, page in enumerate(pages, 1):
        lines = page.rstrip("\n").split("\n")
        assert len(lines) <= 60
        assert lines[:3] == [heading, "", "Name        Company  Host     Since"], lines[:3]
        assert lines[-2:] == ["", f"Page {n} of 3"]
        listed += [line.split("  ")[0] for line in lines[3:-2]]
    assert listed == [p.name for p in people]
    assert on_site_printout([], heading) == f"{heading}\n\nNobody on site.\n"


async def test_an_on_site_list_longer_than_the_window_scrolls(services: Services) -> None:
    """60 people on site and 40 lines: the list scrolls (it was cut off below the window),
    with the keys too: Shift+Tab from Print, then End shows its last lines."""
    for i in range(60):
        check_in(services.repos, visitor(i), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f5")
        await status_of(pilot, "#onsite-list")
        await pilot.pause(0.3)
        screen = pilot.app.screen
        listing = screen.query_one("#onsite-list", Static)
        last = sorted(visitor(i).name for i in range(60))[-1]
        assert str(listing.render()).splitlines()[-1].startswith(last)
        assert listing.region.bottom > 40  # the end of the list is below the window
        await pilot.press("shift+tab", "end")
        await pilot.pause(0.3)
        bottom = listing.region.bottom
        assert bottom <= 40, (bottom, screen.focused)


async def test_the_on_site_tab_fits_the_list_to_the_console_width(services: Services) -> None:
    """On a wide console a long name and company are shown whole; on a narrow one the
    columns are cut to the width (the company before the name), never wrapped, the
    titles above them."""
    company = " ".join(["Zyxwvut"] * 6)
    person = dataclasses.replace(
        visitor(1), name="Johnathan Alexander Worthington-Smythe", company=company
    )
    check_in(services.repos, person, actor="test")
    for width, whole in ((150, True), (80, False)):
        console = make_console(services.settings, services=services)
        async with console.run_test(size=(width, 30)) as pilot:
            await staff_login(pilot, "sam")
            await wait_for_screen(pilot, "ConsoleScreen")
            await pilot.press("f5")
            listing = pilot.app.screen.query_one("#onsite-list", Static)
            lines = (await status_of(pilot, "#onsite-list")).splitlines()
            assert lines[0].split() == ["Name", "Company", "Host", "Since"]
            assert (person.name in lines[1]) is whole, (width, lines)
            assert (company in lines[1]) is whole, (width, lines)
            assert person.name[:24] in lines[1]
            assert all(cell_len(line) <= listing.content_region.width for line in lines)


def test_reading_lists_is_audited_once_per_login_and_never_blocks_the_evacuation_list(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(2):
        check_in(services.repos, visitor(i), actor="test")
    # A login each: what each looks at is audited the first time.
    rita = Actor.staff(StaffUser("rita", "reception"))
    sam = Actor.staff(StaffUser("sam", "security"))
    today = services.ctx.today()
    for _ in range(3):  # the console reloads the day every few seconds
        services.log.day(today, rita)
    services.log.day(today - timedelta(days=1), rita)
    services.onsite.people(sam)
    services.onsite.people(sam)
    viewed = [(e.actor, e.action, e.details) for e in services.repos.audit.events()
              if e.action in ("log.view", "onsite.view")]  # fmt: skip
    yesterday = (today - timedelta(days=1)).isoformat()
    assert viewed == [
        ("staff:rita", "log.view", {"day": today.isoformat(), "visits": 2}),
        ("staff:rita", "log.view", {"day": yesterday, "visits": 0}),
        ("staff:sam", "onsite.view", {"people": 2}),
    ]
    assert "Zyxwvut" not in str(viewed)

    def unwritable(*_: object, **__: object) -> None:
        raise DatabaseUnavailable("the database is locked")

    monkeypatch.setattr(services.repos.db, "uow", unwritable)  # no write gets through
    other = Actor.staff(StaffUser("sam", "security"))
    assert len(services.onsite.people(other)) == 2  # shown, though its event was not written
    with pytest.raises(DatabaseUnavailable):  # the log is not shown unaudited
        services.log.day(today, Actor.staff(StaffUser("rita", "reception")))


def test_console_printouts_go_to_the_printer_quietly(
    services: Services, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Security prints the evacuation list and an invitation: the print command gets the
    file and what it says goes nowhere (it landed in the terminal, over the console's
    screen); a printer that fails is a message saying why (an invitation was reported
    "Sent to the printer" whatever the printer did), and no copy stays behind."""
    printed, lp = tmp_path / "printed", tmp_path / "fake-lp"
    lp.write_text(f'#!/bin/sh\ncp "$1" {printed}\necho "request id is LABEL-2 (1 file(s))"\n')
    lp.chmod(0o755)

    sam = Actor.staff(StaffUser("sam", "security"))

    def security(command: str) -> Services:
        printing = dataclasses.replace(services.settings.printing, command=command)
        settings = dataclasses.replace(services.settings, printing=printing)
        return Services.over(services.repos, settings)

    zeb = [OnSite("Zeb Fakename", "", "Hostina", "2026-12-01 09:12")]
    assert security(str(lp)).onsite.print(zeb, sam) == "Sent to the printer."
    assert printed.read_text().splitlines()[2:] == [
        "Name          Company  Host     Since",
        "Zeb Fakename           Hostina  2026-12-01 09:12",
        "",
        "Page 1 of 1",
    ]
    out, err = capfd.readouterr()
    assert "request id" not in out + err
    failed = security("/bin/false").onsite.print(zeb, sam)
    assert failed.startswith("The printer did not answer; the list is in ")
    day = FIXED_NOW.date()
    sent = security(str(lp)).invitations.print_card("AB12-CD34-EF56", "Ingrid Invitee", day, sam)
    assert sent == "Printed."
    assert printed.read_bytes().startswith(b"%PDF-")  # the card, as a PDF
    failed = security("/bin/false").invitations.print_card(
        "AB12-CD34-EF56", "Ingrid Invitee", day, sam
    )
    assert failed == "Not printed: the print command failed (exit 1)."
    assert not list(services.settings.resolved_spool_dir.glob("badge-*"))  # nothing left
    out, err = capfd.readouterr()
    assert "request id" not in out + err
