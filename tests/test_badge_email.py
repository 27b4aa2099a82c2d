"""A visitor's badge e-mailed to them at the kiosk (a lobby with no badge printer), to a
real SMTP server (aiosmtpd), from the real store."""

from __future__ import annotations

import io
from email.message import Message
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from kiosk.app import make_app
from kiosk.domain.notifications import BADGE
from kiosk.domain.staff import KIOSK
from kiosk.domain.visits import CheckOutOutcome
from kiosk.i18n import set_language
from kiosk.services.errors import ServiceUnavailable
from kiosk.services.notify import NO_CHANNEL
from storage.models import AuditEvent, OutboxMessage
from tests.helpers.factories import free_port
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.smtp_server import SmtpServer
from tests.helpers.store import add_host
from tests.helpers.visitor_ui import EMAIL, start_details, through_documents


@pytest.fixture(autouse=True)
def _english() -> None:
    set_language("en")


def _notify(smtp: SmtpServer) -> str:
    return f'[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nstarttls = false\n'


def _part(mail: Message, content_type: str) -> bytes:
    [payload] = [
        p.get_payload(decode=True) for p in mail.walk() if p.get_content_type() == content_type
    ]
    assert isinstance(payload, bytes)
    return payload


async def test_a_visitor_has_their_badge_emailed_and_checks_out_with_it(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """The visitor asks for their badge by e-mail: it comes to the address they gave, in
    the language they checked in in, with the code and a QR code of it that checks them
    out. Once sent the outbox keeps neither address nor code, the audit trail says it was
    asked for (by visit id only), and what reception reads of the host's notice is still
    the host's (here: no address, so not sent)."""
    services = open_services(kiosk_settings(tmp_path, _notify(smtp)))
    store = services.repos
    add_host(store, "Hostina Placeholder", actor="admin")  # no address: the host is not told
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#lang-nl")
        await pilot.pause()
        await start_details(pilot)
        await type_into(pilot, "#host-input", "hostina")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        code = str(pilot.app.screen.query_one("#badge-code").render())
        await pilot.click("#email-badge")
        status = await status_of(pilot, "#email-status", "Verstuurd")
        assert status == "Verstuurd naar het e-mailadres dat u opgaf."
        assert pilot.app.screen.query_one("#email-badge").disabled  # one e-mail, not more

    [(to, mail)] = smtp.inbox.wait_for(1)
    assert to == [EMAIL]
    assert str(mail["Subject"]).startswith("Uw bezoekersbadge voor Fictional HQ")
    body = _part(mail, "text/plain").decode()
    assert f"Uw badgecode is {code}." in body and "Zebulon" in body
    qr = Image.open(io.BytesIO(_part(mail, "image/png"))).convert("L")
    [scanned] = [r.text for r in zxingcpp.read_barcodes(qr)]
    assert services.checkin.check_out_badge(scanned, KIOSK) is CheckOutOutcome.DONE

    [visit] = store.visits.on_day(store.db.local_day(services.ctx.now())).visits
    with store.db.engine.connect() as conn:
        badge_rows = conn.execute(
            select(OutboxMessage.payload_ct, OutboxMessage.sent_at).where(
                OutboxMessage.kind == BADGE
            )
        ).all()
        asked = conn.execute(
            select(AuditEvent.object_id, AuditEvent.details).where(
                AuditEvent.action == "badge.email"
            )
        ).all()
    assert [(bytes(ct), sent is not None) for ct, sent in badge_rows] == [(b"", True)]
    assert [(object_id, details) for object_id, details in asked] == [(str(visit.id), {})]
    assert [tuple(state) for state in store.outbox.state_of_visit(visit.id)] == [
        ("host", None, None, NO_CHANNEL, None)
    ]


@pytest.mark.parametrize("case", ["no e-mail server", "no e-mail address"])
async def test_the_badge_is_offered_by_e_mail_only_where_it_can_go(
    tmp_path: Path, smtp: SmtpServer, case: str
) -> None:
    """No e-mail server set, or a visitor who gave only a phone number: no button."""
    toml = "" if case == "no e-mail server" else _notify(smtp)
    services = open_services(kiosk_settings(tmp_path, toml))
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        if case == "no e-mail address":
            await type_into(pilot, "#email-input", "")
            await type_into(pilot, "#phone-input", "+31 20 555 0123")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        assert not pilot.app.screen.query("#email-badge")


async def test_a_badge_e_mail_that_cannot_go_now_is_said_and_not_lost(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database away when the visitor asks: the screen says to take a photo and the
    button can be pressed again. The mail server away: the e-mail waits in the outbox
    (it goes with the next retry) and the screen says it comes shortly."""
    toml = _notify(smtp).replace(f"smtp_port = {smtp.port}", f"smtp_port = {free_port()}")
    services = open_services(kiosk_settings(tmp_path, toml))
    real = services.badges.email

    def database_away(*args: object) -> bool:
        raise ServiceUnavailable("database is locked")

    monkeypatch.setattr(services.badges, "email", database_away)
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await pilot.click("#email-badge")
        status = await status_of(pilot, "#email-status", "It could not")
        assert status == "It could not be sent now. Please take a photo of the code."
        assert not pilot.app.screen.query_one("#email-badge").disabled
        monkeypatch.setattr(services.badges, "email", real)
        await pilot.pause(0.5)  # a button ignores clicks while it still shows the last press
        await pilot.click("#email-badge")
        status = await status_of(pilot, "#email-status", "It will")
        assert status == "It will be sent to you shortly."
        assert pilot.app.screen.query_one("#email-badge").disabled
    with services.repos.db.engine.connect() as conn:
        waiting = conn.execute(
            select(OutboxMessage.sent_at).where(OutboxMessage.kind == BADGE)
        ).all()
    assert [sent for (sent,) in waiting] == [None]  # one e-mail, waiting for the retry
