"""Host notifications by webhook (Slack, Teams, signed generic JSON) to a real HTTPS
server, retries and dead letters, and reception as the fallback when a host is not
reached; on both engines."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.app import make_app, make_console
from kiosk.config import ConfigError, NotifySettings, load_settings
from kiosk.domain.notifications import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    signature_valid,
)
from kiosk.domain.registration import ValidationErrors
from kiosk.domain.staff import Actor, NotAllowed
from kiosk.services.context import ServiceContext
from kiosk.services.hosts import HostService
from kiosk.services.notify import HOST_UNKNOWN, NotifyService
from storage.models import AuditEvent, OutboxMessage
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import cli_settings, kiosk_process, visitor
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    services_with_staff,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.smtp_server import SmtpServer
from tests.helpers.store import add_host, check_in
from tests.helpers.visitor_ui import NAME, start_details, through_documents
from tests.helpers.waiting import wait_until
from tests.helpers.webhook_receiver import WebhookReceiver

SECRET = "kiosk-test-webhook-secret-0123456789"
HOST_EMAIL = "hostina.placeholder@example.com"
ADMIN = Actor("staff:ada", "admin")


def _notifier(
    store: Repositories, base: NotifySettings | None = None, **notify: Any
) -> NotifyService:
    """The notifier of "Fictional HQ" with these settings (on top of ``base``'s)."""
    settings = dataclasses.replace(
        load_settings(),
        notify=dataclasses.replace(base or NotifySettings(), **notify),
        site_name="Fictional HQ",
    )
    return NotifyService(ServiceContext(store, settings))


def _with_webhook(store: Repositories, host: uuid.UUID, webhook: str) -> None:
    with store.db.uow("admin") as tx:
        store.hosts.update(tx, host, webhook=webhook)


def _webhook_rows(store: Repositories) -> list[Any]:
    with store.db.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    OutboxMessage.channel,
                    OutboxMessage.kind,
                    OutboxMessage.attempts,
                    OutboxMessage.next_attempt_at,
                    OutboxMessage.sent_at,
                    OutboxMessage.last_error,
                ).order_by(OutboxMessage.channel)
            )
        )


def test_a_check_in_posts_slack_teams_and_a_signed_generic_message(
    store: Repositories, receiver: WebhookReceiver, smtp: SmtpServer
) -> None:
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL)
    _with_webhook(store, host, f"slack {receiver.url('/slack')}")
    notifier = _notifier(
        store,
        smtp.settings(),
        ca_file=receiver.ca_file,
        webhooks=(f"teams {receiver.url('/teams')}", f"generic {receiver.url('/generic')}"),
        webhook_secret=SECRET,
    )
    guest = visitor(1, host_id=host, host_name=None, company="Qwertyco")
    check_in(store, guest, actor="t")
    report = notifier.deliver_due()
    assert (report.sent, report.retrying, report.given_up) == (4, 0, 0)  # e-mail + 3 posts
    [slack] = receiver.posts("/slack")
    [teams] = receiver.posts("/teams")
    [generic] = receiver.posts("/generic")

    # Slack: {"text"}; Teams: a message with an Adaptive Card; both the same words.
    said = json.loads(slack.body)["text"]
    assert said.startswith("Zyxwvut (Qwertyco) checked in at ")
    assert said.endswith("is waiting for Hostina Placeholder at reception (Fictional HQ).")
    card = json.loads(teams.body)
    assert card["type"] == "message"
    [attachment] = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["body"][0]["text"] == said

    # Generic: the event, signed over timestamp + body with the shared secret.
    event = json.loads(generic.body)
    assert event["event"] == "visitor.arrived" and event["site"] == "Fictional HQ"
    assert event["visitor"] == {"first_name": "Zyxwvut", "company": "Qwertyco"}
    assert event["host"] == "Hostina Placeholder" and event["under_16"] is False
    assert datetime.fromisoformat(event["arrived_at"]).tzinfo is not None
    header = generic.headers[SIGNATURE_HEADER]
    assert signature_valid(SECRET.encode(), header, generic.body, time.time())
    assert not signature_valid(b"another secret", header, generic.body, time.time())
    assert not signature_valid(SECRET.encode(), header, generic.body + b" ", time.time())
    assert not signature_valid(SECRET.encode(), header, generic.body, time.time() + 3600)
    assert generic.headers[DELIVERY_HEADER] != slack.headers[DELIVERY_HEADER]

    # The first name, the company, the time and the lobby; nothing else of the visitor.
    for post in (slack, teams, generic):
        body = post.body.decode()
        for held_back in (guest.name, "Fakename", guest.email or "", guest.phone or ""):
            assert held_back not in body
    # Once each: nothing is due any more.
    assert notifier.deliver_due().sent == 0
    assert len(receiver.received) == 3 and len(smtp.inbox.wait_for(1)) == 1


def test_a_500_is_retried_with_growing_delays_until_it_is_taken(
    store: Repositories, receiver: WebhookReceiver
) -> None:
    host = add_host(store, "Hostina Placeholder")
    _with_webhook(store, host, f"slack {receiver.url('/slack')}")
    receiver.script["/slack"] = [500, 503, 500, 200]
    notifier = _notifier(store, ca_file=receiver.ca_file)
    check_in(store, visitor(1, host_id=host, host_name=None), actor="t")
    at = datetime.now(UTC)
    delays = []
    for _ in range(3):
        assert notifier.deliver_due(now=at).retrying == 1
        [row] = _webhook_rows(store)
        assert row.last_error.startswith("HTTP 5") and row.sent_at is None
        delays.append(row.next_attempt_at - at)
        assert notifier.deliver_due(now=row.next_attempt_at - timedelta(seconds=1)).sent == 0
        at = row.next_attempt_at
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert notifier.deliver_due(now=at).sent == 1
    assert [r.status for r in receiver.posts("/slack", None)] == [500, 503, 500, 200]
    assert notifier.deliver_due(now=at + timedelta(hours=2)).sent == 0


def test_a_4xx_is_a_dead_letter_at_once_and_reception_is_told(
    store: Repositories, receiver: WebhookReceiver, smtp: SmtpServer
) -> None:
    host = add_host(store, "Hostina Placeholder")  # a webhook only: nothing else reaches her
    _with_webhook(store, host, f"slack {receiver.url('/gone')}")
    receiver.script["/gone"] = [404]
    notifier = _notifier(
        store,
        smtp.settings(),
        ca_file=receiver.ca_file,
        reception_email="reception@example.com",
        reception_webhook=f"slack {receiver.url('/reception')}",
    )
    visit = check_in(store, visitor(1, host_id=host, host_name=None), actor="t")
    report = notifier.deliver_due()
    assert (report.sent, report.given_up) == (0, 1)
    [row] = [r for r in _webhook_rows(store) if r.kind == "host_arrival"]
    assert (row.channel, row.next_attempt_at, row.last_error) == ("webhook", None, "HTTP 404")
    # Reception's channels are told (next round): its chat and its mailbox, once.
    assert notifier.deliver_due().sent == 2
    [alert] = receiver.posts("/reception")
    text = json.loads(alert.body)["text"]
    assert text.startswith("Hostina Placeholder was not told that Zyxwvut")
    [(to, mail)] = smtp.inbox.wait_for(1)
    assert to == ["reception@example.com"] and "HTTP 404" in str(mail.get_payload(decode=True))
    assert notifier.deliver_due().sent == 0 and len(receiver.posts("/gone", None)) == 1
    # The console's list: the visit, given up, and why.
    [shown] = notifier.undelivered(ADMIN)
    assert (shown.visit_id, shown.visitor, shown.host) == (
        visit.visit_id,
        visitor(1).name,
        "Hostina Placeholder",
    )
    assert shown.given_up and shown.reasons == ("webhook: HTTP 404",)
    notifier.handled(visit.visit_id, ADMIN)
    assert notifier.undelivered(ADMIN) == []


def test_a_host_not_in_the_directory_is_reception_s_at_once(
    store: Repositories, receiver: WebhookReceiver
) -> None:
    notifier = _notifier(
        store, ca_file=receiver.ca_file, reception_webhook=f"teams {receiver.url('/desk')}"
    )
    visit = check_in(store, visitor(2, host_id=None, host_name="Someone Typed"), actor="t")
    report = notifier.deliver_due()  # given up at once, and reception told in the same round
    assert (report.given_up, report.sent) == (1, 1)
    [alert] = receiver.posts("/desk")
    card = json.loads(alert.body)["attachments"][0]["content"]["body"][0]["text"]
    assert card.startswith("Someone Typed was not told that Zyxwvut")
    [shown] = notifier.undelivered(ADMIN)
    assert shown.visit_id == visit.visit_id and shown.host == "Someone Typed"
    assert shown.reasons == (f"host: {HOST_UNKNOWN}",)


def test_a_late_notification_shows_before_it_is_given_up(
    store: Repositories, receiver: WebhookReceiver
) -> None:
    host = add_host(store, "Hostina Placeholder")
    _with_webhook(store, host, f"generic {receiver.url('/generic')}")
    receiver.stop()  # the receiver is away: retried, not given up
    notifier = _notifier(store, ca_file=receiver.ca_file, webhook_secret=SECRET, late_minutes=5)
    at = datetime.now(UTC)
    check_in(store, visitor(3, host_id=host, host_name=None), actor="t", now=at)
    assert notifier.deliver_due(now=at).retrying == 1
    assert notifier.undelivered(ADMIN, now=at + timedelta(minutes=4)) == []
    [late] = notifier.undelivered(ADMIN, now=at + timedelta(minutes=6))
    assert not late.given_up and late.reasons == ("webhook: ConnectError",)


def test_redirects_to_another_host_and_plain_http_are_refused(
    store: Repositories, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    moved, stolen = add_host(store, "Hostina Placeholder"), add_host(store, "Hosmer Example")
    _with_webhook(store, moved, f"slack {receiver.url('/moved')}")
    _with_webhook(store, stolen, f"slack {receiver.url('/away')}")
    # The same host (and port) may move a webhook; another host may not have the message.
    receiver.redirects["/moved"] = receiver.url("/new-place")
    receiver.redirects["/away"] = receiver.url("/elsewhere", host="localhost")
    notifier = _notifier(store, ca_file=receiver.ca_file)
    check_in(store, visitor(1, host_id=moved, host_name=None), actor="t")
    check_in(store, visitor(2, host_id=stolen, host_name=None), actor="t")
    report = notifier.deliver_due()
    assert (report.sent, report.given_up) == (1, 1)
    assert len(receiver.posts("/new-place")) == 1 and receiver.posts("/elsewhere", None) == []
    errors = {r.last_error for r in _webhook_rows(store) if r.sent_at is None}
    assert errors == {"redirect to another host refused"}

    # Plain http: refused from an admin, from the settings, and at the moment of sending.
    plain = f"slack http://127.0.0.1:{receiver.port}/plain"
    hosts = HostService(ServiceContext(store, load_settings()))
    with pytest.raises(ValidationErrors) as refused:
        hosts.set_webhook(moved, plain, ADMIN)
    assert "must use https" in refused.value.fields["webhook"]
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[notify]\nwebhooks = ["{plain}"]\n')
    with pytest.raises(ConfigError, match="must use https"):
        load_settings({"KIOSK_CONFIG": str(config)})
    config.write_text('[notify]\nwebhook_secret = "in the file"\n')
    with pytest.raises(ConfigError, match="not taken from the file"):
        load_settings({"KIOSK_CONFIG": str(config)})
    _with_webhook(store, moved, plain)  # as if written behind the kiosk's back
    check_in(store, visitor(3, host_id=moved, host_name=None), actor="t")
    assert notifier.deliver_due().given_up == 1
    assert receiver.posts("/plain", None) == []
    # A loopback receiver over http only when the settings allow it by name.
    config.write_text("")
    with pytest.raises(ConfigError, match="not a loopback host"):
        load_settings({"KIOSK_CONFIG": str(config),
                       "KIOSK_NOTIFY_INSECURE_WEBHOOK_HOSTS": "10.0.0.1"})  # fmt: skip


def test_hosts_webhook_is_set_by_an_admin_and_audited_without_its_url(
    store: Repositories, receiver: WebhookReceiver
) -> None:
    host = add_host(store, "Hostina Placeholder")
    hosts = HostService(ServiceContext(store, load_settings()))
    url = receiver.url("/slack")
    hosts.set_webhook(host, f"SLACK  {url}", ADMIN)
    [entry] = hosts.all(ADMIN)
    assert entry.webhook == f"slack {url}"
    with pytest.raises(NotAllowed):
        hosts.set_webhook(host, f"slack {url}", Actor("staff:rita", "reception"))
    hosts.set_webhook(host, "", ADMIN)
    assert hosts.all(ADMIN)[0].webhook is None
    with store.db.engine.connect() as conn:
        details = conn.execute(
            select(AuditEvent.details).where(AuditEvent.action == "host.update")
        ).all()
    assert details and all(url not in json.dumps(d) for (d,) in details)


def test_with_smtp_and_the_receiver_down_each_notification_goes_once_when_they_return(
    store: Repositories, receiver: WebhookReceiver, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Check-ins never wait for a notification: with both servers down they complete
    while a sender keeps failing beside them; when the servers return, two senders at
    once deliver each message exactly once. Nothing personal stays in the outbox."""
    host = add_host(store, "Hostina Placeholder", email=HOST_EMAIL)
    _with_webhook(store, host, f"generic {receiver.url('/generic')}")
    settings = smtp.settings(
        ca_file=receiver.ca_file,
        webhook_secret=SECRET,
        webhooks=(f"slack {receiver.url('/site')}",),
    )
    smtp.stop()
    receiver.stop()
    failing = _notifier(store, settings)
    stop = threading.Event()

    def keep_trying() -> None:
        while not stop.is_set():
            failing.deliver_quietly()

    sender = threading.Thread(target=keep_trying)
    sender.start()
    guests = [visitor(n, host_id=host, host_name=None) for n in range(20)]
    lost = visitor(99, host_id=None, host_name="Someone Typed")  # a dead letter at once
    try:
        visits = [check_in(store, guest, actor="t") for guest in [*guests, lost]]
    finally:
        stop.set()
        sender.join(timeout=30)
    assert len({v.visit_id for v in visits}) == 21
    assert failing.deliver_due().sent == 0  # all still waiting (or just retried)

    smtp.start()
    receiver.start()
    later = datetime.now(UTC) + timedelta(hours=3)  # past every back-off
    senders = [_notifier(store, settings) for _ in range(2)]
    done: list[int] = []

    def deliver(notifier: NotifyService) -> None:
        for _ in range(4):
            done.append(notifier.deliver_due(now=later).sent)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # 20 e-mails, 20 to the host's webhook, 21 to the site's (it hears of every visitor)
    assert sum(done) == 61
    assert len(smtp.inbox.wait_for(20)) == 20
    for path, count in (("/generic", 20), ("/site", 21)):
        posts = receiver.posts(path)
        assert len(posts) == count
        assert len({p.headers[DELIVERY_HEADER] for p in posts}) == count
    assert (
        sorted(json.loads(p.body)["visitor"]["first_name"] for p in receiver.posts("/generic"))
        == ["Zyxwvut"] * 20
    )
    rows = _webhook_rows(store)
    assert len([r for r in rows if r.sent_at is not None]) == 61
    assert [(r.channel, r.last_error) for r in rows if r.sent_at is None] == [
        ("host", HOST_UNKNOWN)
    ]

    if store.db.engine.dialect.name == "sqlite":  # a byte scan of the database files
        store.db.engine.dispose()
        database = Path(str(store.db.engine.url.database))
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        for guest in [*guests, lost]:
            for value in (guest.name, guest.email or "", guest.company or ""):
                assert value.encode() not in raw
        # Nor the first names the messages said, the site's webhook, the secret.
        for value in ("Zyxwvut", "Someone Typed", receiver.url("/site"), SECRET):
            assert value.encode() not in raw


async def test_the_console_asks_reception_to_phone_a_host_not_reached(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """The 4xx's dead letter shows above the log (who, for whom, when, why) until
    reception presses Phoned; then it is gone, audited, and not tried again."""
    receiver.script["/gone"] = [404]
    toml = f'[notify]\nca_file = "{receiver.ca_file}"\n'
    services = services_with_staff(tmp_path, toml)
    store = services.repos
    host = add_host(store, "Hostina Placeholder")
    _with_webhook(store, host, f"slack {receiver.url('/gone')}")
    visit = check_in(store, visitor(1, host_id=host, host_name=None), actor="t")
    assert services.notify.deliver_due().given_up == 1
    console = make_console(services.settings, services=services)
    async with console.run_test(size=(100, 30)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        text = await status_of(pilot, "#notify-alert-text", "phone")
        assert text.startswith(
            f"Please phone Hostina Placeholder: {visitor(1).name} checked in at "
        )
        assert text.endswith("the notification was not delivered (webhook: HTTP 404).")
        await pilot.click("#notify-phoned")
        await pilot.pause(0.5)
        assert not pilot.app.screen.query_one("#notify-alert").display
    assert services.notify.undelivered(ADMIN) == []
    with store.db.engine.connect() as conn:
        handled = conn.execute(
            select(AuditEvent.actor, AuditEvent.object_id).where(
                AuditEvent.action == "notification.handled"
            )
        ).all()
    assert handled == [("staff:rita", str(visit.visit_id))]


def test_kiosk_hosts_webhook_and_notify_test_post_to_each_webhook(
    store: Repositories, store_config: StoreConfig, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    add_host(store, "Hostina Placeholder")
    receiver.script["/refused"] = [404]
    env = cli_settings(store_config, tmp_path) | {
        "KIOSK_NOTIFY_CA_FILE": str(receiver.ca_file),
        "KIOSK_NOTIFY_WEBHOOKS": f"generic {receiver.url('/refused')}",
        "KIOSK_NOTIFY_WEBHOOK_SECRET": SECRET,
    }
    plain = kiosk_process(
        env, "hosts", "webhook", "hostina", f"slack http://127.0.0.1:{receiver.port}/x"
    )
    assert plain.returncode == 2 and "must use https" in plain.stderr
    set_ = kiosk_process(env, "hosts", "webhook", "hostina", f"slack {receiver.url('/own')}")
    assert set_.returncode == 0, set_.stderr
    listed = kiosk_process(env, "hosts", "list")
    assert "webhook:slack" in listed.stdout and receiver.url("/own") not in listed.stdout
    tested = kiosk_process(env, "notify", "test", "Hostina Placeholder")
    assert tested.returncode == 1
    assert tested.stdout.splitlines() == [
        "e-mail: FAILED (notify.smtp_host is not set)",
        "webhook (own, slack): ok (posted)",
        "webhook (site 1, generic): FAILED (HTTP 404)",
    ]
    [own] = receiver.posts("/own")
    assert json.loads(own.body)["text"].startswith("This is a test from the visitor kiosk at")
    [refused] = receiver.posts("/refused", 404)
    assert signature_valid(
        SECRET.encode(), refused.headers[SIGNATURE_HEADER], refused.body, time.time()
    )


async def test_the_kiosk_posts_to_a_host_s_webhook_right_after_a_check_in(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """A site with webhooks and no e-mail server: the running kiosk still tells the host."""
    toml = f'[notify]\nca_file = "{receiver.ca_file}"\n'
    services = open_services(kiosk_settings(tmp_path, toml))
    host = add_host(services.repos, "Hostina Placeholder")
    _with_webhook(services.repos, host, f"teams {receiver.url('/teams')}")
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "hostina")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await wait_until(lambda: receiver.posts("/teams"))
    [post] = receiver.posts("/teams")
    text = json.loads(post.body)["attachments"][0]["content"]["body"][0]["text"]
    assert text.startswith(f"{NAME.split()[0]} checked in at ") and NAME not in text
