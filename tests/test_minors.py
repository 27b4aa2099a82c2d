"""Visitors under 16, as the privacy notice promises: the kiosk asks the age first; one
on their own is sent to reception and nothing is kept but an anonymous count; one with a
parent or guardian checks in with the guardian's name recorded (encrypted), the guardian
consenting and signing the NDA, no health questions, the host told a minor is coming,
and reception confirming the visit in the console (audited). At the kiosk (Pilot) and by
command line, on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from textual.widgets import Button, Input, Static

from kiosk.app import make_console
from kiosk.domain.staff import Actor
from kiosk.services.notify import NotifyService
from storage.models import AuditEvent, NdaAcceptance, OutboxMessage, Visit
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.console_ui import audit_actions
from tests.helpers.factories import run_cli
from tests.helpers.kiosk_ui import (
    ready,
    screen_text,
    services_with_staff,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host, services_over
from tests.helpers.visitor_ui import NAME, fill_details, kiosk_app, visits_today

GUARDIAN = "Gwendolyn Fakeguardian"
PERSONAL_TABLES = ("visits", "nda_acceptances", "health_screenings", "outbox", "invitations")


def _rows(repos: Repositories, table: str) -> int:
    with repos.db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


async def test_an_under_16_on_their_own_is_sent_to_reception_and_nothing_is_kept(
    store: Repositories,
) -> None:
    services = services_over(store)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "AgeScreen")  # asked before any detail
        assert not pilot.app.screen.query(Input)
        await pilot.click("#alone")
        await wait_for_screen(pilot, "MinorAloneScreen")
        shown = screen_text(pilot)
        assert "Please go to reception" in shown
        assert "together with a parent or guardian" in shown
        await pilot.pause(0.3)  # the count is written in a worker
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
    assert {t: _rows(store, t) for t in PERSONAL_TABLES} == dict.fromkeys(PERSONAL_TABLES, 0)
    with store.db.engine.connect() as conn:
        counted = conn.execute(
            select(AuditEvent.actor, AuditEvent.object_id, AuditEvent.details).where(
                AuditEvent.action == "visit.turned_away"
            )
        ).all()
    assert [(a, o, d) for a, o, d in counted] == [
        ("kiosk", None, {"reason": "under_16_alone", "site": store.db.site_id.hex})
    ]
    status = services.status.collect(datetime.now(UTC))
    assert status.data["sent_to_reception_today"] == 1
    assert ("sent to reception today", "1 under-16(s) on their own") in status.facts


async def test_an_under_16_checks_in_with_a_guardian_who_consents_and_signs(
    store: Repositories,
) -> None:
    services = services_over(store)
    hostina = add_host(store, "Hostina Placeholder", email="hostina@example.com", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot, guardian="")  # an adult's form has no guardian field
        await wait_for_screen(pilot, "PrivacyScreen")
        assert str(pilot.app.screen.query_one("#accept", Button).label) == "I have read this"
        await pilot.click("#back")
        await wait_for_screen(pilot, "DetailsScreen")
        assert not pilot.app.screen.query("#guardian-input")
        await pilot.click("#cancel")
        await wait_for_screen(pilot, "WelcomeScreen")

        # Under 16: the guardian's name is asked, and missing it keeps what was typed.
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#minor")
        await wait_for_screen(pilot, "DetailsScreen")
        await type_into(pilot, "#name-input", NAME)
        await type_into(pilot, "#email-input", "zeb.junior@example.com")
        await type_into(pilot, "#host-input", "Hostina")
        await pilot.pause(0.3)
        await pilot.click("#next")
        await pilot.pause(0.3)
        error = pilot.app.screen.query_one("#guardian-error", Static)
        assert "name of the parent or guardian" in str(error.render())
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
        await type_into(pilot, "#guardian-input", GUARDIAN)
        await pilot.click("#next")
        await wait_for_screen(pilot, "PrivacyScreen")
        shown = screen_text(pilot)
        assert "parent or guardian reads this and consents" in shown
        accept = str(pilot.app.screen.query_one("#accept", Button).label)
        assert accept == "I consent, as parent or guardian"
        await pilot.click("#accept")
        await wait_for_screen(pilot, "NdaScreen")
        assert "Parent or guardian, type your full name" in screen_text(pilot)
        await type_into(pilot, "#signature", NAME)  # the minor cannot sign for themself
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert "parent's or guardian's full name" in screen_text(pilot)
        pilot.app.screen.query_one("#signature", Input).value = ""
        await type_into(pilot, "#signature", GUARDIAN.lower())
        await pilot.press("enter")
        await wait_for_screen(pilot, "BadgeScreen")  # no health questions
        assert "host will confirm your visit" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.needs_confirmation and visit.host_id == hostina
    assert store.visits.guardians([visit.id]) == {visit.id: GUARDIAN}
    [nda] = store.rights.nda_acceptances([visit.id])
    assert nda.signed_name == GUARDIAN.lower()
    with store.db.engine.connect() as conn:
        blob = conn.execute(select(Visit.guardian_ct).where(Visit.id == visit.id)).scalar_one()
    assert blob is not None and GUARDIAN.encode() not in bytes(blob)  # sealed

    # The host is told a minor is coming.
    with store.db.uow("notifier", now=datetime.now(UTC) + timedelta(minutes=1)) as tx:
        [note] = store.outbox.claim_due(tx, ("host",))
    assert note.minor
    body = NotifyService(services.ctx)._message(note).get_content()
    assert "under 16 and came with a parent or guardian" in body
    assert GUARDIAN not in body  # the host meets them; the e-mail carries no more


async def test_reception_confirms_an_under_16_visit_in_the_console(tmp_path: Path) -> None:
    services = services_with_staff(tmp_path)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot, guardian=GUARDIAN)
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "NdaScreen")
        await type_into(pilot, "#signature", GUARDIAN)
        await pilot.press("enter")
        await wait_for_screen(pilot, "BadgeScreen")
    [visit] = visits_today(services)
    console = make_console(services.settings, services=services)
    async with console.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.pause(0.5)
        pilot.app.screen.query_one("#visits").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "VisitDetailScreen")
        facts = await status_of(pilot, "#facts", "under 16")
        assert f"under 16, with parent/guardian {GUARDIAN}" in facts
        assert "to be confirmed at reception" in facts
        await pilot.click("#confirm-minor")
        assert await status_of(pilot, "#detail-status", "Visit") == "Visit confirmed."
        await pilot.pause(0.3)
        assert "to be confirmed" not in str(pilot.app.screen.query_one("#facts").render())
        assert not pilot.app.screen.query_one("#confirm-row").display
    [after] = visits_today(services)
    assert not after.needs_confirmation
    assert ("staff:rita", "visit.confirm_minor") in audit_actions(services)
    # Confirmed once: a second desk's confirm changes nothing.
    assert not services.visits.confirm_minor(visit.id, Actor("staff:rita", "reception"))


def test_under_16_by_command_line(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    alone = run_cli(store_config, tmp_path, "checkin", "--name", NAME,
                    "--email", "zeb@example.com", "--under-16")  # fmt: skip
    assert alone.returncode == 2
    assert "only with the parent or guardian" in alone.stderr
    assert "add --guardian NAME" in alone.stderr
    stray = run_cli(store_config, tmp_path, "checkin", "--name", NAME,
                    "--email", "zeb@example.com", "--guardian", GUARDIAN)  # fmt: skip
    assert stray.returncode == 2 and "add --under-16" in stray.stderr
    assert _rows(store, "visits") == 0

    done = run_cli(store_config, tmp_path, "checkin", "--name", NAME,
                   "--email", "zeb@example.com", "--type", "contractor", "--under-16",
                   "--guardian", GUARDIAN, "--accept-nda")  # fmt: skip
    assert done.returncode == 0, done.stderr
    [visit] = store.visits.find_person(email="zeb@example.com")
    assert visit.needs_confirmation
    assert store.visits.guardians([visit.id]) == {visit.id: GUARDIAN}
    [nda] = store.rights.nda_acceptances([visit.id])
    assert nda.signed_name == GUARDIAN

    # The visitor's export names the guardian who came with them.
    out = tmp_path / "export.json"
    exported = run_cli(store_config, tmp_path, "rights", "export", "zeb@example.com",
                       "--output", str(out))  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    [row] = json.loads(out.read_text())["visits"]
    assert row["guardian"] == GUARDIAN
    adult = run_cli(store_config, tmp_path, "checkin", "--name", "Ada Fakeadult",
                    "--email", "ada@example.com", "--type", "delivery")  # fmt: skip
    assert adult.returncode == 0
    with store.db.engine.connect() as conn:
        guardians = conn.execute(select(func.count()).where(Visit.guardian_ct.is_not(None)))
        assert guardians.scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(NdaAcceptance)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_the_built_in_notice_states_the_rule_in_both_languages() -> None:
    folder = Path(__file__).resolve().parent.parent / "kiosk" / "documents"
    english = (folder / "privacy.en.md").read_text()
    dutch = (folder / "privacy.nl.md").read_text()
    assert "**Visitors under 16.**" in english and "parent or" in english
    assert "**Bezoekers onder 16.**" in dutch and "ouder of voogd" in dutch
    for notice in (english, dutch):
        assert "version: 2026-12-2" in notice
