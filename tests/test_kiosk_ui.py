"""The visitor kiosk, driven headless with Pilot against a real SQLite store."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import threading
import time
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Markdown, OptionList, RadioButton, Static

import kiosk.documents
from kiosk.app import make_app
from kiosk.documents import load as load_document
from kiosk.domain.staff import SYSTEM, Actor, StaffUser
from kiosk.domain.visits import ScreeningOutcome
from kiosk.i18n import set_language
from screens.kiosk_app import KioskApp
from storage.errors import NotFound
from storage.models import HealthScreening, NdaAcceptance, Visit
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    OPERATOR,
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    settled,
    status_of,
    type_burst,
    type_into,
    wait_for_screen,
)
from tests.helpers.postgres import PgDatabases
from tests.helpers.store import add_host, check_in
from tests.helpers.visitor_ui import (
    EMAIL,
    NAME,
    SCREENING_ON,
    answer_screening,
    at_check_out,
    checked_in_code,
    fail_once,
    fill_details,
    invited_today,
    kiosk_app,
    name_typed_in_dutch,
    start_details,
    through_documents,
    visits_today,
)

ADA = Actor("staff:ada", "admin")


@pytest.fixture(autouse=True)
def _english() -> None:
    set_language("en")


async def test_happy_path_stores_an_encrypted_visit_and_shows_the_badge(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        text = screen_text(pilot)
        assert "Zebulon" in text and "Fakevisitor" not in text  # first name only
        assert "Take a photo of this code with your phone." in text  # no badge printer
    [visit] = visits_today(services)
    assert (visit.name, visit.email, visit.company) == (NAME, EMAIL, "Fictitious Widgets Ltd")
    assert visit.nda_accepted and visit.screening is ScreeningOutcome.NOT_ASKED
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.db*"))
    assert NAME.encode() not in raw and EMAIL.encode() not in raw
    assert list((tmp_path / "data" / "badges").glob("badge-*.svg"))


async def test_validation_messages_beside_fields_keep_what_was_typed(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await name_typed_in_dutch(pilot)
        await type_into(pilot, "#email-input", "not-an-address")
        await pilot.click("#next")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "DetailsScreen"
        error = str(pilot.app.screen.query_one("#email-error").render())
        assert error == "Vul alstublieft een geldig e-mailadres in."
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
        assert pilot.app.screen.query_one("#email-input", Input).value == "not-an-address"
    assert visits_today(services) == []


@pytest.mark.parametrize(
    ("language", "question"), [("en", "Type of visit"), ("nl", "Soort bezoek")]
)
async def test_the_type_of_visit_is_asked_beside_its_choices(
    tmp_path: Path, language: str, question: str
) -> None:
    """The four choices are not left to explain themselves: the question stands on the
    line of the first one, in the column of the other fields' questions."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click(f"#lang-{language}")
        await pilot.pause()
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "DetailsScreen")
        screen = pilot.app.screen
        choices = screen.query_one("#type").content_region
        [label] = [w for w in screen.query(".label") if str(w.render()) == question]
        name_label = screen.query_one("#name-input").parent.query_one(".label")  # type: ignore[union-attr]
        assert label.region.x == name_label.region.x
        assert label.content_region.y == choices.y


@pytest.mark.parametrize(("web", "lines"), [(True, 2), (False, 1)])
async def test_served_to_a_tablet_each_choice_is_a_fingertip_high(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: bool, lines: int
) -> None:
    """In a tablet's browser a line of text is about 20 pixels high: each suggested host
    and each choice of the type of visit takes two lines there, and a tap on the line
    above its words chooses it. A terminal keeps the form compact."""
    monkeypatch.setattr(KioskApp, "is_web", property(lambda app: web))
    services = open_services(kiosk_settings(tmp_path))
    for host in ("Hostina Placeholder", "Hosmer Example", "Hoskins Sample"):
        add_host(services.repos, host, actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "DetailsScreen")
        await type_into(pilot, "#host-input", "hos")
        await pilot.pause(0.3)
        options = pilot.app.screen.query_one("#host-options", OptionList)
        assert options.option_count == 3
        assert options.region.height == 2 + 3 * lines  # its border, and every host in view
        second = str(options.get_option_at_index(1).prompt).strip()
        await pilot.click("#host-options", offset=(3, 1 + lines))  # the second's first line
        await pilot.pause()
        assert pilot.app.screen.query_one("#host-input", Input).value == second
        contractor = pilot.app.screen.query_one("#type-contractor", RadioButton)
        assert contractor.region.height == lines
        await pilot.click("#type-contractor", offset=(4, 0))
        await pilot.pause()
        assert contractor.value


async def test_declining_the_nda_creates_no_visit(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "NdaScreen")
        await pilot.click("#decline")
        await wait_for_screen(pilot, "DeclinedScreen")
        assert "contact reception" in screen_text(pilot)
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
    assert visits_today(services) == []


async def test_wrong_signature_is_refused(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot, sign="Someone Else")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "NdaScreen"
        assert "type your full name as you entered it" in str(
            pilot.app.screen.query_one("#signature-error").render()
        )
    assert visits_today(services) == []


async def test_signature_may_leave_out_accents_and_case(tmp_path: Path) -> None:
    """A lobby keyboard may have no "ë" or "Å": the name typed plainly is accepted, and
    the signature is kept as it was typed."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot, name="Zoë Ångström-Fakevisitor")
        await through_documents(pilot, sign="zoe  angstrom fakevisitor")
        await wait_for_screen(pilot, "BadgeScreen")
    [visit] = visits_today(services)
    assert visit.name == "Zoë Ångström-Fakevisitor" and visit.nda_accepted


async def test_failed_screening_flags_the_visit(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "ScreeningConsentScreen")
        await answer_screening(pilot, "yes", "no")
        assert "see reception before you go in" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.flagged and visit.screening is ScreeningOutcome.FAILED


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
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "ScreeningConsentScreen")
        told = "Your answers are not stored" if told_days == 0 else "for 14 days"
        assert told in screen_text(pilot)
        store.db.retention = dataclasses.replace(store.db.retention, health_answers_days=then_days)
        await answer_screening(pilot, "no", "no")
    [visit] = visits_today(services)
    assert visit.screening is ScreeningOutcome.PASSED
    with store.db.engine.connect() as conn:
        kept = conn.execute(select(HealthScreening.visit_id)).scalars().all()
    assert kept == ([visit.id] if told_days else [])


async def _privacy_notice(pilot: Pilot[None]) -> tuple[str, str]:
    """From the welcome screen to the privacy notice: (its summary line, the notice)."""
    await fill_details(pilot)
    await wait_for_screen(pilot, "AgeScreen")
    await pilot.click("#adult")
    await wait_for_screen(pilot, "PrivacyScreen")
    notice = pilot.app.screen.query_one("#document", Markdown).source
    return str(pilot.app.screen.query_one(".summary", Static).render()), " ".join(notice.split())


async def test_the_notice_and_the_consent_say_what_is_really_kept(tmp_path: Path) -> None:
    """A site that keeps visits 60 days, NDAs a year and (opted in) health answers 14
    days tells its visitors exactly that, and the visit records the hash of that text."""
    toml = SCREENING_ON + "[retention]\nvisit_days = 60\nnda_days = 365\nhealth_answers_days = 14\n"
    services = open_services(kiosk_settings(tmp_path, toml))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        summary, notice = await _privacy_notice(pilot)
        assert "deleted automatically after 60 days." in summary
        assert "deleted automatically after 60 days." in notice
        assert "A signed NDA is kept for 1 year as a legal record." in notice
        assert "we keep your answers for 14 days, then only whether you may enter." in notice
        shown = pilot.app.screen.query_one("#document", Markdown).source
        # An admin changes the retention while the visitor reads: the visit still
        # records the text this visitor accepted.
        store = services.repos
        store.db.retention = dataclasses.replace(store.db.retention, visit_days=45)
        await pilot.click("#accept")
        await wait_for_screen(pilot, "NdaScreen")
        await type_into(pilot, "#signature", NAME)
        await pilot.press("enter")
        await wait_for_screen(pilot, "ScreeningConsentScreen")
        assert "We keep your answers, encrypted, for 14 days;" in screen_text(pilot)
        await pilot.click("#skip")
        await wait_for_screen(pilot, "BadgeScreen")
    with services.repos.db.engine.connect() as conn:
        [(version, sha256)] = conn.execute(select(Visit.privacy_version, Visit.privacy_sha256))
    assert sha256 == hashlib.sha256(f"version: {version}\n{shown}\n".encode()).hexdigest()
    assert sha256 != load_document("privacy", "en").sha256  # not the default text's


async def test_documents_are_read_in_a_worker_not_on_the_ui_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """House rule: no file I/O on the UI thread, also when the retention (and so the
    notice) changes while the kiosk runs."""
    load_document.cache_clear()
    on_ui_thread: list[bool] = []

    def files(package: str) -> object:
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        return resources.files(package)

    monkeypatch.setattr(kiosk.documents, "resources", SimpleNamespace(files=files))
    services = open_services(kiosk_settings(tmp_path))
    app = kiosk_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await settled(pilot)
        desk = open_services(kiosk_settings(tmp_path))  # the console, saving new periods
        desk.retention.save({"visit_days": "45"}, ADA)
        app.refresh_retention()  # the minute's tick
        await settled(pilot)
        summary, _notice = await _privacy_notice(pilot)
        assert "after 45 days." in summary
        await pilot.click("#cancel")
        await wait_for_screen(pilot, "WelcomeScreen")

        # An admin changes it in this kiosk's own staff menu (the Retention tab saves in
        # a worker), then locks: the next visitor reads the new notice at once.
        app.open_console(StaffUser("ada", "admin"))
        await wait_for_screen(pilot, "ConsoleScreen")
        await asyncio.to_thread(services.retention.save, {"visit_days": "50"}, ADA)
        app.lock_console()
        await wait_for_screen(pilot, "WelcomeScreen")
        await settled(pilot)
        summary, _notice = await _privacy_notice(pilot)
        assert "after 50 days." in summary
    assert on_ui_thread and not any(on_ui_thread)


def test_a_document_without_periods_hashes_as_its_file() -> None:
    """`sha256sum kiosk/documents/nda.en.md` at the version a visitor signed gives the
    hash stored with their acceptance."""
    folder = Path(__file__).resolve().parent.parent / "kiosk" / "documents"
    for language in ("en", "nl"):
        raw = (folder / f"nda.{language}.md").read_bytes()
        assert load_document("nda", language).sha256 == hashlib.sha256(raw).hexdigest()


async def test_the_next_visitor_reads_the_retention_an_admin_just_set(tmp_path: Path) -> None:
    """The console's Retention tab changes the running store's periods; the notice
    follows at once. Without screening the notice does not speak of health questions."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        summary, notice = await _privacy_notice(pilot)
        assert "after 30 days." in summary and "after 30 days." in notice
        assert "for 2 years as a legal record" in notice and "health" not in notice
        await pilot.click("#cancel")
        await wait_for_screen(pilot, "WelcomeScreen")
        store = services.repos
        store.db.retention = dataclasses.replace(store.db.retention, visit_days=45, nda_days=400)
        summary, notice = await _privacy_notice(pilot)
        assert "after 45 days." in summary and "after 45 days." in notice
        assert "for 400 days as a legal record" in notice


async def test_a_kiosk_takes_retention_saved_by_the_console_elsewhere(tmp_path: Path) -> None:
    """`kiosk console` at the desk is another process: what an admin saves there reaches
    the running kiosk (its purge, its notice) within a minute."""
    services = open_services(kiosk_settings(tmp_path))
    desk = open_services(kiosk_settings(tmp_path))  # the console's own store, same files
    desk.retention.save({"visit_days": "60"}, ADA)
    assert services.repos.db.retention.visit_days == 30  # not yet
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        pilot.app.refresh_retention()  # type: ignore[attr-defined]  # the minute's tick
        for _ in range(100):
            if services.repos.db.retention.visit_days == 60:
                break
            await pilot.pause(0.05)
        summary, notice = await _privacy_notice(pilot)
        assert "after 60 days." in summary and "after 60 days." in notice
    assert services.retention.follow() is False  # nothing new


def test_the_kiosk_purges_by_the_periods_saved_at_the_desk(tmp_path: Path) -> None:
    """The hourly purge does not wait for the minute's settings tick: periods an admin
    shortened (or lengthened) in a console elsewhere are the ones it purges by."""
    from datetime import UTC, datetime, timedelta

    services = open_services(kiosk_settings(tmp_path))
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    old = check_in(services.repos, visitor(1), actor="test", now=ten_days_ago)
    desk = open_services(kiosk_settings(tmp_path))
    desk.retention.save({"visit_days": "7"}, ADA)
    services.retention.purge(SYSTEM)  # the kiosk's hourly purge
    assert services.repos.db.retention.visit_days == 7
    assert services.repos.visits.find_person(email=visitor(1).email) == []
    with pytest.raises(NotFound):
        services.repos.visits.get(old.visit_id)


@pytest.mark.parametrize("how", ["click", "enter"])
async def test_skipped_screening_is_recorded_as_skipped(tmp_path: Path, how: str) -> None:
    """Skip, clicked or (being focused) the Enter key: consent to the questions takes a
    deliberate choice, and Enter on this step once went Back to the NDA."""
    services = open_services(kiosk_settings(tmp_path, SCREENING_ON))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "ScreeningConsentScreen")
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
        await fill_details(pilot)
        await through_documents(pilot, adult=False)
        await wait_for_screen(pilot, "BadgeScreen")  # no screening questions asked
        assert "host will confirm your visit" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.needs_confirmation
    assert visit.screening is ScreeningOutcome.NOT_ASKED


async def test_check_out_by_scanned_code_then_unknown_and_used_codes(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        code = await at_check_out(pilot)
        assert not pilot.app.screen.query("#camera")  # a terminal has no camera to offer
        await pilot.press(*code, "enter")  # what a USB scanner types
        await wait_for_screen(pilot, "GoodbyeScreen")
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await pilot.click("#check-out")
        await wait_for_screen(pilot, "CheckoutScreen")
        await pilot.press(*code, "enter")
        await pilot.pause(0.3)
        assert "already been checked out" in str(pilot.app.screen.query_one("#code-error").render())
        await pilot.press(*"ZZZZ-ZZZZ-ZZZZ", "enter")
        await pilot.pause(0.3)
        assert "do not know this code" in str(pilot.app.screen.query_one("#code-error").render())
    [visit] = visits_today(services)
    assert visit.departed_at is not None


async def test_a_badge_scanned_at_the_welcome_screen_checks_out_at_once(tmp_path: Path) -> None:
    """A USB scanner at the kiosk: the visitor leaving scans their badge without
    pressing Check out first. Enter that ends no code still presses the focused button."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        code = await checked_in_code(pilot)
        await type_burst(pilot, *code.lower(), "enter")  # what a scanner types
        await wait_for_screen(pilot, "GoodbyeScreen")
        [visit] = visits_today(services)
        assert visit.departed_at is not None
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await type_burst(pilot, *code, "enter")  # the same badge again: says so
        await wait_for_screen(pilot, "CheckoutScreen")
        await pilot.pause(0.3)
        assert "already been checked out" in str(pilot.app.screen.query_one("#code-error").render())
        await pilot.press("escape")
        await wait_for_screen(pilot, "WelcomeScreen")
        await type_burst(pilot, *"hello", "enter")  # no code: Enter is the Check in button's
        await wait_for_screen(pilot, "DetailsScreen")


async def test_an_invitation_qr_scanned_at_the_welcome_screen_opens_the_check_in(
    tmp_path: Path,
) -> None:
    services = open_services(kiosk_settings(tmp_path))
    code = invited_today(services)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await type_burst(pilot, *code, "enter")
        await wait_for_screen(pilot, "DetailsScreen")
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
    assert visits_today(services) == []  # nothing stored until the visitor goes through


async def test_idle_wipe_forgets_a_half_filled_form(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    app = kiosk_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await name_typed_in_dutch(pilot)
        app.last_activity = time.monotonic() - 61
        app.idle_tick()
        await wait_for_screen(pilot, "WelcomeScreen")
        assert "Check in" in str(app.screen.query_one("#check-in", Button).label)  # English again
        await pilot.pause(0.3)  # the wipe pops screens and switches: let it settle
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "DetailsScreen")
        assert app.screen.query_one("#name-input", Input).value == ""
        assert NAME not in screen_text(pilot)


def _toasts(pilot: Pilot[None]) -> str:
    """The notices shown over the screen (not Statics to a query: Toast does not inherit
    Static's CSS type)."""
    return "\n".join(str(toast.render()) for toast in pilot.app.screen.query("Toast"))


async def test_a_visitor_is_asked_before_the_idle_wipe_and_scrolling_counts(
    tmp_path: Path,
) -> None:
    """Fifteen seconds before the idle wipe the visitor is asked, in their language,
    whether they are still there; a key or a touch keeps the form, and so does scrolling
    a long text with the wheel (or a finger, on a tablet). Nobody answering: wiped."""
    services = open_services(kiosk_settings(tmp_path))
    app = kiosk_app(services)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await name_typed_in_dutch(pilot)
        still_there = "Bent u er nog?"

        app.last_activity = time.monotonic() - 44  # 16 s left of 60: not yet
        app.idle_tick()
        await pilot.pause()
        assert still_there not in _toasts(pilot)
        app.last_activity = time.monotonic() - 46
        app.idle_tick()
        await pilot.pause(0.3)
        assert still_there in _toasts(pilot)
        assert "over 14 seconden opnieuw" in _toasts(pilot)
        await pilot.press("end")  # any key: still there
        await pilot.pause(0.3)
        assert still_there not in _toasts(pilot)

        form = app.screen.query_one("#form")
        app.last_activity = time.monotonic() - 50  # untouched for 50 s, but then scrolled:
        # the wheel over the form, as the terminal reports it (Pilot has no wheel).
        app.post_message(events.MouseScrollDown(form, 10, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert time.monotonic() - app.last_activity < 5  # the idle time starts again
        app.idle_tick()
        await pilot.pause()
        assert type(app.screen).__name__ == "DetailsScreen"
        assert app.screen.query_one("#name-input", Input).value == NAME

        app.last_activity = time.monotonic() - 61  # nobody answered
        app.idle_tick()
        await wait_for_screen(pilot, "WelcomeScreen")
        await pilot.pause(0.3)
        assert still_there not in _toasts(pilot)


async def test_the_still_there_question_covers_no_button_or_field(tmp_path: Path) -> None:
    """On an 80x24 kiosk the question stands in the title's lines at the top, over
    nothing the visitor would touch next (in either language): at the bottom right it
    covered "I accept" and the signature on the NDA, and the form's and badge's buttons."""
    services = open_services(kiosk_settings(tmp_path))
    app = kiosk_app(services)

    async def asked(step: str, question: str) -> None:
        app.last_activity = time.monotonic() - 50
        app.idle_tick()
        await pilot.pause(0.3)
        [toast] = app.screen.query("Toast")
        assert question in str(toast.render())
        for touched in app.screen.query("Button, Input"):
            if touched.display and touched.region:
                assert not toast.region.overlaps(touched.region), (step, touched)
        await pilot.press("end")  # a key: the question goes
        await pilot.pause(0.3)

    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await name_typed_in_dutch(pilot)
        await asked("DetailsScreen in Dutch", "Bent u er nog?")
        await pilot.click("#cancel")
        await wait_for_screen(pilot, "WelcomeScreen")
        await fill_details(pilot)
        await asked("AgeScreen", "Are you still there?")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "NdaScreen")
        await asked("NdaScreen", "Are you still there?")
        await type_into(pilot, "#signature", NAME)
        await pilot.press("enter")
        await wait_for_screen(pilot, "BadgeScreen")
        await asked("BadgeScreen", "Are you still there?")


async def test_the_next_visitor_is_welcomed_in_the_kiosks_own_language(tmp_path: Path) -> None:
    """A visitor who chose Dutch and cancels, or finishes with Done: the welcome screen
    is back in the kiosk's language (English here), not left in theirs."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await name_typed_in_dutch(pilot)
        await pilot.click("#cancel")
        await wait_for_screen(pilot, "WelcomeScreen")
        assert str(pilot.app.screen.query_one("#check-in", Button).label) == "Check in"
        await pilot.click("#lang-nl")
        await pilot.pause()
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        assert str(pilot.app.screen.query_one("#check-in", Button).label) == "Check in"


async def test_each_visitor_starts_on_check_in(tmp_path: Path) -> None:
    """At a keyboard kiosk Enter on the welcome screen checks in, whatever the visitor
    before chose (check-out, an invitation) and however they left."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for way_in, leave in (("#check-out", "escape"), ("#invitation", "escape")):
            await pilot.click(way_in)
            await pilot.pause()
            await pilot.press(leave)
            await wait_for_screen(pilot, "WelcomeScreen")
            assert pilot.app.focused is pilot.app.screen.query_one("#check-in")
        await pilot.click("#check-out")
        await wait_for_screen(pilot, "CheckoutScreen")
        await pilot.press(*"AAAA-BBBB-CCCC", "enter")  # unknown: the visitor gives up
        pilot.app.last_activity = time.monotonic() - 61  # type: ignore[attr-defined]
        pilot.app.idle_tick()  # type: ignore[attr-defined]
        await wait_for_screen(pilot, "WelcomeScreen")
        assert pilot.app.focused is pilot.app.screen.query_one("#check-in")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DetailsScreen")


async def test_cancel_at_any_step_forgets_the_visitor(tmp_path: Path) -> None:
    """Cancel, at whichever step a visitor gives up, goes back to the welcome screen; the
    next visitor finds an empty form and nothing was stored."""
    services = open_services(kiosk_settings(tmp_path))
    steps = ("DetailsScreen", "AgeScreen", "PrivacyScreen", "NdaScreen")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for step, leave in [(s, "#cancel") for s in steps] + [("DetailsScreen", "escape")]:
            await pilot.click("#check-in")
            await wait_for_screen(pilot, "DetailsScreen")
            pilot.app.screen.query_one("#name-input", Input).value = NAME  # typed, in effect
            pilot.app.screen.query_one("#email-input", Input).value = EMAIL
            for button in ("#next", "#adult", "#accept")[: steps.index(step)]:
                await pilot.click(button)
                await pilot.pause()
            await wait_for_screen(pilot, step)
            await (pilot.press(leave) if leave == "escape" else pilot.click(leave))
            await wait_for_screen(pilot, "WelcomeScreen")
            await pilot.click("#check-in")
            await wait_for_screen(pilot, "DetailsScreen")
            assert pilot.app.screen.query_one("#name-input", Input).value == "", step
            assert pilot.app.screen.query_one("#email-input", Input).value == "", step
            await pilot.click("#cancel")
            await wait_for_screen(pilot, "WelcomeScreen")
        for way_in, field in (("#check-out", "#code"), ("#invitation", "#invitation-code")):
            await pilot.click(way_in)
            await pilot.pause()
            pilot.app.screen.query_one(field, Input).value = "AAAA-BBBB"
            await pilot.click("#cancel")
            await wait_for_screen(pilot, "WelcomeScreen")
            await pilot.click(way_in)
            await pilot.pause()
            assert pilot.app.screen.query_one(field, Input).value == "", way_in
            await pilot.click("#cancel")
            await wait_for_screen(pilot, "WelcomeScreen")
    assert visits_today(services) == []


async def test_markup_in_typed_text_is_shown_literally(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    sneaky = "[@click=app.quit]Evil[/] [b]Bold[/b]"
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot, name=sneaky)
        await through_documents(pilot, sign=sneaky)
        await wait_for_screen(pilot, "BadgeScreen")
        assert str(pilot.app.screen.query_one("#badge-name").render()) == "[@click=app.quit]Evil[/]"
        await pilot.click("#badge-name")
        await pilot.pause()
        assert pilot.app.is_running
    [visit] = visits_today(services)
    assert visit.name == sneaky


@pytest.mark.parametrize("keys", [["ctrl+q"], ["ctrl+c"], ["ctrl+z"], ["ctrl+p"], ["escape"]])
async def test_escape_keys_do_nothing_for_visitors(tmp_path: Path, keys: list[str]) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press(*keys)
        await pilot.pause()
        assert pilot.app.is_running
        assert type(pilot.app.screen).__name__ in {"WelcomeScreen", "PinScreen"}
        assert "CommandPalette" not in type(pilot.app.screen).__name__


async def open_pin_dialog(pilot: Pilot[None]) -> None:
    """The staff key pressed at the welcome screen: the PIN dialog."""
    await ready(pilot)
    await pilot.press("f12")
    await wait_for_screen(pilot, "PinScreen")


async def test_staff_key_and_pin_are_the_only_way_out(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await type_into(pilot, "#user", "ada")
        await type_into(pilot, "#pin", "999999")
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert "Wrong user name or PIN" in str(pilot.app.screen.query_one("#pin-error").render())
        await type_into(pilot, "#pin", "246810")
        await pilot.press("enter")
        await wait_for_screen(pilot, "StaffMenuScreen")
        await pilot.click("#quit")
        await pilot.pause()
        assert not pilot.app.is_running


async def test_a_pin_the_database_cannot_check_is_said_and_the_next_try_unlocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database does not answer when staff unlock: the dialog says so (no "wrong
    PIN", no traceback), stays, and the PIN typed again once it answers opens the menu."""
    from storage.errors import DatabaseUnavailable

    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    real, calls = services.staff.verify, []

    def flaky(user: str, pin: str) -> object:
        calls.append(user)
        if len(calls) == 1:
            raise DatabaseUnavailable("the database could not be used: database is locked")
        return real(user, pin)

    monkeypatch.setattr(services.staff, "verify", flaky)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await type_into(pilot, "#user", "ada")
        await type_into(pilot, "#pin", "246810")
        await pilot.press("enter")
        assert await status_of(pilot, "#pin-error", "Not") == "Not available right now."
        screen = pilot.app.screen
        assert type(screen).__name__ == "PinScreen"
        assert not screen.query_one("#unlock", Button).disabled
        assert screen.query_one("#user", Input).value == "ada"
        await type_into(pilot, "#pin", "246810")
        await pilot.press("enter")
        await wait_for_screen(pilot, "StaffMenuScreen")
    assert calls == ["ada", "ada"]


async def test_a_pin_typed_as_the_user_name_does_not_stay_on_the_lobby_screen(
    tmp_path: Path,
) -> None:
    """Someone who forgets the user name types their PIN into its field, in clear: once
    the unlock fails the field is emptied and the dialog says what goes where. A wrong
    PIN under a real user name keeps the name."""
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        screen = pilot.app.screen
        for user, kept in (("246810", ""), ("ada", "ada")):
            await type_into(pilot, "#user", user)
            await pilot.press("enter", "enter")
            error = await status_of(pilot, "#pin-error", "Wrong user name or PIN")
            assert screen.query_one("#user", Input).value == kept
            assert ("Type your user name first" in error) == (kept == ""), error
            assert screen.focused is screen.query_one("#user" if not kept else "#pin")
            screen.query_one("#user", Input).value = ""


async def test_a_fresh_kiosk_says_how_to_add_the_first_staff_account(tmp_path: Path) -> None:
    """Right after installing (`make run` on a new machine) nobody has a PIN, and the
    staff menu is the only way out: the PIN dialog says how to add an account instead of
    "Wrong user name or PIN". Once there is one, the usual answer comes back."""
    services = open_services(kiosk_settings(tmp_path))

    async def answer(pin: str) -> str:
        await type_into(pilot, "#pin", pin)
        await pilot.press("enter")
        error = pilot.app.screen.query_one("#pin-error")
        deadline = time.monotonic() + 10
        while "Checking" in str(error.render()) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        return str(error.render())

    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await type_into(pilot, "#user", "admin")
        shown = await answer("123456")
        assert "There are no staff accounts yet" in shown, shown
        assert "kiosk staff add NAME --role admin" in shown, shown
        services.staff.add("ada", "admin", "246810", OPERATOR)
        shown = await answer("123456")
        assert "Wrong user name or PIN" in shown and "staff add" not in shown, shown


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (None, "We could not save your check-in just now. Please try again."),
        (RuntimeError("a bug"), "Something went wrong. Please try again or ask reception."),
    ],
    ids=["database", "unexpected"],
)
async def test_a_database_failure_keeps_the_form_and_retry_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception | None, said: str
) -> None:
    """A failed save (the database away, or an error nobody foresaw) says so, stores
    nothing, and Enter tries again with the form as it was."""
    services = open_services(kiosk_settings(tmp_path))
    fail_once(monkeypatch, services.checkin, "check_in", error)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "SubmitScreen")
        await pilot.pause(0.5)
        assert said in screen_text(pilot)
        assert visits_today(services) == []
        assert pilot.app.focused is pilot.app.screen.query_one("#retry", Button)
        await pilot.press("enter")  # a keyboard kiosk: Enter tries again
        await wait_for_screen(pilot, "BadgeScreen")
    assert [v.name for v in visits_today(services)] == [NAME]


async def test_check_out_pressed_before_the_scan_then_the_scan_checks_out(
    tmp_path: Path,
) -> None:
    """A visitor touches Check out before scanning: they are asked for the code, and the
    scanner's typing lands in the code field (not on the button, where it was lost)."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        code = await at_check_out(pilot)
        await pilot.click("#submit")
        await pilot.pause(0.2)
        error = pilot.app.screen.query_one("#code-error")
        assert str(error.render()) == "Please scan or type your code."
        await pilot.press(*code, "enter")  # a USB scanner types the code and Enter
        await wait_for_screen(pilot, "GoodbyeScreen")
    [visit] = visits_today(services)
    assert visit.departed_at is not None


async def test_a_database_failure_at_check_out_keeps_the_code_for_a_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_services(kiosk_settings(tmp_path))
    calls = fail_once(monkeypatch, services.checkin, "check_out_badge")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        code = await at_check_out(pilot)
        await type_into(pilot, "#code", code)
        await pilot.click("#submit")  # a touch on Check out (the focus leaves the field)
        error = pilot.app.screen.query_one("#code-error")
        for _ in range(100):
            if "could not check you out" in str(error.render()):
                break
            await pilot.pause(0.05)
        assert "could not check you out just now" in str(error.render())
        assert pilot.app.screen.query_one("#code", Input).value == code
        assert not pilot.app.screen.query_one("#submit", Button).disabled
        assert pilot.app.focused is pilot.app.screen.query_one("#code")  # not on Cancel
        await pilot.press("enter")  # the code is still there: Enter tries again
        await wait_for_screen(pilot, "GoodbyeScreen")
    [visit] = visits_today(services)
    assert visit.departed_at is not None and len(calls) == 2


async def _refused_at_start(pilot: Pilot[None], settle: float) -> str:
    """The kiosk's start-up error, once it has one and still has it ``settle`` seconds
    later, with the welcome screen saying it is not available and its ways in disabled."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    deadline = time.monotonic() + 30
    while not app.start_error:
        assert time.monotonic() < deadline, "the kiosk started"
        await pilot.pause(0.02)
    await pilot.pause(settle)
    assert "not available right now" in screen_text(pilot)
    assert app.screen.query_one("#check-in", Button).disabled
    return app.start_error or ""


async def test_kiosk_that_cannot_open_its_store_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong master key needs a person: the kiosk says it is not available and does
    not keep trying."""
    monkeypatch.setattr("screens.app_base.REOPEN_EVERY_S", 0.2)
    settings = kiosk_settings(tmp_path)
    open_services(settings)  # creates the database and key
    (tmp_path / "data" / "master.key").write_bytes(b"\x00" * 32)  # wrong key
    app = make_app(settings, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        error = await _refused_at_start(pilot, settle=1)  # five chances to try again
        assert not app.runtime.retrying and "master key" in error


@pytest.mark.postgres
async def test_a_kiosk_that_started_before_its_database_opens_when_it_answers(
    pg: PgDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a power cut the kiosk boots before the PostgreSQL server is up: it says it is
    not available, and when the database answers it is ready by itself (no restart),
    Check in focused for a keyboard kiosk."""
    monkeypatch.setattr("screens.app_base.REOPEN_EVERY_S", 0.2)
    records, keys = pg.create(), pg.create()
    settings = kiosk_settings(
        tmp_path, f'database_url = "{pg.url(records)}"\nkeystore_url = "{pg.url(keys)}"\n'
    )
    pg.allow_connections(records, False)
    app = make_app(settings, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        error = await _refused_at_start(pilot, settle=0.5)  # a few attempts, still refused
        assert app.runtime.retrying and "cannot reach the database" in error
        # Where the focus may go while the ways in are disabled (it did, on a busy machine).
        app.screen.set_focus(app.screen.query_one("#lang-en", Button))
        pg.allow_connections(records, True)
        await ready_again(pilot)
        assert "not available right now" not in screen_text(pilot)
        assert pilot.app.screen.focused is pilot.app.screen.query_one("#check-in", Button)
        await pilot.press("enter")
        await wait_for_screen(pilot, "DetailsScreen")
    assert (
        app.runtime.services.repos.visits.on_day(
            app.runtime.services.repos.db.local_day(FIXED_NOW)
        ).visits
        == []
    )


async def ready_again(pilot: Pilot[None], wait: float = 30) -> None:
    """Until the kiosk's store is open and its welcome screen says nothing is wrong."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    deadline = time.monotonic() + wait
    while app.start_error or pilot.app.screen.query_one("#check-in", Button).disabled:
        assert time.monotonic() < deadline, app.start_error
        await pilot.pause(0.05)


async def test_host_is_chosen_from_the_directory_never_from_visitors(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    hostina = add_host(services.repos, "Hostina Placeholder", actor="admin")
    add_host(services.repos, "Hosmer Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot, "Hostess Fakevisitor")  # a visitor, not a host
        await type_into(pilot, "#host-input", "hos")
        await pilot.pause(0.3)
        options = pilot.app.screen.query_one("#host-options")
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]  # type: ignore[attr-defined]
        assert sorted(shown) == ["Hosmer Example", "Hostina Placeholder"]
        await type_into(pilot, "#host-input", "hostina")
        await pilot.pause(0.3)
        await pilot.click("#host-options", offset=(3, 1))  # the first suggestion
        await pilot.pause()
        assert pilot.app.screen.query_one("#host-input", Input).value == "Hostina Placeholder"
        await pilot.click("#type-delivery")
        await pilot.pause()
        await pilot.click("#next")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "BadgeScreen")
        assert "Visiting: Hostina Placeholder" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.host_id == hostina


async def test_a_host_is_found_without_accents_and_picked_by_keyboard(tmp_path: Path) -> None:
    """A visitor at a plain keyboard types "bjork", goes down into the suggestions, picks
    Björk Hostdóttir with Enter and goes on with Enter; no mouse, no touch."""
    services = open_services(kiosk_settings(tmp_path))
    bjork = add_host(services.repos, "Björk Hostdóttir", actor="admin")
    add_host(services.repos, "Bob Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "bjork")
        await pilot.pause(0.3)
        options = pilot.app.screen.query_one("#host-options", OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown == ["Björk Hostdóttir"]
        await pilot.press("down", "enter")
        await pilot.pause()
        host_input = pilot.app.screen.query_one("#host-input", Input)
        assert host_input.value == "Björk Hostdóttir" and host_input.has_focus
        await pilot.press("enter")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        assert "Visiting: Björk Hostdóttir" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.host_id == bjork


async def test_the_next_person_of_a_group_starts_with_company_and_host(tmp_path: Path) -> None:
    """From the badge, "Check in someone with me": the second visitor finds company, host
    and kind of visit filled in, nothing of the first visitor's own, and signs alone."""
    services = open_services(kiosk_settings(tmp_path))
    hostina = add_host(services.repos, "Hostina Placeholder", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#company-input", "Fictitious Widgets Ltd")
        await type_into(pilot, "#host-input", "Hostina Placeholder")
        await pilot.click("#type-contractor")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await pilot.click("#another")
        await wait_for_screen(pilot, "DetailsScreen")
        values = {f: pilot.app.screen.query_one(f"#{f}-input", Input).value
                  for f in ("name", "email", "phone", "company", "host")}  # fmt: skip
        assert values == {
            "name": "", "email": "", "phone": "",
            "company": "Fictitious Widgets Ltd", "host": "Hostina Placeholder",
        }  # fmt: skip
        await type_into(pilot, "#name-input", "Quentin Fakecolleague")
        await type_into(pilot, "#phone-input", "+31201234567")
        await pilot.click("#next")
        await through_documents(pilot, sign="Quentin Fakecolleague")
        await wait_for_screen(pilot, "BadgeScreen")
        assert "Visiting: Hostina Placeholder" in screen_text(pilot)
    first, second = visits_today(services)
    assert (first.name, second.name) == (NAME, "Quentin Fakecolleague")
    assert second.email is None and second.phone == "+31201234567"
    for visit in (first, second):
        assert visit.company == "Fictitious Widgets Ltd" and visit.host_id == hostina
        assert visit.visitor_type.value == "contractor" and visit.nda_accepted


async def test_a_burst_of_keys_across_fields_lands_in_the_right_fields(tmp_path: Path) -> None:
    """Autofill, a paste-by-typing tool or a fast typist sends a whole form at once, Tab
    between fields: every character lands in the field it was typed for. (Textual moves
    focus on a Tab when the focused field gets round to it; the keys behind it went to
    the old field.)"""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "DetailsScreen")
        await type_burst(
            pilot, *NAME, "tab", *EMAIL, "tab", *"+31201234567", "tab", *"Acme", "shift+tab"
        )
        values = {f: pilot.app.screen.query_one(f"#{f}-input", Input).value
                  for f in ("name", "email", "phone", "company")}  # fmt: skip
        assert values == {
            "name": NAME, "email": EMAIL, "phone": "+31201234567", "company": "Acme"
        }  # fmt: skip
        assert pilot.app.screen.query_one("#phone-input", Input).has_focus


async def test_an_unknown_host_says_so_and_can_be_left_to_reception(tmp_path: Path) -> None:
    """A host the directory does not know is not a dead end: the visitor is told so (not
    asked to pick from a list that is not there), keeps what they typed, and can go on
    with the field empty."""
    services = open_services(kiosk_settings(tmp_path))
    add_host(services.repos, "Hostina Placeholder", actor="admin")
    add_host(services.repos, "Hosmer Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "hos")  # two hosts: choose one
        await pilot.click("#next")
        await pilot.pause(0.3)
        assert "choose your host from the list" in screen_text(pilot)
        await type_into(pilot, "#host-input", "Nobody Known")
        await pilot.click("#next")
        await pilot.pause(0.3)
        text = screen_text(pilot)
        assert "cannot find anyone by that name" in text and "from the list" not in text
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
        assert pilot.app.screen.query_one("#host-input", Input).value == "Nobody Known"
        pilot.app.screen.query_one("#host-input", Input).value = ""
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
    [visit] = visits_today(services)
    assert visit.host_id is None and visit.host_name is None


async def test_printable_badge_goes_to_the_print_command(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The badge goes to the print command, and what the command says goes nowhere: lp
    prints "request id is ..." on stdout, which landed in the terminal over the visitor's
    screen (and in the browser kiosk, in the stream its page is drawn from). Nor can the
    command read the keys the kiosk should get. A slow printer does not hold the visitor
    on "Saving": the badge is on screen (and done with) before the label comes out."""
    printed, stdin_seen = tmp_path / "printed", tmp_path / "stdin-seen"
    release = tmp_path / "paper-loaded"  # the printer holds the label until the test says
    printer = tmp_path / "fake-lp"
    printer.write_text(
        f"#!/bin/sh\nfor _ in $(seq 600); do [ -e {release} ] && break; sleep 0.05; done\n"
        f'cp "$1" {printed}\necho "request id is LABEL-1 (1 file(s))"\n'
        f"echo 'lp: printer is slow' >&2\ncat > {stdin_seen}\n"
    )
    printer.chmod(0o755)
    services = open_services(kiosk_settings(tmp_path, f'[printing]\ncommand = "{printer}"\n'))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        code = await checked_in_code(pilot)
        assert not printed.exists()  # still printing
        release.touch()
        for _ in range(300):
            if stdin_seen.exists():
                break
            await pilot.pause(0.05)
    svg = printed.read_text()
    assert code in svg and "<svg" in svg and "Zebulon" in svg
    out, err = capfd.readouterr()
    assert "request id" not in out + err and "printer is slow" not in out + err
    assert stdin_seen.read_text() == ""
    spooled = next((tmp_path / "data" / "badges").glob("badge-*.svg"))
    assert spooled.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("command", "told"),
    [
        ("true", "Take your badge from the printer."),
        ("false", "The badge printer did not answer. Take a photo of this code"),
        ("/nonexistent/lp", "The badge printer did not answer. Take a photo of this code"),
    ],
)
async def test_the_badge_screen_says_how_to_take_the_code_along(
    tmp_path: Path, command: str, told: str
) -> None:
    """A visitor is told to take the printed badge only when one came out; when the
    printer did not take it, the screen says so and to take a photo of the code."""
    services = open_services(kiosk_settings(tmp_path, f'[printing]\ncommand = "{command}"\n'))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await settled(pilot)
        await pilot.pause()
        assert told in screen_text(pilot)


async def test_invitation_code_fills_the_form(tmp_path: Path) -> None:
    from kiosk.domain.visits import VisitorType

    services = open_services(kiosk_settings(tmp_path))
    host = add_host(services.repos, "Hostina Placeholder", actor="admin")
    code = invited_today(
        services,
        company="Fictitious Widgets Ltd",
        visitor_type=VisitorType.DELIVERY,
        host_id=host,
    )
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        await pilot.press(*code.lower(), "enter")
        await wait_for_screen(pilot, "DetailsScreen")
        screen = pilot.app.screen
        assert screen.query_one("#name-input", Input).value == NAME
        assert screen.query_one("#email-input", Input).value == EMAIL
        assert screen.query_one("#host-input", Input).value == "Hostina Placeholder"
        await pilot.pause(0.3)
        await pilot.click("#next")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "BadgeScreen")
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await pilot.click("#invitation")  # the same code again: already used
        await wait_for_screen(pilot, "InvitationScreen")
        await type_into(pilot, "#invitation-code", code)
        await pilot.click("#submit")
        await pilot.pause(0.5)
        assert "do not know this invitation code" in str(
            pilot.app.screen.query_one("#invitation-error").render()
        )
        assert pilot.app.focused is pilot.app.screen.query_one("#invitation-code")
    [visit] = visits_today(services)
    assert (visit.name, visit.host_id, visit.visitor_type) == (NAME, host, VisitorType.DELIVERY)


async def test_an_invitation_code_left_empty_or_not_looked_up_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Next with nothing typed asks for the code (it did nothing); a database that does
    not answer is said, the code stays, and Enter tries again."""
    services = open_services(kiosk_settings(tmp_path))
    code = invited_today(services)
    fail_once(monkeypatch, services.checkin, "find_invitation")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#invitation")
        await wait_for_screen(pilot, "InvitationScreen")
        error = pilot.app.screen.query_one("#invitation-error")
        await pilot.click("#submit")
        await pilot.pause(0.2)
        assert str(error.render()) == "Please scan or type your invitation code."
        await pilot.press(*code)
        await pilot.click("#submit")
        for _ in range(100):
            if "could not look up" in str(error.render()):
                break
            await pilot.pause(0.05)
        assert "We could not look up your invitation just now" in str(error.render())
        assert pilot.app.screen.query_one("#invitation-code", Input).value == code
        assert pilot.app.focused is pilot.app.screen.query_one("#invitation-code")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DetailsScreen")
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME


OFFICE_NDA = """version: acme-7
# Confidentiality undertaking of Acme Fictional B.V.

Keep what you see here to yourself.
"""
OFFICE_PRIVACY = """version: acme-3
# Privacy at Acme Fictional B.V.

Acme Fictional B.V. is the controller of your data. We keep it for {visit_period}.
Read more at [our website](https://example.com/privacy).
"""


async def test_the_offices_own_documents_are_shown_signed_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office's NDA and notice replace the built-in ones; the acceptance's hash is that
    of the office's file, whose text the database keeps; a link in it opens nothing."""
    folder = tmp_path / "documents"
    folder.mkdir()
    for language in ("en", "nl"):
        (folder / f"nda.{language}.md").write_text(OFFICE_NDA)
        (folder / f"privacy.{language}.md").write_text(OFFICE_PRIVACY)
    services = open_services(kiosk_settings(tmp_path, f"documents_dir = '{folder}'\n"))
    app = kiosk_app(services)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "PrivacyScreen")
        notice = pilot.app.screen.query_one("#document", Markdown)
        assert "We keep it for 30 days." in notice.source
        notice.post_message(Markdown.LinkClicked(notice, "https://example.com/privacy"))
        await pilot.pause(0.2)
        await pilot.click("#accept")
        await wait_for_screen(pilot, "NdaScreen")
        nda = pilot.app.screen.query_one("#document", Markdown)
        assert nda.source.startswith("# Confidentiality undertaking of Acme Fictional B.V.")
        await type_into(pilot, "#signature", NAME)
        await pilot.press("enter")
        await wait_for_screen(pilot, "BadgeScreen")
    assert opened == []  # no browser on the kiosk machine, no tab on the tablet
    with services.repos.db.engine.connect() as conn:
        [(version, sha256)] = conn.execute(
            select(NdaAcceptance.document_version, NdaAcceptance.document_sha256)
        )
    assert version == "acme-7"
    assert sha256 == hashlib.sha256((folder / "nda.en.md").read_bytes()).hexdigest()
    assert services.repos.documents.text(sha256) == OFFICE_NDA
    assert sorted(d.version for d in services.repos.documents.kept()) == ["acme-3", "acme-7"]
