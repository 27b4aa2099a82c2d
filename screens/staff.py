"""The staff PIN prompt, opened by the staff key; the only way out of the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.staff import StaffUser
from kiosk.i18n import _
from screens.visitor.base import HasRuntime
from screens.widgets import FieldError


def no_accounts_yet() -> str:
    """What the PIN dialog says on a fresh installation (in the language of the moment)."""
    return _(
        "There are no staff accounts yet. Add one on this machine with:\n"
        "kiosk staff add NAME --role admin"
    )


class PinScreen(ModalScreen[StaffUser | None]):
    """The staff member who unlocked, or None (closed)."""

    # Enter is handled as it arrives, like Tab (screens.focus): a user name, Enter and the
    # PIN typed in one burst (a fast typist, a password manager) would otherwise put the
    # PIN into the user name field, behind the Enter that had not moved the focus yet.
    BINDINGS = [
        ("escape", "close", "Close"),
        Binding("enter", "enter", show=False, priority=True),
    ]

    _checking = False  # a PIN is being checked: Enter and Unlock wait for the answer

    @dataclass
    class Checked(Message):
        user: StaffUser | None
        no_accounts: bool = False  # a fresh installation: nobody can log in yet

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-dialog"):
            yield Static(_("Staff only"), classes="title")
            yield Input(placeholder=_("User name"), id="user", max_length=64)
            yield Input(placeholder=_("PIN"), id="pin", password=True, max_length=32)
            yield FieldError("", id="pin-error", markup=False)
            with Horizontal(classes="nav"):
                yield Button(_("Close"), id="close")
                yield Button(_("Unlock"), id="unlock", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#user", Input).focus()
        self.first_run()

    @work(thread=True, exclusive=True, exit_on_error=False, group="pin-first-run")
    def first_run(self) -> None:
        """On a fresh installation say at once how to add the first account, not only
        after a try (that no account exists gives nothing away)."""
        staff = cast(HasRuntime, self.app).runtime.services.staff  # waits for the database
        if not staff.any_accounts():
            self.app.call_from_thread(self._no_accounts)

    def _no_accounts(self) -> None:
        error = self.query_one("#pin-error", FieldError)
        if not str(error.render()).strip():  # a check's own answer stays
            error.update(no_accounts_yet())

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)

    def action_enter(self) -> None:
        """From the user name on to the PIN; from the PIN, unlock; on a button, press it."""
        focused = self.focused
        if focused is self.query_one("#user", Input):
            self.set_focus(self.query_one("#pin", Input))  # at once; Widget.focus() waits
        elif focused is self.query_one("#pin", Input):
            # Behind the keys of the PIN still queued for the field, not before them.
            focused.call_later(self.unlock)
        elif isinstance(focused, Button):
            focused.press()

    @on(Button.Pressed, "#unlock")
    def unlock(self) -> None:
        if self._checking:  # Enter again while a PIN is checked: one check at a time
            return
        self._checking = True
        user = self.query_one("#user", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        self.query_one("#pin", Input).value = ""
        self.query_one("#unlock", Button).disabled = True
        self.query_one("#pin-error", FieldError).update(_("Checking…"))
        self.verify(user, pin)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pin")
    def verify(self, user: str, pin: str) -> None:
        staff = cast(HasRuntime, self.app).runtime.services.staff  # waits for the database
        found = staff.verify(user, pin, scope=getattr(self.app, "PIN_SCOPE", "lobby"))
        self.post_message(self.Checked(found, found is None and not staff.any_accounts()))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._checking = False
            self.query_one("#unlock", Button).disabled = False
            self.query_one("#pin-error", FieldError).update(_("Not available right now."))

    def on_pin_screen_checked(self, message: Checked) -> None:
        self._checking = False
        self.query_one("#unlock", Button).disabled = False
        if message.user is None:
            # On a fresh installation whoever set it up would be stuck in the kiosk (the
            # staff menu is its only way out); that no account exists gives nothing away.
            error = no_accounts_yet() if message.no_accounts else _("Wrong user name or PIN.")
            user = self.query_one("#user", Input)
            if user.value.strip().isdigit() and not message.no_accounts:
                # Most likely a PIN typed into the user name field, in clear on a lobby
                # screen: it goes (an employee number as user name is typed again).
                user.value = ""
                error = _("Wrong user name or PIN. Type your user name first, then your PIN.")
                user.focus()
            else:
                self.query_one("#pin", Input).focus()
            self.query_one("#pin-error", FieldError).update(error)
            return
        self.dismiss(message.user)


class StaffMenuScreen(Screen[str]):
    """What the staff member chose: "console", "resume" (back to the kiosk) or "quit"."""

    AUTO_FOCUS = "Button"

    def __init__(self, user: StaffUser, *, console: bool = True) -> None:
        super().__init__()
        self.user = user
        self.console = console  # False on a served tablet (kiosk serve without --allow-console)

    def compose(self) -> ComposeResult:
        with Vertical(classes="step"):
            yield Static(_("Staff menu"), classes="title")
            yield Static(f"{self.user.username} ({self.user.role})", markup=False)
            if self.console:
                yield Button(_("Open the console"), id="console", variant="primary")
            else:
                yield Static(_("The console is not available on this tablet."), id="no-console")
            yield Button(_("Back to the kiosk"), id="resume")
            yield Button(_("Close the kiosk"), id="quit", variant="error")

    @on(Button.Pressed, "#console, #resume, #quit")
    def choose(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.dismiss(event.button.id)
