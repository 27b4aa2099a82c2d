"""Host notifications, delivered to a real SMTP server (aiosmtpd) from the real store."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from textual.widgets import Static

from kiosk.app import make_app, make_console
from kiosk.config import NotifySettings, load_settings
from kiosk.i18n import set_language
from kiosk.services.context import ServiceContext
from kiosk.services.notify import HOST_UNKNOWN, NO_CHANNEL, NotifyService
from screens.console.table import VisitTable
from storage.database import utcnow
from storage.models import AuditEvent
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    services_with_staff,
    staff_login,
    type_into,
    wait_for_screen,
)
from tests.helpers.smtp_server import SmtpServer
from tests.helpers.store import add_host, check_in
from tests.helpers.visitor_ui import NAME, start_details, through_documents
from tests.helpers.waiting import wait_until

HOST_EMAIL = "hostina.placeholder@example.com"
OTHER_EMAIL = "hosmer.example@example.com"


def _notifier(
    store: Repositories, notify: NotifySettings | SmtpServer, site: str = "Fictional HQ"
) -> NotifyService:
    """The notifier of a site called ``site``, sending with ``notify`` (or to ``smtp``)."""
    if isinstance(notify, SmtpServer):
        notify = notify.settings()
    settings = dataclasses.replace(load_settings(), notify=notify, site_name=site)
    return NotifyService(ServiceContext(store, settings))


def test_a_host_gets_one_email_when_their_visitor_arrives(
    store: Repositories, smtp: SmtpServer
) -> None:
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(1, host_id=host, host_name=None, company="Qwertyco"), actor="t")
    report = _notifier(store, smtp).deliver_due()
    assert (report.sent, report.retrying, report.given_up) == (1, 0, 0)
    [(to, msg)] = smtp.inbox.wait_for(1)
    assert to == [HOST_EMAIL] and msg["To"] == HOST_EMAIL
    assert msg["Subject"] == "Your visitor has arrived at Fictional HQ"
    body = msg.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"{visitor(1).name} (Qwertyco) checked in at" in body and "Hostina" in body
    # Sent once: nothing is due any more, and the sending is audited by id only.
    assert _notifier(store, smtp).deliver_due().sent == 0
    [(_, attempts, next_at, sent_at, error)] = store.outbox.pending()
    assert sent_at is not None and next_at is None and error is None and attempts == 0
    with store.db.engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.details).where(
                AuditEvent.action == "notification.sent"
            )
        ).all()
    assert len(events) == 1 and visitor(1).name not in str(events)


def test_a_dutch_site_emails_its_hosts_in_dutch(store: Repositories, smtp: SmtpServer) -> None:
    """notify.language: hosts are staff, so the e-mail is in the site's language, not
    the visitor's; a name with braces in it is just text."""
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    odd = visitor(1, host_id=host, host_name=None, company="Qwertyco", name="Zeb {site} Fake")
    check_in(store, odd, actor="t")
    notifier = _notifier(store, smtp.settings(language="nl"), "Fictief HQ")
    assert notifier.deliver_due().sent == 1
    [(_, msg)] = smtp.inbox.wait_for(1)
    assert msg["Subject"] == "Uw bezoeker is aangekomen bij Fictief HQ"
    body = msg.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert body.splitlines()[0] == "Hallo Hostina Placeholder,"
    assert f"{odd.name} (Qwertyco) heeft zich om " in body
    assert "wacht op u bij de receptie (Fictief HQ)." in body


def test_each_host_gets_their_emails_in_their_own_language(
    store: Repositories, smtp: SmtpServer
) -> None:
    """A host's language in the directory wins over notify.language; a host with none
    gets the site's; a change applies from the next e-mail."""
    dutch = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, language="nl", actor="admin")
    other = add_host(store, "Hosmer Example", email=OTHER_EMAIL, actor="admin")

    def subjects_after(*hosts: uuid.UUID) -> dict[str, str]:
        smtp.inbox.messages.clear()
        for n, host in enumerate(hosts):
            check_in(store, visitor(n, host_id=host, host_name=None), actor="t")
        assert _notifier(store, smtp).deliver_due().sent == len(hosts)
        return {to[0]: str(msg["Subject"]) for to, msg in smtp.inbox.wait_for(len(hosts))}

    english = "Your visitor has arrived at Fictional HQ"
    dutch_subject = "Uw bezoeker is aangekomen bij Fictional HQ"
    assert subjects_after(dutch, other) == {HOST_EMAIL: dutch_subject, OTHER_EMAIL: english}
    with store.db.uow("t") as tx:
        store.hosts.update(tx, dutch, language="")  # back to the site's
        store.hosts.update(tx, other, language="nl")
    assert subjects_after(dutch, other) == {HOST_EMAIL: english, OTHER_EMAIL: dutch_subject}


def test_a_server_that_is_down_is_retried_later(store: Repositories, smtp: SmtpServer) -> None:
    """The SMTP server is away: nothing is lost, nothing personal is kept about the
    failure, and the message goes out on a later try once the server is back."""
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(2, host_id=host, host_name=None), actor="t")
    smtp.stop()
    now = utcnow()
    report = _notifier(store, smtp).deliver_due(now=now)
    assert (report.sent, report.retrying) == (0, 1)
    [(_, attempts, next_at, sent_at, error)] = store.outbox.pending()
    assert attempts == 1 and sent_at is None and error == "ConnectionRefusedError"
    assert next_at is not None and timedelta(seconds=59) < next_at - now <= timedelta(minutes=1)
    assert _notifier(store, smtp).deliver_due(now=now + timedelta(seconds=30)).retrying == 0
    smtp.start()
    later = _notifier(store, smtp).deliver_due(now=now + timedelta(minutes=2))
    assert later.sent == 1
    assert [to for to, _ in smtp.inbox.wait_for(1)] == [[HOST_EMAIL]]


def test_retries_stop_after_max_attempts(store: Repositories, smtp: SmtpServer) -> None:
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(3, host_id=host, host_name=None), actor="t")
    smtp.stop()
    notifier = _notifier(store, smtp.settings(max_attempts=3), "Fictional HQ")
    now = utcnow()
    outcomes = []
    for minutes in (0, 2, 10):  # each after the previous back-off (1, then 2 minutes)
        report = notifier.deliver_due(now=now + timedelta(minutes=minutes))
        outcomes.append((report.retrying, report.given_up))
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    [(_, attempts, next_at, sent_at, _)] = store.outbox.pending()
    assert attempts == 3 and next_at is None and sent_at is None  # given up for good


def test_a_host_without_an_address_is_given_up_at_once(
    store: Repositories, smtp: SmtpServer
) -> None:
    host = add_host(store, "Hosmer Example", actor="admin")  # no e-mail address
    check_in(store, visitor(4, host_id=host, host_name=None), actor="t")
    check_in(store, visitor(5, host_id=None, host_name="Someone Typed"), actor="t")
    report = _notifier(store, smtp).deliver_due()
    assert (report.sent, report.given_up) == (0, 2)
    # Nothing reaches the first host; the second is not in the directory: both are dead
    # letters at once, for reception to take over (the console lists them).
    assert [p[4] for p in store.outbox.pending()] == [NO_CHANNEL, HOST_UNKNOWN]
    assert smtp.inbox.messages == []


def test_two_kiosks_on_one_database_send_each_email_once(
    store_config: StoreConfig, smtp: SmtpServer
) -> None:
    first, second = open_repositories(store_config), open_repositories(store_config)
    try:
        host = add_host(first, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
        for i in range(12):
            check_in(first, visitor(10 + i, host_id=host, host_name=None), actor="t")
        notifiers = [_notifier(first, smtp), _notifier(second, smtp)]
        threads = [threading.Thread(target=n.deliver_due) for n in notifiers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        smtp.inbox.wait_for(12)
        time.sleep(0.3)  # a duplicate would arrive now
        bodies = [m.get_payload(decode=True).decode() for _, m in smtp.inbox.messages]  # type: ignore[union-attr]
        assert len(bodies) == 12
        for i in range(12):  # each visitor announced exactly once
            assert sum(visitor(10 + i).name in body for body in bodies) == 1
    finally:
        for repos in (first, second):
            repos.db.dispose()


async def test_the_kiosk_emails_the_host_right_after_a_check_in(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    set_language("en")
    toml = (
        f'[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nstarttls = false\n'
        'sender = "kiosk@example.com"\n'
    )
    services = open_services(kiosk_settings(tmp_path, toml))
    add_host(services.repos, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "hostina")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await wait_until(lambda: smtp.inbox.messages)
    [(to, msg)] = smtp.inbox.messages
    assert to == [HOST_EMAIL] and NAME in msg.get_payload(decode=True).decode()  # type: ignore[union-attr]


def _cli_env(store_config: StoreConfig) -> dict[str, str]:
    """A `kiosk` process's environment on this store, with an empty config file (the
    caller adds KIOSK_NOTIFY_* as a test needs)."""
    config = store_config.key_file.parent.parent / "none.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return env | {
        "KIOSK_CONFIG": str(config),
        "KIOSK_DATA_DIR": str(store_config.key_file.parent),
        "KIOSK_DATABASE_URL": store_config.database_url,
        "KIOSK_KEYSTORE_URL": store_config.keystore_url,
        "KIOSK_SITE_NAME": store_config.site_name,
    }


def test_kiosk_notify_sends_what_is_due(
    store: Repositories, store_config: StoreConfig, smtp: SmtpServer
) -> None:
    """`kiosk notify` (cron, or a kiosk that is not running) sends what waits, configured
    through KIOSK_NOTIFY_* variables; unconfigured, it says so in one line."""

    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(6, host_id=host, host_name=None), actor="t")
    env = _cli_env(store_config)

    def kiosk(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", "notify"], env=env | extra,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip

    off = kiosk({})
    assert off.returncode == 1 and off.stderr.strip().count("\n") == 0
    assert "notify.smtp_host is not set" in off.stderr
    on = kiosk({"KIOSK_NOTIFY_SMTP_HOST": "127.0.0.1", "KIOSK_NOTIFY_SMTP_PORT": str(smtp.port),
                "KIOSK_NOTIFY_STARTTLS": "false"})  # fmt: skip
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == "sent 1, retrying 0, given up 0"
    assert [to for to, _ in smtp.inbox.wait_for(1)] == [[HOST_EMAIL]]


async def test_reception_sees_whether_the_host_was_told(tmp_path: Path, smtp: SmtpServer) -> None:
    """A visitor asks at the desk "does my host know I am here?": the visit's details say
    e-mailed (and when), waiting, or why not."""

    toml = f'[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nstarttls = false\n'
    services = services_with_staff(tmp_path, toml)
    store = services.repos
    told = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    no_address = add_host(store, "Hosmer Example", actor="admin")
    check_in(store, visitor(1, host_id=told, host_name=None), actor="t")
    check_in(store, visitor(2, host_id=no_address, host_name=None), actor="t")
    check_in(store, visitor(3, host_id=told, host_name=None), actor="t")
    _notifier(store, smtp).deliver_due()
    check_in(store, visitor(4, host_id=told, host_name=None), actor="t")  # not sent yet

    async def facts_of(pilot: Any, row: int) -> str:
        table = pilot.app.screen.query_one("#visits", VisitTable)
        await wait_until(lambda: len(table.rows), (4).__eq__)
        table.focus()
        table.cursor = row
        await pilot.press("enter")
        await wait_for_screen(pilot, "VisitDetailScreen")
        facts = pilot.app.screen.query_one("#facts", Static)
        text = await wait_until(lambda: str(facts.render()))
        await pilot.press("escape")
        await wait_for_screen(pilot, "ConsoleScreen")
        return text

    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        facts = [await facts_of(pilot, row) for row in range(4)]
    assert "host e-mailed" in facts[0] and "host e-mailed" in facts[2]
    assert f"host notification not sent: {NO_CHANNEL}" in facts[1]
    # Hosts chosen from the directory are named in the details.
    assert "visiting Hostina Placeholder" in facts[0] and "visiting Hosmer Example" in facts[1]
    assert "host notification waiting" in facts[3]


def _certificate(
    subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    """A day's certificate for ``subject``: a CA when it signs itself, else for 127.0.0.1."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )
    if subject == issuer:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    else:
        address = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
        builder = builder.add_extension(x509.SubjectAlternativeName([address]), False)
    return builder.sign(signer, hashes.SHA256())


def _office_ca(directory: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ssl.SSLContext]:
    """An office's own CA (its certificate written to a PEM file) and a server context
    whose certificate for 127.0.0.1 it signed. The kiosk then trusts the system's store
    only, unless given the CA file."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    ca_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    ca = _certificate("Fictional Office CA", "Fictional Office CA", ca_key, ca_key)
    server = _certificate("mail.fictional.example", "Fictional Office CA", server_key, ca_key)
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


def _accept_kiosk_login(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"kiosk",
        b"relay-secret",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: answer 535 on failure


@pytest.fixture
def tls_smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SmtpServer, Path]]:
    """A relay like an office's: STARTTLS with a certificate from the office's own CA,
    then a login; it accepts no mail before both."""
    ca_file, context = _office_ca(tmp_path, monkeypatch)
    server = SmtpServer(
        tls_context=context,
        require_starttls=True,
        authenticator=_accept_kiosk_login,
        auth_required=True,
    )
    server.start()
    yield server, ca_file
    server.stop()


def test_mail_goes_out_over_starttls_with_a_login(
    store: Repositories, tls_smtp: tuple[SmtpServer, Path]
) -> None:
    smtp, ca_file = tls_smtp
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(7, host_id=host, host_name=None), actor="t")
    settings = smtp.settings(
        starttls=True, ca_file=ca_file, username="kiosk", password="relay-secret"
    )
    assert _notifier(store, settings, "Fictional HQ").deliver_due().sent == 1
    assert [to for to, _ in smtp.inbox.wait_for(1)] == [[HOST_EMAIL]]
    assert smtp.inbox.sessions == [(True, True)]  # encrypted, and logged in


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"ca_file": None}, "SSLCertVerificationError"),  # the office CA is not trusted
        ({"password": "wrong"}, "SMTPAuthenticationError 535"),
        ({"starttls": False}, "SMTPNotSupportedError"),  # no login in the clear
    ],
)
def test_mail_is_not_sent_when_the_relay_cannot_be_trusted_or_refuses_the_login(
    store: Repositories, tls_smtp: tuple[SmtpServer, Path], change: dict[str, Any], error: str
) -> None:
    """Nothing goes out unencrypted or to a server the kiosk cannot verify; the message
    waits for a retry (the setting may be fixed) and the failure's kind is kept."""
    smtp, ca_file = tls_smtp
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(8, host_id=host, host_name=None), actor="t")
    values: dict[str, Any] = {
        "starttls": True, "ca_file": ca_file, "username": "kiosk", "password": "relay-secret"
    }  # fmt: skip
    settings = smtp.settings(**(values | change))
    assert _notifier(store, settings, "Fictional HQ").deliver_due().retrying == 1
    [(_, attempts, _, sent_at, last_error)] = store.outbox.pending()
    assert (attempts, sent_at, last_error) == (1, None, error)
    assert smtp.inbox.messages == []


# aiosmtpd counts only STARTTLS as TLS when it offers AUTH; its SMTPS connection is TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("trusted", [True, False])
def test_mail_goes_out_over_implicit_tls(
    tmp_path: Path, store: Repositories, trusted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relay on SMTPS (TLS from the first byte, port 465 in real life) with the office's
    CA: logged in and encrypted; without that CA trusted, nothing is sent."""
    ca_file, context = _office_ca(tmp_path, monkeypatch)
    smtp = SmtpServer(
        ssl_context=context,
        authenticator=_accept_kiosk_login,
        auth_required=True,
        auth_require_tls=False,
    )
    smtp.start()
    try:
        host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
        check_in(store, visitor(6, host_id=host, host_name=None), actor="t")
        settings = smtp.settings(
            tls=True,
            username="kiosk",
            password="relay-secret",
            ca_file=ca_file if trusted else None,
        )
        report = _notifier(store, settings, "Fictional HQ").deliver_due()
        if trusted:
            assert report.sent == 1
            [(rcpt, message)] = smtp.inbox.wait_for(1)
            body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
            assert rcpt == [HOST_EMAIL] and visitor(6).name in body
            assert smtp.inbox.sessions == [(True, True)]  # over TLS, logged in
        else:
            assert report.retrying == 1
            assert store.outbox.pending()[0][4] == "SSLCertVerificationError"
            assert smtp.inbox.messages == []
    finally:
        smtp.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_password_is_sent_in_the_clear(store: Repositories) -> None:
    """A server that would take a login without TLS never gets the password: settings
    made without the start-up check (which refuses them) still send nothing."""
    tried: list[bytes] = []

    def authenticator(*args: Any) -> AuthResult:
        tried.append(args[-1].password)
        return AuthResult(success=True)

    smtp = SmtpServer(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    smtp.start()
    try:
        host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
        check_in(store, visitor(5, host_id=host, host_name=None), actor="t")
        settings = smtp.settings(username="kiosk", password="relay-secret")  # starttls off
        assert _notifier(store, settings, "Fictional HQ").deliver_due().retrying == 1
        assert store.outbox.pending()[0][4] == "SMTPNotSupportedError"
        assert tried == [] and smtp.inbox.messages == []
    finally:
        smtp.stop()


def test_starttls_is_required_when_asked_for(store: Repositories, smtp: SmtpServer) -> None:
    """A server that does not offer STARTTLS (or a machine in the middle that strips it)
    gets nothing: the kiosk does not fall back to sending in the clear."""
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    check_in(store, visitor(9, host_id=host, host_name=None), actor="t")
    report = _notifier(store, smtp.settings(starttls=True), "Fictional HQ").deliver_due()
    assert report.retrying == 1
    assert store.outbox.pending()[0][4] == "SMTPNotSupportedError"
    assert smtp.inbox.messages == []


def test_kiosk_notify_test_tries_each_channel_of_a_host(
    store: Repositories, store_config: StoreConfig, smtp: SmtpServer
) -> None:
    """`kiosk notify test HOST` sends the host a test message now, outside the outbox, and
    says how it went per channel; no server, or no address, is said so (exit 1)."""
    add_host(store, "Hostina Placeholder", email=HOST_EMAIL, actor="admin")
    add_host(store, "Hosmer Example", actor="admin")
    env = _cli_env(store_config)
    server = {"KIOSK_NOTIFY_SMTP_HOST": "127.0.0.1", "KIOSK_NOTIFY_SMTP_PORT": str(smtp.port),
              "KIOSK_NOTIFY_STARTTLS": "false"}  # fmt: skip

    def kiosk(host: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", "notify", "test", host],
                              env=env | extra, capture_output=True, text=True, timeout=60,
                              check=False)  # fmt: skip

    sent = kiosk("hostina", server)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == f"e-mail: ok (sent to {HOST_EMAIL})"
    [(to, message)] = smtp.inbox.wait_for(1)
    assert to == [HOST_EMAIL] and "Test from the visitor kiosk" in str(message["Subject"])
    no_address = kiosk("Hosmer", server)
    assert no_address.returncode == 1
    assert no_address.stdout.strip() == "e-mail: FAILED (this host has no e-mail address)"
    unset = kiosk("Hostina Placeholder", {})
    assert unset.stdout.strip() == "e-mail: FAILED (notify.smtp_host is not set)"
    smtp.stop()
    down = kiosk("Hostina Placeholder", server)
    assert (
        down.returncode == 1 and "e-mail: FAILED (not sent: ConnectionRefusedError)" in down.stdout
    )
    nobody = kiosk("Nobody Atall", server)
    assert nobody.returncode == 1 and "no single active host" in nobody.stderr
    with store.db.engine.connect() as conn:
        tested = (
            conn.execute(select(AuditEvent.details).where(AuditEvent.action == "notify.test"))
            .scalars()
            .all()
        )
    assert [d["results"] for d in tested] == [[["e-mail", True]], [["e-mail", False]],
                                              [["e-mail", False]], [["e-mail", False]]]  # fmt: skip
