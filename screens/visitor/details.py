"""Check-in step 1: the visitor's details, validated beside each field."""

from __future__ import annotations

import copy
import uuid

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Static

from kiosk.domain.registration import Registration, ValidationErrors, validate
from kiosk.domain.text import find_by_name, several_fit
from kiosk.domain.visits import VISITOR_TYPES
from kiosk.i18n import N_, _
from screens.visitor.base import Step, VisitorScreen
from screens.widgets import FieldError, HostChoices

TYPE_LABELS = {
    "guest": N_("Guest"),
    "contractor": N_("Contractor"),
    "interview": N_("Interview"),
    "delivery": N_("Delivery"),
}
MSG_PICK_HOST = N_("Please choose your host from the list.")
MSG_NO_HOST = N_(
    "We cannot find anyone by that name. Check the spelling, or leave this empty and "
    "reception will help you."
)
FIELDS = ("name", "email", "phone", "company", "host")


class DetailsScreen(VisitorScreen[Step]):
    """Next once every field is right (into ``registration``); Cancel forgets it all."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration
        # An under-16 comes with a parent or guardian, whose name is asked too.
        self.fields: tuple[str, ...] = (*FIELDS, "guardian") if registration.under_16 else FIELDS

    def compose(self) -> ComposeResult:
        r = self.registration
        with VerticalScroll(id="form"):
            yield Static(_("Your details"), classes="title")
            guardian = (("guardian", N_("Parent or guardian"), r.guardian, N_("Their full name")),)
            for field, label, value, placeholder in (
                ("name", N_("Full name"), r.name, ""),
                *(guardian if r.under_16 else ()),
                ("email", N_("E-mail"), r.email, "name@example.com"),
                ("phone", N_("Phone"), r.phone, "+31 20 123 4567"),
                ("company", N_("Company (optional)"), r.company, ""),
                ("host", N_("Who are you visiting?"), r.host_name, N_("Type part of a name")),
            ):
                with Horizontal(classes="field"):
                    yield Label(_(label), classes="label")
                    yield Input(
                        value,
                        placeholder=_(placeholder) if placeholder else "",
                        id=f"{field}-input",
                        max_length=254,
                    )
                    yield FieldError("", id=f"{field}-error", markup=False)
            yield HostChoices(line_above=self.app.is_web, id="host-options")
            yield Static(_("At least an e-mail address or a phone number."), classes="hint")
            with Horizontal(classes="field"):
                yield Label(_("Type of visit"), classes="label")
                with RadioSet(id="type"):
                    for value in VISITOR_TYPES:
                        yield RadioButton(
                            _(TYPE_LABELS[value]),
                            value=value == r.visitor_type,
                            id=f"type-{value}",
                        )
                yield FieldError("", id="visitor_type-error", markup=False)
        with Horizontal(classes="nav"):
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield Button(_("Next"), id="next", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name-input", Input).focus()
        self.load_hosts()

    @work(thread=True, exclusive=True, exit_on_error=False, group="hosts")
    def load_hosts(self) -> None:
        self.app.call_from_thread(self._set_hosts, self.services.hosts.directory())

    def _set_hosts(self, hosts: list[tuple[str, str, str]]) -> None:
        choices = self.query_one("#host-options", HostChoices)
        if hosts == choices.hosts:
            return
        choices.hosts = hosts
        typed = self.query_one("#host-input", Input).value
        if typed and self.registration.host_id is None:
            choices.offer(typed)  # what was typed, against the directory as it is now

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The host field: the directory is read again (a host added at reception while
        this form was open is found, not only after the next visitor's form)."""
        if event.widget.id == "host-input":
            self.load_hosts()

    @on(Input.Changed, "#host-input")
    def suggest_hosts(self, event: Input.Changed) -> None:
        """Hosts whose name contains what was typed: from the hosts directory only."""
        self.registration.host_id = None
        self.query_one("#host-options", HostChoices).offer(event.value)

    @on(Input.Changed)
    def recheck(self, event: Input.Changed) -> None:
        """A field whose message shows is checked again as it is corrected: the message
        goes once it no longer holds (a corrected e-mail kept its complaint until Next)."""
        field = (event.input.id or "").removesuffix("-input")
        if field not in self.fields or field == "host":
            return
        error = self.query_one(f"#{field}-error", FieldError)
        if error.has_class("-empty"):
            return
        draft = copy.copy(self._read_form())
        try:
            validate(draft, phone_region=self.runtime.settings.phone_region)
        except ValidationErrors as exc:
            if field in exc.fields:
                return
        error.update("")

    def on_key(self, event: events.Key) -> None:
        """Down from the host field goes into its suggestions."""
        in_field = self.focused is self.query_one("#host-input")
        if event.key == "down" and in_field and self.query_one(HostChoices).enter():
            event.stop()

    @on(OptionList.OptionSelected, "#host-options")
    def pick_host(self, event: OptionList.OptionSelected) -> None:
        choices = self.query_one("#host-options", HostChoices)
        self.registration.host_id = choices.pick(event.option, self.query_one("#host-input", Input))

    def _read_form(self) -> Registration:
        r = self.registration
        r.name = self.query_one("#name-input", Input).value
        r.email = self.query_one("#email-input", Input).value
        r.phone = self.query_one("#phone-input", Input).value
        r.company = self.query_one("#company-input", Input).value
        r.host_name = self.query_one("#host-input", Input).value
        if r.under_16:
            r.guardian = self.query_one("#guardian-input", Input).value
        pressed = self.query_one("#type", RadioSet).pressed_button
        r.visitor_type = pressed.id.removeprefix("type-") if pressed and pressed.id else "guest"
        return r

    def _resolve_host(self, r: Registration) -> str | None:
        """With a directory, a typed host must be one of its hosts; None if fine."""
        hosts = self.query_one("#host-options", HostChoices).hosts  # (id, name, search key)
        if r.host_id is not None or not r.host_name.strip() or not hosts:
            return None
        chosen = find_by_name(hosts, r.host_name, lambda h: h[2])
        if chosen is None:
            several = several_fit(hosts, r.host_name, lambda h: h[2])
            return MSG_PICK_HOST if several else MSG_NO_HOST
        r.host_id = uuid.UUID(chosen[0])
        r.host_name = chosen[1]
        return None

    @on(Button.Pressed, "#next")
    @on(Input.Submitted)
    def next_step(self) -> None:
        r = self._read_form()
        errors: dict[str, str] = {}
        try:
            validate(r, phone_region=self.runtime.settings.phone_region)
        except ValidationErrors as exc:
            errors = dict(exc.fields)
        host_error = self._resolve_host(r)
        if host_error:
            errors["host"] = host_error
        order = ("name", "guardian", *FIELDS[1:], "visitor_type")
        for field in order:
            if field not in self.fields and field != "visitor_type":
                continue
            message = errors.get(field, "")
            self.query_one(f"#{field}-error", FieldError).update(_(message) if message else "")
        if errors:
            first = next(f for f in order if f in errors)
            if first != "visitor_type":
                self.query_one(f"#{first}-input", Input).focus()
            return
        self.leave(Step.NEXT)
