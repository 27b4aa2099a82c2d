"""The console's security and admin tabs, driven with Pilot against a real store: the
audit trail, staff accounts, retention periods and visitors' rights requests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Select

from kiosk.app import make_console
from kiosk.domain.codes import short_ref
from kiosk.domain.registration import Registration
from kiosk.domain.requests import due_on
from kiosk.domain.staff import Actor, NotAllowed, StaffUser
from kiosk.services.bundle import Services
from kiosk.services.context import ServiceContext
from kiosk.services.rights import Person
from kiosk.services.staff import StaffService
from storage.models import AuditEvent, Visit
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    STAFF_PINS,
    open_services,
    services_with_staff,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import check_in

PINS = STAFF_PINS
CONFIG = "# Lobby kiosk, 3rd floor\nsite_name = 'Fictional HQ'\n"


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return services_with_staff(tmp_path, CONFIG)


async def login(pilot: Pilot[None], user: str) -> None:
    await staff_login(pilot, user)
    await wait_for_screen(pilot, "ConsoleScreen")


async def table_rows(pilot: Pilot[None], selector: str, count: int, wait: float = 10.0) -> int:
    table = pilot.app.screen.query_one(selector, DataTable)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and table.row_count != count:
        await asyncio.sleep(0.05)
    return table.row_count


def audit(services: Services) -> list[tuple[str, str, dict[str, Any]]]:
    with services.repos.db.engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.details))
        return [(a, act, dict(d)) for a, act, d in rows]


def test_only_the_allowed_roles_get_the_admin_services(services: Services) -> None:
    def console(user: str) -> Actor:
        return Actor.staff(StaffUser(user, PINS[user][0]))

    nobody = Person(email="nobody@example.invalid")
    admin_only: dict[str, Callable[[Actor], object]] = {
        "staff": services.staff.accounts,
        "retention": services.retention.rows,
        "rights": lambda actor: services.rights.lookup(nobody, actor),
    }
    for use in (*admin_only.values(), services.audit.verify):
        with pytest.raises(NotAllowed):
            use(console("rita"))
    for use in admin_only.values():
        with pytest.raises(NotAllowed):
            use(console("sam"))
    assert services.audit.verify(console("sam")).ok
    assert services.staff.accounts(console("ada"))


async def test_the_audit_tab_shows_the_events_as_of_opening_it(services: Services) -> None:
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "sam")
        await pilot.press("f7")
        assert "staff.login" in await audit_actions(pilot, "staff.login")
        await pilot.press("f2")
        check_in(services.repos, visitor(0), actor="test")  # meanwhile, at the kiosk
        await pilot.press("f7")
        assert "visit.check_in" in await audit_actions(pilot, "visit.check_in")


async def audit_actions(pilot: Pilot[None], awaited: str, wait: float = 10.0) -> set[str]:
    """The actions the audit tab lists, once ``awaited`` is among them (or time is up)."""
    table = pilot.app.screen.query_one("#audit-events", DataTable)
    deadline = time.monotonic() + wait
    while True:
        actions = {str(table.get_row_at(i)[3]) for i in range(table.row_count)}
        if awaited in actions or time.monotonic() > deadline:
            return actions
        await asyncio.sleep(0.05)


async def test_security_verifies_the_audit_trail_and_reads_its_events(
    services: Services,
) -> None:
    for i in range(3):
        check_in(services.repos, visitor(i), actor="test")
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "sam")
        # At login every tab loads in its own worker: the log and the on-site list are
        # read (and audited: log.view, onsite.view), and the audit tab reads the events.
        # Wait for the two reads, then show the events again, or the count depends on
        # which worker ran first.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not {"log.view", "onsite.view"} <= {
            action for _, action, _ in audit(services)
        }:
            await asyncio.sleep(0.05)
        await pilot.press("f7")
        await pilot.click("#audit-show")
        # 3 accounts added, 3 check-ins, 1 login, the day's log and the on-site list read
        assert await table_rows(pilot, "#audit-events", 9) == 9
        await type_into(pilot, "#audit-action", "visit.check_in")
        await pilot.press("enter")
        assert await table_rows(pilot, "#audit-events", 3) == 3
        await pilot.click("#audit-verify")
        assert "intact: " in await status_of(pilot, "#audit-status", "intact")
        with services.repos.db.engine.begin() as conn:  # the newest event cut off
            newest = conn.execute(select(func.max(AuditEvent.seq))).scalar_one()
            conn.execute(delete(AuditEvent).where(AuditEvent.seq == newest))
        await pilot.pause(0.3)  # a button ignores clicks while it shows the last one
        await pilot.click("#audit-verify")
        text = await status_of(pilot, "#audit-status", "cut off")
        assert "cut off" in text and "kiosk audit accept-restore" in text
        with services.repos.db.engine.begin() as conn:  # someone edits an event behind our back
            conn.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="mallory"))
        await pilot.pause(0.3)
        await pilot.click("#audit-verify")
        text = await status_of(pilot, "#audit-status", "event 2")
        assert "NOT INTACT" in text and "event 2 was edited" in text
        assert "accept-restore" not in text


async def test_admin_adds_resets_and_removes_staff_accounts(services: Services) -> None:
    staff = StaffService(services.ctx, sleep=lambda _: None)
    for _ in range(10):
        staff.verify("rita", "000000")
    assert staff.is_locked("rita")
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f8")
        assert await table_rows(pilot, "#staff-table", 3) == 3
        await type_into(pilot, "#staff-user", "nina")
        pilot.app.screen.query_one("#staff-role", Select).value = "security"
        await type_into(pilot, "#staff-pin", "445566")
        await type_into(pilot, "#staff-pin2", "445567")
        await pilot.click("#staff-add")
        assert "differ" in await status_of(pilot, "#staff-status", "differ")
        assert pilot.app.screen.query_one("#staff-user", Input).value == "nina"  # kept
        await type_into(pilot, "#staff-pin2", "445566")
        await pilot.click("#staff-add")
        await status_of(pilot, "#staff-status", "added")
        assert await table_rows(pilot, "#staff-table", 4) == 4

        await type_into(pilot, "#staff-user", "rita")
        await type_into(pilot, "#staff-pin", "778899")
        await type_into(pilot, "#staff-pin2", "778899")
        await pilot.click("#staff-reset")
        await status_of(pilot, "#staff-status", "unlocked")

        await type_into(pilot, "#staff-user", "ada")
        await pilot.click("#staff-remove")
        await pilot.click("#staff-remove")
        assert "own account" in await status_of(pilot, "#staff-status", "own account")

        await type_into(pilot, "#staff-user", "sam")
        await pilot.click("#staff-remove")
        remove = pilot.app.screen.query_one("#staff-remove", Button)
        assert "confirm" in str(remove.label)
        assert services.repos.staff.get("sam") is not None  # not yet
        await pilot.click("#staff-remove")
        await status_of(pilot, "#staff-status", "removed")
        assert await table_rows(pilot, "#staff-table", 3) == 3
    fresh = StaffService(ServiceContext(services.repos, services.settings), sleep=lambda _: None)
    assert fresh.verify("nina", "445566") == StaffUser("nina", "security")
    assert fresh.verify("rita", "778899") == StaffUser("rita", "reception")  # unlocked
    assert services.repos.staff.get("sam") is None
    actions = [(a, act) for a, act, _ in audit(services)]
    for action in ("staff.add", "staff.reset_pin", "staff.remove"):
        assert ("staff:ada", action) in actions


async def test_admin_changes_retention_and_runs_the_purge(
    services: Services, tmp_path: Path
) -> None:
    old = check_in(
        services.repos, visitor(1), actor="test", now=datetime.now(UTC) - timedelta(days=10)
    )
    recent = check_in(services.repos, visitor(2), actor="test")
    config = services.settings.config_file
    assert config is not None
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f9")
        await type_into(pilot, "#ret-visit_days", "120")
        await pilot.click("#ret-save")
        assert "outside 1..90" in await status_of(pilot, "#retention-status", "outside")
        assert pilot.app.screen.query_one("#ret-visit_days", Input).value == "120"  # kept
        assert services.repos.retention.saved() == {}

        await type_into(pilot, "#ret-visit_days", "7")
        await pilot.click("#ret-save")
        await status_of(pilot, "#retention-status", "Saved")
        desk = pilot.app.screen.desk  # type: ignore[attr-defined]
        assert desk.services.log.oldest_day() == desk.today() - timedelta(days=7)
        await pilot.click("#ret-preview")
        preview = await status_of(pilot, "#retention-status", "would remove")
        assert "visits 1" in preview
        assert services.repos.visits.get(old.visit_id)  # a preview removes nothing

        await pilot.click("#ret-purge")
        await pilot.click("#ret-purge")
        assert "visits 1" in await status_of(pilot, "#retention-status", "Purged")
    # Saved in the database, for every machine on it; the settings file is not touched.
    assert open_services(services.settings).repos.db.retention.visit_days == 7
    assert config.read_text() == CONFIG
    assert [v.id for v in services.repos.visits.find_person(email=visitor(1).email)] == []
    assert services.repos.visits.get(recent.visit_id).name == visitor(2).name
    events = audit(services)
    assert ("staff:ada", "retention.change", {"visit_days": 7}) in events
    [purged] = [d for a, act, d in events if (a, act) == ("staff:ada", "retention.purge")]
    assert purged["rows"]["visits"] == 1 and purged["periods"]["visit_days"] == 7


async def field_value(pilot: Pilot[None], selector: str, wanted: str) -> str:
    field = pilot.app.screen.query_one(selector, Input)
    for _ in range(200):
        if field.value == wanted:
            break
        await asyncio.sleep(0.05)
    return field.value


async def test_two_admins_change_retention_in_two_consoles(
    services: Services, tmp_path: Path
) -> None:
    """Ada's console is open when Nora saves shorter visits in another console. Ada's
    purge removes by Nora's period, her tab shows it (a field she is editing keeps what
    she typed), and her save of another period does not put Nora's back."""
    old = check_in(
        services.repos, visitor(1), actor="test", now=datetime.now(UTC) - timedelta(days=10)
    )
    nora = open_services(services.settings).retention  # another console
    nora_actor = Actor("staff:nora", "admin")
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f9")
        await type_into(pilot, "#ret-outbox_days", "3")  # Ada starts editing
        nora.save({"visit_days": "7", "nda_days": "400"}, nora_actor)

        await pilot.click("#ret-preview")
        assert "visits 1" in await status_of(pilot, "#retention-status", "would remove")
        pilot.app.screen.follow_retention()  # type: ignore[attr-defined]  # the minute's tick
        assert await field_value(pilot, "#ret-visit_days", "7") == "7"
        assert await field_value(pilot, "#ret-nda_days", "400") == "400"
        assert pilot.app.screen.query_one("#ret-outbox_days", Input).value == "3"

        nora.save({"visit_days": "5"}, nora_actor)  # Ada's tab still shows 7
        await pilot.click("#ret-save")
        await status_of(pilot, "#retention-status", "Saved")
        assert await field_value(pilot, "#ret-visit_days", "5") == "5"
        await pilot.pause(0.3)  # a button ignores a second click during its press effect
        await pilot.click("#ret-save")
        assert "No period" in await status_of(pilot, "#retention-status", "No period")
    saved = {key: days for key, (days, _) in services.repos.retention.saved().items()}
    assert saved == {"visit_days": 5, "nda_days": 400, "outbox_days": 3}
    assert services.repos.db.retention.visit_days == 5
    assert [v.id for v in services.repos.visits.find_person(email=visitor(1).email)] == [
        old.visit_id
    ]
    events = audit(services)
    assert ("staff:ada", "retention.change", {"outbox_days": 3}) in events


async def test_a_rights_request_for_a_correction_and_lifting_a_restriction(
    services: Services,
) -> None:
    """A visitor asks for their name to be corrected: the admin finds them, opens the
    visit from the list, saves the correction, and the list shows it on return. A
    restriction the admin set is lifted again with "Lift restriction"."""
    person = visitor(7, name="Zyxwvut Fakenmae", email="zyx.fake7@example.com")
    visit_id = check_in(services.repos, person, actor="test").visit_id
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f10")
        await type_into(pilot, "#rights-who", person.email or "")
        await pilot.press("enter")
        await status_of(pilot, "#rights-status", "found")
        table = pilot.app.screen.query_one("#rights-visits", DataTable)
        table.focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "VisitDetailScreen")
        await status_of(pilot, "#facts")
        await type_into(pilot, "#fix-name", "Zyxwvut Fakename")
        await pilot.click("#save")
        assert await status_of(pilot, "#detail-status", "Saved") == "Saved: name."
        await pilot.press("escape")
        await wait_for_screen(pilot, "ConsoleScreen")
        for _ in range(100):  # found again on return
            if "Zyxwvut Fakename" in [str(c) for c in table.get_row_at(0)]:
                break
            await pilot.pause(0.05)
        assert "Zyxwvut Fakename" in [str(c) for c in table.get_row_at(0)]
        await pilot.click("#rights-restrict")
        await status_of(pilot, "#rights-status", "restricted")
        assert services.repos.visits.get(visit_id).restricted
        await pilot.pause(0.3)
        await pilot.click("#rights-unrestrict")
        lifted = await status_of(pilot, "#rights-status", "no longer")
        assert lifted == "1 visit(s) no longer restricted.", lifted
    visit = services.repos.visits.get(visit_id)
    assert (visit.name, visit.restricted) == ("Zyxwvut Fakename", False)
    actions = [act for a, act, _ in audit(services) if a == "staff:ada"]
    assert {"visit.view", "visit.correct", "person.restrict", "person.unrestrict"} <= set(actions)


async def test_admin_answers_a_rights_request(services: Services, tmp_path: Path) -> None:
    person = visitor(7, email="zyx.fake7@example.com")
    first = check_in(services.repos, person, actor="test")
    second = check_in(
        services.repos, visitor(7, email=person.email, company="Other Fictional BV"), actor="test"
    )
    bystander = check_in(services.repos, visitor(8), actor="test")
    services.invitations.preregister(
        Registration(name=person.name, email=person.email or "", visitor_type="guest"),
        services.ctx.today() + timedelta(days=1),
        Actor.staff(StaffUser("ada", "admin")),
    )
    out = tmp_path / "answer" / "visitor.json"
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f10")
        await type_into(pilot, "#rights-who", "not an address or number")
        await pilot.press("enter")
        assert "phone" in await status_of(pilot, "#rights-status", "phone")

        await type_into(pilot, "#rights-who", person.email or "")
        await pilot.press("enter")
        found = await status_of(pilot, "#rights-status", "found")
        assert "2 visit(s) and 1 invitation(s) found" in found
        assert pilot.app.screen.query_one("#rights-visits", DataTable).row_count == 2

        output = pilot.app.screen.query_one("#rights-output", Input)
        output.value = "~nosuchuser/visitor.json"  # no such account: said, not raised
        await pilot.click("#rights-export")
        assert await status_of(pilot, "#rights-status", "home") == (
            "~nosuchuser is not a home folder on this machine."
        )
        output.value = str(out)
        await pilot.pause(0.3)  # a button ignores a click while it still shows the last one
        await pilot.click("#rights-export")
        await status_of(pilot, "#rights-status", "Wrote")
        await pilot.click("#rights-restrict")
        assert "2 visit(s) restricted" in await status_of(pilot, "#rights-status", "restricted")
        held = json.loads(out.read_text())
        assert {v["id"] for v in held["visits"]} == {str(first.visit_id), str(second.visit_id)}
        assert {v["company"] for v in held["visits"]} == {person.company, "Other Fictional BV"}
        assert [n["signed_name"] for n in held["nda_acceptances"]] == [person.name] * 2
        assert [i["name"] for i in held["invitations"]] == [person.name]
        assert {v["screening"] for v in held["visits"]} == {"passed"}
        assert out.stat().st_mode & 0o077 == 0
        assert services.repos.visits.get(first.visit_id).restricted

        await pilot.click("#rights-consent")
        assert "removed from 2 visit(s)" in await status_of(pilot, "#rights-status", "removed")
        assert services.repos.visits.get(first.visit_id).screening.value == "not_asked"

        await pilot.click("#rights-erase")
        await pilot.click("#rights-erase")
        erased = await status_of(pilot, "#rights-status", "Erased")
        assert "Erased 2 visit(s)" in erased and "1 invitation(s)" in erased
    assert services.repos.visits.find_person(email=person.email) == []
    assert services.repos.visits.get(bystander.visit_id).name == visitor(8).name
    events = audit(services)
    actions = {act for a, act, _ in events if a == "staff:ada"}
    assert {"person.lookup", "person.export", "person.restrict", "person.withdraw_consent",
            "person.erase"} <= actions  # fmt: skip
    for _, _, details in events:  # ids and counts only
        assert "zyx.fake7" not in json.dumps(details) and person.name not in json.dumps(details)
    with services.repos.db.engine.connect() as conn:
        assert conn.execute(select(Visit.id).where(Visit.id == first.visit_id)).first() is None


async def test_an_admin_unlocks_a_name_locked_in_the_lobby(services: Services) -> None:
    lobby = StaffService(services.ctx, sleep=lambda _: None)
    for _ in range(10):
        lobby.verify("sam", "000000")
    assert services.staff.is_locked("sam", "lobby")
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")  # at the console: the lobby's lock is not hers
        await pilot.press("f8")
        assert await table_rows(pilot, "#staff-table", 3) == 3
        table = pilot.app.screen.query_one("#staff-table", DataTable)
        assert "locked: lobby" in [str(c) for c in table.get_row("sam")]
        await type_into(pilot, "#staff-user", "sam")
        await pilot.click("#staff-unlock")
        await status_of(pilot, "#staff-status", "unlocked")
    assert not services.staff.is_locked("sam")
    assert ("staff:ada", "staff.unlock") in [(a, act) for a, act, _ in audit(services)]


async def test_the_register_in_the_rights_tab_answers_a_request(
    services: Services, tmp_path: Path
) -> None:
    """The Rights tab lists the register overdue first; picking a request looks its
    person up, the export is recorded on it, and Answered closes it."""
    ada_actor = Actor.staff(StaffUser("ada", "admin"))
    person = visitor(7, email="zyx.fake7@example.com")
    check_in(services.repos, person, actor="test")
    today = services.ctx.today()
    rights = services.rights
    later = rights.open_request("access", Person(email=person.email), "e-mail", ada_actor)
    late = rights.open_request(
        "erasure", Person(phone="+31205550999"), "letter", ada_actor, today - timedelta(days=40)
    )
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f10")
        table = pilot.app.screen.query_one("#rights-requests", DataTable)
        for _ in range(200):
            if table.row_count == 2:
                break
            await pilot.pause(0.02)
        first, second = (table.get_row_at(i) for i in range(2))
        late_by = (today - late.due_on).days
        assert first[0] == short_ref(late.id) and f"OVERDUE {late_by} d" in str(first[4])
        assert second[0] == short_ref(later.id)
        table.focus()
        await pilot.press("down", "enter")  # the access request: its person is looked up
        assert "1 visit(s)" in await status_of(pilot, "#rights-status", "found")
        pilot.app.screen.query_one("#rights-output", Input).value = str(tmp_path / "a.json")
        await pilot.click("#rights-export")
        assert "Recorded on request" in await status_of(pilot, "#rights-status", "Recorded")
        await pilot.click("#rights-answered")
        await status_of(pilot, "#rights-status", "closed as answered")
    answered = rights.request(str(later.id), ada_actor)
    assert answered.status.value == "answered"
    assert [a.action for a in answered.actions] == ["export"]


async def test_the_register_is_kept_from_the_rights_tab(services: Services) -> None:
    """A request is registered, extended, upheld (an objection) and refused from the
    Rights tab, each asked in a dialog that keeps what was typed when something is
    missing, and each recorded in the register and the audit trail."""
    person = visitor(8, email="zyx.fake8@example.com")
    check_in(services.repos, person, actor="test")  # the host's e-mail waits in the outbox
    today = services.ctx.today()
    app = make_console(services.settings, services=services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "ada")
        await pilot.press("f10")
        await pilot.pause(0.3)
        screen = pilot.app.screen
        await type_into(pilot, "#rights-who", person.email or "")
        await pilot.click("#rights-new")
        await wait_for_screen(pilot, "NewRequestScreen")
        dialog = pilot.app.screen
        assert dialog.query_one("#request-who", Input).value == person.email
        assert dialog.query_one("#request-received", Input).value == today.isoformat()
        await pilot.click("#request-register")
        assert "Choose what was asked." in await status_of(pilot, "#request-error", "Choose")
        dialog.query_one("#request-kind", Select).value = "objection"
        dialog.query_one("#request-via", Select).value = "letter"
        await pilot.pause(0.3)  # a button pressed twice within 0.2 s takes one press
        await pilot.click("#request-register")
        await wait_for_screen(pilot, "ConsoleScreen")
        said = await status_of(pilot, "#rights-status", "registered")
        assert said.endswith(f"registered: objection, due {due_on(today)}.")
        assert await table_rows(pilot, "#rights-requests", 1) == 1

        async def pick() -> None:
            await pilot.pause(0.3)
            table = screen.query_one("#rights-requests", DataTable)
            table.focus()
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert not screen.query_one("#rights-extend", Button).disabled

        await pick()
        await pilot.click("#rights-extend")
        await wait_for_screen(pilot, "ReasonScreen")
        pilot.app.screen.query_one("#reason-months", Select).value = 2
        await pilot.click("#reason-ok")
        assert "required" in await status_of(pilot, "#reason-error", "required")
        await pilot.pause(0.3)
        await type_into(pilot, "#reason-text", "Waiting for the backup restore")
        await pilot.click("#reason-ok")
        await wait_for_screen(pilot, "ConsoleScreen")
        said = await status_of(pilot, "#rights-status", "now due")
        assert said.endswith(f"now due {due_on(today, 2)}.")

        await pick()
        await pilot.click("#rights-object")
        await wait_for_screen(pilot, "ObjectionScreen")
        await pilot.click("#object-notifications")
        await pilot.click("#object-ok")
        await wait_for_screen(pilot, "ConsoleScreen")
        said = await status_of(pilot, "#rights-status", "upheld")
        assert said == (
            "Objection to notifications upheld: 1 host e-mail(s) not sent, 0 visit(s) left"
            " out of exports."
        )

        await pick()
        await pilot.click("#rights-refuse")
        await wait_for_screen(pilot, "ReasonScreen")
        await type_into(pilot, "#reason-text", "Manifestly unfounded")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert "closed as refused" in await status_of(pilot, "#rights-status", "closed")
        await pilot.pause(0.3)
        assert screen.query_one("#rights-object", Button).disabled  # nothing picked now
    [request] = services.repos.requests.all()
    assert request.status.value == "refused" and request.note == "Manifestly unfounded"
    assert request.extended_months == 2
    assert request.extension_reason == "Waiting for the backup restore"
    assert [a.action for a in request.actions] == ["object to notifications"]
    actions = [act for _a, act, _d in audit(services)]
    for done in ("rights.request.open", "rights.request.extend", "person.object",
                 "rights.request.refuse"):  # fmt: skip
        assert done in actions
