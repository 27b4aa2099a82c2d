"""The privacy notice and the NDA at the kiosk: what they say, how they are signed, and
the retention periods they state."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import threading
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Markdown, Static

import kiosk.documents
from kiosk.documents import load as load_document
from kiosk.domain.staff import SYSTEM, Actor, StaffUser
from storage.errors import NotFound
from storage.models import NdaAcceptance, Visit
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    settled,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import check_in
from tests.helpers.visitor_ui import (
    NAME,
    SCREENING_ON,
    fill_details,
    kiosk_app,
    through_documents,
    visits_today,
)

ADA = Actor("staff:ada", "admin")


async def test_declining_the_nda_creates_no_visit(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
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


async def _privacy_notice(pilot: Pilot[None]) -> tuple[str, str]:
    """From the welcome screen to the privacy notice: (its summary line, the notice)."""
    await fill_details(pilot)
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
    built_in = load_document("privacy", "en")  # its header, the same whatever the periods
    header = f"version: {version}\neffective: {built_in.effective}\nchanges: {built_in.changes}\n"
    assert sha256 == hashlib.sha256(f"{header}{shown}\n".encode()).hexdigest()
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
    folder = resources.files("kiosk.documents")  # the files the package ships
    for language in ("en", "nl"):
        raw = folder.joinpath(f"nda.{language}.md").read_bytes()
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
        await wait_for_screen(pilot, "PrivacyScreen")
        notice = pilot.app.screen.query_one("#document", Markdown)
        assert "We keep it for 30 days." in notice.source
        assert "Version acme-3." in screen_text(pilot)  # its header gives no date
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


async def test_the_privacy_notice_says_its_version_and_the_day_it_applies_from(
    tmp_path: Path,
) -> None:
    """A notice's header dates it (effective: ...): the visitor reads which version it is
    and from which day it applies, above the text, in their language."""
    app = kiosk_app(open_services(kiosk_settings(tmp_path)))
    doc = load_document("privacy", "en")
    assert doc.effective is not None and doc.changes
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await _privacy_notice(pilot)
        line = f"Version {doc.version}, in effect from {doc.effective.isoformat()}."
        assert line in screen_text(pilot)
        assert "effective:" not in pilot.app.screen.query_one("#document", Markdown).source
