"""The visitor's check-in form, driven headless with Pilot against a real SQLite store:
what is asked, what is refused and kept, the host picked from the directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, OptionList, RadioButton

from kiosk.domain.visits import ScreeningOutcome
from screens.kiosk_app import KioskApp
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    type_burst,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import add_host
from tests.helpers.visitor_ui import (
    EMAIL,
    NAME,
    fail_once,
    fill_details,
    kiosk_app,
    name_typed_in_dutch,
    start_details,
    through_documents,
    visits_today,
)
from tests.helpers.waiting import wait_until


async def test_happy_path_stores_an_encrypted_visit_and_shows_the_badge(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        text = screen_text(pilot)
        assert "Zebulon" in text and "Fakevisitor" not in text  # first name only
        assert "Take a photo of this code with your phone." in text  # no badge printer
    [visit] = visits_today(services)
    assert (visit.name, visit.email, visit.company) == (NAME, EMAIL, "Fictitious Widgets Ltd")
    assert visit.nda_accepted and visit.screening is ScreeningOutcome.NOT_ASKED
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.db*"))
    assert NAME.encode() not in raw and EMAIL.encode() not in raw
    # No printer: no printable copy of the badge (a first name) is written anywhere.
    assert not list((tmp_path / "data").glob("badges/*"))


async def test_validation_messages_beside_fields_keep_what_was_typed(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await name_typed_in_dutch(pilot)
        await type_into(pilot, "#email-input", "not-an-address")
        await pilot.click("#next")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "DetailsScreen"
        error = str(pilot.app.screen.query_one("#email-error").render())
        assert error == "Vul alstublieft een geldig e-mailadres in."
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
        assert pilot.app.screen.query_one("#email-input", Input).value == "not-an-address"
        # Corrected, the message goes as the address holds (not at the next Next).
        email = pilot.app.screen.query_one("#email-input", Input)
        email.value += "@example"
        await pilot.pause()
        assert str(pilot.app.screen.query_one("#email-error").render()) != ""  # not yet
        email.value += ".com"
        await pilot.pause()
        assert str(pilot.app.screen.query_one("#email-error").render()) == ""
        assert type(pilot.app.screen).__name__ == "DetailsScreen"
    assert visits_today(services) == []


@pytest.mark.parametrize(
    ("language", "question"), [("en", "Type of visit"), ("nl", "Soort bezoek")]
)
async def test_the_type_of_visit_is_asked_beside_its_choices(
    tmp_path: Path, language: str, question: str
) -> None:
    """The four choices are not left to explain themselves: the question stands on the
    line of the first one, in the column of the other fields' questions."""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click(f"#lang-{language}")
        await pilot.pause()
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        screen = pilot.app.screen
        choices = screen.query_one("#type").content_region
        [label] = [w for w in screen.query(".label") if str(w.render()) == question]
        name_label = screen.query_one("#name-input").parent.query_one(".label")  # type: ignore[union-attr]
        assert label.region.x == name_label.region.x
        assert label.content_region.y == choices.y


@pytest.mark.parametrize(("web", "lines"), [(True, 2), (False, 1)])
async def test_served_to_a_tablet_each_choice_is_a_fingertip_high(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: bool, lines: int
) -> None:
    """In a tablet's browser a line of text is about 20 pixels high: each suggested host
    and each choice of the type of visit takes two lines there, and a tap on the line
    above its words chooses it. A terminal keeps the form compact."""
    monkeypatch.setattr(KioskApp, "is_web", property(lambda app: web))
    services = open_services(kiosk_settings(tmp_path))
    for host in ("Hostina Placeholder", "Hosmer Example", "Hoskins Sample"):
        add_host(services.repos, host, actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        await type_into(pilot, "#host-input", "hos")
        await pilot.pause(0.3)
        options = pilot.app.screen.query_one("#host-options", OptionList)
        assert options.option_count == 3
        assert options.region.height == 2 + 3 * lines  # its border, and every host in view
        second = str(options.get_option_at_index(1).prompt).strip()
        await pilot.click("#host-options", offset=(3, 1 + lines))  # the second's first line
        await pilot.pause()
        assert pilot.app.screen.query_one("#host-input", Input).value == second
        contractor = pilot.app.screen.query_one("#type-contractor", RadioButton)
        assert contractor.region.height == lines
        await pilot.click("#type-contractor", offset=(4, 0))
        await pilot.pause()
        assert contractor.value


async def test_markup_in_typed_text_is_shown_literally(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    sneaky = "[@click=app.quit]Evil[/] [b]Bold[/b]"
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot, name=sneaky)
        await through_documents(pilot, sign=sneaky)
        await wait_for_screen(pilot, "BadgeScreen")
        assert str(pilot.app.screen.query_one("#badge-name").render()) == "[@click=app.quit]Evil[/]"
        await pilot.click("#badge-name")
        await pilot.pause()
        assert pilot.app.is_running
    [visit] = visits_today(services)
    assert visit.name == sneaky


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (None, "We could not save your check-in just now. Please try again."),
        (RuntimeError("a bug"), "Something went wrong. Please try again or ask reception."),
    ],
    ids=["database", "unexpected"],
)
async def test_a_database_failure_keeps_the_form_and_retry_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception | None, said: str
) -> None:
    """A failed save (the database away, or an error nobody foresaw) says so, stores
    nothing, and Enter tries again with the form as it was."""
    services = open_services(kiosk_settings(tmp_path))
    fail_once(monkeypatch, services.checkin, "check_in", error)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "SubmitScreen")
        await pilot.pause(0.5)
        assert said in screen_text(pilot)
        assert visits_today(services) == []
        assert pilot.app.focused is pilot.app.screen.query_one("#retry", Button)
        await pilot.press("enter")  # a keyboard kiosk: Enter tries again
        await wait_for_screen(pilot, "BadgeScreen")
    assert [v.name for v in visits_today(services)] == [NAME]


async def test_a_host_added_while_the_form_is_open_is_found(tmp_path: Path) -> None:
    """Reception adds a host while a visitor is filling in the form: the host field finds
    them (it listed only the hosts of when the form opened)."""
    services = open_services(kiosk_settings(tmp_path))
    add_host(services.repos, "Hosmer Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await pilot.pause(0.3)
        add_host(services.repos, "Hostina Placeholder", actor="admin")  # at reception
        await type_into(pilot, "#host-input", "hos")
        options = pilot.app.screen.query_one("#host-options", OptionList)

        def shown() -> list[str]:
            return sorted(str(options.get_option_at_index(i).prompt)
                          for i in range(options.option_count))  # fmt: skip

        listed = await wait_until(shown, lambda names: len(names) == 2, timeout=5)
        assert listed == ["Hosmer Example", "Hostina Placeholder"]


async def test_host_is_chosen_from_the_directory_never_from_visitors(tmp_path: Path) -> None:
    services = open_services(kiosk_settings(tmp_path))
    hostina = add_host(services.repos, "Hostina Placeholder", actor="admin")
    add_host(services.repos, "Hosmer Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot, "Hostess Fakevisitor")  # a visitor, not a host
        await type_into(pilot, "#host-input", "hos")
        await pilot.pause(0.3)
        options = pilot.app.screen.query_one("#host-options")
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]  # type: ignore[attr-defined]
        assert sorted(shown) == ["Hosmer Example", "Hostina Placeholder"]
        await type_into(pilot, "#host-input", "hostina")
        await pilot.pause(0.3)
        await pilot.click("#host-options", offset=(3, 1))  # the first suggestion
        await pilot.pause()
        assert pilot.app.screen.query_one("#host-input", Input).value == "Hostina Placeholder"
        await pilot.click("#type-delivery")
        await pilot.pause()
        await pilot.click("#next")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "BadgeScreen")
        assert "Visiting: Hostina Placeholder" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.host_id == hostina


async def test_a_host_is_found_without_accents_and_picked_by_keyboard(tmp_path: Path) -> None:
    """A visitor at a plain keyboard types "bjork", goes down into the suggestions, picks
    Björk Hostdóttir with Enter and goes on with Enter; no mouse, no touch."""
    services = open_services(kiosk_settings(tmp_path))
    bjork = add_host(services.repos, "Björk Hostdóttir", actor="admin")
    add_host(services.repos, "Bob Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "bjork")
        await pilot.pause(0.3)
        options = pilot.app.screen.query_one("#host-options", OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown == ["Björk Hostdóttir"]
        await pilot.press("down", "enter")
        await pilot.pause()
        host_input = pilot.app.screen.query_one("#host-input", Input)
        assert host_input.value == "Björk Hostdóttir" and host_input.has_focus
        await pilot.press("enter")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        assert "Visiting: Björk Hostdóttir" in screen_text(pilot)
    [visit] = visits_today(services)
    assert visit.host_id == bjork


async def test_the_next_person_of_a_group_starts_with_company_and_host(tmp_path: Path) -> None:
    """From the badge, "Check in someone with me": the second visitor finds company, host
    and kind of visit filled in, nothing of the first visitor's own, and signs alone."""
    services = open_services(kiosk_settings(tmp_path))
    hostina = add_host(services.repos, "Hostina Placeholder", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#company-input", "Fictitious Widgets Ltd")
        await type_into(pilot, "#host-input", "Hostina Placeholder")
        await pilot.click("#type-contractor")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await pilot.click("#another")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        values = {f: pilot.app.screen.query_one(f"#{f}-input", Input).value
                  for f in ("name", "email", "phone", "company", "host")}  # fmt: skip
        assert values == {
            "name": "", "email": "", "phone": "",
            "company": "Fictitious Widgets Ltd", "host": "Hostina Placeholder",
        }  # fmt: skip
        await type_into(pilot, "#name-input", "Quentin Fakecolleague")
        await type_into(pilot, "#phone-input", "+31201234567")
        await pilot.click("#next")
        await through_documents(pilot, sign="Quentin Fakecolleague")
        await wait_for_screen(pilot, "BadgeScreen")
        assert "Visiting: Hostina Placeholder" in screen_text(pilot)
    first, second = visits_today(services)
    assert (first.name, second.name) == (NAME, "Quentin Fakecolleague")
    assert second.email is None and second.phone == "+31201234567"
    for visit in (first, second):
        assert visit.company == "Fictitious Widgets Ltd" and visit.host_id == hostina
        assert visit.visitor_type.value == "contractor" and visit.nda_accepted


async def test_a_burst_of_keys_across_fields_lands_in_the_right_fields(tmp_path: Path) -> None:
    """Autofill, a paste-by-typing tool or a fast typist sends a whole form at once, Tab
    between fields: every character lands in the field it was typed for. (Textual moves
    focus on a Tab when the focused field gets round to it; the keys behind it went to
    the old field.)"""
    services = open_services(kiosk_settings(tmp_path))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        await type_burst(
            pilot, *NAME, "tab", *EMAIL, "tab", *"+31201234567", "tab", *"Acme", "shift+tab"
        )
        values = {f: pilot.app.screen.query_one(f"#{f}-input", Input).value
                  for f in ("name", "email", "phone", "company")}  # fmt: skip
        assert values == {
            "name": NAME, "email": EMAIL, "phone": "+31201234567", "company": "Acme"
        }  # fmt: skip
        assert pilot.app.screen.query_one("#phone-input", Input).has_focus


async def test_an_unknown_host_says_so_and_can_be_left_to_reception(tmp_path: Path) -> None:
    """A host the directory does not know is not a dead end: the visitor is told so (not
    asked to pick from a list that is not there), keeps what they typed, and can go on
    with the field empty."""
    services = open_services(kiosk_settings(tmp_path))
    add_host(services.repos, "Hostina Placeholder", actor="admin")
    add_host(services.repos, "Hosmer Example", actor="admin")
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "hos")  # two hosts: choose one
        await pilot.click("#next")
        await pilot.pause(0.3)
        assert "choose your host from the list" in screen_text(pilot)
        await type_into(pilot, "#host-input", "Nobody Known")
        await pilot.click("#next")
        await pilot.pause(0.3)
        text = screen_text(pilot)
        assert "cannot find anyone by that name" in text and "from the list" not in text
        assert pilot.app.screen.query_one("#name-input", Input).value == NAME
        assert pilot.app.screen.query_one("#host-input", Input).value == "Nobody Known"
        pilot.app.screen.query_one("#host-input", Input).value = ""
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
    [visit] = visits_today(services)
    assert visit.host_id is None and visit.host_name is None


async def test_on_a_small_terminal_the_host_suggestions_come_into_view(tmp_path: Path) -> None:
    """80x24: the suggestions opened behind the buttons (only the first showed, until
    Down); the form now scrolls so that they are all in view, the field still too."""
    services = open_services(kiosk_settings(tmp_path))
    for name in ("Hosmer Example", "Hostina Placeholder", "Hoskins Fakehost"):
        add_host(services.repos, name, actor="admin")
    async with kiosk_app(services).run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", "hos")
        await pilot.pause(0.3)
        screen = pilot.app.screen
        options = screen.query_one("#host-options", OptionList)
        assert options.option_count == 3
        buttons_top = min(b.region.y for b in screen.query(Button) if b.region.area)
        assert options.region.bottom <= buttons_top, (options.region, buttons_top)
        field = screen.query_one("#host-input", Input)
        assert field.region.y >= 0 and field.region.bottom <= options.region.y + 1
