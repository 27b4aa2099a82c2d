"""Automatic check-out: a visitor who forgot to check out is checked out at the office's
closing time, marked as such, instead of staying "on site" for good (and on the next
day's evacuation list)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from textual.widgets import Button

from kiosk.app import make_app, make_console
from kiosk.config import ConfigError, load_settings
from kiosk.domain.departures import departure_for, latest_cut
from kiosk.domain.staff import KIOSK, Actor, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.export import ExportRequest
from kiosk.services.onsite import OnSite
from kiosk.services.rights import Person, person_json
from storage.errors import AlreadyCheckedOut
from storage.models import AuditEvent
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.console_ui import rows_shown
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import (
    OPERATOR,
    kiosk_settings,
    open_services,
    ready,
    services_with_staff,
    settled,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import (
    auto_check_out,
    check_in,
    check_out,
    check_out_visit,
    services_over,
)

AMS = ZoneInfo("Europe/Amsterdam")  # the test stores' time zone
CLOSING = time(20, 0)
DAY = date(2026, 11, 25)  # winter: Amsterdam is UTC+1


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS).astimezone(UTC)


def test_departure_is_the_first_closing_time_after_arrival_in_local_time() -> None:
    assert departure_for(local(DAY, 9), CLOSING, AMS) == local(DAY, 20)
    assert departure_for(local(DAY, 21), CLOSING, AMS) == local(DAY + timedelta(days=1), 20)
    assert departure_for(local(DAY, 20), CLOSING, AMS) == local(DAY + timedelta(days=1), 20)
    # Across the change to summer time (29 March 2026) the local clock decides.
    spring = date(2026, 3, 28)
    assert departure_for(local(spring, 21), CLOSING, AMS) == datetime(2026, 3, 29, 18, tzinfo=UTC)
    assert latest_cut(local(DAY, 19, 59), CLOSING, AMS) == local(DAY - timedelta(days=1), 20)
    assert latest_cut(local(DAY, 20), CLOSING, AMS) == local(DAY, 20)


def _on_site(store: Repositories, day: date) -> list[OnSite]:
    """The evacuation list as read on ``day``."""
    clock = lambda: datetime.combine(day, time(12), AMS)  # noqa: E731
    return Services.over(store, load_settings(), clock=clock).onsite.people(OPERATOR)


def test_open_visits_are_checked_out_at_closing_time_and_marked(store: Repositories) -> None:
    forgot = check_in(store, visitor(1), actor="test", now=local(DAY, 9))
    left = check_in(store, visitor(2), actor="test", now=local(DAY, 10))
    check_out(store, left.badge_code, actor="test", now=local(DAY, 12))
    late = check_in(store, visitor(3), actor="test", now=local(DAY, 21))  # after closing
    next_day = DAY + timedelta(days=1)
    today = check_in(store, visitor(4), actor="test", now=local(next_day, 9))

    # The next afternoon: only the visit open at yesterday's closing time.
    assert auto_check_out(store, CLOSING, actor="kiosk", now=local(next_day, 15)) == 1
    by_id = {v.id: v for v in store.visits.on_day(DAY).visits}
    assert by_id[forgot.visit_id].departed_at == local(DAY, 20)
    assert by_id[forgot.visit_id].auto_checkout
    assert by_id[left.visit_id].departed_at == local(DAY, 12)
    assert not by_id[left.visit_id].auto_checkout
    assert by_id[late.visit_id].on_site
    assert [p.name for p in _on_site(store, next_day)] == [
        visitor(3).name,
        visitor(4).name,
    ]

    # After the next closing time: the late one and today's, each at that time.
    assert auto_check_out(store, CLOSING, actor="kiosk", now=local(next_day, 21)) == 2
    assert auto_check_out(store, CLOSING, actor="kiosk", now=local(next_day, 22)) == 0
    assert _on_site(store, next_day) == []
    late_visit = store.visits.get(late.visit_id)
    assert late_visit.departed_at == local(next_day, 20) and late_visit.auto_checkout
    assert store.visits.get(today.visit_id).departed_at == local(next_day, 20)

    # One audit event per visit, by id, naming no one.
    auto = store.audit.events(action="visit.auto_check_out")
    assert sorted(str(e.object_id) for e in auto) == sorted(
        str(v.visit_id) for v in (forgot, late, today)
    )
    assert all(e.actor == "kiosk" and e.details == {"at": "20:00"} for e in auto)
    with store.db.engine.connect() as conn:
        trail = json.dumps([list(r) for r in conn.execute(select(AuditEvent))], default=str)
    assert "Fakename" not in trail and "Qwertyco" not in trail


def test_a_badge_scanned_after_the_automatic_check_out_records_the_real_departure(
    store: Repositories,
) -> None:
    """The visitor stayed late and scans their badge at the kiosk on the way out: that is
    when they left, and nobody is left thinking the departure was a guess."""
    stayed = check_in(store, visitor(1), actor="test", now=local(DAY, 9))
    auto_check_out(store, CLOSING, actor="kiosk", now=local(DAY, 20, 5))
    check_out(store, stayed.badge_code, actor="kiosk", now=local(DAY, 21, 30))
    visit = store.visits.get(stayed.visit_id)
    assert visit.departed_at == local(DAY, 21, 30) and not visit.auto_checkout
    [event] = store.audit.events(action="visit.check_out")
    assert event.details == {"replaces_auto_checkout": True}
    with pytest.raises(AlreadyCheckedOut):
        check_out(store, stayed.badge_code, actor="kiosk", now=local(DAY, 21, 31))


def test_staff_can_replace_an_automatic_departure_with_the_real_one(store: Repositories) -> None:
    """Reception knows the visitor left at 17:10, not at the 20:00 closing time: the time
    they enter replaces the automatic one (within arrival..now, as for any entered
    departure); without a time, or a second time, it is already checked out."""
    stayed = check_in(store, visitor(1), actor="test", now=local(DAY, 9))
    auto_check_out(store, CLOSING, actor="kiosk", now=local(DAY, 20, 5))
    later = local(DAY + timedelta(days=1), 9)
    with pytest.raises(AlreadyCheckedOut):  # "now" is no better than the closing time
        check_out_visit(store, stayed.visit_id, actor="staff:rita", now=later)
    check_out_visit(
        store, stayed.visit_id, actor="staff:rita", now=later, departed_at=local(DAY, 17, 10)
    )
    visit = store.visits.get(stayed.visit_id)
    assert visit.departed_at == local(DAY, 17, 10) and not visit.auto_checkout
    [event] = store.audit.events(action="visit.check_out")
    assert event.details == {
        "replaces_auto_checkout": True,
        "departure_entered": local(DAY, 17, 10).isoformat(),
    }
    with pytest.raises(AlreadyCheckedOut):
        check_out_visit(
            store, stayed.visit_id, actor="staff:rita", now=later, departed_at=local(DAY, 17, 15)
        )


def test_only_this_sites_visits_and_since_a_day_when_asked(
    store: Repositories, store_config: StoreConfig
) -> None:
    other = open_repositories(replace(store_config, site_name="Other site"), new_site=True)
    try:
        theirs = check_in(other, visitor(5), actor="test", now=local(DAY, 9))
        old = check_in(store, visitor(6), actor="test", now=local(DAY - timedelta(days=10), 9))
        recent = check_in(store, visitor(7), actor="test", now=local(DAY, 9))
        now = local(DAY, 21)
        assert auto_check_out(store, CLOSING, actor="kiosk", now=now, since=DAY) == 1
        assert store.visits.get(recent.visit_id).auto_checkout
        assert store.visits.get(old.visit_id).on_site
        assert auto_check_out(store, CLOSING, actor="kiosk", now=now) == 1  # every day held
        assert store.visits.get(old.visit_id).departed_at == local(DAY - timedelta(days=10), 20)
        assert other.visits.get(theirs.visit_id).on_site  # the other site's closing is its own
    finally:
        other.db.engine.dispose()
        other.db.keystore.engine.dispose()


def test_the_export_says_which_departures_were_automatic(
    store: Repositories, tmp_path: Path
) -> None:
    forgot = check_in(store, visitor(1), actor="test", now=local(DAY, 9))
    left = check_in(store, visitor(2), actor="test", now=local(DAY, 10))
    check_out(store, left.badge_code, actor="test", now=local(DAY, 11))
    auto_check_out(store, CLOSING, actor="kiosk", now=local(DAY, 21))
    out = tmp_path / "access.csv"
    services = services_over(store)
    services.export.export(ExportRequest(start=DAY, end=DAY, output=out), Actor("os:test"))
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    assert rows[visitor(1).name]["departed_at"] == f"{DAY}T20:00:00+01:00"
    assert rows[visitor(1).name]["auto_checkout"] == "yes"
    assert rows[visitor(2).name]["auto_checkout"] == "no"
    assert store.visits.get(forgot.visit_id).auto_checkout
    # The visitor's own copy of their data says so too.
    data = services.rights.lookup(Person(email=visitor(1).email), Actor("admin"))
    [visit] = person_json(data)["visits"]
    assert (visit["departed_at"], visit["departure_automatic"]) == (f"{DAY}T19:00:00+00:00", True)


@pytest.mark.parametrize(
    "value", ["25:00", "8:00", "20.00", "20:60", "\uff12\uff10:\uff10\uff10", "evening"]
)
def test_a_wrong_closing_time_stops_start_up_naming_the_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"kiosk\.auto_checkout"):
        kiosk_settings(tmp_path, f'[kiosk]\nauto_checkout = "{value}"\n')
    assert kiosk_settings(tmp_path, '[kiosk]\nauto_checkout = "23:00"\n').kiosk.auto_checkout
    assert kiosk_settings(tmp_path).kiosk.auto_checkout_at() is None  # off unless set


def test_the_command_line_checks_out_the_overdue(store: Repositories, store_config: StoreConfig,
                                                 tmp_path: Path) -> None:  # fmt: skip
    yesterday = datetime.now(AMS).date() - timedelta(days=1)
    check_in(store, visitor(1), actor="test", now=local(yesterday, 9))
    refused = run_cli(store_config, tmp_path, "checkout", "--overdue")
    assert refused.returncode != 0 and "kiosk.auto_checkout is not set" in refused.stderr
    (tmp_path / "config.toml").write_text('[kiosk]\nauto_checkout = "20:00"\n')
    done = run_cli(store_config, tmp_path, "checkout", "--overdue")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "checked out 1 visit(s) automatically, as of 20:00"
    log = run_cli(store_config, tmp_path, "log", "--date", str(yesterday), "--format", "json")
    [row] = json.loads(log.stdout)
    assert (row["out"], row["flag"], row["status"]) == ("20:00", "auto out", "left")


def test_a_departure_on_a_later_day_says_which_day_in_the_log(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    """Left at 00:06 after arriving at 23:37, or two days later: the log's "out" says so
    ("00:06+1"), in the console and on the command line, instead of a time that reads as
    the same evening."""
    late = check_in(store, visitor(1), actor="test", now=local(DAY, 23, 37))
    check_out(store, late.badge_code, actor="test", now=local(DAY + timedelta(days=1), 0, 6))
    stayed = check_in(store, visitor(2), actor="test", now=local(DAY, 9))
    check_out(store, stayed.badge_code, actor="test", now=local(DAY + timedelta(days=2), 9, 15))
    day = check_in(store, visitor(3), actor="test", now=local(DAY, 10))
    check_out(store, day.badge_code, actor="test", now=local(DAY, 17, 5))
    expected = {"23:37": "00:06+1", "09:00": "09:15+2", "10:00": "17:05"}
    staff = StaffUser("rita", "reception")
    console_log = Services.over(store, kiosk_settings(tmp_path)).log
    rows = console_log.day(DAY, Actor.staff(staff)).rows
    assert {r.arrived: r.departed for r in rows} == expected
    log = run_cli(store_config, tmp_path, "log", "--date", str(DAY), "--format", "json")
    assert {r["in"]: r["out"] for r in json.loads(log.stdout)} == expected


async def test_the_kiosk_checks_out_yesterdays_forgotten_visitors_when_it_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = open_services(kiosk_settings(tmp_path, '[kiosk]\nauto_checkout = "20:00"\n'))
    yesterday = services.ctx.now().date() - timedelta(days=1)
    forgot = check_in(services.repos, visitor(1), actor="test", now=local(yesterday, 9))
    caplog.set_level("INFO")
    async with make_app(services.settings, services=services).run_test() as pilot:
        await ready(pilot)
        await settled(pilot)
    visit = services.repos.visits.get(forgot.visit_id)
    assert visit.departed_at == local(yesterday, 20) and visit.auto_checkout
    assert "1 visit(s) checked out automatically" in caplog.text
    assert "Fakename" not in caplog.text


async def test_the_console_shows_a_departure_nobody_recorded_and_takes_the_real_one(
    tmp_path: Path,
) -> None:
    services = services_with_staff(tmp_path, '[kiosk]\nauto_checkout = "20:00"\n')
    yesterday = services.ctx.now().date() - timedelta(days=1)
    visit_id = check_in(services.repos, visitor(1), actor="test", now=local(yesterday, 9)).visit_id
    assert services.visits.auto_check_out_recent(KIOSK, 7) == 1  # as the kiosk does
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await type_into(pilot, "#day", yesterday.isoformat())
        await pilot.press("enter")
        assert await rows_shown(pilot, 1) == [visitor(1).name]
        table = pilot.app.screen.query_one("#visits")
        assert [(r.departed, r.flag, r.status) for r in table.rows] == [  # type: ignore[attr-defined]
            ("20:00", "auto out", "left")
        ]
        table.focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "VisitDetailScreen")
        await pilot.pause(0.3)
        facts = str(pilot.app.screen.query_one("#facts").render())
        assert "checked out automatically 20:00 (no check-out was recorded)" in facts
        assert "visiting Hostina Placeholder" in facts

        # Reception knows better: the visitor left at 17:10.
        record = pilot.app.screen.query_one("#checkout", Button)
        assert not record.disabled and str(record.label) == "Record departure"
        assert pilot.app.screen.query_one("#left-row").display
        await type_into(pilot, "#left-at", "17:10")
        await pilot.click("#checkout")
        assert await status_of(pilot, "#detail-status", "recorded") == "Departure recorded."
        await pilot.pause(0.3)
        facts = str(pilot.app.screen.query_one("#facts").render())
        assert "left 17:10" in facts and "automatically" not in facts
        assert record.disabled and not pilot.app.screen.query_one("#left-row").display
    visit = services.repos.visits.get(visit_id)
    assert visit.departed_at == local(yesterday, 17, 10) and not visit.auto_checkout
