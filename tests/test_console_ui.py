"""The reception console, driven with Pilot against a real store."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Select, Sparkline, Static

from kiosk.app import make_app, make_console
from kiosk.domain.registration import Registration
from kiosk.domain.staff import Actor, NotAllowed, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.invitations import InvitationService
from kiosk.services.log import STATUSES, filter_rows
from kiosk.services.staff import StaffService
from kiosk.services.visits import VisitService
from screens.console.log_panel import REFRESH_S, status_id
from screens.console.table import COLUMNS, VisitTable, fit_columns, header
from storage.models import AuditEvent
from tests.helpers.console_ui import names_shown, rows_shown
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    OPERATOR,
    STAFF_PINS,
    kiosk_settings,
    open_services,
    ready,
    services_with_staff,
    settled,
    staff_login,
    status_of,
    type_burst,
    type_into,
    wait_for_screen,
)
from tests.helpers.postgres import PgDatabases
from tests.helpers.store import add_host, check_in, check_out, check_out_visit, correct
from tests.helpers.visitor_ui import fill_details, through_documents

SECURITY_TABS = {"tab-log", "tab-prereg", "tab-hosts", "tab-onsite", "tab-export", "tab-audit"}
ADMIN_TABS = SECURITY_TABS | {"tab-staff", "tab-retention", "tab-rights"}
PINS = STAFF_PINS


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return services_with_staff(tmp_path)


login = staff_login


def _actions(services: Services) -> list[tuple[str, str]]:
    with services.repos.db.engine.connect() as conn:
        return [(a, act) for a, act in conn.execute(select(AuditEvent.actor, AuditEvent.action))]


async def test_a_login_typed_in_one_burst_lands_in_the_right_fields(
    services: Services,
) -> None:
    """A user name, Enter and the PIN, then Enter, all arriving at once (a fast typist, a
    password manager): the PIN goes into the PIN field, not after the user name."""
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "PinScreen")
        await type_burst(pilot, *"rita", "enter", *PINS["rita"][1], "enter")
        await wait_for_screen(pilot, "ConsoleScreen")
    assert ("staff:rita", "staff.login") in _actions(services)


async def test_login_search_filter_and_check_out(services: Services) -> None:
    for i in range(3):
        check_in(services.repos, visitor(i, company=f"Acme {i}"), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert len(await rows_shown(pilot, 3)) == 3
        await type_into(pilot, "#search", "acme 1")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        table = pilot.app.screen.query_one("#visits", VisitTable)
        table.focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "VisitDetailScreen")
        await pilot.pause(0.3)
        assert pilot.app.screen.query_one("#fix-name", Input).value == visitor(1).name
        await pilot.click("#checkout")
        await pilot.pause(0.5)
        await pilot.click("#close")
        await wait_for_screen(pilot, "ConsoleScreen")
        pilot.app.screen.query_one("#search", Input).value = ""
        await pilot.click("#status-on-site")
        assert sorted(await rows_shown(pilot, 2)) == sorted([visitor(0).name, visitor(2).name])
        assert sum(pilot.app.screen.query_one("#arrivals", Sparkline).data or []) == 3
    actions = _actions(services)
    assert ("staff:rita", "visit.view") in actions
    assert ("staff:rita", "visit.check_out") in actions
    assert all(visitor(1).name not in a for a, _ in actions)


async def test_the_log_is_walked_with_the_keys_and_the_mouse(services: Services) -> None:
    """A day longer than the window: arrows and page keys move the highlighted row and
    the log scrolls to keep it in sight; Enter opens the highlighted visit. A click
    highlights a row, a double click opens it."""
    local = services.repos.db.timezone
    morning = datetime.combine(services.ctx.now().date(), time_of_day(7), tzinfo=local)
    for i in range(40):
        check_in(services.repos, visitor(i), actor="test", now=morning + timedelta(minutes=i))
    async with make_console(services.settings, services=services).run_test(size=(120, 30)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await rows_shown(pilot, 40)
        table = pilot.app.screen.query_one("#visits", VisitTable)
        table.focus()

        def in_sight() -> bool:
            top = table.scroll_offset.y
            return top <= table.cursor < top + table.size.height

        assert table.size.height < 40  # the day does not fit: it has to scroll
        await pilot.press("pagedown", "pagedown", "pagedown", "down", "down", "up")
        assert table.cursor == 31 and in_sight() and table.scroll_offset.y > 0
        chosen = table.rows[31].name
        await pilot.press("enter")
        await wait_for_screen(pilot, "VisitDetailScreen")
        assert await status_of(pilot, "#facts")
        assert pilot.app.screen.query_one("#fix-name", Input).value == chosen
        await pilot.press("escape")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press(*["pageup"] * 5)
        assert table.cursor == 0 and table.scroll_offset.y == 0
        await pilot.click(table, offset=(2, 3))
        assert table.cursor == 3
        await pilot.pause(0.5)
        await pilot.double_click(table, offset=(2, 5))
        await wait_for_screen(pilot, "VisitDetailScreen")
        assert await status_of(pilot, "#facts")
        assert pilot.app.screen.query_one("#fix-name", Input).value == table.rows[5].name


async def test_the_log_moves_on_to_the_new_day_at_midnight(services: Services) -> None:
    """A desk staffed through the night: at midnight "today's" log shows the new day and
    its arrivals (before, it stayed on the day the console was opened, morning arrivals
    out of sight), and so do the dates the Pre-register and Export tabs offer. A day staff
    picked themselves stays picked. "On site now" counts as the evacuation list does
    (today and yesterday), whichever day the log shows."""
    amsterdam = ZoneInfo("Europe/Amsterdam")
    evening = datetime(2026, 11, 30, 23, 58, tzinfo=amsterdam)
    now = [evening]
    check_in(services.repos, visitor(1), actor="test", now=evening)
    check_in(services.repos, visitor(2), actor="test", now=evening + timedelta(minutes=4))
    console = make_console(services.settings, services=services, clock=lambda: now[0])
    async with console.run_test(size=(120, 40)) as pilot:
        await login(pilot, "sam")  # security: the Export tab too
        await wait_for_screen(pilot, "ConsoleScreen")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        now[0] = evening + timedelta(minutes=5)  # 00:03 on 1 December
        assert await names_shown(pilot, [visitor(2).name]) == [visitor(2).name]
        screen = pilot.app.screen
        for offered in ("#day", "#pre-date", "#export-from", "#export-to"):
            assert screen.query_one(offered, Input).value == "2026-12-01"
        counts = str(screen.query_one("#counts", Static).render())
        # on site now as the evacuation list counts: tonight's visitor is still here
        assert counts.startswith("Visitors 2026-12-01: 1   On site now: 2   ")
        await pilot.press("f5")
        assert await status_of(pilot, "#onsite-count", "2") == "On site now: 2"
        await pilot.press("f2")
        reminder = str(screen.query_one("#open-earlier", Static).render())
        assert "1 visit(s) of earlier days: 2026-11-30 (1)" in reminder
        await type_into(pilot, "#day", "2026-11-30")
        await pilot.press("enter")
        assert await names_shown(pilot, [visitor(1).name]) == [visitor(1).name]
        now[0] = evening + timedelta(days=1, minutes=5)  # the next midnight: picked stays
        await pilot.pause(REFRESH_S + 0.5)
        assert [r.name for r in screen.query_one("#visits", VisitTable).rows] == [visitor(1).name]
        assert screen.query_one("#day", Input).value == "2026-11-30"
        counts = str(screen.query_one("#counts", Static).render())
        assert counts.startswith("Visitors 2026-11-30: 1   On site now: 1   ")  # 2 days ago


async def test_reception_picks_a_day_past_or_ahead_in_the_log(services: Services) -> None:
    """The day field: a typing mistake or a day past retention is said (and the log and
    the field stay as they were); tomorrow shows who is expected tomorrow."""
    today = services.ctx.now().date()
    tomorrow = today + timedelta(days=1)
    check_in(services.repos, visitor(1), actor="t")
    services.invitations.preregister(
        Registration(name="Ingrid Invitee", email="ingrid@example.com"), tomorrow, OPERATOR
    )
    console = make_console(services.settings, services=services)
    async with console.run_test(size=(120, 40), notifications=True) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        screen = pilot.app.screen
        past = today - timedelta(days=services.repos.db.retention.visit_days + 1)
        for typed, said in (
            ("1-12-2026", "Type a date as YYYY-MM-DD."),
            (past.isoformat(), "That day is outside the retention period."),
        ):
            await type_into(pilot, "#day", typed)
            await pilot.press("enter")
            await pilot.pause(0.3)
            toasts = [str(t.render()) for t in screen.query("Toast")]
            assert said in toasts, toasts
            assert screen.query_one("#day", Input).value == typed
            assert await rows_shown(pilot, 1) == [visitor(1).name]
            pilot.app.clear_notifications()
        await type_into(pilot, "#day", tomorrow.isoformat())
        await pilot.press("enter")
        assert await names_shown(pilot, ["Ingrid Invitee"]) == ["Ingrid Invitee"]
        row = screen.query_one("#visits", VisitTable).rows[0]
        assert row.status == "expected", row
        counts = str(screen.query_one("#counts", Static).render())
        assert counts.startswith(f"Visitors {tomorrow}: 0   ") and "Expected: 1" in counts
        # Opened, an expected visitor has no visit yet: the console says how they come in.
        screen.query_one("#visits", VisitTable).focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        toasts = [str(t.render()) for t in screen.query("Toast")]
        assert toasts == [
            "This visitor is expected; they check in at the kiosk with their code."
        ], toasts
        assert type(pilot.app.screen).__name__ == "ConsoleScreen"


def test_search_finds_an_expected_visitor_by_the_host_typed_for_them(
    services: Services,
) -> None:
    """An invitation whose host was typed (not chosen from the directory) is found by
    that host's name, as a visit is; one for a directory host by the directory's name."""
    today = services.ctx.now().date()
    chosen = add_host(services.repos, "Hostina Placeholder", actor="admin")
    for name, host_name, host_id in (("Ingrid Invitee", "Hubert Typed", None),
                                     ("Ivo Invitee", "", chosen)):  # fmt: skip
        registration = Registration(name=name, email="i@example.com", host_name=host_name,
                                    host_id=host_id)  # fmt: skip
        services.invitations.preregister(registration, today, OPERATOR)
    rita = Actor.staff(StaffUser("rita", "reception"))
    rows = services.log.day(today, rita).rows
    assert [(r.name, r.host) for r in filter_rows(rows, "hubert")] == [
        ("Ingrid Invitee", "Hubert Typed")
    ]
    assert [(r.name, r.host) for r in filter_rows(rows, "hostina")] == [
        ("Ivo Invitee", "Hostina Placeholder")
    ]


async def test_search_ignores_case_accents_and_spacing(services: Services) -> None:
    """Reception types on a plain keyboard: "zoe orsted" finds Zoë Ørsted, "MULLER" finds
    Café Müller. A search never matches across two fields (name end + company start)."""
    check_in(services.repos, visitor(1, name="Zoë  Ørsted", company="Café Müller"), actor="t")
    check_in(services.repos, visitor(2, name="Zoe Plain", company="Plain Co"), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await rows_shown(pilot, 2)
        for typed, expected in (
            ("zoe orsted", ["Zoë  Ørsted"]),
            ("MULLER", ["Zoë  Ørsted"]),
            ("zoë", ["Zoe Plain", "Zoë  Ørsted"]),
            ("orsted cafe", []),
        ):
            pilot.app.screen.query_one("#search", Input).value = ""
            await type_into(pilot, "#search", typed)
            assert sorted(await rows_shown(pilot, len(expected))) == expected, typed


def _shown(widget: Static | VisitTable, line: int = 0) -> str:
    """One line of a widget as drawn on the screen (cut at the widget's width)."""
    return "".join(segment.text for segment in widget.render_line(line)).rstrip()


async def _log_with_titles(pilot: Pilot[None], rows: int) -> tuple[VisitTable, Static]:
    """Rita logs in and the log shows ``rows`` visits: the table and its titles' line."""
    await login(pilot, "rita")
    await wait_for_screen(pilot, "ConsoleScreen")
    await rows_shown(pilot, rows)
    screen = pilot.app.screen
    return screen.query_one("#visits", VisitTable), screen.query_one("#table-header", Static)


async def _titles_follow(pilot: Pilot[None], title: Static, word: str, shown: bool) -> None:
    """Until the titles' line shows ``word`` (or no longer does) after a resize or a
    sideways scroll (slow when CI is busy)."""
    deadline = time.monotonic() + 10
    while (word in _shown(title)) != shown and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause(0.1)


def test_the_log_columns_fit_every_width_they_can() -> None:
    """In, out, name, host and status are always there, in their order; from 70 cells (the
    narrowest set) a line never needs more than the width; from 109 every column is at
    its widest."""
    full = header(COLUMNS)
    for width in range(40, 161):
        columns = fit_columns(width)
        titles = [c.title for c in columns]
        assert titles == [c.title for c in COLUMNS if c.title in titles]
        assert {"in", "out", "name", "host", "status"} <= set(titles)
        assert all(c.width >= c.least for c in columns)
        if width >= 70:
            assert len(header(columns)) <= width, width
        assert (header(columns) == full) == (width >= len(full)), width


async def test_the_log_fits_a_small_terminal_and_widens_with_it(services: Services) -> None:
    """On an 80-column terminal each line still shows who, with whom and whether they are
    on site (type gives way first), also beside the scroll bar of a day longer than the
    screen; on a wide one every column is back. The titles stay above their columns."""
    check_in(services.repos, visitor(1, name="Ottoline Vandersloot-Pemberton"), actor="t")
    for i in range(2, 31):
        check_in(services.repos, visitor(i), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(80, 24)) as pilot:
        table, title = await _log_with_titles(pilot, 30)
        for size, has_type in (((80, 24), False), ((130, 40), True), ((80, 24), False)):
            await pilot.resize_terminal(*size)
            await _titles_follow(pilot, title, "type", has_type)
            row, titles = _shown(table), _shown(title)
            assert "Ottoline Vand" in row and row.endswith("on site"), (size, row)
            assert len(row) <= table.scrollable_content_region.width, (size, row)  # in view
            assert "Hostina" in row and ("guest" in row) == has_type, (size, row)
            assert titles.split() == (
                ["in", "out", "name", "company", "host"]
                + ["type"] * has_type
                + ["NDA", "flag", "status"]
            ), (size, titles)
            # Content lines both: on screen the header's padding matches the table's border.
            assert titles.index("status") == row.index("on site"), (size, titles, row)
            assert titles.index("host") == row.index("Hostina"), (size, titles, row)


async def test_the_search_filters_and_counts_fit_a_narrow_terminal(
    services: Services,
) -> None:
    """Narrower than 80 columns the filters and the day go under the search, and the
    arrivals per hour under the counts: nothing is cut off at the right edge, and the log
    keeps most of a 24-line screen."""
    check_in(services.repos, visitor(1), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(120, 24)) as pilot:
        await _log_with_titles(pilot, 1)
        screen = pilot.app.screen
        filters = [f"#{status_id(s)}" for s in STATUSES]
        for width in (120, 80, 79, 70, 64):
            await pilot.resize_terminal(width, 24)
            await pilot.pause(0.2)
            for part in ("#search", "#day", "#counts", "#arrivals-label", "#arrivals", *filters):
                region = screen.query_one(part).region
                assert region.width > 0 and region.right <= width, (width, part, region)
            for text in ("#counts", "#arrivals-label"):
                shown = screen.query_one(text, Static)
                assert cell_len(str(shown.render())) <= shown.region.width, (width, text)
            assert screen.query_one("#search").region.width >= 14, width
            assert screen.query_one("#day").region.width >= 14, width
            assert screen.query_one("#visits").region.height >= 8, width
            assert screen.query_one("#arrivals").region.width >= 24, width  # an hour a cell


CONTROLS = "Input, Button, Checkbox, Select, RadioSet, DataTable, OptionList"


def _scrolls(node: object) -> bool:
    """Whether ``node`` is a container that scrolls up and down (its content is taller)."""
    return bool(getattr(node, "max_scroll_y", 0)) and getattr(
        getattr(node, "styles", None), "overflow_y", ""
    ) in ("auto", "scroll")


TAB_KEYS = ("f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10")


async def test_every_tab_fits_its_controls_into_a_small_terminal(
    services: Services,
) -> None:
    """An admin sees every tab on 120x40 down to 64x24: no field, button or choice runs
    off the right edge (the audit trail's filters used to, and the export's "Include
    restricted records" was out of sight); what is below the window's bottom is in a
    tab that scrolls. An export's outcome is scrolled into view."""
    check_in(services.repos, visitor(1), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await wait_for_screen(pilot, "ConsoleScreen")
        screen = pilot.app.screen
        for width, height in ((120, 40), (100, 30), (80, 24), (64, 24)):
            await pilot.resize_terminal(width, height)
            for key in TAB_KEYS:
                await pilot.press(key)
                await pilot.pause(0.2)
                [pane] = [p for p in screen.query("TabPane") if p.region.area]
                for control in pane.query(CONTROLS):
                    where = (width, height, key, control.id, control.region)
                    if not control.region.area:
                        continue  # hidden (a choice of another role, a row not needed)
                    assert control.region.x >= 0 and control.region.right <= width, where
                    if control.region.bottom > height:  # in a tab that scrolls, then
                        assert any(_scrolls(a) for a in control.ancestors), where
        await pilot.press("f6")
        screen.query_one("#export-run", Button).focus()  # Tab down to it: it scrolls into view
        await pilot.press("enter")
        status = screen.query_one("#export-status", Static)
        assert "Exported 1 row(s)" in await status_of(pilot, "#export-status", "Exported")
        await pilot.pause(0.3)
        assert status.region.y >= 0 and status.region.bottom <= 24, status.region


async def test_on_a_short_window_preregistration_shows_its_errors_and_its_code(
    services: Services,
) -> None:
    """80x24: the form is taller than the window. Register pressed with mistakes brings
    the first field in error and its message into view; a registration brings the
    invitation code into view."""
    async with make_console(services.settings, services=services).run_test(size=(80, 24)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        screen = pilot.app.screen
        screen.query_one("#pre-email", Input).value = "not-an-address"
        await pilot.click("#pre-submit")
        await status_of(pilot, "#pre-name-error", "required")
        await pilot.pause(0.5)
        for part in ("#pre-name", "#pre-name-error"):
            region = screen.query_one(part).region
            assert region.y >= 5 and region.bottom <= 24, (part, region)
        assert screen.focused is screen.query_one("#pre-name")
        await type_into(pilot, "#pre-name", "Ingrid Invitee")
        await type_into(pilot, "#pre-email", "ingrid@example.com")
        screen.query_one("#pre-submit", Button).focus()
        await pilot.pause(0.3)
        await pilot.press("enter")
        await status_of(pilot, "#pre-code", "Invitation code")
        await pilot.pause(0.5)
        region = screen.query_one("#pre-code").region
        assert region.y >= 5 and region.bottom <= 24, region


async def test_on_a_very_narrow_terminal_the_titles_scroll_with_the_rows(
    services: Services,
) -> None:
    """Narrower than the narrowest columns (60 cells), the log scrolls sideways with the
    arrow keys, and the titles move with the rows instead of standing over other columns."""
    check_in(services.repos, visitor(1, name="Ottoline Vandersloot-Pemberton"), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(60, 24)) as pilot:
        table, title = await _log_with_titles(pilot, 1)
        table.focus()
        assert "on site" not in _shown(table)  # off the right edge
        for _ in range(20):
            await pilot.press("right")
        await _titles_follow(pilot, title, "status", True)
        row, titles = _shown(table), _shown(title)
        assert table.scroll_x > 0 and "on site" in row, row
        assert titles.index("status") == row.index("on site"), (titles, row)
        assert titles.index("host") == row.index("Hostina"), (titles, row)


async def test_names_in_wide_characters_keep_the_log_in_its_columns(
    services: Services,
) -> None:
    """A name or company in Japanese takes two cells a character on screen: the log pads
    and cuts by cells, so host and status stay under their titles and "on site" in view,
    also scrolled sideways on a very narrow terminal."""
    check_in(
        services.repos, visitor(1, name="山田太郎", company="株式会社テストサンプル商事"), actor="t"
    )
    check_in(services.repos, visitor(2), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(100, 24)) as pilot:
        table, title = await _log_with_titles(pilot, 2)
        for size, sideways in (((100, 24), 0), ((60, 24), 20)):
            await pilot.resize_terminal(*size)
            table.focus()
            for _ in range(sideways):
                await pilot.press("right")
            await _titles_follow(pilot, title, "status", True)
            titles = _shown(title)
            for line in (0, 1):
                row = _shown(table, line)
                assert row.endswith("on site"), (size, row)
                assert cell_len(row) <= table.scrollable_content_region.width, (size, row)
                for word, value in (("host", "Hostina"), ("status", "on site")):
                    at = cell_len(row[: row.index(value)])
                    assert at == titles.index(word), (size, titles, row)


async def open_the_only_visit(pilot: Pilot[None], *, logged_in: bool = False) -> None:
    """Rita logs in (unless she is) and opens the details of the one visit in the log."""
    if not logged_in:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
    await rows_shown(pilot, 1)
    pilot.app.screen.query_one("#visits", VisitTable).focus()
    await pilot.press("enter")
    await wait_for_screen(pilot, "VisitDetailScreen")
    await pilot.pause(0.3)


async def test_a_reprinted_badge_replaces_the_lost_one(services: Services) -> None:
    """Reception reprints a lost badge: a new code goes to the printer, the lost badge no
    longer checks anyone out, the new one does; audited by id, no name."""
    from storage.errors import NotFound

    v = check_in(services.repos, visitor(4), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        await pilot.click("#reprint")
        text = await status_of(pilot, "#detail-status", "New badge")
    assert text.startswith("New badge ") and "the old badge no longer works" in text
    code = text.split()[2]
    assert code != v.badge_code
    assert code in (services.settings.resolved_spool_dir / f"badge-{code}.svg").read_text()
    with pytest.raises(NotFound):
        check_out(services.repos, v.badge_code, actor="kiosk")
    assert check_out(services.repos, code, actor="kiosk") == v.visit_id
    with services.repos.db.engine.connect() as conn:
        reprints = [(actor, obj, details) for actor, action, obj, details in conn.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.object_id, AuditEvent.details)
        ) if action == "visit.reprint_badge"]  # fmt: skip
    assert reprints == [("staff:rita", str(v.visit_id), {})]


async def test_checking_out_a_visitor_who_left_meanwhile_says_so(
    services: Services,
) -> None:
    """The details are open at the desk while the visitor scans their badge at the kiosk:
    Check out then says so (no error name), and the details show the real departure."""
    v = check_in(services.repos, visitor(3), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        check_out(services.repos, v.badge_code, actor="kiosk")  # meanwhile, at the kiosk
        await pilot.click("#checkout")
        text = await status_of(pilot, "#detail-status", "meanwhile")
        assert text.startswith("Already checked out meanwhile")
        await pilot.pause(0.3)
        assert pilot.app.screen.query_one("#checkout", Button).disabled
    checkouts = [a for a in _actions(services) if a[1] == "visit.check_out"]
    assert checkouts == [("kiosk", "visit.check_out")]  # the kiosk's; the desk wrote none


async def test_a_failed_check_out_says_why_and_a_retry_works(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database is locked when reception presses Check out: the details say so in
    words (not an error class name) and the next press checks the visitor out."""
    from storage.errors import DatabaseUnavailable

    real = VisitService.check_out
    calls: list[int] = []

    def locked_once(
        self: VisitService, visit_id: uuid.UUID, actor: Actor, left: datetime | None = None
    ) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseUnavailable("the database could not be used: database is locked")
        return real(self, visit_id, actor, left)

    monkeypatch.setattr(VisitService, "check_out", locked_once)
    v = check_in(services.repos, visitor(6), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        await pilot.click("#checkout")
        text = await status_of(pilot, "#detail-status", "database")
        assert text == "the database could not be used: database is locked"
        assert services.repos.visits.get(v.visit_id).departed_at is None
        await pilot.pause(0.3)  # a Button ignores a click while it still shows the last one
        await pilot.click("#checkout")
        assert await status_of(pilot, "#detail-status", "Checked out") == "Checked out."
    assert services.repos.visits.get(v.visit_id).departed_at is not None
    assert len(calls) == 2


async def test_a_visit_left_open_yesterday_is_checked_out_at_the_time_staff_type(
    services: Services,
) -> None:
    """Nobody checked a visitor out yesterday. Checking them out today must not put them on
    site overnight: the details ask when they left; nothing typed, text that is no time,
    or a time before the arrival is refused in words (a time alone, with how to type the
    next morning) and changes nothing; the time typed
    is the departure, and the audit event (dated now) says it was entered."""
    tz = ZoneInfo(services.settings.timezone)
    yesterday = datetime.now(tz).date() - timedelta(days=1)
    arrived = datetime.combine(yesterday, time_of_day(9, 0), tzinfo=tz).astimezone(UTC)
    v = check_in(services.repos, visitor(7), actor="test", now=arrived)
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await type_into(pilot, "#day", yesterday.isoformat())
        await pilot.press("enter")
        await open_the_only_visit(pilot, logged_in=True)
        status = await status_of(pilot, "#detail-status", "Still on site")
        assert status == (
            f"Still on site since {yesterday}: type when the visitor left, then Check out."
        )
        assert pilot.app.screen.query_one("#left-row").display
        before = f"That is before the arrival (09:00 on {yesterday})."
        today = yesterday + timedelta(days=1)
        for typed, says in (
            ("", f"Type when the visitor left as HH:MM (on {yesterday})"),
            ("half five", "Type when the visitor left as HH:MM"),
            ("25:00", "There is no such date or time."),
            # before the 09:00 arrival: perhaps the next morning, which needs its date
            ("8:15", f"{before} If the visitor left after midnight, type the date too:"
                     f" {today} 08:15."),
            (f"{yesterday} 08:59", before),
        ):  # fmt: skip
            await type_into(pilot, "#left-at", typed)
            await pilot.pause(0.3)
            await pilot.click("#checkout")
            await pilot.pause(0.3)
            error = str(pilot.app.screen.query_one("#left-at-error", Static).render())
            assert error.startswith(says), typed
            assert pilot.app.screen.query_one("#left-at", Input).value == typed
            status = str(pilot.app.screen.query_one("#detail-status", Static).render())
            assert status == "Not checked out: see Left at."
        assert services.repos.visits.get(v.visit_id).departed_at is None
        await type_into(pilot, "#left-at", "17.30")
        await pilot.pause(0.3)
        await pilot.click("#checkout")
        assert await status_of(pilot, "#detail-status", "Checked out") == "Checked out."
    left = datetime.combine(yesterday, time_of_day(17, 30), tzinfo=tz)
    visit = services.repos.visits.get(v.visit_id)
    assert visit.departed_at == left and not visit.auto_checkout
    with services.repos.db.engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.actor, AuditEvent.at, AuditEvent.details).where(
                AuditEvent.action == "visit.check_out"
            )
        ).all()
    assert len(events) == 1
    actor, at, details = events[0]
    assert actor == "staff:rita" and datetime.now(UTC) - at < timedelta(minutes=1)
    assert details == {"departure_entered": left.astimezone(UTC).isoformat()}


async def test_the_log_reminds_staff_of_visits_left_open_on_earlier_days(
    services: Services,
) -> None:
    """Forgotten visits of earlier days stay "on site" (yesterday's on the evacuation
    list) but today's log did not show them. The console names those days and counts;
    checked out, a day drops from the reminder, and with none left it is gone."""
    tz = ZoneInfo(services.settings.timezone)
    today = datetime.now(tz).date()

    def arrive(n: int, days_ago: int) -> uuid.UUID:
        at = datetime.combine(today - timedelta(days=days_ago), time_of_day(9), tzinfo=tz)
        return check_in(services.repos, visitor(n), actor="t", now=at.astimezone(UTC)).visit_id

    yesterday_open, three_days_open = arrive(1, 1), arrive(2, 3)
    left = arrive(3, 1)
    check_out_visit(services.repos, left, actor="t", now=datetime.now(UTC))
    arrive(4, 0)  # today's own open visit is no reminder
    y, d3 = today - timedelta(days=1), today - timedelta(days=3)
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        reminder = await status_of(pilot, "#open-earlier", "Never checked out")
        assert reminder.startswith(
            f"Never checked out: 2 visit(s) of earlier days: {y} (1), {d3} (1)."
        )
        assert pilot.app.screen.query_one("#open-earlier").display
        # Checked out at another desk meanwhile: yesterday's, then the older one.
        check_out_visit(services.repos, yesterday_open, actor="t")
        assert (await status_of(pilot, "#open-earlier", "1 visit(s)")).startswith(
            f"Never checked out: 1 visit(s) of earlier days: {d3} (1)."
        )
        check_out_visit(services.repos, three_days_open, actor="t")
        deadline = asyncio.get_running_loop().time() + 10
        while pilot.app.screen.query_one("#open-earlier").display:
            assert asyncio.get_running_loop().time() < deadline, "the reminder stayed"
            await pilot.pause(0.1)


async def test_a_visit_of_today_is_checked_out_without_asking_when(
    services: Services,
) -> None:
    """Today's open visit: one press checks out now; no departure time is asked."""
    v = check_in(services.repos, visitor(8), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        assert not pilot.app.screen.query_one("#left-row").display
        await pilot.click("#checkout")
        assert await status_of(pilot, "#detail-status", "Checked out") == "Checked out."
    departed = services.repos.visits.get(v.visit_id).departed_at
    assert departed is not None and datetime.now(UTC) - departed < timedelta(minutes=1)


async def test_correction_is_saved_and_audited(services: Services) -> None:
    v = check_in(services.repos, visitor(5, name="Jonh Typo"), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        await type_into(pilot, "#fix-name", "John Typo")
        await type_into(pilot, "#fix-email", "not an address")
        await pilot.click("#save")
        await pilot.pause(0.5)
        assert "valid e-mail" in str(pilot.app.screen.query_one("#fix-email-error").render())
        await type_into(pilot, "#fix-email", "john.typo@example.com")
        await pilot.click("#save")
        await pilot.pause(0.5)
        assert "Saved: name, email" in str(pilot.app.screen.query_one("#detail-status").render())
    got = services.repos.visits.get(v.visit_id)
    assert (got.name, got.email) == ("John Typo", "john.typo@example.com")
    assert services.repos.visits.find_person(email="john.typo@example.com")[0].id == v.visit_id
    with services.repos.db.engine.connect() as conn:
        details = [d for a, d in conn.execute(select(AuditEvent.action, AuditEvent.details))
                   if a == "visit.correct"]  # fmt: skip
    assert details == [{"fields": ["name", "email"]}]


async def test_saving_a_correction_keeps_what_another_desk_corrected_meanwhile(
    services: Services,
) -> None:
    """Two desks have the same visit open. One corrects the e-mail; the other then fixes
    the name in details that still show the old e-mail: only the name is written, and
    the e-mail keeps the first desk's correction."""
    v = check_in(services.repos, visitor(5, name="Jonh Typo"), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        correct(services.repos, v.visit_id, {"email": "right@example.com"}, actor="staff:sam")
        assert pilot.app.screen.query_one("#fix-email", Input).value == visitor(5).email
        await type_into(pilot, "#fix-name", "John Typo")
        await pilot.click("#save")
        assert await status_of(pilot, "#detail-status", "Saved") == "Saved: name."
        await pilot.pause(0.3)
        assert pilot.app.screen.query_one("#fix-email", Input).value == "right@example.com"
    got = services.repos.visits.get(v.visit_id)
    assert (got.name, got.email) == ("John Typo", "right@example.com")


def test_a_correction_is_held_to_the_kiosks_length_caps(services: Services) -> None:
    """What the kiosk refuses as too long, a correction refuses with the same message, and
    what fits at the kiosk fits in a correction: a phone number padded with spaces past
    the kiosk's 32 characters is not let in by the console."""
    from kiosk.domain.registration import ValidationErrors, validate

    v = check_in(services.repos, visitor(5), actor="test")
    rita = Actor.staff(StaffUser("rita", "reception"))
    fits = {"name": "N" * 120, "email": "e" * 64 + "@" + "d" * 60 + ".example.com",
            "phone": "+31 20 555 0123", "company": "C" * 120}  # fmt: skip
    too_long = {"name": "N" * 121, "email": "e" * 64 + "@" + ("d" * 60 + ".") * 4 + "example",
                "phone": "+31  20  555  0123" + " 0" * 8, "company": "C" * 121}  # fmt: skip
    for field, value in too_long.items():
        at_kiosk = Registration(name="Fine Name", email="fine@example.com", phone="")
        setattr(at_kiosk, field, value)
        with pytest.raises(ValidationErrors) as kiosk_says:
            validate(at_kiosk, phone_region="NL")
        with pytest.raises(ValidationErrors) as console_says:
            services.visits.correct(v.visit_id, {field: value}, rita)
        assert console_says.value.fields == {field: kiosk_says.value.fields[field]}, field
    assert services.repos.visits.get(v.visit_id).name == visitor(5).name
    assert sorted(services.visits.correct(v.visit_id, fits, rita)) == [
        "company",
        "email",
        "name",
        "phone",
    ]


async def test_wrong_pin_and_lockout_survive_a_restart(services: Services) -> None:
    slept: list[float] = []
    staff = StaffService(services.ctx, sleep=slept.append)
    for _ in range(10):
        assert staff.verify("rita", "000000") is None
    assert slept[:4] == [0.0, 0.0, 0.0, 1.0] and max(slept) == 30.0
    assert staff.is_locked("rita")
    restarted = StaffService(services.ctx, sleep=slept.append)  # a new process
    assert restarted.verify("rita", PINS["rita"][1]) is None  # right PIN, still locked
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
        await login(pilot, user)
        await wait_for_screen(pilot, "ConsoleScreen")
        shown = {p.id for p in pilot.app.screen.query("TabPane")}
        assert shown == tabs
    reception = Actor.staff(StaffUser("rita", "reception"))
    assert not reception.can("export") and not reception.can("staff")
    with pytest.raises(NotAllowed):
        reception.require("audit")
    admin = Actor.staff(StaffUser("ada", "admin"))
    assert admin.can("staff") and admin.can("export") and admin.can("rights")


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
        await login(pilot, "rita")
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
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        await pilot.pause()
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
        spooled = services.settings.resolved_spool_dir / f"badge-{code}.svg"
        assert code in spooled.read_text()
        await pilot.press("f2")
        await pilot.click("#status-expected")
        assert await rows_shown(pilot, 1) == ["Ingrid Invitee"]
    kiosk = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with kiosk.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        await pilot.press(*code, "enter")
        await wait_for_screen(pilot, "DetailsScreen")
        assert pilot.app.screen.query_one("#name-input", Input).value == "Ingrid Invitee"
        assert pilot.app.screen.query_one("#host-input", Input).value == "Hostina Placeholder"


async def test_a_preregistration_the_database_refuses_keeps_the_form_for_a_retry(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database does not answer when reception registers a guest: the reason is
    said (no visitor data in it), what was typed stays, and the same button saves it."""
    from storage.errors import DatabaseUnavailable

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
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        await pilot.pause()
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
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        await pilot.pause()
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
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        await pilot.click("#pre-name")
        await type_burst(pilot, *"Ingrid Invitee", "tab", *"ingrid@example.com", "tab", "1")
        values = [pilot.app.screen.query_one(f"#pre-{f}", Input).value
                  for f in ("name", "email", "phone")]  # fmt: skip
        assert values == ["Ingrid Invitee", "ingrid@example.com", "1"]


async def _hosts_listed(pilot: Pilot[None]) -> OptionList:
    """The Hosts tab's list, once it shows a host."""
    hosts = pilot.app.screen.query_one("#host-list", OptionList)
    for _ in range(100):
        if hosts.option_count:
            break
        await pilot.pause(0.05)
    return hosts


async def _hosts_tab(pilot: Pilot[None]) -> None:
    await login(pilot, "rita")
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
    assert _actions(services)[-1] == ("staff:rita", "host.add")


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


async def test_console_locks_itself_after_five_idle_minutes(services: Services) -> None:
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
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
        await login(pilot, "rita")
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
            await login(pilot, "sam")
            await wait_for_screen(pilot, "ConsoleScreen")
            assert "sam (security)" in str(app.screen.query_one("#who", Static).render())


async def test_from_the_kiosk_staff_key_opens_the_console_and_lock_returns_home(
    services: Services,
) -> None:
    kiosk = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with kiosk.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f12")
        await login(pilot, "rita")
        await wait_for_screen(pilot, "StaffMenuScreen")
        await pilot.click("#console")
        await wait_for_screen(pilot, "ConsoleScreen")
        kiosk.last_activity = time.monotonic() - 120  # past the visitor idle time
        kiosk.idle_tick()
        await pilot.pause()
        assert type(kiosk.screen).__name__ == "ConsoleScreen"  # staff get 5 minutes
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, "WelcomeScreen")


async def test_a_check_in_at_another_kiosk_appears_within_five_seconds(
    services: Services, tmp_path: Path
) -> None:
    other = open_services(services.settings)  # a second process's store on the same files
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert await rows_shown(pilot, 0) == []
        started = time.monotonic()
        await asyncio.to_thread(check_in, other.repos, visitor(9), actor="other-kiosk")
        assert await rows_shown(pilot, 1, timeout=5.0) == [visitor(9).name]
        assert time.monotonic() - started < 5.0


async def test_days_that_may_be_opened_follow_retention_saved_elsewhere(
    services: Services,
) -> None:
    """An admin lengthens visit retention to 60 days in another console; within the
    minute this reception console opens a day 45 days back and shows its visit."""
    from datetime import UTC, datetime, timedelta

    other = open_services(services.settings)
    arrived = datetime.now(UTC) - timedelta(days=45)
    check_in(other.repos, visitor(4), actor="other-kiosk", now=arrived)
    other.retention.save({"visit_days": "60"}, Actor("staff:ada", "admin"))
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        screen = pilot.app.screen
        screen.follow_retention()  # type: ignore[attr-defined]  # the minute's tick
        await settled(pilot)
        tz = screen.desk.tz  # type: ignore[attr-defined]
        await type_into(pilot, "#day", arrived.astimezone(tz).date().isoformat())
        await pilot.press("enter")
        assert await rows_shown(pilot, 1) == [visitor(4).name]


async def test_two_app_instances_on_one_database(services: Services) -> None:
    """A visitor checks in at a kiosk app; the console app (its own store, as another
    process would have) shows the visit within 5 seconds."""
    console_services = open_services(services.settings)
    kiosk = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)
    console = make_console(services.settings, services=console_services)
    async with console.run_test(size=(120, 40)) as cpilot, kiosk.run_test(size=(100, 30)) as kpilot:
        await login(cpilot, "rita")
        await wait_for_screen(cpilot, "ConsoleScreen")
        assert await rows_shown(cpilot, 0) == []
        await ready(kpilot)
        await fill_details(kpilot)
        await through_documents(kpilot)
        await wait_for_screen(kpilot, "BadgeScreen")
        saved = time.monotonic()
        assert await rows_shown(cpilot, 1, timeout=5.0) == ["Zebulon Fakevisitor"]
        assert time.monotonic() - saved < 5.0


def test_the_on_site_list_lines_up_names_in_wide_characters() -> None:
    """The evacuation list as printed (80 cells): under its titles, "Since" stands in one
    column whatever the names; what does not fit is cut with an ellipsis, companies and
    hosts before names."""
    from kiosk.services.onsite import OnSite, on_site_lines

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
    from kiosk.services.onsite import OnSite, on_site_printout

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
        await login(pilot, "sam")
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
            await login(pilot, "sam")
            await wait_for_screen(pilot, "ConsoleScreen")
            await pilot.press("f5")
            listing = pilot.app.screen.query_one("#onsite-list", Static)
            lines = (await status_of(pilot, "#onsite-list")).splitlines()
            assert lines[0].split() == ["Name", "Company", "Host", "Since"]
            assert (person.name in lines[1]) is whole, (width, lines)
            assert (company in lines[1]) is whole, (width, lines)
            assert person.name[:24] in lines[1]
            assert all(cell_len(line) <= listing.content_region.width for line in lines)


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
        await login(pilot, "sam")
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
    sams = [action for actor, action in _actions(services) if actor == "staff:sam"]
    assert "export.access_records" in sams
    # Who looked at what: the day's log once (not each refresh), the list, the printout
    # (the log and the list load side by side: in either order).
    assert sorted(a for a in sams if a.startswith(("log.", "onsite."))) == [
        "log.view",
        "onsite.print",
        "onsite.view",
    ]


def test_reading_lists_is_audited_once_per_login_and_never_blocks_the_evacuation_list(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage.errors import DatabaseUnavailable

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
    screen); a printer that fails is a message saying where the file is (an invitation
    was reported "Sent to the printer" whatever the printer did)."""
    from kiosk.services.onsite import OnSite

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
    assert sent == "Sent to the printer (badge-AB12-CD34-EF56.svg)."
    assert "AB12-CD34-EF56" in printed.read_text()
    failed = security("/bin/false").invitations.print_card(
        "AB12-CD34-EF56", "Ingrid Invitee", day, sam
    )
    assert failed.startswith("The printer did not answer; the invitation is in ")
    out, err = capfd.readouterr()
    assert "request id" not in out + err


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
        await login(pilot, "sam")
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
        await login(pilot, "sam")
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
        await login(pilot, "ada")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f6")
        assert "Exported 1 row(s)" in await _export_from_console(pilot, tmp_path / "a.csv")
        await pilot.click("#export-restricted")
        assert "Exported 2 row(s)" in await _export_from_console(pilot, tmp_path / "b.csv")
    assert visitor(2).name not in (tmp_path / "a.csv").read_text()
    assert visitor(2).name in (tmp_path / "b.csv").read_text()
    assert visitor(1).name in (tmp_path / "a.csv").read_text()


async def test_reception_is_not_offered_security_tabs(services: Services) -> None:
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        tabs = {p.id for p in pilot.app.screen.query("TabPane")}
        assert "tab-onsite" not in tabs and "tab-export" not in tabs


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
        await login(pilot, "sam")
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
        await login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        said = [n.message for n in pilot.app._notifications]
        assert "The database answers; the console is ready." in said
