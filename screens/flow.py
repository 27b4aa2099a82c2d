"""The order of a visitor's steps, written down in one place.

Each step is a screen that dismisses with the visitor's answer (screens.visitor); these
coroutines, run as a worker of the kiosk app (as in Textual's guide to screens), push
them in turn with ``push_screen_wait`` and decide what comes next. Back goes one step
back (the step is shown again with what the visitor gave), Cancel ends the visit
unsaved, the badge ends it saved. No screen knows another.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from textual.screen import Screen

from kiosk.domain.badges import BadgeCard
from kiosk.domain.deliveries import Delivered
from kiosk.domain.registration import Registration
from kiosk.runtime import Runtime
from screens.visitor.age import AgeScreen, MinorAloneScreen
from screens.visitor.badge import BadgeScreen
from screens.visitor.base import Step
from screens.visitor.checkout import CheckoutScreen, GoodbyeScreen
from screens.visitor.delivery import DeliveryScreen, ParcelThanksScreen
from screens.visitor.details import DetailsScreen
from screens.visitor.documents import DeclinedScreen, NdaScreen, PrivacyScreen
from screens.visitor.invitation import InvitationScreen
from screens.visitor.screening import (
    Answered,
    Consent,
    ScreeningConsentScreen,
    ScreeningQuestionsScreen,
)
from screens.visitor.submit import SubmitScreen

T = TypeVar("T")


class Lobby(Protocol):
    """What the flows need of the kiosk app."""

    runtime: Runtime

    async def push_screen_wait(self, screen: Screen[T]) -> T: ...


async def check_in(app: Lobby, registration: Registration) -> None:
    """A visitor's check-in, then each next person of their group's."""
    next_one: Registration | None = registration
    while next_one is not None:
        next_one = await CheckIn(app, next_one).run()


async def check_out(app: Lobby, scanned: str | None = None) -> None:
    """A badge scanned or typed (``scanned``: at the welcome screen). A code that is today's
    invitation instead goes on as that visitor's check-in."""
    result = await app.push_screen_wait(CheckoutScreen(scanned=scanned))
    if result is Step.DONE:
        await app.push_screen_wait(GoodbyeScreen())
    elif isinstance(result, Registration):
        await check_in(app, result)


async def delivery(app: Lobby) -> None:
    """A courier's parcel: carrier and recipient, then thanks."""
    result = await app.push_screen_wait(DeliveryScreen())
    if isinstance(result, Delivered):
        await app.push_screen_wait(ParcelThanksScreen(result))


async def invitation(app: Lobby) -> None:
    """An invitation code typed or scanned fills in the check-in."""
    result = await app.push_screen_wait(InvitationScreen())
    if isinstance(result, Registration):
        await check_in(app, result)


class CheckIn:
    """One visitor's steps: age, details, privacy notice, NDA (for the visitor types that
    sign one), health screening (when switched on, and not for under-16s), saving, the
    badge."""

    def __init__(self, app: Lobby, registration: Registration) -> None:
        self.app = app
        self.registration = registration
        self.settings = app.runtime.settings
        self.keep_answers = False  # as the visitor was told when they consented
        self.answers: dict[str, str] = {}  # given, to show again after Back

    async def run(self) -> Registration | None:
        """The next person of the group's registration, if the visitor asks for one."""
        trail = ["age"]  # asked first: an under-16 on their own types nothing
        while trail:
            step = trail[-1]
            result = await self.app.push_screen_wait(self.screen(step))
            if result is Step.CANCEL:
                return None
            if result is Step.BACK:
                trail.pop()
                continue
            if result is Step.RECEPTION:
                await self.app.push_screen_wait(MinorAloneScreen())
                return None
            if result is Step.DECLINE:
                await self.app.push_screen_wait(DeclinedScreen())
                return None
            if isinstance(result, BadgeCard):  # stored: the visitor's badge
                done = await self.app.push_screen_wait(BadgeScreen(result, self.registration))
                return self.registration.next_of_party() if done is Step.ANOTHER else None
            trail.append(self.after(step, result))
        return None

    def screen(self, step: str) -> Screen[Any]:
        r = self.registration
        match step:
            case "details":
                return DetailsScreen(r)
            case "age":
                return AgeScreen(r)
            case "privacy":
                return PrivacyScreen(r)
            case "nda":
                return NdaScreen(r)
            case "consent":
                return ScreeningConsentScreen(r)
            case "questions":
                return ScreeningQuestionsScreen(
                    r, keep_answers=self.keep_answers, answers=self.answers
                )
            case _:
                return SubmitScreen(r)

    def after(self, step: str, result: object) -> str:
        """The step after ``step``, answered with ``result``."""
        r = self.registration
        if step == "age":
            return "details"
        if step == "details":
            return "privacy"
        if step == "privacy":
            if r.visitor_type in self.settings.kiosk.nda_types:
                return "nda"
            r.nda = None
            return self.after_documents()
        if step == "nda":
            return self.after_documents()
        if step == "consent" and isinstance(result, Consent):
            self.keep_answers = result.keep_answers
            return "questions"
        if isinstance(result, Answered):
            self.answers = result.answers
        return "submit"  # after the consent skipped, or the questions answered

    def after_documents(self) -> str:
        """After the privacy notice and NDA: screening if switched on, else save."""
        if self.settings.screening.enabled and not self.registration.under_16:
            return "consent"
        return "submit"
