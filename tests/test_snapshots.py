"""Snapshots of every visitor screen, in English and Dutch, at 100x30; the details form
also at 80x24, where its messages go under the fields.

Update after a reviewed visual change: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.app import make_app
from kiosk.i18n import current_language, set_language
from screens.widgets import HostChoices
from tests.helpers.factories import free_port
from tests.helpers.kiosk_ui import (
    FIXED_NOW,
    kiosk_settings,
    open_services,
    ready,
    settled,
    status_of,
    still,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host
from tests.helpers.waiting import wait_until

Step = Callable[[Pilot[None]], Awaitable[None]]


async def _age(pilot: Pilot[None]) -> None:
    await pilot.click("#check-in")
    await wait_for_screen(pilot, "AgeScreen")


async def _details(pilot: Pilot[None], *, bad: bool = False) -> None:
    await _age(pilot)
    await pilot.click("#adult")
    await wait_for_screen(pilot, "DetailsScreen")
    if bad:
        pilot.app.screen.query_one("#email-input", Input).value = "not-an-address"
        await pilot.click("#next")
        name = pilot.app.screen.query_one("#name-input", Input)
        error = pilot.app.screen.query_one("#email-error")
        # the messages shown, the first wrong field (name) focused
        await wait_until(lambda: name.has_focus and bool(str(error.render())), timeout=2)


async def _suggested(pilot: Pilot[None]) -> None:
    """The details step with "Jan" typed for the host: the directory's four Jans."""
    await _details(pilot)
    await type_into(pilot, "#host-input", "Jan")
    choices = pilot.app.screen.query_one("#host-options", HostChoices)
    await wait_until(lambda: choices.option_count, (4).__eq__)


async def _fill(pilot: Pilot[None], visitor_type: str = "guest") -> None:
    await _details(pilot)
    screen = pilot.app.screen
    screen.query_one("#name-input", Input).value = "Yolanda Fakevisitor"
    screen.query_one("#email-input", Input).value = "yolanda@example.com"
    await pilot.click(f"#type-{visitor_type}")
    await pilot.click("#next")
    await wait_for_screen(pilot, "PrivacyScreen")


async def _privacy(pilot: Pilot[None]) -> None:
    await _fill(pilot)


async def _nda(pilot: Pilot[None]) -> None:
    await _privacy(pilot)
    await pilot.click("#accept")
    await wait_for_screen(pilot, "NdaScreen")


async def _signed(pilot: Pilot[None]) -> None:
    await _nda(pilot)
    pilot.app.screen.query_one("#signature", Input).value = "Yolanda Fakevisitor"
    await pilot.click("#accept")
    await wait_for_screen(pilot, "ScreeningConsentScreen")


async def _declined(pilot: Pilot[None]) -> None:
    await _nda(pilot)
    await pilot.click("#decline")
    await wait_for_screen(pilot, "DeclinedScreen")


async def _questions(pilot: Pilot[None]) -> None:
    await _signed(pilot)
    await pilot.click("#consent")
    await wait_for_screen(pilot, "ScreeningQuestionsScreen")


async def _badge(pilot: Pilot[None]) -> None:
    await _signed(pilot)
    await pilot.click("#skip")
    await wait_for_screen(pilot, "BadgeScreen")


async def _badge_printed(pilot: Pilot[None]) -> None:
    """The badge, once printing is over (the printer's answer is on screen)."""
    await _badge(pilot)
    await settled(pilot)
    await pilot.pause()


async def _checkout(pilot: Pilot[None], *, code: str = "") -> None:
    await pilot.click("#check-out")
    await wait_for_screen(pilot, "CheckoutScreen")
    if code:
        await pilot.press(*code, "enter")
        for _ in range(250):  # until the worker's answer is on screen
            screen = pilot.app.screen
            if type(screen).__name__ != "CheckoutScreen" or str(
                screen.query_one("#code-error").render()
            ):
                break
            await pilot.pause(0.02)
        await pilot.pause()


async def _goodbye(pilot: Pilot[None]) -> None:
    await _badge(pilot)
    language = current_language()
    await pilot.click("#done")
    await wait_for_screen(pilot, "WelcomeScreen")  # in the kiosk's language again
    if language != "en":  # coming back to leave, the visitor chooses theirs again
        await pilot.click(f"#lang-{language}")
        await pilot.pause()
    await _checkout(pilot, code="7K3M-9QXR-2D4F")
    await wait_for_screen(pilot, "GoodbyeScreen")


async def _invitation(pilot: Pilot[None]) -> None:
    await pilot.click("#invitation")
    await wait_for_screen(pilot, "InvitationScreen")


async def _delivery(pilot: Pilot[None], *, sent: bool = False) -> None:
    await pilot.click("#delivery")
    await wait_for_screen(pilot, "DeliveryScreen")
    if sent:
        await type_into(pilot, "#carrier-input", "Fastparcel Express")
        await type_into(pilot, "#recipient-input", "Someone Typed")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ParcelThanksScreen")
    else:
        await pilot.click("#send")  # empty: what is missing is said
        await status_of(pilot, "#carrier-error", "carrier")


async def _pin(pilot: Pilot[None]) -> None:
    await pilot.press("f12")
    await wait_for_screen(pilot, "PinScreen")
    # No account yet in these snapshots' store: the dialog says how to add one.
    await status_of(pilot, "#pin-error", "kiosk staff add")


async def _nothing(pilot: Pilot[None]) -> None:
    return None


SCREENS: dict[str, Step] = {
    "welcome": _nothing,
    "details": _details,
    "details-errors": lambda p: _details(p, bad=True),
    "age": _age,
    "privacy": _privacy,
    "nda": _nda,
    "nda-declined": _declined,
    "screening-consent": _signed,
    "screening-questions": _questions,
    "badge": _badge,
    "checkout": _checkout,
    "checkout-unknown": lambda p: _checkout(p, code="AAAA-BBBB-CCCC"),
    "goodbye": _goodbye,
    "invitation": _invitation,
    "delivery": _delivery,
    "delivery-thanks": lambda p: _delivery(p, sent=True),
    "staff-pin": _pin,
}
PRINTING: dict[str, Step] = {"badge-printed": _badge_printed, "details-hosts": _suggested}
HOSTS = ("Jan de Vries", "Jane Hostperson", "Janneke Smit", "Piet Jansen")


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_visitor_screen(
    name: str,
    language: str,
    snap_compare: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _snapshot(name, language, (100, 30), snap_compare, tmp_path, monkeypatch)


PRINTERS = {
    # A print command that fails: the printer refused the badge.
    "refused": '[printing]\ncommand = "false"\n',
    # A CUPS queue on a print server that does not answer.
    "unreachable": '[printing]\nprinter = "LABEL"\n',
}


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("printer", list(PRINTERS))
def test_the_badge_when_no_badge_came_out(
    printer: str,
    language: str,
    snap_compare: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The badge screen says what became of the printed badge: the printer refused it, or
    cannot be reached; the code is the visitor's to photograph."""
    monkeypatch.setenv("CUPS_SERVER", f"127.0.0.1:{free_port()}")  # nothing listens
    toml = PRINTERS[printer]
    assert _snapshot("badge-printed", language, (100, 30), snap_compare, tmp_path, monkeypatch,
                     toml)  # fmt: skip


@pytest.mark.parametrize("language", ["en", "nl"])
def test_details_on_a_small_terminal(
    language: str, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80x24: the inputs take the width the message column had, and each message shows
    under its field (the e-mail's is in view with the name's)."""
    assert _snapshot("details-errors", language, (80, 24), snap_compare, tmp_path, monkeypatch)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_host_suggestions_in_view(
    size: tuple[int, int], snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The details form with four hosts suggested, at 80x24 and 120x40: every
    suggestion in view, above the buttons, nothing cut."""
    assert _snapshot("details-hosts", "en", size, snap_compare, tmp_path, monkeypatch, hosts=HOSTS)


def _snapshot(
    name: str,
    language: str,
    size: tuple[int, int],
    snap_compare: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    toml: str = "",
    hosts: tuple[str, ...] = (),
) -> bool:
    set_language("en")
    monkeypatch.setattr("storage.repositories.visits.new_badge_code", lambda: "7K3M-9QXR-2D4F")
    # The store's clock too: the badge shows the check-in's date, which was the real
    # date's, so the badge snapshots failed on any other day than the one recorded.
    monkeypatch.setattr("storage.repositories.visits.utcnow", lambda: FIXED_NOW)
    services = open_services(kiosk_settings(tmp_path, "[screening]\nenabled = true\n" + toml))
    for host in hosts:
        add_host(services.repos, host, None, actor="admin")
    app = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)

    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        if language == "nl":
            await pilot.click("#lang-nl")
            await pilot.pause()
        await (SCREENS | PRINTING)[name](pilot)
        await still(pilot)

    return bool(snap_compare(app, run_before=run_before, terminal_size=size))
