"""The Export tab, for security: access records for a date range, to a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    ProgressBar,
    RadioButton,
    RadioSet,
    Static,
)
from textual.worker import Worker, WorkerState

from kiosk.domain.text import TextError, typed_path
from kiosk.services.export import FIELDS, ExportRequest
from screens.console.desk import Desk
from screens.console.reports_screen import ReportsScreen
from screens.widgets import FieldError, bring_into_view

MIN_PASSPHRASE = 12  # an export's passphrase: a few words, not a PIN


class ExportPanel(Vertical):
    @dataclass
    class Progress(Message):
        rows: int

    @dataclass
    class Finished(Message):
        text: str

    def __init__(self, desk: Desk, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.desk = desk
        # The file name offered; replaced (a new name, the format's extension) as long
        # as the officer has not typed their own.
        self._suggested = str(desk.services.export.default_path())

    def _suggest(self, fmt: str, *, used: str = "") -> None:
        """Offer a new default name, never ``used`` (an export may finish within the
        second its name was made)."""
        field = self.query_one("#export-output", Input)
        if field.value.strip() != self._suggested:
            return
        path = base = self.desk.services.export.default_path(fmt)
        count = 1
        while str(path) == used:
            count += 1
            path = base.with_stem(f"{base.stem}-{count}")
        self._suggested = field.value = str(path)

    def _format(self) -> str:
        pressed = self.query_one("#export-format", RadioSet).pressed_button
        return pressed.id.removeprefix("export-") if pressed and pressed.id else "csv"

    @on(RadioSet.Changed, "#export-format")
    def format_changed(self) -> None:
        self._suggest(self._format())

    def _protection(self) -> str:
        pressed = self.query_one("#export-protect", RadioSet).pressed_button
        return pressed.id.removeprefix("protect-") if pressed and pressed.id else "none"

    def on_mount(self) -> None:
        self._show_protection()

    @on(RadioSet.Changed, "#export-protect")
    def _show_protection(self) -> None:
        chosen = self._protection()
        self.query_one("#export-keys-row").display = chosen == "age"
        self.query_one("#export-passphrase-row").display = chosen == "passphrase"

    def compose(self) -> ComposeResult:
        today = self.desk.today().isoformat()
        for field, label, value in (
            ("from", "From (YYYY-MM-DD)", today),
            ("to", "To (YYYY-MM-DD)", today),
            ("fields", "Fields (empty: all)", ""),
            ("output", "Write to", self._suggested),
        ):
            with Horizontal(classes="form-row"):
                yield Label(label, classes="label")
                yield Input(value, id=f"export-{field}")
                yield FieldError("", id=f"export-{field}-error", markup=False)
        with Horizontal(classes="form-row"):
            yield Label("Format", classes="label")
            with RadioSet(id="export-format"):
                for fmt in ("csv", "jsonl", "json"):
                    yield RadioButton(fmt, value=fmt == "csv", id=f"export-{fmt}")
        keys = self.desk.settings.export.recipients
        with Horizontal(classes="form-row"):
            yield Label("Protect with", classes="label")
            with RadioSet(id="export-protect"):
                yield RadioButton("age keys", value=bool(keys), id="protect-age")
                yield RadioButton("passphrase", id="protect-passphrase")
                yield RadioButton("none", value=not keys, id="protect-none")
        with Horizontal(classes="form-row", id="export-keys-row"):
            yield Label("age keys", classes="label")
            yield Input(" ".join(keys), placeholder="age1... (several: spaces)", id="export-keys")
            yield FieldError("", id="export-keys-error", markup=False)
        with Horizontal(classes="form-row", id="export-passphrase-row"):
            yield Label("Passphrase", classes="label")
            yield Input(password=True, placeholder="passphrase", id="export-passphrase")
            yield Input(password=True, placeholder="again", id="export-passphrase2")
            yield FieldError("", id="export-passphrase-error", markup=False)
        with Horizontal(classes="form-row", id="export-options"):
            yield Checkbox("Include health outcome", id="export-health")
            if self.desk.services.export.may_include_restricted(self.desk.actor):
                yield Checkbox("Include restricted records", id="export-restricted")
        with Horizontal(classes="form-row"):
            yield Button("Export", id="export-run", variant="primary")
            yield ProgressBar(id="export-progress", show_eta=False)
        yield Static("", id="export-status", markup=False)
        with Horizontal(classes="form-row"):
            yield Button("Reports", id="export-reports")
            yield Static("Visits per day and per hour: charts, and the counts as CSV.",
                         classes="hint")  # fmt: skip

    @on(Button.Pressed, "#export-reports")
    def open_reports(self) -> None:
        self.app.push_screen(ReportsScreen(self.desk))

    @on(Button.Pressed, "#export-run")
    def run_export(self) -> None:
        values = {f: self.query_one(f"#export-{f}", Input).value.strip()
                  for f in ("from", "to", "fields", "output")}  # fmt: skip
        for f in values:
            self.query_one(f"#export-{f}-error", FieldError).update("")
        try:
            start, end = date.fromisoformat(values["from"]), date.fromisoformat(values["to"])
        except ValueError:
            self.query_one("#export-from-error", FieldError).update("Dates as YYYY-MM-DD.")
            return
        try:
            out = typed_path(values["output"])
        except TextError as exc:
            self.query_one("#export-output-error", FieldError).update(exc.message)
            return
        fmt = self._format()
        fields = tuple(f.strip() for f in values["fields"].split(",") if f.strip())
        protection = self._protect()
        if protection is None:
            return
        keys, passphrase = protection
        if (keys or passphrase) and out.suffix != ".age":
            out = out.with_name(out.name + ".age")  # what it is, for whoever opens it
        self.query_one("#export-run", Button).disabled = True
        self.query_one("#export-status", Static).update("Exporting…")
        self.query_one("#export-progress", ProgressBar).update(total=None, progress=0)
        self.export(start, end, fmt, fields, out, keys, passphrase)

    def _protect(self) -> tuple[tuple[str, ...], str | None] | None:
        """(age keys, passphrase) as chosen, or None after saying what is wrong."""
        chosen = self._protection()
        if chosen == "age":
            keys = tuple(self.query_one("#export-keys", Input).value.split())
            if not keys or not all(k.startswith("age1") for k in keys):
                error = "One or more age public keys (age1...), apart by spaces."
                self.query_one("#export-keys-error", FieldError).update(error)
                return None
            self.query_one("#export-keys-error", FieldError).update("")
            return keys, None
        if chosen == "passphrase":
            first = self.query_one("#export-passphrase", Input).value
            again = self.query_one("#export-passphrase2", Input).value
            error = ""
            if len(first) < MIN_PASSPHRASE:
                error = f"At least {MIN_PASSPHRASE} characters."
            elif first != again:
                error = "The two passphrases differ."
            self.query_one("#export-passphrase-error", FieldError).update(error)
            return None if error else ((), first)
        return (), None

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(
        self,
        start: date,
        end: date,
        fmt: str,
        fields: tuple[str, ...],
        out: Path,
        keys: tuple[str, ...] = (),
        passphrase: str | None = None,
    ) -> None:
        health = self.query_one("#export-health", Checkbox).value
        restricted = any(c.value for c in self.query("#export-restricted").results(Checkbox))

        def progress(rows: int) -> None:
            self.post_message(self.Progress(rows))

        request = ExportRequest(
            start=start,
            end=end,
            output=out,
            fmt=fmt,
            fields=fields or FIELDS,
            include_health=health,
            include_restricted=restricted,
            encrypt_to=keys,
            passphrase=passphrase,
        )
        result = self.desk.services.export.export(request, self.desk.actor, progress)
        skipped = (
            f"\n{result.skipped_damaged} record(s) could not be decrypted and were left out"
            if result.skipped_damaged
            else ""
        )
        self.post_message(
            self.Finished(
                f"Exported {result.rows} row(s) to {result.path}\nSHA-256 {result.sha256}" + skipped
            )
        )

    def on_export_panel_progress(self, message: Progress) -> None:
        self.query_one("#export-progress", ProgressBar).update(progress=message.rows)

    def on_export_panel_finished(self, message: Finished) -> None:
        self._suggest(self._format(), used=self._suggested)  # the next one: a new name
        self.query_one("#export-run", Button).disabled = False
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(bar.progress, 1), progress=max(bar.progress, 1))
        self._say(message.text)

    def _say(self, text: str) -> None:
        """The outcome under the button, scrolled into view on a short window."""
        status = self.query_one("#export-status", Static)
        status.update(text)
        bring_into_view(status)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "export":
            self.query_one("#export-run", Button).disabled = False
            self._say(f"Not exported: {event.worker.error}")
            event.stop()
