"""The optional health screening: its outcome, its answers kept only as the visitor was
told, skipped, and the under-16 path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.pilot import Pilot

from kiosk.domain.visits import ScreeningOutcome
from storage.models import HealthScreening
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    wait_for_screen,
)
from tests.helpers.visitor_ui import (
    SCREENING_ON,
    answer_screening,
    fill_details,
    kiosk_app,
    through_documents,
    visits_today,
)


async def at_screening(pilot: Pilot[None]) -> None:
    """From the welcome screen: the details and documents done, at the health check."""
    await fill_details(pilot)
    await through_documents(pilot)
    await wait_for_screen(pilot, "ScreeningConsentScreen")


async def test_failed_screening_flags_the_visit(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await at_screening(pilot)
        await answer_screening(pilot, "yes", "no")
        text = screen_text(pilot)
        # Headed by what to do, not by "Welcome" (with "see reception" below it).
        assert text.startswith("Please see reception before you go in.")
        assert "Welcome" not in text and text.count("see reception") == 1
    [visit] = visits_today(services)
    assert visit.flagged and visit.screening is ScreeningOutcome.FAILED


async def test_the_request_for_every_answer_goes_once_all_are_answered(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await at_screening(pilot)
        await pilot.click("#consent")
        await wait_for_screen(pilot, "ScreeningQuestionsScreen")
        await pilot.click("#q0-no")
        await pilot.click("#next")
        await pilot.pause()
        assert "Please answer every question." in screen_text(pilot)
        await pilot.click("#q1-no")
        await pilot.pause()
        assert "Please answer every question." not in screen_text(pilot)
        assert type(pilot.app.screen).__name__ == "ScreeningQuestionsScreen"


@pytest.mark.parametrize(("told_days", "then_days"), [(0, 14), (14, 14), (14, 7)])
async def test_health_answers_are_kept_only_as_the_visitor_was_told(
    tmp_path: Path, told_days: int, then_days: int
) -> None:
    """The consent says whether the answers are stored, by the periods in force when
    it is shown (an admin may have opted in since the kiosk started). An admin opting
    in while a visitor answers does not store the answers of one who was told they are
    not; one told they are kept has them kept (encrypted, in their own table)."""
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))  # not kept at start
    store = services.repos
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        store.db.retention = dataclasses.replace(store.db.retention, health_answers_days=told_days)
        await at_screening(pilot)
        told = "Your answers are not stored" if told_days == 0 else "for 14 days"
        assert told in screen_text(pilot)
        store.db.retention = dataclasses.replace(store.db.retention, health_answers_days=then_days)
        await answer_screening(pilot, "no", "no")
    [visit] = visits_today(services)
    assert visit.screening is ScreeningOutcome.PASSED
    with store.db.engine.connect() as conn:
        kept = conn.execute(select(HealthScreening.visit_id)).scalars().all()
    assert kept == ([visit.id] if told_days else [])


@pytest.mark.parametrize("how", ["click", "enter"])
async def test_skipped_screening_is_recorded_as_skipped(tmp_path: Path, how: str) -> None:
    """Skip, clicked or (being focused) the Enter key: consent to the questions takes a
    deliberate choice, and Enter on this step once went Back to the NDA."""
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await at_screening(pilot)
        if how == "click":
            await pilot.click("#skip")
        else:
            await pilot.press("enter")
        await wait_for_screen(pilot, "BadgeScreen")
    [visit] = visits_today(services)
    assert not visit.flagged and visit.screening is ScreeningOutcome.SKIPPED


async def test_under_16_skips_screening_and_needs_host_confirmation(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot, guardian="Gwendolyn Fakeguardian")
        await through_documents(pilot, sign="Gwendolyn Fakeguardian")
        await wait_for_screen(pilot, "BadgeScreen")  # no screening questions asked
        assert "host will confirm your visit" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.needs_confirmation
    assert visit.screening is ScreeningOutcome.NOT_ASKED
