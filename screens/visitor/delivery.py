"""A courier delivering a parcel: the carrier and whom it is for, nothing about the
courier; saved in a worker (the recipient, or reception, is told), then thanks."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.worker import Worker, WorkerState

from kiosk.domain.deliveries import Delivered, DeliveryForm, validate_delivery
from kiosk.domain.registration import ValidationErrors
from kiosk.domain.staff import KIOSK
from kiosk.i18n import N_, _
from kiosk.services.errors import ServiceUnavailable
from screens.visitor.base import Step, VisitorScreen
from screens.widgets import FieldError, HostChoices

FIELDS = ("carrier", "recipient")


class DeliveryScreen(VisitorScreen[Step | Delivered]):
    BINDINGS = [("escape", "cancel", "Cancel")]

    @dataclass
    class Saved(Message):
        delivered: Delivered

    def __init__(self) -> None:
        super().__init__()
        self.form = DeliveryForm()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Static(_("Delivering a parcel"), classes="title")
            yield Static(
                _("We record the carrier, whom the parcel is for and the time; nothing about you."),
                classes="hint",
            )
            for field, label, placeholder in (
                ("carrier", N_("Carrier"), N_("Company name")),
                ("recipient", N_("Who is it for?"), N_("Type part of a name")),
            ):
                with Horizontal(classes="field"):
                    yield Label(_(label), classes="label")
                    yield Input(placeholder=_(placeholder), id=f"{field}-input", max_length=120)
                    yield FieldError("", id=f"{field}-error", markup=False)
            web = bool(getattr(self.app, "is_web", False))
            yield HostChoices(line_above=web, id="recipient-options")
            yield Static("", id="delivery-status", markup=False)
        with Horizontal(classes="nav"):
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield Button(_("Send"), id="send", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#carrier-input", Input).focus()
        self.load_hosts()

    @work(thread=True, exclusive=True, exit_on_error=False, group="hosts")
    def load_hosts(self) -> None:
        hosts = self.services.hosts.directory()
        self.app.call_from_thread(setattr, self.query_one(HostChoices), "hosts", hosts)

    @on(Input.Changed, "#recipient-input")
    def suggest(self, event: Input.Changed) -> None:
        self.form.recipient_id = None
        self.query_one(HostChoices).offer(event.value)

    def on_key(self, event: events.Key) -> None:
        """Down from the recipient field goes into its suggestions."""
        in_field = self.focused is self.query_one("#recipient-input")
        if event.key == "down" and in_field and self.query_one(HostChoices).enter():
            event.stop()

    @on(OptionList.OptionSelected, "#recipient-options")
    def pick(self, event: OptionList.OptionSelected) -> None:
        field = self.query_one("#recipient-input", Input)
        self.form.recipient_id = self.query_one(HostChoices).pick(event.option, field)

    @on(Button.Pressed, "#send")
    @on(Input.Submitted)
    def send(self) -> None:
        self.form.carrier = self.query_one("#carrier-input", Input).value
        self.form.recipient = self.query_one("#recipient-input", Input).value
        errors: dict[str, str] = {}
        try:
            validate_delivery(self.form)
        except ValidationErrors as exc:
            errors = dict(exc.fields)
        for field in FIELDS:
            message = errors.get(field, "")
            self.query_one(f"#{field}-error", FieldError).update(_(message) if message else "")
        if errors:
            first = next(f for f in FIELDS if f in errors)
            self.query_one(f"#{first}-input", Input).focus()
            return
        self.query_one("#send", Button).disabled = True
        self.query_one("#delivery-status", Static).update(_("Sending…"))
        self.save(DeliveryForm(self.form.carrier, self.form.recipient, self.form.recipient_id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="delivery")
    def save(self, form: DeliveryForm) -> None:
        self.post_message(self.Saved(self.services.checkin.deliver(form, KIOSK)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.group != "delivery":
            return
        if isinstance(event.worker.error, ServiceUnavailable):
            text = _("We could not save this just now. Please try again.")
        else:
            text = _("Something went wrong. Please try again or ask reception.")
        self.query_one("#delivery-status", Static).update(text)
        self.query_one("#send", Button).disabled = False  # what was typed stays

    def on_delivery_screen_saved(self, message: Saved) -> None:
        self.dismiss(message.delivered)


class ParcelThanksScreen(VisitorScreen[Step]):
    """Who was told; back to the welcome after a few seconds."""

    class Shown(Message):
        """The delivery is stored: the app sends its notification now."""

    def __init__(self, delivered: Delivered) -> None:
        super().__init__()
        self.delivered = delivered

    def compose(self) -> ComposeResult:
        if self.delivered.recipient:
            told = _("{recipient} has been told a parcel is waiting at reception.").format(
                recipient=self.delivered.recipient
            )
        else:
            told = _("Reception has been told a parcel is waiting for them.")
        with Vertical(classes="step"):
            yield Static(_("Thank you!"), classes="title")
            yield Static(told, id="told", markup=False)
            yield Static(_("Please leave the parcel at reception."))
            yield Button(_("Done"), id="done", variant="primary")

    def on_mount(self) -> None:
        self.post_message(self.Shown())
        self.set_timer(10, self.done)

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        if self.is_current:
            self.leave(Step.DONE)
