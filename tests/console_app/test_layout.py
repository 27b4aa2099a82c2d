"""The console at every terminal size: columns, titles and controls that fit."""

from __future__ import annotations

import time

from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static, Tab

from kiosk.app import make_console
from kiosk.services.bundle import Services
from kiosk.services.log import STATUSES
from screens.console.log_panel import status_id
from screens.console.table import COLUMNS, VisitTable, fit_columns, header
from tests.helpers.console_ui import rows_shown
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import check_in


def _shown(widget: Static | VisitTable, line: int = 0) -> str:
    """One line of a widget as drawn on the screen (cut at the widget's width)."""
    return "".join(segment.text for segment in widget.render_line(line)).rstrip()


async def _log_with_titles(pilot: Pilot[None], rows: int) -> tuple[VisitTable, Static]:
    """Rita logs in and the log shows ``rows`` visits: the table and its titles' line."""
    await staff_login(pilot, "rita")
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
    """An admin sees every tab on 120x40, 80x24 and 64x24: no field, button or choice runs
    off the right edge (the audit trail's filters used to, and the export's "Include
    restricted records" was out of sight); what is below the window's bottom is in a
    tab that scrolls. An export's outcome is scrolled into view."""
    check_in(services.repos, visitor(1), actor="t")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "ada")
        await wait_for_screen(pilot, "ConsoleScreen")
        screen = pilot.app.screen
        for width, height in ((120, 40), (80, 24), (64, 24)):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            # Every tab's title in view (at 80 the bar was cut to "...Retention  Rig").
            titles = [(str(t.label), t.region) for t in screen.query("#tabs Tab").results(Tab)]
            assert len(titles) == 9, titles
            assert all(r.x >= 0 and r.right <= width for _, r in titles), titles
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
        await staff_login(pilot, "rita")
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
