"""A courier delivering a parcel at the kiosk: carrier and recipient only, no notice, NDA
or screening; the recipient (or reception) is told a parcel is waiting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from kiosk.app import make_app, make_console
from kiosk.config import load_settings
from kiosk.domain.deliveries import DeliveryForm, validate_delivery
from kiosk.domain.registration import ValidationErrors
from kiosk.domain.staff import Actor
from kiosk.domain.visits import VisitorType
from kiosk.i18n import set_language
from kiosk.services.bundle import Services
from kiosk.services.notify import HOST_UNKNOWN
from storage.repositories import Repositories
from tests.helpers.kiosk_ui import (
    ready,
    screen_text,
    services_with_staff,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.smtp_server import SmtpServer
from tests.helpers.store import add_host
from tests.helpers.visitor_ui import fail_once, visits_today
from tests.helpers.waiting import wait_until
from tests.helpers.webhook_receiver import WebhookReceiver

HOST_EMAIL = "hostina.placeholder@example.com"
CARRIER = "Fastparcel Express"
SECURITY = Actor("staff:sam", "security")


def test_a_delivery_needs_a_carrier_and_a_recipient() -> None:
    with pytest.raises(ValidationErrors) as refused:
        validate_delivery(DeliveryForm(" ", ""))
    assert refused.value.fields == {
        "carrier": "Please type the carrier's name.",
        "recipient": "Please type who the parcel is for.",
    }
    visit = validate_delivery(DeliveryForm(f" {CARRIER} ", "Hostina"))
    assert (visit.name, visit.email, visit.phone, visit.nda) == (CARRIER, None, None, None)
    assert visit.visitor_type is VisitorType.DELIVERY and visit.parcel


async def test_a_courier_leaves_a_parcel_and_the_recipient_is_emailed(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_language("en")
    toml = (
        f'[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nstarttls = false\n'
        'sender = "kiosk@example.com"\n'
    )
    services = services_with_staff(tmp_path, toml)
    add_host(services.repos, "Hostina Placeholder", email=HOST_EMAIL)
    calls = fail_once(monkeypatch, services.checkin, "deliver")  # the database is busy once
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#delivery")
        await wait_for_screen(pilot, "DeliveryScreen")
        await pilot.click("#send")
        await pilot.pause(0.2)
        text = screen_text(pilot)
        assert "Please type the carrier's name." in text
        assert "Please type who the parcel is for." in text
        await type_into(pilot, "#carrier-input", CARRIER)
        await type_into(pilot, "#recipient-input", "hostina")
        await pilot.press("down", "enter")  # the directory's name, chosen
        field = pilot.app.screen.query_one("#recipient-input", Input)
        assert field.value == "Hostina Placeholder"
        await pilot.click("#send")
        assert "could not save this just now" in await status_of(
            pilot, "#delivery-status", "could not"
        )
        assert pilot.app.screen.query_one("#carrier-input", Input).value == CARRIER  # kept
        await pilot.pause(0.3)
        await pilot.click("#send")
        await wait_for_screen(pilot, "ParcelThanksScreen")
        told = screen_text(pilot)
        assert "Hostina Placeholder has been told a parcel is waiting at reception." in told
        await pilot.click("#done")
        await wait_for_screen(pilot, "WelcomeScreen")
        await wait_until(lambda: smtp.inbox.messages)
    assert len(calls) == 2
    # A visit of the type "delivery" that left at once: in the log, not on site.
    [visit] = visits_today(services)
    assert visit.visitor_type is VisitorType.DELIVERY and visit.name == CARRIER
    assert visit.departed_at == visit.arrived_at and visit.email is None and not visit.nda_accepted
    assert services.onsite.people(SECURITY) == []
    [(to, mail)] = smtp.inbox.messages
    assert to == [HOST_EMAIL] and mail["Subject"] == "A parcel for you at reception (Fictional HQ)"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"A parcel from {CARRIER} arrived at " in body and "waiting for you at reception" in body


async def test_a_parcel_for_someone_not_in_the_directory_goes_to_reception(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    set_language("nl")
    secret = tmp_path / "webhook.secret"
    secret.write_text("s3cret-for-the-test\n")
    toml = (
        f'[notify]\nca_file = "{receiver.ca_file}"\nwebhook_secret_file = "{secret}"\n'
        f'reception_webhook = "slack {receiver.url("/desk")}"\n'
        f'webhooks = ["generic {receiver.url("/site")}"]\n'
    )
    services = services_with_staff(tmp_path, toml)
    add_host(services.repos, "Hostina Placeholder")
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#lang-nl")
        await pilot.click("#delivery")
        await wait_for_screen(pilot, "DeliveryScreen")
        assert "Ik bezorg een pakket" in screen_text(pilot)
        await type_into(pilot, "#carrier-input", CARRIER)
        await type_into(pilot, "#recipient-input", "Someone Typed")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ParcelThanksScreen")
        assert "De receptie weet dat er een pakket voor hen klaarligt." in screen_text(pilot)
        await wait_until(lambda: receiver.posts("/desk"))
    [alert] = receiver.posts("/desk")
    said = json.loads(alert.body)["text"]
    assert said.startswith(f"Someone Typed was not told that a parcel from {CARRIER} arrived")
    [site] = receiver.posts("/site")
    event = json.loads(site.body)
    assert event["event"] == "parcel.arrived" and event["carrier"] == CARRIER
    assert "visitor" not in event and event["host"] == "Someone Typed"

    set_language("en")
    async with make_console(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        text = await status_of(pilot, "#notify-alert-text", "parcel")
        assert text.startswith(f"Please phone Someone Typed: a parcel from {CARRIER} arrived at ")
        assert f"(host: {HOST_UNKNOWN})" in text


def test_a_delivery_is_stored_without_nda_and_as_gone_in_the_trail(store: Repositories) -> None:
    """Stored as the kiosk stores it: no NDA row, no screening, the audit trail says the
    courier left (the on-site cross-check does not count them in)."""
    services = Services.over(store, load_settings())
    host = add_host(store, "Hostina Placeholder")
    delivered = services.checkin.deliver(DeliveryForm(CARRIER, "Hostina"), Actor("kiosk"))
    assert delivered.recipient == "Hostina Placeholder"
    arrived, left = store.audit.check_ins_out(visits_today(services)[0].arrived_at)
    assert str(delivered.visit_id) in arrived and str(delivered.visit_id) in left
    [visit] = visits_today(services)
    assert visit.host_id == host and store.rights.nda_acceptances([visit.id]) == []
