"""The Rights tab's dialogs for the register: register a request, extend or refuse one
(with the reason), uphold an objection (what the visitor objects to). Each only asks;
the Rights tab does the work in a worker with what it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kiosk.domain.requests import (
    CHANNELS,
    EXPORTS,
    MAX_EXTENSION_MONTHS,
    NOTIFICATIONS,
    RequestKind,
)

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; max-width: 100%; height: auto; border: thick $primary;
                     background: $surface; padding: 1 2; }}
{name} .row {{ height: auto; }}
{name} .label {{ width: 16; padding: 1 1 0 0; }}
{name} Input, {name} Select {{ width: 1fr; }}
{name} .buttons {{ height: auto; padding: 1 0 0 0; }}
{name} .buttons Button {{ margin: 0 1 0 0; }}
{name} .error {{ color: $error; height: auto; }}
"""


@dataclass(frozen=True)
class NewRequest:
    kind: str
    who: str
    channel: str
    received_on: date


def parse_day(text: str) -> date | None:
    """A typed YYYY-MM-DD (None when it is not one)."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class NewRequestScreen(ModalScreen[NewRequest | None]):
    """Register a request: what was asked, by whom (e-mail or phone), how and when it
    came in."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NewRequestScreen")
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, who: str, today: date) -> None:
        super().__init__()
        self.who, self.today = who, today

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Register a rights request", classes="title")
            with Horizontal(classes="row"):
                yield Label("Request", classes="label")
                yield Select(
                    [(k.value, k.value) for k in RequestKind], id="request-kind", allow_blank=True
                )
            with Horizontal(classes="row"):
                yield Label("From", classes="label")
                yield Input(self.who, placeholder="Their e-mail address or phone number",
                            id="request-who")  # fmt: skip
            with Horizontal(classes="row"):
                yield Label("Received by", classes="label")
                yield Select([(c, c) for c in CHANNELS], id="request-via", allow_blank=True)
            with Horizontal(classes="row"):
                yield Label("Received on", classes="label")
                yield Input(self.today.isoformat(), id="request-received", max_length=10)
            yield Static("", id="request-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Register", id="request-register", variant="primary")
                yield Button("Cancel", id="request-cancel")

    @on(Button.Pressed, "#request-register")
    def register(self) -> None:
        kind = self.query_one("#request-kind", Select).value
        via = self.query_one("#request-via", Select).value
        who = self.query_one("#request-who", Input).value.strip()
        received = parse_day(self.query_one("#request-received", Input).value)
        problem = (
            "Choose what was asked." if not isinstance(kind, str)
            else "Type their e-mail address or phone number." if not who
            else "Choose how the request came in." if not isinstance(via, str)
            else "Received on: a day as YYYY-MM-DD." if received is None
            else "A request cannot be received in the future." if received > self.today
            else ""
        )  # fmt: skip
        if problem:
            self.query_one("#request-error", Static).update(problem)
            return
        assert isinstance(kind, str) and isinstance(via, str) and received is not None
        self.dismiss(NewRequest(kind, who, via, received))

    @on(Button.Pressed, "#request-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Reason:
    text: str
    months: int = 0  # an extension's


class ReasonScreen(ModalScreen[Reason | None]):
    """The reason for extending a request (and by how many months) or for refusing it."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ReasonScreen")
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, ref: str, *, extend: bool) -> None:
        super().__init__()
        self.ref, self.extend = ref, extend

    def compose(self) -> ComposeResult:
        what = "Extend" if self.extend else "Refuse"
        with Vertical():
            yield Static(f"{what} request {self.ref}", classes="title")
            if self.extend:
                yield Static(
                    "Once, by one or two months; the visitor must be told why within the"
                    " first month.",
                    classes="hint",
                )
                with Horizontal(classes="row"):
                    yield Label("By", classes="label")
                    yield Select(
                        [(f"{m} month(s)", m) for m in range(1, MAX_EXTENSION_MONTHS + 1)],
                        value=1,
                        id="reason-months",
                        allow_blank=False,
                    )
            with Horizontal(classes="row"):
                yield Label("Reason", classes="label")
                yield Input(id="reason-text", max_length=500)
            yield Static("", id="reason-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(what, id="reason-ok", variant="warning")
                yield Button("Cancel", id="reason-cancel")

    @on(Button.Pressed, "#reason-ok")
    @on(Input.Submitted, "#reason-text")
    def ok(self) -> None:
        text = self.query_one("#reason-text", Input).value.strip()
        if not text:
            self.query_one("#reason-error", Static).update("The reason is required.")
            return
        months = 0
        if self.extend:
            chosen = self.query_one("#reason-months", Select).value
            months = chosen if isinstance(chosen, int) else 1
        self.dismiss(Reason(text, months))

    @on(Button.Pressed, "#reason-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ObjectionScreen(ModalScreen[list[str] | None]):
    """What the visitor objects to their data being used for."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ObjectionScreen")
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Uphold objection {self.ref}", classes="title")
            yield Static(
                "From now on and for what is held. They stay on the on-site and evacuation"
                " lists, and their NDAs are kept.",
                classes="hint",
            )
            yield Checkbox("Their host is e-mailed when they arrive", id=f"object-{NOTIFICATIONS}")
            yield Checkbox("They are in security's exports", id=f"object-{EXPORTS}")
            yield Static("", id="object-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Uphold", id="object-ok", variant="warning")
                yield Button("Cancel", id="object-cancel")

    @on(Button.Pressed, "#object-ok")
    def ok(self) -> None:
        chosen = [
            purpose
            for purpose in (NOTIFICATIONS, EXPORTS)
            if self.query_one(f"#object-{purpose}", Checkbox).value
        ]
        if not chosen:
            self.query_one("#object-error", Static).update("Tick what they object to.")
            return
        self.dismiss(chosen)

    @on(Button.Pressed, "#object-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
