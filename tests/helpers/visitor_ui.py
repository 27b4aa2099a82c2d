"""A visitor at the kiosk, step by step, as the kiosk tests (and the e-mail and console
tests that start at the kiosk) drive one with Pilot."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from kiosk.app import make_app
from kiosk.domain.invitations import NewInvitation
from kiosk.domain.visits import VisitorType, VisitRecord
from kiosk.services.bundle import Services
from kiosk.services.errors import ServiceUnavailable
from screens.kiosk_app import KioskApp
from tests.helpers.kiosk_ui import FIXED_NOW, ready, type_into, wait_for_screen
from tests.helpers.store import invite

NAME = "Zebulon Fakevisitor"
EMAIL = "zebulon.fake@example.com"
SCREENING_ON = "[screening]\nenabled = true\n"


def kiosk_app(services: Services) -> KioskApp:
    """The kiosk on these services, its clock (on screen) at FIXED_NOW."""
    return make_app(services.settings, services=services, clock=lambda: FIXED_NOW)


async def past_age(pilot: Pilot[None], age: str = "adult") -> None:
    """The age step (asked first) answered: "adult", "minor" (with a guardian) or
    "alone" (an under-16 on their own)."""
    await wait_for_screen(pilot, "AgeScreen")
    await pilot.click(f"#{age}")


async def start_details(pilot: Pilot[None], name: str = NAME, age: str = "adult") -> None:
    """From the welcome screen to the details step, name and e-mail typed."""
    await pilot.click("#check-in")
    await past_age(pilot, age)
    await wait_for_screen(pilot, "DetailsScreen")
    await type_into(pilot, "#name-input", name)
    await type_into(pilot, "#email-input", EMAIL)


async def name_typed_in_dutch(pilot: Pilot[None]) -> None:
    """From the welcome screen: Nederlands chosen, the details step, the name typed."""
    await pilot.click("#lang-nl")
    await pilot.pause()
    await pilot.click("#check-in")
    await past_age(pilot)
    await wait_for_screen(pilot, "DetailsScreen")
    await type_into(pilot, "#name-input", NAME)


async def fill_details(
    pilot: Pilot[None], name: str = NAME, visitor_type: str = "guest", guardian: str = ""
) -> None:
    """The details of a visitor of 16 or more typed, Next; with ``guardian``, an under-16
    with that parent or guardian."""
    await start_details(pilot, name, "minor" if guardian else "adult")
    if guardian:
        await type_into(pilot, "#guardian-input", guardian)
    await type_into(pilot, "#company-input", "Fictitious Widgets Ltd")
    await pilot.click(f"#type-{visitor_type}")
    await pilot.click("#next")


async def through_documents(pilot: Pilot[None], *, sign: str = NAME) -> None:
    await wait_for_screen(pilot, "PrivacyScreen")
    await pilot.click("#accept")
    await wait_for_screen(pilot, "NdaScreen")
    await type_into(pilot, "#signature", sign)
    await pilot.press("enter")


async def answer_screening(pilot: Pilot[None], *answers: str) -> None:
    """From the consent screen: consent, answer each question, on to the badge."""
    await pilot.click("#consent")
    await wait_for_screen(pilot, "ScreeningQuestionsScreen")
    for i, answer in enumerate(answers):
        await pilot.click(f"#q{i}-{answer}")
    await pilot.click("#next")
    await wait_for_screen(pilot, "BadgeScreen")


async def checked_in_code(pilot: Pilot[None]) -> str:
    """A delivery checked in (no NDA) and gone back to the welcome screen: its code."""
    await fill_details(pilot, visitor_type="delivery")
    await wait_for_screen(pilot, "PrivacyScreen")
    await pilot.click("#accept")  # deliveries sign no NDA
    await wait_for_screen(pilot, "BadgeScreen")
    code = str(pilot.app.screen.query_one("#badge-code").render())
    await pilot.click("#done")
    await wait_for_screen(pilot, "WelcomeScreen")
    return code


async def at_check_out(pilot: Pilot[None]) -> str:
    """A visitor checked in, then Check out chosen at the welcome screen: their code."""
    await ready(pilot)
    code = await checked_in_code(pilot)
    await pilot.click("#check-out")
    await wait_for_screen(pilot, "CheckoutScreen")
    return code


def invited_today(services: Services, **details: object) -> str:
    """Pre-register NAME for today (with ``details`` over the defaults); the code."""
    values: dict[str, object] = {
        "name": NAME,
        "email": EMAIL,
        "phone": None,
        "company": None,
        "expected_day": services.ctx.today(),
        "visitor_type": VisitorType.GUEST,
        "host_id": None,
    }
    values.update(details)
    invitation = NewInvitation(**values)  # type: ignore[arg-type]
    return invite(services.repos, invitation, actor="test")[1]


def visits_today(services: Services) -> list[VisitRecord]:
    return services.repos.visits.on_day(services.ctx.today()).visits


def fail_once(
    monkeypatch: pytest.MonkeyPatch,
    service: object,
    method: str,
    error: Exception | None = None,
) -> list[int]:
    """The first call of ``service.<method>`` fails as a locked database does (or with
    ``error``); the calls made are counted in the list returned."""
    real = getattr(service, method)
    calls: list[int] = []

    def flaky(*args: Any) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise error or ServiceUnavailable("the database could not be used: database is locked")
        return real(*args)

    monkeypatch.setattr(service, method, flaky)
    return calls
