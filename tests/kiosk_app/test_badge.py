"""The badge screen: printed, and how to take the code along."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    settled,
    wait_for_screen,
)
from tests.helpers.visitor_ui import (
    checked_in_code,
    fill_details,
    kiosk_app,
    through_documents,
)


async def test_printable_badge_goes_to_the_print_command(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The badge goes to the print command, and what the command says goes nowhere: lp
    prints "request id is ..." on stdout, which landed in the terminal over the visitor's
    screen (and in the browser kiosk, in the stream its page is drawn from). Nor can the
    command read the keys the kiosk should get. A slow printer does not hold the visitor
    on "Saving": the badge is on screen (and done with) before the label comes out."""
    printed, stdin_seen = tmp_path / "printed", tmp_path / "stdin-seen"
    release = tmp_path / "paper-loaded"  # the printer holds the label until the test says
    printer = tmp_path / "fake-lp"
    printer.write_text(
        f"#!/bin/sh\nfor _ in $(seq 600); do [ -e {release} ] && break; sleep 0.05; done\n"
        f'cp "$1" {printed}\necho "request id is LABEL-1 (1 file(s))"\n'
        f"echo 'lp: printer is slow' >&2\ncat > {stdin_seen}\n"
    )
    printer.chmod(0o755)
    services = open_services(kiosk_settings(tmp_path, f'[printing]\ncommand = "{printer}"\n'))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        code = await checked_in_code(pilot)
        assert not printed.exists()  # still printing
        release.touch()
        spool = tmp_path / "data" / "badges"
        for _ in range(300):  # the spool copy goes once the command is done with it
            if stdin_seen.exists() and not list(spool.glob("badge-*")):
                break
            await pilot.pause(0.05)
    text = "".join(page.extract_text() for page in PdfReader(printed).pages)
    assert code in text and "Zebulon" in text  # the label, as a PDF
    out, err = capfd.readouterr()
    assert "request id" not in out + err and "printer is slow" not in out + err
    assert stdin_seen.read_text() == ""
    assert not list(spool.glob("badge-*"))


@pytest.mark.parametrize(
    ("command", "told"),
    [
        ("true", "Take your badge from the printer."),
        ("false", "The badge printer could not print your badge. Take a photo of this code"),
        ("/nonexistent/lp", "The badge printer could not print your badge. Take a photo"),
    ],
)
async def test_the_badge_screen_says_how_to_take_the_code_along(
    tmp_path: Path, command: str, told: str
) -> None:
    """A visitor is told to take the printed badge only when one came out; when the
    printer did not take it, the screen says so and to take a photo of the code."""
    services = open_services(kiosk_settings(tmp_path, f'[printing]\ncommand = "{command}"\n'))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        await settled(pilot)
        await pilot.pause()
        assert told in screen_text(pilot)


async def test_an_unattended_badge_hides_its_code_then_goes(tmp_path: Path) -> None:
    """Nobody presses Done: the check-out code goes first, then the badge with the
    visitor's name and host, and the next person sees the welcome screen."""
    services = open_services(kiosk_settings(tmp_path, "[kiosk]\nbadge_seconds = 8\n"))
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        badge = pilot.app.screen
        assert badge.query_one("#qr").display
        started = time.monotonic()
        while badge.query_one("#qr").display and time.monotonic() - started < 10:
            await pilot.pause(0.1)
        assert not badge.query_one("#qr").display
        assert "The code is hidden now." in screen_text(pilot)
        assert pilot.app.screen is badge  # the badge itself stays a moment longer
        await wait_for_screen(pilot, "WelcomeScreen")
