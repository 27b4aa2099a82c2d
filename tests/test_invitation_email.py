"""An invitation e-mailed to the expected visitor, through a real SMTP server (aiosmtpd),
from the real store on SQLite and PostgreSQL: the code arrives and works at the kiosk,
a failure is retried, and an erased visitor's e-mail is never sent."""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import date, datetime, time, timedelta
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from textual.widgets import Button, Input, Select

from kiosk.app import make_console
from kiosk.config import Settings
from kiosk.domain.registration import Registration, ValidationErrors
from kiosk.domain.staff import Actor
from kiosk.services.bundle import Services
from kiosk.services.notify import NotifyService
from kiosk.services.rights import Person
from storage.database import utcnow
from storage.models import OutboxMessage
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import services_with_staff, staff_login, wait_for_screen
from tests.helpers.smtp_server import SmtpServer
from tests.helpers.store import add_host, check_in
from tests.helpers.waiting import wait_until

VISITOR = "Ingrid Fakevisitor"
ADDRESS = "ingrid.fake@example.com"


def _settings(smtp: SmtpServer | None, **notify: object) -> Settings:
    settings = Settings(site_name="Fictional HQ", timezone="Europe/Amsterdam")
    if smtp is None:
        return settings
    return dataclasses.replace(settings, notify=smtp.settings(**notify))


def _invite(
    store: Repositories,
    settings: Settings,
    registration: Registration,
    day: date,
    *,
    today: date,
    actor: str,
    send: bool = False,
    language: str | None = None,
) -> tuple[uuid.UUID, str]:
    """Pre-register as staff do on ``today`` (the e-mail in ``language``, else the site's)."""
    clock = lambda: datetime.combine(today, time(12), ZoneInfo(settings.timezone))  # noqa: E731
    invitations = Services.over(store, settings, clock=clock).invitations
    send_in = (language or settings.notify.language) if send else ""
    return invitations.preregister(registration, day, Actor(actor), send_in=send_in)


def _part(mail: Message, content_type: str) -> bytes:
    [payload] = [
        p.get_payload(decode=True) for p in mail.walk() if p.get_content_type() == content_type
    ]
    assert isinstance(payload, bytes)
    return payload


def _body(mail: Message) -> str:
    return _part(mail, "text/plain").decode().replace("\r\n", "\n")


def test_the_code_arrives_by_e_mail_in_the_chosen_language_and_works(
    store: Repositories, smtp: SmtpServer
) -> None:
    host = add_host(store, "Hostina Placeholder", actor="admin")
    day = store.db.local_day(utcnow()) + timedelta(days=3)
    settings = _settings(smtp)
    invitation_id, code = _invite(
        store,
        settings,
        Registration(name=VISITOR, email=ADDRESS, host_id=host),
        day,
        today=day - timedelta(days=3),
        actor="staff:rita",
        send=True,
        language="nl",
    )
    assert Services.over(store, settings).invitations.send(invitation_id)
    [(to, mail)] = smtp.inbox.wait_for(1)
    assert to == [ADDRESS]
    assert mail["Subject"] == f"Uw bezoek aan Fictional HQ op {day.isoformat()}"
    body = _body(mail)
    assert body.startswith(f"Beste {VISITOR},\n\nU wordt verwacht bij Fictional HQ op {day}.")
    assert "U bezoekt Hostina Placeholder." in body
    assert (
        f'Kies bij de kiosk in de lobby "Ik heb een uitnodigingscode" en typ deze code: {code}.'
        in (" ".join(body.split()))
    )
    # The QR code attached, for a phone held up to the kiosk's scanner or camera.
    assert "Of laat bij de kiosk de QR-code in de bijlage van deze e-mail zien" in " ".join(
        body.split()
    )
    qr = Image.open(io.BytesIO(_part(mail, "image/png")))
    assert [r.text for r in zxingcpp.read_barcodes(qr.convert("L"))] == [code]
    found = store.invitations.find(code, day)
    assert found is not None and found.name == VISITOR  # the code fills the kiosk's form
    trail = [(e.action, e.details) for e in store.audit.events() if e.actor != "admin"]
    assert trail == [
        ("invitation.create", {"day": day.isoformat(), "emailed": True}),
        ("notification.sent", {}),
    ]
    assert VISITOR not in str(trail) and ADDRESS not in str(trail)


def test_no_e_mail_unless_asked_and_refusals_say_why(store: Repositories, smtp: SmtpServer) -> None:
    day = store.db.local_day(utcnow())
    _invite(store, _settings(smtp), Registration(name=VISITOR, email=ADDRESS), day,
           today=day, actor="staff:rita")  # fmt: skip
    assert store.outbox.pending() == []
    no_address = Registration(name=VISITOR, phone="+31205550123")
    with pytest.raises(ValidationErrors) as refused:
        _invite(store, _settings(smtp), no_address, day, today=day, actor="rita", send=True)
    assert refused.value.fields == {
        "email": "An e-mail address is needed to e-mail the invitation."
    }
    with pytest.raises(ValidationErrors) as refused:
        _invite(store, _settings(None), Registration(name=VISITOR, email=ADDRESS), day,
               today=day, actor="rita", send=True)  # fmt: skip
    assert refused.value.fields == {
        "send": "E-mail is not set up here (notify.smtp_host): give the visitor the code."
    }
    assert len(store.invitations.for_day(day)) == 1  # the refused ones: nothing


def test_a_failed_e_mail_is_retried_and_an_erased_visitors_never_goes(store: Repositories) -> None:
    down = SmtpServer()  # not started: the connection is refused
    day = store.db.local_day(utcnow())
    settings = _settings(down)
    first, _ = _invite(store, settings, Registration(name=VISITOR, email=ADDRESS), day,
                      today=day, actor="rita", send=True)  # fmt: skip
    assert not Services.over(store, settings).invitations.send(first)
    [(_, attempts, retry_at, sent, error)] = store.outbox.pending()
    assert (attempts, sent, error) == (1, None, "ConnectionRefusedError")
    down.start()
    try:
        assert retry_at is not None
        NotifyService(Services.over(store, settings).ctx).deliver_due(now=retry_at)
        assert [to for to, _ in down.inbox.wait_for(1)] == [[ADDRESS]]
        other = "otto.fake@example.com"
        _invite(
            store,
            settings,
            Registration(name="Otto Fakevisitor", email=other),
            day,
            today=day,
            actor="rita",
            send=True,
        )  # fmt: skip: queued, not yet sent
        Services.over(store, settings).rights.erase(Person(email=other), Actor("admin"))
        NotifyService(Services.over(store, settings).ctx).deliver_due(
            now=utcnow() + timedelta(hours=1)
        )
        assert len(down.inbox.wait_for(2, timeout=1.0)) == 1  # Otto's was erased with him
        assert len(store.outbox.pending()) == 1
    finally:
        down.stop()


def test_kiosk_invite_send_on_the_command_line(
    store_config: StoreConfig, tmp_path: Path, smtp: SmtpServer
) -> None:
    (tmp_path / "config.toml").write_text(
        f"[notify]\nsmtp_host = '127.0.0.1'\nsmtp_port = {smtp.port}\nstarttls = false\n"
    )
    day = (date.today() + timedelta(days=1)).isoformat()
    args = ("invite", "--name", VISITOR, "--date", day, "--send")
    done = run_cli(store_config, tmp_path, *args, "--email", ADDRESS, "--language", "en")
    assert done.returncode == 0, done.stderr
    code = done.stdout.split()[1]
    assert done.stdout == f"invitation {code}\ne-mailed\n"
    [(to, mail)] = smtp.inbox.wait_for(1)
    assert to == [ADDRESS] and mail["Subject"] == f"Your visit to {store_config.site_name} on {day}"
    assert code in _body(mail)
    refused = run_cli(store_config, tmp_path, *args, "--phone", "+31205550123")
    assert refused.returncode == 2
    assert refused.stderr == (
        "kiosk: error: email: An e-mail address is needed to e-mail the invitation.\n"
    )


async def test_the_console_e_mails_the_invitation_when_asked(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where e-mail is set up, the pre-registration form offers to send the code, in
    English or Dutch; the code shows at once, and the e-mail's fate follows in a
    notification."""
    services = services_with_staff(
        tmp_path, f"[notify]\nsmtp_host = '127.0.0.1'\nsmtp_port = {smtp.port}\nstarttls = false\n"
    )
    app = make_console(services.settings, services=services)
    told: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: told.append(message))
    async with app.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f3")
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#pre-name", Input).value = VISITOR
        screen.query_one("#pre-phone", Input).value = "+31205550123"
        screen.query_one("#pre-send", Select).value = "nl"
        screen.query_one("#pre-submit", Button).press()
        await pilot.pause(0.5)  # a phone only: said under the e-mail field, nothing sent
        message = "An e-mail address is needed to e-mail the invitation."
        assert str(screen.query_one("#pre-email-error").render()) == message
        screen.query_one("#pre-email", Input).value = ADDRESS
        screen.query_one("#pre-submit", Button).press()
        await wait_until(lambda: told)  # awaited: the worker hands the code to this loop first
        [(to, mail)] = smtp.inbox.messages
        shown = str(screen.query_one("#pre-code").render())
        assert told == ["The invitation was e-mailed."]
    code = shown.split()[2]
    assert to == [ADDRESS] and code in _body(mail)
    assert mail["Subject"].startswith("Uw bezoek aan Fictional HQ op ")  # in Dutch, as chosen
    (tmp_path / "no-mail").mkdir()
    bare = services_with_staff(tmp_path / "no-mail")
    async with make_console(bare.settings, services=bare).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert not pilot.app.screen.query("#pre-send")  # not offered without e-mail


def test_a_sent_or_given_up_e_mail_keeps_only_its_state(
    store: Repositories, smtp: SmtpServer
) -> None:
    """Names, addresses and an invitation's code are needed only to write the e-mail:
    once it is sent (or given up) the row keeps when, or why not, and nothing else."""
    host = add_host(store, "Hostina Placeholder", "hostina@example.com", actor="admin")
    nobody = add_host(store, "Hosmer Example", actor="admin")  # no address: given up
    day = store.db.local_day(utcnow())
    check_in(store, visitor(0, host_id=host, host_name=None), actor="kiosk")
    check_in(store, visitor(1, host_id=nobody, host_name=None), actor="kiosk")
    _invite(store, _settings(smtp), Registration(name=VISITOR, email=ADDRESS), day,
           today=day, actor="rita", send=True)  # fmt: skip
    report = NotifyService(Services.over(store, _settings(smtp)).ctx).deliver_due()
    assert (report.sent, report.given_up) == (2, 1)
    with store.db.read_session() as s:
        rows = s.execute(select(OutboxMessage.kind, OutboxMessage.payload_ct)).all()
    assert sorted(kind for kind, _ in rows) == ["host_arrival", "host_arrival", "invitation"]
    assert [payload for _, payload in rows] == [b"", b"", b""]
    assert [state[3] is not None for state in store.outbox.pending()].count(True) == 2
