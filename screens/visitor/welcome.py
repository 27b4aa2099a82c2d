"""The welcome screen: site, time, the three ways in, and the language switch. A badge
(or an invitation QR) scanned here needs no button first."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.domain.codes import normalise_badge_code
from kiosk.i18n import LANGUAGES, _, current_language, set_language
from screens.visitor.base import VisitorScreen
from screens.widgets import Clock

# A USB scanner types a code's characters a few milliseconds apart, then Enter. Keys
# further apart than this start a new code.
SCAN_GAP_S = 1.0


class WelcomeScreen(VisitorScreen[None]):
    """The screen under every visitor's steps; it never closes. A way in chosen is told
    to the app (:class:`Chosen`), which takes the visitor through its steps."""

    @dataclass
    class Chosen(Message):
        way: str  # "check-in", "check-out" or "invitation"
        scanned: str | None = None  # a badge scanned here: checked out at once

    def __init__(self) -> None:
        super().__init__()
        self._typed = ""
        self._typed_at = 0.0
        self._was_down = False  # the ways in were disabled: the store could not be opened

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            office, site = self.runtime.settings.office_name, self.runtime.site_name
            if office != site:  # the office's name, then the site's under it
                yield Static(office, id="office-name", markup=False)
            yield Static(
                site,
                id="site-name",
                markup=False,
                classes="-under-office" if office != site else "",
            )
            yield Clock(self.runtime.now, id="clock")
            yield Static(_("Welcome! Please check in."), id="greeting")
            with Center():
                yield Button(_("Check in"), id="check-in", variant="primary")
            with Center():
                yield Button(_("Check out"), id="check-out")
            with Center():
                yield Button(_("I have an invitation code"), id="invitation")
            with Center():
                yield Button(_("Delivering a parcel"), id="delivery")
            with Horizontal(id="languages"):
                for code, label in LANGUAGES.items():
                    yield Button(
                        label,
                        id=f"lang-{code}",
                        classes="language" + (" -active" if code == current_language() else ""),
                    )
            yield Static("", id="status")

    def on_mount(self) -> None:
        self.refresh_ready()

    def on_key(self, event: events.Key) -> None:
        """Remember what a scanner types (the buttons ignore letters and digits); the
        Enter that ends a code checks out, or opens the invitation, instead of pressing
        the focused button. Keys reach here in order, after the focused button saw them
        and before the app's bindings (a button's Enter) do."""
        now = time.monotonic()
        if now - self._typed_at > SCAN_GAP_S:
            self._typed = ""
        self._typed_at = now
        if event.key == "enter":
            typed, self._typed = self._typed, ""
            if normalise_badge_code(typed) is None or self.runtime.open_error:
                return  # Enter for the focused button
            event.stop()
            self.post_message(self.Chosen("check-out", scanned=typed))
        elif event.character is not None and event.is_printable:
            self._typed = (self._typed + event.character)[-64:]

    def on_screen_resume(self) -> None:
        """Back here (a visitor done, gone idle or turned back): Check in has the focus
        again, so Enter at a keyboard kiosk starts a check-in, not what the visitor
        before chose."""
        check_in = self.query_one("#check-in", Button)
        if not check_in.disabled:
            self.set_focus(check_in)

    def refresh_ready(self) -> None:
        """If the store could not be opened, disable the ways in and say so."""
        failed = self.runtime.open_error is not None
        for button_id in ("check-in", "check-out", "invitation", "delivery"):
            self.query_one(f"#{button_id}", Button).disabled = failed
        status = self.query_one("#status", Static)
        status.display = failed  # no empty line: the welcome fits 25 rows with an office name
        if failed:
            status.update(_("The kiosk is not available right now. Please ask reception."))
            self._was_down = True
        else:
            status.update("")
            if self._was_down:  # back: Check in has the focus (it went elsewhere, or nowhere)
                self._was_down = False
                self.set_focus(self.query_one("#check-in", Button))

    @on(Button.Pressed, ".language")
    def switch_language(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        set_language(event.button.id.removeprefix("lang-"))
        self.app.switch_screen(WelcomeScreen())

    @on(Button.Pressed, "#check-in, #check-out, #invitation, #delivery")
    def choose(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.post_message(self.Chosen(event.button.id))
