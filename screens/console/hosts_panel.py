"""The Hosts tab: the directory visitors choose their host from; add, edit, deactivate."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.widgets import Button, Input, OptionList, Select
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from kiosk.domain.hosts import HostEntry
from kiosk.domain.registration import ValidationErrors
from kiosk.i18n import LANGUAGES
from kiosk.services.errors import user_message
from screens.console.desk import Desk
from screens.widgets import FieldError


def host_label(h: HostEntry) -> str:
    email = f" <{h.email}>" if h.email else ""
    language = f"  [{h.language}]" if h.language else ""
    return h.name + email + language + ("" if h.active else "  (inactive)")


def host_languages(site: str) -> list[tuple[str, str]]:
    """The choices for a host's e-mail language: the site's first (stored as none)."""
    return [(f"E-mails: site's ({LANGUAGES[site]})", "")] + [
        (f"E-mails: {name}", code) for code, name in LANGUAGES.items()
    ]


class HostsPanel(Container):
    class Changed(Message):
        """A host was added or changed: the directory is to be read again."""

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self._hosts: list[HostEntry] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="host-list")
        with Horizontal(classes="form-row"):
            yield Input(placeholder="Name", id="host-name")
            yield Input(placeholder="E-mail (optional)", id="host-email")
            yield Select(
                host_languages(self.desk.settings.notify.language),
                value="",
                allow_blank=False,
                id="host-language",
            )
        with Horizontal(classes="form-row"):
            yield Button("Add host", id="host-add")
            yield Button("Save changes", id="host-save")
            yield Button("Activate / deactivate", id="host-toggle")
        yield FieldError("", id="host-error", markup=False)

    def show(self, hosts: list[HostEntry]) -> None:
        """The directory as the console read it."""
        self._hosts = hosts
        options = self.query_one("#host-list", OptionList)
        options.clear_options()
        options.add_options([Option(Text(host_label(h)), id=str(h.id)) for h in hosts])

    def _form(self) -> tuple[str, str, str]:
        language = self.query_one("#host-language", Select).value
        return (
            self.query_one("#host-name", Input).value,
            self.query_one("#host-email", Input).value,
            language if isinstance(language, str) else "",
        )

    def _selected(self) -> HostEntry | None:
        options = self.query_one("#host-list", OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return next((h for h in self._hosts if str(h.id) == option_id), None)

    @on(OptionList.OptionHighlighted, "#host-list")
    def host_highlighted(self) -> None:
        host = self._selected()
        if host is not None:
            self.query_one("#host-name", Input).value = host.name
            self.query_one("#host-email", Input).value = host.email or ""
            self.query_one("#host-language", Select).value = host.language or ""

    @on(Button.Pressed, "#host-add")
    def add_host(self) -> None:
        self.save_host(None, *self._form())

    @on(Button.Pressed, "#host-save")
    def save_host_changes(self) -> None:
        host = self._selected()
        if host is None:
            self.query_one("#host-error", FieldError).update("Choose a host in the list first.")
            return
        self.save_host(host.id, *self._form())

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts-save")
    def save_host(self, host_id: uuid.UUID | None, name: str, email: str, language: str) -> None:
        """A new host (``host_id`` None), or changes to one."""
        hosts, actor = self.desk.services.hosts, self.desk.actor
        try:
            if host_id is None:
                hosts.add(name, email, language, actor)
            else:
                hosts.edit(host_id, name, email, language, actor)
        except ValidationErrors as exc:
            message = next(iter(exc.fields.values()))
            self.app.call_from_thread(self.query_one("#host-error", FieldError).update, message)
            return
        self.app.call_from_thread(self._host_saved)

    def _host_saved(self) -> None:
        self.query_one("#host-error", FieldError).update("")
        self.query_one("#host-name", Input).value = ""
        self.query_one("#host-email", Input).value = ""
        self.query_one("#host-language", Select).value = ""
        self.post_message(self.Changed())

    @on(Button.Pressed, "#host-toggle")
    def toggle_host(self) -> None:
        host = self._selected()
        if host is None:
            self.query_one("#host-error", FieldError).update("Choose a host in the list first.")
            return
        self.set_active(host.id, not host.active)

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-hosts-save")
    def set_active(self, host_id: uuid.UUID, active: bool) -> None:
        self.desk.services.hosts.set_active(host_id, active, self.desk.actor)
        self.post_message(self.Changed())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(user_message(event.worker.error), severity="error")
