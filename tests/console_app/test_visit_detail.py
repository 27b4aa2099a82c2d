"""A visit opened from the log: reprint its badge, check it out, correct it."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from kiosk.app import make_console
from kiosk.domain.registration import Registration, ValidationErrors, validate
from kiosk.domain.staff import Actor, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.visits import VisitService
from screens.console.log_panel import LogPanel
from screens.console.table import VisitTable
from storage.errors import DatabaseUnavailable, NotFound
from storage.models import AuditEvent
from tests.helpers.console_ui import audit_actions, rows_shown
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import check_in, check_out, correct


async def open_the_only_visit(pilot: Pilot[None], *, logged_in: bool = False) -> None:
    """Rita logs in (unless she is) and opens the details of the one visit in the log."""
    if not logged_in:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
    await rows_shown(pilot, 1)
    pilot.app.screen.query_one("#visits", VisitTable).focus()
    await pilot.press("enter")
    await wait_for_screen(pilot, "VisitDetailScreen")
    await pilot.pause(0.3)


async def test_a_reprinted_badge_replaces_the_lost_one(services: Services) -> None:
    """Reception reprints a lost badge: a new code goes to the printer, the lost badge no
    longer checks anyone out, the new one does; audited by id, no name."""
    v = check_in(services.repos, visitor(4), actor="test")
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        await pilot.click("#reprint")
        text = await status_of(pilot, "#detail-status", "New badge")
    assert text.startswith("New badge ") and "the old badge no longer works" in text
    code = text.split()[2].rstrip(";")
    assert code != v.badge_code
    assert "No printer is set up; the badge is in " in text  # for staff to print by hand
    assert (services.settings.resolved_spool_dir / f"badge-{code}.pdf").exists()
    with pytest.raises(NotFound):
        check_out(services.repos, v.badge_code, actor="kiosk")
    assert check_out(services.repos, code, actor="kiosk") == v.visit_id
    with services.repos.db.engine.connect() as conn:
        reprints = [(actor, obj, details) for actor, action, obj, details in conn.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.object_id, AuditEvent.details)
        ) if action == "visit.reprint_badge"]  # fmt: skip
    assert reprints == [("staff:rita", str(v.visit_id), {})]


async def test_a_badge_the_printer_refused_is_said_and_stays_above_the_log(
    services: Services,
) -> None:
    """The printer refuses a reprint: the details say so, with the reason, and the log
    keeps one standing line about it (reception may be the first to notice), until a
    badge prints again."""
    check_in(services.repos, visitor(5), actor="test")
    printing = dataclasses.replace(services.settings.printing, command="false")
    failing = Services.over(
        services.repos, dataclasses.replace(services.settings, printing=printing)
    )
    async with make_console(failing.settings, services=failing).run_test(size=(120, 40)) as pilot:
        await open_the_only_visit(pilot)
        await pilot.click("#reprint")
        text = await status_of(pilot, "#detail-status", "New badge")
        assert text.endswith("Not printed: the print command failed (exit 1).")
        await pilot.press("escape")
        await wait_for_screen(pilot, "ConsoleScreen")
        pilot.app.screen.query_one(LogPanel).load_day()  # now, not at the next refresh
        line = await status_of(pilot, "#print-problem", "Badge printer")
    assert "was not printed (refused: the print command failed (exit 1))" in line
    assert visitor(5).name.split()[0] not in line
    working = dataclasses.replace(printing, command="true")
    fixed = Services.over(services.repos, dataclasses.replace(services.settings, printing=working))
    assert fixed.badges.print_test(Actor.staff(StaffUser("rita", "reception")))[0]
    assert fixed.badges.print_problem(datetime.now(UTC)) is None


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
    checkouts = [a for a in audit_actions(services) if a[1] == "visit.check_out"]
    assert checkouts == [("kiosk", "visit.check_out")]  # the kiosk's; the desk wrote none


async def test_a_failed_check_out_says_why_and_a_retry_works(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database is locked when reception presses Check out: the details say so in
    words (not an error class name) and the next press checks the visitor out."""
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
        await staff_login(pilot, "rita")
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
