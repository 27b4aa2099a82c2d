"""Between visitors: the welcome screen, the idle wipe, the language, and no way out of
the kiosk for a visitor."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input

from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    type_into,
    wait_for_screen,
)
from tests.helpers.visitor_ui import (
    EMAIL,
    NAME,
    fill_details,
    kiosk_app,
    name_typed_in_dutch,
    through_documents,
    visits_today,
)


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
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
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
        await pilot.click("#check-in")
        await asked("AgeScreen", "Are you still there?")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        await type_into(pilot, "#name-input", NAME)
        await type_into(pilot, "#email-input", EMAIL)
        await pilot.click("#next")
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
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")


async def test_cancel_at_any_step_forgets_the_visitor(tmp_path: Path) -> None:
    """Cancel, at whichever step a visitor gives up, goes back to the welcome screen; the
    next visitor finds an empty form and nothing was stored."""
    services = open_services(kiosk_settings(tmp_path))
    steps = ("AgeScreen", "DetailsScreen", "PrivacyScreen", "NdaScreen")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for step, leave in [(s, "#cancel") for s in steps] + [("DetailsScreen", "escape")]:
            await pilot.click("#check-in")
            await wait_for_screen(pilot, "AgeScreen")
            if step != "AgeScreen":
                await pilot.click("#adult")
                await wait_for_screen(pilot, "DetailsScreen")
                pilot.app.screen.query_one("#name-input", Input).value = NAME  # typed
                pilot.app.screen.query_one("#email-input", Input).value = EMAIL
            for button in ("#next", "#accept")[: max(0, steps.index(step) - 1)]:
                await pilot.click(button)
                await pilot.pause()
            await wait_for_screen(pilot, step)
            await (pilot.press(leave) if leave == "escape" else pilot.click(leave))
            await wait_for_screen(pilot, "WelcomeScreen")
            await pilot.click("#check-in")
            await wait_for_screen(pilot, "AgeScreen")
            await pilot.click("#adult")
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


async def test_the_office_name_and_colour_are_the_kiosks(tmp_path: Path) -> None:
    """[branding]: the office's name above the site's, and its colour on the way in, through
    the kiosk's own registered theme (light here); a focused button's label is not drawn
    reversed (a pale box behind it in a browser)."""
    settings = kiosk_settings(
        tmp_path, '[branding]\nname = "Acme Offices"\naccent = "#c2410c"\nmode = "light"\n'
    )
    app = kiosk_app(open_services(settings))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        text = screen_text(pilot)
        assert text.index("Acme Offices") < text.index("Fictional HQ")
        assert app.theme == "kiosk" and not app.current_theme.dark
        check_in = app.screen.query_one("#check-in", Button)
        assert check_in.has_focus
        style = check_in.rich_style
        assert style.bgcolor is not None and style.bgcolor.triplet is not None
        r, g, b = style.bgcolor.triplet  # the office's #c2410c, tinted for the focus
        assert abs(r - 0xC2) < 16 and abs(g - 0x41) < 16 and abs(b - 0x0C) < 16
        assert not style.reverse
