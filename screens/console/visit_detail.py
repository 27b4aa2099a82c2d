"""A visit's details for staff: check out, reprint the badge, correct a typo."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.registration import ValidationErrors
from kiosk.domain.text import TextError
from kiosk.domain.visits import VisitRecord
from kiosk.services.errors import user_message
from kiosk.services.visits import parse_departure
from screens.console.desk import Desk
from screens.widgets import FieldError

FIELDS = (("name", "Name"), ("email", "E-mail"), ("phone", "Phone"), ("company", "Company"))


def departure(v: VisitRecord, tz: tzinfo) -> str:
    """When the visitor left, with the day when it is not the day they came, and whether
    anyone recorded it."""
    if v.departed_at is None:
        return "on site"
    left = v.departed_at.astimezone(tz)
    same_day = left.date() == v.arrived_at.astimezone(tz).date()
    when = f"{left:%H:%M}" if same_day else f"{left:%Y-%m-%d %H:%M}"
    if v.auto_checkout:
        return f"checked out automatically {when} (no check-out was recorded)"
    return f"left {when}"


class VisitDetailScreen(ModalScreen[bool]):
    """Dismisses with True when something changed (the log reloads)."""

    DEFAULT_CSS = """
    VisitDetailScreen { align: center middle; }
    #detail { width: 90; height: auto; max-height: 100%; border: thick $primary;
              background: $surface; padding: 1 2; }
    #detail .row { height: auto; }
    #detail .label { width: 12; padding: 1 1 0 0; }
    #detail Input { width: 1fr; }
    #detail FieldError { width: 28; padding: 1 0 0 1; }
    #detail-buttons { height: auto; padding: 1 0 0 0; }
    #detail-buttons Button { margin: 0 1 0 0; }
    #left-row { display: none; }
    #left-row.-needed { display: block; }
    #confirm-row { display: none; height: auto; padding: 1 0 0 0; }
    #confirm-row.-needed { display: block; }
    #confirm-row Static { width: 1fr; padding: 1 1 0 0; }
    """
    BINDINGS = [("escape", "close", "Close")]

    @dataclass
    class Loaded(Message):
        visit: VisitRecord
        host: str  # whom the visitor came to see, or ""
        notification: str  # whether the host has been e-mailed, or ""
        guardian: str  # an under-16's parent or guardian, or ""

    @dataclass
    class Done(Message):
        text: str

    def __init__(self, desk: Desk, visit_id: uuid.UUID) -> None:
        super().__init__()
        self.desk = desk
        self.visits = desk.services.visits
        self.visit_id = visit_id
        self.changed = False
        self.visit: VisitRecord | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="detail"):
            yield Static("Visit", classes="title")
            yield Static("", id="facts", markup=False)
            for field, label in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label, classes="label")
                    yield Input(id=f"fix-{field}", max_length=254, disabled=True)
                    yield FieldError("", id=f"fix-{field}-error", markup=False)
            # Only for a visit still open from an earlier day, or checked out
            # automatically: when did the visitor really leave? Disabled while hidden, so
            # that it never takes the focus.
            with Horizontal(classes="row", id="left-row"):
                yield Label("Left at", classes="label")
                yield Input(id="left-at", max_length=20, disabled=True)
                yield FieldError("", id="left-at-error", markup=False)
            # Only for an under-16 not yet confirmed: reception meets them with their
            # guardian (and host) and confirms.
            with Horizontal(id="confirm-row"):
                yield Static("Under 16: meet the visitor and their guardian, then confirm.")
                yield Button("Confirm visit", id="confirm-minor", variant="success", disabled=True)
            yield Static("", id="detail-status", markup=False)
            with Horizontal(id="detail-buttons"):
                yield Button("Save corrections", id="save", variant="primary", disabled=True)
                yield Button("Check out", id="checkout", variant="warning", disabled=True)
                yield Button("Reprint badge", id="reprint", disabled=True)
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def load(self) -> None:
        self._show(self.visits.open(self.visit_id, self.desk.actor))

    def _show(self, visit: VisitRecord) -> None:
        """(In a worker) the visit's facts, with its host and whether they were told."""
        host = self.visits.host_of(visit)
        told = self.visits.host_notification(self.visit_id, self.desk.actor)
        guardian = self.visits.guardian(self.visit_id, self.desk.actor) or ""
        self.post_message(self.Loaded(visit, host, told, guardian))

    def on_visit_detail_screen_loaded(self, message: Loaded) -> None:
        v = self.visit = message.visit
        tz = self.desk.tz
        facts = [
            f"Arrived {v.arrived_at.astimezone(tz):%Y-%m-%d %H:%M}",
            *([f"visiting {message.host}"] if message.host else []),
            departure(v, tz),
            f"type {v.visitor_type.value}",
            "NDA accepted" if v.nda_accepted else "no NDA",
        ]
        if v.flagged:
            facts.append("screening: see reception")
        if message.guardian:
            facts.append(f"under 16, with parent/guardian {message.guardian}")
        if v.needs_confirmation:
            facts.append("under 16: to be confirmed at reception")
        if message.notification:
            facts.append(message.notification)
        self.query_one("#facts", Static).update(" · ".join(facts))
        for field, _label in FIELDS:
            box = self.query_one(f"#fix-{field}", Input)
            box.value = getattr(v, field) or ""
            box.disabled = not self.desk.can("correct")
        self.query_one("#save", Button).disabled = not self.desk.can("correct")
        checkout = self.query_one("#checkout", Button)
        checkout.disabled = not ((v.on_site or v.auto_checkout) and self.desk.can("checkout"))
        checkout.label = "Record departure" if v.auto_checkout else "Check out"
        self.query_one("#reprint", Button).disabled = not (v.on_site and self.desk.can("checkout"))
        confirm = v.needs_confirmation and self.desk.can("checkout")
        self.query_one("#confirm-row").set_class(confirm, "-needed")
        self.query_one("#confirm-minor", Button).disabled = not confirm
        needed = self.visits.departure_needed(v) and self.desk.can("checkout")
        self.query_one("#left-row").set_class(needed, "-needed")
        left_at = self.query_one("#left-at", Input)
        left_at.disabled = not needed
        if needed:
            left_at.placeholder = f"HH:MM on {v.local_day}"
            self.query_one("#detail-status", Static).update(
                "Nobody recorded when the visitor left: type it, then Record departure."
                if v.auto_checkout
                else f"Still on site since {v.local_day}: type when the visitor left, then"
                " Check out."
            )

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        # Only what staff edited here: a field left as shown is not written back, so a
        # correction made at another desk meanwhile stays.
        shown = {f: (getattr(self.visit, f) or "") if self.visit else "" for f, _l in FIELDS}
        typed = {f: self.query_one(f"#fix-{f}", Input).value for f, _l in FIELDS}
        changes = {f: value for f, value in typed.items() if value != shown[f]}
        for f, _l in FIELDS:
            self.query_one(f"#fix-{f}-error", FieldError).update("")
        self._act(lambda: self._correct(changes))

    def _correct(self, changes: dict[str, str]) -> str | None:
        try:
            changed = self.visits.correct(self.visit_id, changes, self.desk.actor)
        except ValidationErrors as exc:
            self.app.call_from_thread(self._show_errors, exc.fields)
            return None
        return f"Saved: {', '.join(changed)}." if changed else "Nothing changed."

    def _show_errors(self, fields: dict[str, str]) -> None:
        for field, message in fields.items():
            self.query_one(f"#fix-{field}-error", FieldError).update(message)

    @on(Button.Pressed, "#checkout")
    def check_out(self) -> None:
        v, left = self.visit, None
        error = self.query_one("#left-at-error", FieldError)
        error.update("")
        if v is not None and self.visits.departure_needed(v):
            try:
                text = self.query_one("#left-at", Input).value
                left = parse_departure(text, v.local_day, self.desk.tz, v.arrived_at)
            except TextError as exc:
                error.update(exc.message)
                self.query_one("#detail-status", Static).update("Not checked out: see Left at.")
                return

        automatic = v is not None and v.auto_checkout

        def do() -> str:
            if self.visits.check_out(self.visit_id, self.desk.actor, left):
                return "Departure recorded." if automatic else "Checked out."
            return "Already checked out meanwhile (the badge was scanned, or at another desk)."

        self._act(do)

    @on(Button.Pressed, "#confirm-minor")
    def confirm_minor(self) -> None:
        def do() -> str:
            if self.visits.confirm_minor(self.visit_id, self.desk.actor):
                return "Visit confirmed."
            return "Already confirmed (at another desk)."

        self._act(do)

    @on(Button.Pressed, "#reprint")
    def reprint(self) -> None:
        def do() -> str:
            card, printed = self.visits.reprint(self.visit_id, self.desk.actor)
            return f"New badge {card.code}; the old badge no longer works. {printed}"

        self._act(do)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail-action")
    def _act(self, action: Callable[[], str | None]) -> None:
        text = action()
        if text is None:  # refused: keep what staff typed, reload nothing
            self.post_message(self.Done("Not saved: see the fields."))
            return
        self.changed = True
        self.post_message(self.Done(text))
        self._show(self.visits.get(self.visit_id, self.desk.actor))

    def on_visit_detail_screen_done(self, message: Done) -> None:
        self.query_one("#detail-status", Static).update(message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#detail-status", Static).update(user_message(event.worker.error))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.changed)
