"""The Today's log tab: search as you type, status filters, days past and ahead, and
what other kiosks and desks did meanwhile."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

from textual.widgets import Input, Sparkline, Static

from kiosk.app import make_app, make_console
from kiosk.domain.registration import Registration
from kiosk.domain.staff import Actor, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.log import filter_rows
from screens.console.log_panel import REFRESH_S
from screens.console.table import VisitTable
from tests.helpers.console_ui import audit_actions, names_shown, rows_shown
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    OPERATOR,
    open_services,
    ready,
    settled,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host, check_in, check_out_visit
from tests.helpers.visitor_ui import fill_details, through_documents


async def test_login_search_filter_and_check_out(services: Services) -> None:
    for i in range(3):
        check_in(services.repos, visitor(i, company=f"Acme {i}"), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
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
    actions = audit_actions(services)
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
        await staff_login(pilot, "rita")
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
        await staff_login(pilot, "sam")  # security: the Export tab too
        await wait_for_screen(pilot, "ConsoleScreen")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        now[0] = evening + timedelta(minutes=5)  # 00:03 on 1 December
        assert await names_shown(pilot, [visitor(2).name]) == [visitor(2).name]
        screen = pilot.app.screen
        for offered in ("#day", "#pre-date", "#export-from", "#export-to"):
            assert screen.query_one(offered, Input).value == "2026-12-01"
        # The counts follow the table by a message to the screen: wait for the new day's.
        counts = await status_of(pilot, "#counts", "Visitors 2026-12-01")
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
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        screen = pilot.app.screen
        day = screen.query_one("#day", Input)
        day.focus()
        day.action_end()
        await pilot.pause()
        # The whole date shows with the cursor after it (it showed "026-12-04").
        assert day.content_region.width >= len(day.value) + 1
        assert day.scroll_offset.x == 0
        past = today - timedelta(days=services.repos.db.retention.visit_days + 1)
        for typed, said in (
            ("1-12-2026", "Type a date as YYYY-MM-DD."),
            ("2026-02-30", "2026-02-30 is not a day of the calendar."),
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
        await staff_login(pilot, "rita")
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
        await staff_login(pilot, "rita")
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


async def test_a_check_in_at_another_kiosk_appears_within_five_seconds(
    services: Services, tmp_path: Path
) -> None:
    other = open_services(services.settings)  # a second process's store on the same files
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
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
    other = open_services(services.settings)
    arrived = datetime.now(UTC) - timedelta(days=45)
    check_in(other.repos, visitor(4), actor="other-kiosk", now=arrived)
    other.retention.save({"visit_days": "60"}, Actor("staff:ada", "admin"))
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
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
        await staff_login(cpilot, "rita")
        await wait_for_screen(cpilot, "ConsoleScreen")
        assert await rows_shown(cpilot, 0) == []
        await ready(kpilot)
        await fill_details(kpilot)
        await through_documents(kpilot)
        await wait_for_screen(kpilot, "BadgeScreen")
        saved = time.monotonic()
        assert await rows_shown(cpilot, 1, timeout=5.0) == ["Zebulon Fakevisitor"]
        assert time.monotonic() - saved < 5.0
